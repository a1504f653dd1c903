"""nnlite: a small, fast neural-network framework for the CPU with PyTorch's API.

``import nnlite as torch`` runs PyTorch programs that stay inside the covered subset.
"""

from __future__ import annotations

import builtins as _b
import importlib as _importlib
import math as _math
import os as _os

import numpy as _np

__version__ = "0.1.0"

from nnlite._dtype import to_dtype as _to_dtype
from nnlite._dtype import (  # noqa: F401
    bool,
    double,
    dtype,
    float,
    float16,
    float32,
    float64,
    get_default_dtype,
    half,
    int,
    int8,
    int16,
    int32,
    int64,
    long,
    promote_types,
    set_default_dtype,
    short,
    uint8,
)
from nnlite._format import set_printoptions  # noqa: F401
from nnlite._random import (  # noqa: F401
    Generator,
    default_generator,
    get_rng_state,
    initial_seed,
    manual_seed,
    seed,
    set_rng_state,
)
from nnlite._tensor import (  # noqa: F401
    Size,
    Tensor,
    as_tensor,
    device,
    from_numpy,
    is_tensor,
    tensor,
)
from nnlite.autograd.grad_mode import (  # noqa: F401
    enable_grad,
    inference_mode,
    is_grad_enabled,
    is_inference_mode_enabled,
    no_grad,
    set_grad_enabled,
)
from nnlite.ops import *  # noqa: F401,F403
from nnlite.ops import numel, svd  # noqa: F401
from nnlite.ops import max, min, sum, all, any, abs, pow, round  # noqa: F401,A004
from nnlite import autograd  # noqa: F401,E402
from nnlite.autograd.anomaly_mode import (  # noqa: F401,E402
    is_anomaly_check_nan_enabled,
    is_anomaly_enabled,
    set_anomaly_enabled,
)
from nnlite._threads import apply_env as _apply_thread_env  # noqa: E402
from nnlite._threads import get_num_threads, set_num_threads  # noqa: F401,E402
from nnlite.ops.creation import zeros as _zeros  # noqa: E402

pi, e, inf, nan = _math.pi, _math.e, _math.inf, _math.nan
strided = "torch.strided"
contiguous_format = preserve_format = "torch.contiguous_format"


class finfo:  # noqa: N801
    """Machine limits of a floating dtype (``torch.finfo``)."""

    def __init__(self, type=None):  # noqa: A002
        d = _to_dtype(type or get_default_dtype())
        fi = _np.finfo(d.np)
        self.bits, self.eps = fi.bits, _b.float(fi.eps)
        self.max, self.min = _b.float(fi.max), _b.float(fi.min)
        self.tiny = self.smallest_normal = _b.float(fi.tiny)
        self.resolution = 10.0 ** -_b.int(fi.precision)  # torch: a double, not rounded to the dtype
        self.dtype = d.name

    def __repr__(self):
        f = ", ".join(f"{k}={getattr(self, k):g}" for k in (
            "resolution", "min", "max", "eps", "smallest_normal", "tiny"))
        return f"finfo({f}, dtype={self.dtype})"


class iinfo:  # noqa: N801
    def __init__(self, type):  # noqa: A002
        ii = _np.iinfo(_to_dtype(type).np)
        self.bits, self.max, self.min = ii.bits, _b.int(ii.max), _b.int(ii.min)
        self.dtype = str(ii.dtype)

    def __repr__(self):
        return f"iinfo(min={self.min:g}, max={self.max:g}, dtype={self.dtype})"  # torch: %g


def _typed(dt):
    def ctor(*args):
        if len(args) == 1 and not isinstance(args[0], _b.int):
            return tensor(args[0], dtype=dt)
        return _zeros(*args, dtype=dt)

    return ctor


FloatTensor = _typed(float32)
DoubleTensor = _typed(float64)
LongTensor = _typed(int64)
IntTensor = _typed(int32)
BoolTensor = _typed(bool)


def is_floating_point(t) -> _b.bool:
    return t.is_floating_point()


if _os.environ.get("NNLITE_NUM_THREADS"):
    _apply_thread_env()


def set_default_device(device) -> None:
    """Only the CPU exists: ``None``/``"cpu"`` are accepted, any other device raises torch's
    ``AssertionError`` (a CPU-only PyTorch raises it at the first tensor made there)."""
    if device is not None and str(device).split(":")[0] != "cpu":
        raise AssertionError(f"Torch not compiled with CUDA enabled (nnlite runs on the CPU "
                             f"only; cannot make '{device}' the default device)")


def get_default_device():
    """``device(type='cpu')``: nnlite's only device."""
    return device("cpu")


_matmul_precision = ["highest"]
_deterministic = [False]


def set_float32_matmul_precision(precision: str) -> None:
    """Accepted for compatibility ("highest", "high", "medium"); nnlite's float32 matmuls are
    always full float32 (BLAS sgemm)."""
    if precision not in ("highest", "high", "medium"):
        raise RuntimeError(f"Invalid precision: {precision}; use 'highest', 'high' or 'medium'")
    _matmul_precision[0] = precision


def get_float32_matmul_precision() -> str:
    return _matmul_precision[0]


def use_deterministic_algorithms(mode: _b.bool, *, warn_only: _b.bool = False) -> None:
    """Recorded only: nnlite's CPU ops are deterministic already."""
    _deterministic[0] = _b.bool(mode)


def are_deterministic_algorithms_enabled() -> _b.bool:
    return _deterministic[0]


_SUBMODULES = ("nn", "optim", "data", "train", "utils", "linalg", "serialization", "cuda",
               "testing", "backends", "accelerator", "distributions", "functional", "compat",
               "onnx", "mps", "xpu", "amp", "distributed", "compile", "func")


# torch-namespace attributes whose module loads on first use: (module, attribute or None)
_LAZY_ATTRIBUTES = {
    "autocast": ("nnlite.amp", "autocast"),
    "vmap": ("nnlite.func", "vmap"),  # torch.vmap is torch.func.vmap
    "profiler": ("nnlite.autograd.profiler", None),
    "random": ("nnlite._random", None),  # torch.random: manual_seed, fork_rng, get_rng_state  # torch.profiler: torch.autograd.profiler
    "save": ("nnlite.serialization", "save"),
    "load": ("nnlite.serialization", "load"),
}


def __getattr__(name):
    # Submodules (and a few names from them) load on first use so `import nnlite` stays fast.
    if name in _SUBMODULES:
        try:
            mod = _importlib.import_module(f"nnlite.{name}")
        except ModuleNotFoundError as e:
            if e.name != f"nnlite.{name}":
                raise
            raise AttributeError(f"module 'nnlite' has no attribute '{name}'") from None
        globals()[name] = mod
        return mod
    if name in _LAZY_ATTRIBUTES:
        module, attribute = _LAZY_ATTRIBUTES[name]
        mod = _importlib.import_module(module)
        return mod if attribute is None else getattr(mod, attribute)
    raise AttributeError(f"module 'nnlite' has no attribute '{name}'")
