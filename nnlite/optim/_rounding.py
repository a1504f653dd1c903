"""ATen's CPU rounding of the pointwise updates optimizers use, on numpy arrays in place.

PyTorch's optimizers are written as tensor ops (``lerp_``, ``addcmul_``, ``add_(alpha=)``,
``addcdiv_``) whose CPU kernels round in a fixed way: ``add(alpha=)``, ``lerp`` and ``addcmul``
as one fused multiply-add, ``addcdiv`` as ``self + value * (t1 / t2)``. Doing the same in the
parameter's dtype keeps float32 runs within an ulp or so of torch's over many steps (float64
differs only where numpy's unfused ``a * b + c`` rounds twice).
"""

from __future__ import annotations

import numpy as np


def fma(a, b, c):
    """``a * b + c`` rounded once (float32 through exact float64 products)."""
    dt = np.result_type(a, b, c)
    if dt == np.float32:
        w = np.float64
        return (np.asarray(a, w) * np.asarray(b, w) + np.asarray(c, w)).astype(dt)
    return a * b + c


def lerp_(start: np.ndarray, end: np.ndarray, weight: float) -> None:
    """``start.lerp_(end, weight)``: small weights step from ``start``, large ones from ``end``."""
    dt = start.dtype.type
    w = dt(weight)
    if abs(weight) < 0.5:
        start[...] = fma(w, end - start, start)
    else:
        start[...] = fma(w - dt(1.0), end - start, end)


def add_(x: np.ndarray, other, alpha: float) -> None:
    """``x.add_(other, alpha=alpha)``."""
    x[...] = fma(x.dtype.type(alpha), other, x)


def added(x: np.ndarray, other, alpha: float) -> np.ndarray:
    """``x.add(other, alpha=alpha)`` (a new array)."""
    return fma(x.dtype.type(alpha), other, x)


def addcmul_(x: np.ndarray, t1, t2, value: float) -> None:
    """``x.addcmul_(t1, t2, value=value)``."""
    x[...] = fma(x.dtype.type(value) * t1, t2, x)


def addcdiv_(x: np.ndarray, t1, t2, value: float) -> None:
    """``x.addcdiv_(t1, t2, value=value)``."""
    x += x.dtype.type(value) * (t1 / t2)
