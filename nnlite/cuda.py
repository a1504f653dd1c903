"""nnlite runs on the CPU: ``torch.cuda`` answers as on a CPU-only PyTorch build.

``is_available()`` is False, there are no devices, seeding calls are no-ops and the memory
statistics are all zero (programs print them after checking nothing); calls that need a device
(``current_device``, ``get_device_name``, ``mem_get_info``) raise torch's ``AssertionError``.
"""

from collections import OrderedDict

import nnlite.amp as amp


def _no_cuda(*args, **kwargs):
    raise AssertionError("Torch not compiled with CUDA enabled")


def is_available() -> bool:
    return False


def is_initialized() -> bool:
    return False


def device_count() -> int:
    return 0


def is_bf16_supported(including_emulation: bool = True) -> bool:
    return False


def manual_seed(seed) -> None:
    pass


def manual_seed_all(seed) -> None:
    pass


def seed() -> None:
    pass


def seed_all() -> None:
    pass


def synchronize(device=None) -> None:
    pass


def empty_cache() -> None:
    pass


def memory_allocated(device=None) -> int:
    return 0


def max_memory_allocated(device=None) -> int:
    return 0


def memory_reserved(device=None) -> int:
    return 0


def max_memory_reserved(device=None) -> int:
    return 0


memory_cached = memory_reserved
max_memory_cached = max_memory_reserved


def memory_stats(device=None) -> OrderedDict:
    return OrderedDict()


def reset_peak_memory_stats(device=None) -> None:
    """A no-op (a CPU-only torch build raises AttributeError here; nothing is tracked)."""


reset_max_memory_allocated = reset_max_memory_cached = reset_accumulated_memory_stats = (
    reset_peak_memory_stats
)

current_device = get_device_name = get_device_properties = get_device_capability = _no_cuda
mem_get_info = set_device = init = _no_cuda


def __getattr__(name):
    # torch.cuda.amp: the same autocast/GradScaler as torch.amp (disabled: there is no CUDA)
    if name == "amp":
        return amp
    raise AttributeError(f"module 'nnlite.cuda' has no attribute '{name}'")
