"""``slice_scatter``, ``select_scatter`` and ``diagonal_scatter``: a copy of the input with one
view of it (a slice, an index along a dim, a diagonal) replaced by ``src``, as torch's.

Each node sends the gradient outside the view to the input (the same op writing zeros into the
view) and the view of the gradient to ``src``; both are ops with nodes, so the backward is
differentiable again."""

from __future__ import annotations

import builtins

import numpy as np

from nnlite._tensor import Tensor
from nnlite.autograd.function import Node, record
from nnlite.ops._util import wrap_dim

_W = Tensor._wrap


def _slice_key(ndim, dim, start, end, step):
    d = wrap_dim(dim, ndim)
    if step is None:
        step = 1
    if step <= 0:
        raise RuntimeError("slice step must be positive")
    return (slice(None),) * d + (slice(start, end, step),)


def _select_key(shape, dim, index):
    d = wrap_dim(dim, len(shape))
    n = shape[d]
    if not -n <= index < n:
        raise IndexError(f"select(): index {index} out of range for tensor of size "
                         f"{list(shape)} at dimension {d}")
    return (slice(None),) * d + (index,)


def _write(x, src, view_of, name):
    if not isinstance(src, Tensor):
        raise TypeError(f"{name}(): argument 'src' must be Tensor, not {type(src).__name__}")
    out = np.array(x._data, copy=True)
    view = view_of(out)
    if tuple(view.shape) != tuple(src._data.shape):
        raise RuntimeError(f"expected src to have a size equal to the slice of self. src size = "
                           f"{list(src._data.shape)}, slice size = {list(view.shape)}")
    view[...] = src._data
    return out


class SliceScatterBackward0(Node):
    def backward(self, g):
        gx = gs = None
        if self.needs_input_grad[0]:
            gx = slice_scatter(g, _W(np.zeros(self.src_shape, g._data.dtype)), *self.args)
        if self.needs_input_grad[1]:
            gs = g[_slice_key(g.dim(), *self.args)]
        return gx, gs


def slice_scatter(input, src, dim=0, start=None, end=None, step=1):  # noqa: A002 (torch's name)
    """``input`` with ``input[..., start:end:step, ...]`` (along ``dim``) replaced by ``src``."""
    key = _slice_key(input._data.ndim, dim, start, end, step)
    out = _W(_write(input, src, lambda a: a[key], "slice_scatter"))
    node = record(out, SliceScatterBackward0, (input, src))
    if node is not None:
        node.args, node.src_shape = (dim, start, end, step), src._data.shape
    return out


class SelectScatterBackward0(Node):
    def backward(self, g):
        gx = gs = None
        if self.needs_input_grad[0]:
            gx = select_scatter(g, _W(np.zeros(self.src_shape, g._data.dtype)), self.dim,
                                self.index)
        if self.needs_input_grad[1]:
            gs = g.select(self.dim, self.index)
        return gx, gs


def select_scatter(input, src, dim, index):  # noqa: A002
    """``input`` with ``input.select(dim, index)`` replaced by ``src``."""
    key = _select_key(input._data.shape, dim, index)
    out = _W(_write(input, src, lambda a: a[key], "select_scatter"))
    node = record(out, SelectScatterBackward0, (input, src))
    if node is not None:
        node.dim, node.index, node.src_shape = dim, index, src._data.shape
    return out


class DiagonalScatterBackward0(Node):
    def backward(self, g):
        gx = gs = None
        if self.needs_input_grad[0]:
            gx = diagonal_scatter(g, _W(np.zeros(self.src_shape, g._data.dtype)), *self.args)
        if self.needs_input_grad[1]:
            gs = g.diagonal(*self.args)
        return gx, gs


def _diagonal_view(a, offset, dim1, dim2):
    d1, d2 = wrap_dim(dim1, a.ndim), wrap_dim(dim2, a.ndim)
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    moved = np.moveaxis(a, (d1, d2), (-2, -1))
    n1, n2 = moved.shape[-2:]
    if offset >= 0:
        k = builtins.max(builtins.min(n1, n2 - offset), 0)
        i, j = np.arange(k), np.arange(k) + offset
    else:
        k = builtins.max(builtins.min(n1 + offset, n2), 0)
        i, j = np.arange(k) - offset, np.arange(k)
    return moved, i, j


class _DiagonalWriter:
    """``a``'s diagonal as an assignable view (numpy's ``diagonal`` is read-only)."""

    def __init__(self, a, offset, dim1, dim2):
        self.moved, self.i, self.j = _diagonal_view(a, offset, dim1, dim2)
        self.shape = self.moved.shape[:-2] + (self.i.size,)

    def __setitem__(self, key, value):
        self.moved[..., self.i, self.j] = value


def diagonal_scatter(input, src, offset=0, dim1=0, dim2=1):  # noqa: A002
    """``input`` with ``input.diagonal(offset, dim1, dim2)`` replaced by ``src``."""
    out = _W(_write(input, src, lambda a: _DiagonalWriter(a, offset, dim1, dim2),
                    "diagonal_scatter"))
    node = record(out, DiagonalScatterBackward0, (input, src))
    if node is not None:
        node.args, node.src_shape = (offset, dim1, dim2), src._data.shape
    return out
