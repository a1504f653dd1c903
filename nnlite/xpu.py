"""``torch.xpu``: the device is never available in nnlite (CPU only)."""


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
