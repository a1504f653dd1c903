"""quantile and nanquantile (``torch.quantile``/``torch.nanquantile``), composed of sort, gather
and lerp so that gradients (first and higher order) come from those ops' nodes.

As torch: the input is sorted along ``dim`` (flattened when ``dim`` is None), each ``q`` maps to
the rank ``q * (n - 1)`` (``n`` = the count of non-NaN values for nanquantile), and the five
``interpolation`` modes pick or blend the neighbouring order statistics. A NaN in a row makes
quantile's result NaN; nanquantile ignores NaNs (all-NaN rows give NaN). ``q`` as a 1-D tensor
puts a leading dimension of its length on the result. Ranks and weights are computed in the
input's dtype, as torch does, so float32 results round as torch's.
"""

from __future__ import annotations

import numpy as np

from nnlite._tensor import Tensor
from nnlite.ops import elementwise as E
from nnlite.ops import reduce as R
from nnlite.ops import shape as S

_MODES = ("linear", "lower", "higher", "midpoint", "nearest")


def _q_array(q, dtype) -> tuple[np.ndarray, bool]:
    """``q`` as a 1-D array in the input dtype, and whether it was a scalar (0-dim)."""
    if isinstance(q, Tensor):
        if q.dim() > 1:
            raise RuntimeError("quantile() q must be a scalar or 1D tensor")
        if q._data.dtype != dtype:
            raise RuntimeError("quantile() q tensor must be same dtype as the input tensor")
        arr = q._data.reshape(-1)
        if not ((arr >= 0) & (arr <= 1)).all():
            raise RuntimeError("quantile() q values must be in the range [0, 1]")
        return arr, q.dim() == 0
    q = float(q)
    if not 0 <= q <= 1:
        raise RuntimeError(f"quantile() q must be in the range [0, 1] but got {q}")
    return np.array([q], dtype), True


def _quantile(x, q, dim, keepdim, interpolation, ignore_nan):
    if not isinstance(x, Tensor):
        raise TypeError(f"quantile(): argument 'input' must be Tensor, not {type(x).__name__}")
    dt = x._data.dtype
    if dt not in (np.float32, np.float64):
        raise RuntimeError("quantile() input tensor must be either float or double dtype")
    qs, scalar_q = _q_array(q, dt)
    dt = dt.type
    if interpolation not in _MODES:
        raise RuntimeError("quantile() interpolation must be one of linear, lower, higher, "
                           f"midpoint or nearest, but got {interpolation}")
    if x.numel() == 0:
        raise RuntimeError("quantile() input tensor must be non-empty")
    if dim is None:
        rows = S.reshape(x, (-1,))
        out_shape = (1,) * x.dim() if keepdim else ()
    else:
        d = _canon(dim, x.dim())
        rows = S.movedim(x, d, -1) if x.dim() > 0 else S.reshape(x, (1,))
        out_shape = tuple(1 if i == d else s for i, s in enumerate(x.shape) if keepdim or i != d)
    srt = R.sort(rows, dim=-1).values  # NaNs sort last
    n = srt.shape[-1]
    # torch's layout: the sorted rows viewed as (*result shape, n)
    srt = S.reshape(srt, out_shape + (n,))
    nan = np.isnan(srt._data)
    k = qs.shape[0]
    if ignore_nan:
        valid = (~nan).sum(-1, keepdims=True).astype(dt)
        ranks = qs * (valid - dt(1))
        ranks = np.where(ranks < 0, dt(0), ranks).astype(dt)  # all-NaN rows: index 0, a NaN
    else:
        ranks = np.broadcast_to(qs * dt(n - 1), srt.shape[:-1] + (k,)).astype(dt)
        ranks = np.where(nan.any(-1, keepdims=True), dt(n - 1), ranks).astype(dt)
    if interpolation in ("lower", "higher", "nearest"):
        pick = {"lower": np.floor, "higher": np.ceil, "nearest": np.round}[interpolation]
        out = S.gather(srt, -1, Tensor._wrap(pick(ranks).astype(np.int64)))
    else:
        below = np.floor(ranks)
        above = np.minimum(np.ceil(ranks), dt(n - 1))
        weights = ranks - below if interpolation == "linear" else np.full_like(ranks, 0.5)
        lo = S.gather(srt, -1, Tensor._wrap(below.astype(np.int64)))
        hi = S.gather(srt, -1, Tensor._wrap(above.astype(np.int64)))
        out = E.lerp(lo, hi, Tensor._wrap(weights.astype(dt)))
    # (*result shape, k) -> torch's in-place squeeze_ / unsqueeze_(0).transpose_(0, -1).squeeze_
    if scalar_q:
        return S.squeeze4(out, -1)
    return S.squeeze4(S.transpose1(S.unsqueeze1(out, 0), 0, -1), -1)


def _canon(dim: int, ndim: int) -> int:
    lo, hi = -max(ndim, 1), max(ndim, 1) - 1
    if not lo <= dim <= hi:
        raise IndexError(f"Dimension out of range (expected to be in range of [{lo}, {hi}], "
                         f"but got {dim})")
    return dim % max(ndim, 1)


def quantile(input, q, dim=None, keepdim=False, *, interpolation="linear"):
    """The ``q``-th quantiles of ``input`` along ``dim`` (all of it when None), as
    ``torch.quantile``; ``interpolation``: linear, lower, higher, midpoint or nearest."""
    return _quantile(input, q, dim, keepdim, interpolation, ignore_nan=False)


def nanquantile(input, q, dim=None, keepdim=False, *, interpolation="linear"):
    """``quantile`` ignoring NaNs (``torch.nanquantile``); an all-NaN row gives NaN."""
    return _quantile(input, q, dim, keepdim, interpolation, ignore_nan=True)
