"""``F.max_unpool1d/2d/3d``: the partial inverse of max pooling.

``y[..., idx[..., j]] = x[..., j]`` in a zero output plane/volume, where ``idx`` holds the flat
positions a max pool returned (``return_indices=True``). As in torch the write is an
assignment (a repeated index keeps one value) and the backward gathers at ``idx``
(``MaxUnpool2DBackward0``: ``gx = g[..., idx]``); the gather's own backward scatters, so any
order of derivative works. 1-D unpooling is 2-D unpooling over an unsqueezed last dim, as
torch's (``Squeeze <- MaxUnpool2D``).
"""

from __future__ import annotations

import numpy as np

from nnlite._tensor import Tensor
from nnlite.autograd.function import Node, record
from nnlite.ops.nn.pool import _flat_planes, max_pool_gather

_W = Tensor._wrap

__all__ = ["max_unpool1d", "max_unpool2d", "max_unpool3d"]


class MaxUnpool2DBackward0(Node):
    def backward(self, g):
        return (max_pool_gather(g, self.idx, self.x_shape, self.nd),)


class MaxUnpool3DBackward0(MaxUnpool2DBackward0):
    pass


def _ntuple(v, n: int) -> tuple:
    if isinstance(v, (tuple, list)):
        return tuple(int(a) for a in v)
    return (int(v),) * n


def unpool_output_size(input: Tensor, kernel_size, stride, padding, output_size, nd: int):
    """torch's ``F._unpool_output_size``: the default ``(L - 1) * s + k - 2 p`` per dim, or
    ``output_size`` checked to lie strictly within one stride of it."""
    sizes = input.shape[-nd:]
    default = [(sizes[d] - 1) * stride[d] + kernel_size[d] - 2 * padding[d] for d in range(nd)]
    if output_size is None:
        return default
    output_size = list(output_size)
    if len(output_size) == nd + 2:
        output_size = output_size[2:]
    if len(output_size) != nd:
        raise ValueError(f"output_size should be a sequence containing {nd} or {nd + 2} "
                         f"elements, but it has a length of '{len(output_size)}'")
    for d in range(nd):
        lo, hi = default[d] - stride[d], default[d] + stride[d]
        if not lo < output_size[d] < hi:
            raise ValueError(f'invalid output_size "{tuple(output_size)}" (dim {d} must be '
                             f"between {lo} and {hi})")
    return [int(v) for v in output_size]


def _unpool(input: Tensor, indices: Tensor, out_sp, nd: int) -> Tensor:
    xd, idx = input._data, indices._data
    if xd.ndim not in (nd + 1, nd + 2):
        raise RuntimeError(f"Input to max_unpooling{nd}d should be a {nd + 1}d or {nd + 2}d "
                           f"Tensor, but got a tensor with {xd.ndim} dimensions.")
    if idx.dtype != np.int64:
        name = {"float32": "Float", "float64": "Double", "int32": "Int"}.get(idx.dtype.name,
                                                                             idx.dtype.name)
        raise RuntimeError(f"elements in indices should be type int64 but got: {name}")
    if idx.shape != xd.shape:
        raise RuntimeError(f"Expected shape of indices to be same as that of the input tensor "
                           f"({list(xd.shape)}) but got indices tensor with shape: "
                           f"{list(idx.shape)}")
    plane = int(np.prod(out_sp))
    if idx.size and (idx.min() < 0 or idx.max() >= plane):
        bad = idx.min() if idx.min() < 0 else idx.max()
        # (torch's 3-D message has no closing parenthesis)
        raise RuntimeError(f"Found an invalid max index: {int(bad)} (output volumes are of size "
                           f"{'x'.join(map(str, out_sp))}" + (")" if nd == 2 else ""))
    out_shape = xd.shape[:-nd] + tuple(out_sp)
    y = np.zeros(_flat_planes(out_shape, nd), xd.dtype)
    np.put_along_axis(y, idx.reshape(_flat_planes(xd.shape, nd)),
                      xd.reshape(_flat_planes(xd.shape, nd)), axis=-1)
    out = _W(y.reshape(out_shape))
    node = record(out, MaxUnpool3DBackward0 if nd == 3 else MaxUnpool2DBackward0, (input,))
    if node is not None:
        node.x_shape, node.nd = xd.shape, nd
        node.save(idx=idx)
    return out


def _args(kernel_size, stride, padding, nd):
    k = _ntuple(kernel_size, nd)
    s = k if stride is None else _ntuple(stride, nd)
    return k, s, _ntuple(padding, nd)


def max_unpool1d(input: Tensor, indices: Tensor, kernel_size, stride=None, padding=0,
                 output_size=None) -> Tensor:
    """Inverse of ``max_pool1d`` over (N, C, L) or (C, L): the maxima back at their positions,
    zeros elsewhere.

    Example:
        >>> y, i = F.max_pool1d(torch.tensor([[1.0, 3.0, 2.0, 0.0]]), 2, return_indices=True)
        >>> F.max_unpool1d(y, i, 2)
        tensor([[0., 3., 2., 0.]])
    """
    k, s, p = _args(kernel_size, stride, padding, 1)
    size = unpool_output_size(input, k, s, p, output_size, 1)
    return _unpool(input.unsqueeze(-1), indices.unsqueeze(-1), (size[0], 1), 2).squeeze(-1)


def max_unpool2d(input: Tensor, indices: Tensor, kernel_size, stride=None, padding=0,
                 output_size=None) -> Tensor:
    """Inverse of ``max_pool2d`` over (N, C, H, W) or (C, H, W) (see :func:`max_unpool1d`)."""
    k, s, p = _args(kernel_size, stride, padding, 2)
    return _unpool(input, indices, unpool_output_size(input, k, s, p, output_size, 2), 2)


def max_unpool3d(input: Tensor, indices: Tensor, kernel_size, stride=None, padding=0,
                 output_size=None) -> Tensor:
    """Inverse of ``max_pool3d`` over (N, C, D, H, W) or (C, D, H, W)."""
    k, s, p = _args(kernel_size, stride, padding, 3)
    return _unpool(input, indices, unpool_output_size(input, k, s, p, output_size, 3), 3)
