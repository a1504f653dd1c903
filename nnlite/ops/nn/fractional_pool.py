"""Fractional max pooling over 2 or 3 spatial dims (Graham, "Fractional Max-Pooling").

Each (batch, channel) plane gets one uniform sample per spatial dim; the window starts along a
dim of input size ``L``, output size ``O`` and pool size ``k`` are PyTorch's CPU sequence, in the
input's dtype::

    alpha = (L - k) / (O - 1)
    start[i] = int((i + u) * alpha) - int(u * alpha)    (i < O - 1),   start[O - 1] = L - k

and each output is the max of its ``k``-window (the first maximum; a NaN wins, the last one), with
its flat position in the plane/volume as the index. The gradient scatters to those positions
(MaxPool's formula, so double backward gathers).

Sample layout as torch's: ``_random_samples`` is (N, C, 2) with [..., 0] for the width and
[..., 1] for the height in 2-D, (N, C, 3) with (time, height, width) in 3-D; drawn when not given
as ``rand(N, C, nd, dtype=input.dtype)`` from nnlite's generator (the same numbers as torch's
for the same seed).
"""

from __future__ import annotations

import numpy as np

from nnlite._tensor import Tensor
from nnlite.autograd.function import record
from nnlite.ops.creation import rand
from nnlite.ops.nn.pool import (
    _DOUBLE_BACKWARD,
    MaxPool2DWithIndicesBackward0,
    MaxPoolScatterBackward,
)

_W = Tensor._wrap
_DIM_NAMES = {2: ("height", "width"), 3: ("time", "height", "width")}


def fractional_intervals(sample: np.ndarray, in_size: int, out_size: int,
                         pool: int) -> np.ndarray:
    """Window starts (``sample.shape + (out_size,)``, int64) along one dim; the arithmetic runs
    in ``sample``'s dtype as torch's kernel does, so the rounding matches."""
    dt = sample.dtype.type
    seq = np.empty(sample.shape + (out_size,), np.int64)
    if out_size > 1:
        alpha = dt(in_size - pool) / dt(out_size - 1)
        i = np.arange(out_size - 1).astype(sample.dtype)
        u = sample[..., None]
        seq[..., :-1] = (((i + u) * alpha).astype(np.int64)
                         - (u * alpha).astype(np.int64))
    if out_size > 0:
        seq[..., -1] = in_size - pool
    return seq


def fractional_max_pool_np(x: np.ndarray, k, out, samples: np.ndarray):
    """(N, C, *S) -> (values, flat indices), both (N, C, *out); ``samples`` is (>= N, C, nd)
    in torch's per-dim order (2-D: width then height; 3-D: time, height, width)."""
    nd = len(k)
    n, c = x.shape[:2]
    sp = x.shape[2:]
    order = (1, 0) if nd == 2 else (0, 1, 2)  # sample column of each spatial dim
    strides = [int(np.prod(sp[i + 1:])) for i in range(nd)]
    base = np.zeros((n, c) + (1,) * nd, np.int64)
    offs = np.zeros((1,) * nd, np.int64)
    for d in range(nd):
        seq = fractional_intervals(samples[:n, :, order[d]], sp[d], out[d], k[d])
        shape = [n, c] + [1] * nd
        shape[2 + d] = out[d]
        base = base + seq.reshape(shape) * strides[d]
        tshape = [1] * nd
        tshape[d] = k[d]
        offs = offs + (np.arange(k[d]) * strides[d]).reshape(tshape)
    offs = offs.ravel()
    taps = offs.size
    if taps == 0 or base.size == 0:
        vals = np.full(base.shape, -np.inf, x.dtype)
        return vals, np.ascontiguousarray(base)
    idx_all = base[..., None] + offs  # (N, C, *out, K)
    flat = x.reshape(n, c, -1)
    vals = np.take_along_axis(flat, idx_all.reshape(n, c, -1), axis=-1).reshape(idx_all.shape)
    pick = np.argmax(vals, axis=-1)
    nan = np.isnan(vals)
    if nan.any():
        last_nan = taps - 1 - np.argmax(nan[..., ::-1], axis=-1)
        pick = np.where(nan.any(axis=-1), last_nan, pick)
    pick = pick[..., None]
    out_v = np.take_along_axis(vals, pick, axis=-1)[..., 0]
    out_i = np.take_along_axis(idx_all, pick, axis=-1)[..., 0]
    return np.ascontiguousarray(out_v), np.ascontiguousarray(out_i)


class FractionalMaxPool2DBackward0(MaxPool2DWithIndicesBackward0):
    pass


class FractionalMaxPool3DBackward0(FractionalMaxPool2DBackward0):
    pass


class FractionalMaxPool2DBackwardBackward0(MaxPoolScatterBackward):
    pass


class FractionalMaxPool3DBackwardBackward0(MaxPoolScatterBackward):
    pass


_DOUBLE_BACKWARD.update({FractionalMaxPool2DBackward0: FractionalMaxPool2DBackwardBackward0,
                         FractionalMaxPool3DBackward0: FractionalMaxPool3DBackwardBackward0})


def _ints(v, nd: int, what: str, name: str) -> tuple:
    if isinstance(v, bool) or not isinstance(v, (int, np.integer, tuple, list)):
        raise TypeError(f"{name}(): argument '{what}' must be tuple of ints, not "
                        f"{type(v).__name__}")
    if isinstance(v, (int, np.integer)):
        return (int(v),) * nd
    if len(v) == 1:
        return (int(v[0]),) * nd
    if len(v) != nd:
        kind = "tuple of Ints" if nd == 2 else "tuple of three Ints"
        raise RuntimeError(f"{name}: {what} must either be a single Int or {kind}")
    for e in v:
        if isinstance(e, bool) or not isinstance(e, (int, np.integer)):
            raise TypeError(f"{name}(): argument '{what}' must be tuple of ints, but found "
                            f"element of type {type(e).__name__}")
    return tuple(int(e) for e in v)


def fractional_max_pool(nd: int, input: Tensor, kernel_size, output_size=None,
                        output_ratio=None, return_indices: bool = False,
                        _random_samples: Tensor | None = None):
    """Fractional max pooling over (N, C, *S) or unbatched (C, *S) input with ``nd`` (2 or 3)
    spatial dims; returns the output, or ``(output, indices)`` with ``return_indices``."""
    name = f"fractional_max_pool{nd}d"
    if output_size is None and output_ratio is None:
        raise ValueError(f"{name} requires specifying either an output_size or an output_ratio")
    xd = input._data
    if output_size is None:
        if nd == 2 and len(output_ratio) > 2:  # torch calls len(): a float is a TypeError
            raise ValueError(f"{name} requires output_ratio to either be a single Int or tuple "
                             "of Ints.")
        ratio = tuple(output_ratio) if isinstance(output_ratio, (tuple, list)) \
            else (output_ratio,) * nd
        if len(ratio) == 1:
            ratio = ratio * nd
        if len(ratio) < nd:
            raise IndexError("tuple index out of range")
        output_size = [int(input.size(i - nd) * ratio[i]) for i in range(nd)]
    if _random_samples is None:
        if xd.ndim < nd + 1:
            input.size(-(nd + 1))  # torch's IndexError for too few dims
        n_batch = 1 if xd.ndim == nd + 1 else input.size(0)
        _random_samples = rand(n_batch, input.size(-(nd + 1)), nd, dtype=input.dtype)
    k = _ints(kernel_size, nd, "kernel_size", name)
    out = _ints(output_size, nd, "output_size", name)
    where = name + "()" if nd == 2 else name + "_out()"
    if xd.ndim not in (nd + 1, nd + 2):
        raise RuntimeError(f"{where}: Expected {nd + 1}D or {nd + 2}D tensor, but got: "
                           f"{list(xd.shape)}")
    for d in range(1 if xd.ndim == nd + 2 else 0, xd.ndim):
        if xd.shape[d] == 0:
            raise RuntimeError(f"{where}: Expected input to have non-zero size for non-batch "
                               f"dimensions, but got{list(xd.shape)} with dimension {d} being "
                               "empty.")
    sd = _random_samples._data
    if sd.dtype != xd.dtype:
        raise RuntimeError("Expect _random_samples to have the same dtype as input")
    if sd.ndim != 3:
        raise RuntimeError(f"Expect _random_samples to have 3 dimensions, got {sd.ndim}")
    xb = xd if xd.ndim == nd + 2 else xd[None]
    if sd.shape[0] < xb.shape[0]:
        raise RuntimeError("Expect _random_samples.size(0) no less then input batch size.")
    if sd.shape[1] != xb.shape[1]:
        raise RuntimeError("Expect _random_samples.size(1) equals to input channel size.")
    if sd.shape[2] != nd:
        raise RuntimeError(f"Expect _random_samples.size(2) equals to {nd}; got {sd.shape[2]}.")
    if any(o < 0 for o in out):
        raise RuntimeError(f"Trying to create tensor with negative dimension {min(out)}: "
                           f"{list(xb.shape[:2]) + list(out)}")
    for d, dim_name in enumerate(_DIM_NAMES[nd]):
        # torch's 2-D check allows out + k - 1 == L, its 3-D one does not
        if out[d] + k[d] - 1 + (nd == 3) > xb.shape[2 + d]:
            raise RuntimeError(f"{where}: pool {dim_name} {k[d]} too large relative to input "
                               f"{dim_name} {xb.shape[2 + d]}")
    y, idx = fractional_max_pool_np(xb, k, out, sd)
    if xd.ndim == nd + 1:
        y, idx = y[0], idx[0]
    res = _W(y)
    node = record(res, FractionalMaxPool3DBackward0 if nd == 3 else
                  FractionalMaxPool2DBackward0, (input,))
    if node is not None:
        node.x_shape, node.nd, node.x = xd.shape, nd, input
        node.save(idx=idx)
    if return_indices:
        return res, _W(idx)
    return res
