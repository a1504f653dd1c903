"""``F.adaptive_avg_pool3d`` and ``F.adaptive_max_pool3d`` over (N, C, D, H, W) or (C, D, H, W).

PyTorch's adaptive windows, per spatial dim: output ``i`` covers
``[floor(i * L / oL), ceil((i + 1) * L / oL))``. Written for any number of trailing spatial
dims (the 2-D ops in ``pool.py`` are the same windows):

* average: one averaging matrix per dim, ``y = x x_1 A_1 x_2 A_2 x_3 A_3`` (mode products), a
  linear map whose adjoint uses the transposed matrices (so the backward is again the op and
  any order of derivative works); output ``1`` everywhere is a mean, as torch's graph
  (``MeanBackward1``);
* max: the first maximum of each window (a NaN wins) and its flat index ``(d * H + h) * W + w``
  in the input volume; the backward scatters at the index (``pool.max_pool_scatter``).
"""

from __future__ import annotations

import itertools

import numpy as np

from nnlite._tensor import Tensor
from nnlite.autograd.function import Node, record
from nnlite.ops.nn.pool import (
    AdaptiveMaxPool3DBackwardBackward0,
    _adaptive_bounds,
    _adaptive_matrix,
    max_pool_scatter,
)

_W = Tensor._wrap

__all__ = ["adaptive_avg_pool3d", "adaptive_max_pool3d", "adaptive_max_pool3d_with_indices"]


def _sizes(output_size, in_sizes, nd: int, message: str) -> tuple:
    if isinstance(output_size, (tuple, list)):
        if len(output_size) != nd:
            raise RuntimeError(message)
        sizes = tuple(output_size)
    else:
        sizes = (output_size,) * nd
    return tuple(int(i) if s is None else int(s) for s, i in zip(sizes, in_sizes))


def _mode_products(x: np.ndarray, mats) -> np.ndarray:
    """Apply ``mats[i]`` (out_i, in_i) along the i-th of the last ``len(mats)`` dims of x."""
    nd = len(mats)
    for i, m in enumerate(mats):
        ax = x.ndim - nd + i
        x = np.moveaxis(np.tensordot(m, x, axes=([1], [ax])), 0, ax)
    return np.ascontiguousarray(x)


class AdaptiveAvgPool3DBackward0(Node):
    """``y = x x_i A_i``: ``gx = g x_i A_i^T`` (the same op with transposed matrices)."""

    def backward(self, g):
        return (_average(g, [m.T for m in self.mats], AdaptiveAvgSpreadBackward),)


class AdaptiveAvgSpreadBackward(Node):
    def backward(self, gg):
        return (_average(gg, [m.T for m in self.mats], AdaptiveAvgPool3DBackward0),)


def _average(x: Tensor, mats, node_cls) -> Tensor:
    out = _W(_mode_products(x._data, mats))
    node = record(out, node_cls, (x,))
    if node is not None:
        node.mats = mats
    return out


def adaptive_avg_pool3d(input: Tensor, output_size) -> Tensor:
    """Average over PyTorch's adaptive windows into a (oD, oH, oW) output; ``None`` keeps that
    input size.

    Example:
        >>> F.adaptive_avg_pool3d(torch.randn(1, 2, 5, 6, 7), (2, 3, 1)).shape
        torch.Size([1, 2, 2, 3, 1])
    """
    xd = input._data
    if xd.ndim not in (4, 5):
        raise RuntimeError(f"adaptive_avg_pool3d(): Expected 4D or 5D tensor, but got "
                           f"{list(xd.shape)}")
    out = _sizes(output_size, xd.shape[-3:], 3, "adaptive_avg_pool3d: output_size must be 3")
    if out == (1, 1, 1):
        return input.mean((-3, -2, -1), keepdim=True)  # torch's graph too: MeanBackward1
    mats = [_adaptive_matrix(n, o, xd.dtype) for n, o in zip(xd.shape[-3:], out)]
    return _average(input, mats, AdaptiveAvgPool3DBackward0)


def _adaptive_max_np(x: np.ndarray, out_sp):
    """(..., *S) -> (max, flat index) over the adaptive windows of the last len(out_sp) dims."""
    nd = len(out_sp)
    sp = x.shape[-nd:]
    lead = x.shape[:-nd]
    bounds = [_adaptive_bounds(n, o) for n, o in zip(sp, out_sp)]
    out = np.empty(lead + tuple(out_sp), x.dtype)
    idx = np.empty(lead + tuple(out_sp), np.int64)
    for cell in itertools.product(*(range(o) for o in out_sp)):
        starts = [b[0][c] for b, c in zip(bounds, cell)]
        ends = [b[1][c] for b, c in zip(bounds, cell)]
        win = x[(Ellipsis,) + tuple(slice(a, e) for a, e in zip(starts, ends))]
        flat = win.reshape(lead + (-1,))
        a = np.argmax(flat, axis=-1)  # first max; a NaN wins (as in PyTorch)
        out[(Ellipsis,) + cell] = np.take_along_axis(flat, a[..., None], -1)[..., 0]
        local = np.unravel_index(a, win.shape[-nd:])
        idx[(Ellipsis,) + cell] = np.ravel_multi_index(
            tuple(li + s0 for li, s0 in zip(local, starts)), sp)
    return out, idx


class AdaptiveMaxPool3DBackward0(Node):
    """``g`` scattered to each window's argmax."""

    def backward(self, g):
        return (max_pool_scatter(g, self.idx, self.x_shape, 3,
                                 AdaptiveMaxPool3DBackwardBackward0, self.x),)


def adaptive_max_pool3d_with_indices(input: Tensor, output_size, return_indices: bool = True):
    """(max, flat argmax index) over PyTorch's adaptive 3-D windows."""
    xd = input._data
    if xd.ndim not in (4, 5):
        raise RuntimeError(f"adaptive_max_pool3d(): Expected 4D or 5D tensor, but got: "
                           f"{list(xd.shape)}")
    out_sp = _sizes(output_size, xd.shape[-3:], 3,
                    "adaptive_max_pool3d(): internal error: output_size.size() must be 3")
    y, idx = _adaptive_max_np(xd, out_sp)
    out = _W(y)
    node = record(out, AdaptiveMaxPool3DBackward0, (input,))
    if node is not None:
        node.x_shape, node.x = xd.shape, input
        node.save(idx=idx)
    return out, _W(idx)


def adaptive_max_pool3d(input: Tensor, output_size, return_indices: bool = False):
    """Max over PyTorch's adaptive 3-D windows; with ``return_indices`` also the flat argmax
    ``(d * H + h) * W + w`` in each input volume.

    Example:
        >>> F.adaptive_max_pool3d(torch.randn(2, 5, 6, 7), 2).shape
        torch.Size([2, 2, 2, 2])
    """
    out, idx = adaptive_max_pool3d_with_indices(input, output_size)
    return (out, idx) if return_indices else out
