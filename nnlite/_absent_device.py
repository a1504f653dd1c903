"""The API of an accelerator namespace nnlite has no device for (``torch.mps``, ``torch.xpu``):
the answers a CPU-only PyTorch gives."""


def is_available() -> bool:
    return False


def device_count() -> int:
    return 0


def synchronize(device=None) -> None:
    pass


def empty_cache() -> None:
    pass


def manual_seed(seed) -> None:
    pass
