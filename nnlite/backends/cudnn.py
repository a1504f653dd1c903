"""``torch.backends.cudnn``: unavailable; its switches are settable and have no effect."""

import contextlib
import sys

enabled = True
benchmark = False
deterministic = False
allow_tf32 = True
benchmark_limit = 10


def is_available() -> bool:
    return False


def version():
    return None


def is_acceptable(tensor) -> bool:
    return False


@contextlib.contextmanager
def flags(enabled=False, benchmark=False, benchmark_limit=10, deterministic=False,
          allow_tf32=True):
    """Set the switches inside a ``with`` block and restore them after, as torch's ``flags``."""
    mod = sys.modules[__name__]
    old = (mod.enabled, mod.benchmark, mod.benchmark_limit, mod.deterministic, mod.allow_tf32)
    mod.enabled, mod.benchmark, mod.benchmark_limit = enabled, benchmark, benchmark_limit
    mod.deterministic, mod.allow_tf32 = deterministic, allow_tf32
    try:
        yield
    finally:
        (mod.enabled, mod.benchmark, mod.benchmark_limit, mod.deterministic,
         mod.allow_tf32) = old
