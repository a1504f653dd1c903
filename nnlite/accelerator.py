"""``torch.accelerator``: nnlite has no accelerator, so the answers are a CPU-only PyTorch's."""


def is_available() -> bool:
    return False


def current_accelerator(check_available: bool = False):
    """None: there is no accelerator (``device = torch.accelerator.current_accelerator() or
    torch.device("cpu")`` then picks the CPU, as in PyTorch's tutorials)."""
    return None


def device_count() -> int:
    return 0


def synchronize(device=None) -> None:
    pass
