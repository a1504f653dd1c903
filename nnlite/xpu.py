"""``torch.xpu``: the device is never available in nnlite (CPU only)."""

from nnlite._absent_device import (  # noqa: F401
    device_count,
    empty_cache,
    is_available,
    manual_seed,
    synchronize,
)
