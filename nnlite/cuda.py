"""nnlite runs on the CPU: ``torch.cuda.is_available()`` is False, seeding calls are no-ops."""


def is_available() -> bool:
    return False


def device_count() -> int:
    return 0


def manual_seed(seed) -> None:
    pass


def manual_seed_all(seed) -> None:
    pass


def synchronize(device=None) -> None:
    pass
