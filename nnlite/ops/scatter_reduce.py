"""``scatter_reduce(input, dim, index, src, reduce, include_self=True)`` with torch's five
reductions (``sum``, ``prod``, ``mean``, ``amax``, ``amin``) and its backward formulas, written
in Tensor ops (``gather``, ``scatter_add``, ``where``), so they are differentiable again.

``amax``/``amin`` share the gradient equally among the tied maxima (the input's and the
sources'), as torch; ``prod``'s is torch's formula, exact where ``input`` or ``src`` hold zeros
(the product of the other factors; 0 where two zeros meet).
"""

from __future__ import annotations

import numpy as np

from nnlite._tensor import Tensor
from nnlite.autograd.function import Node, record
from nnlite.ops import shape as S
from nnlite.ops._util import check_index_range, wrap_dim
from nnlite.ops.elementwise import where

_W = Tensor._wrap
_REDUCES = ("sum", "prod", "mean", "amax", "amin")


def _key(idx, d):
    grids = np.indices(idx.shape, sparse=True)
    return tuple(idx if k == d else grids[k] for k in range(idx.ndim))


def _touched(shape, d, idx):
    mask = np.zeros(shape, bool)
    if idx.size:
        mask[_key(idx, d)] = True
    return mask


class ScatterReduceBackward0(Node):
    def backward(self, g):
        d, idx, reduce, inc = self.dim, self.idx, self.reduce, self.include_self
        x, src, result = self._unpacked_saved
        if tuple(src.shape) != tuple(idx.shape):
            src = src[tuple(slice(0, n) for n in idx.shape)]
        touched = _W(self.touched)
        gx = gs = None
        if reduce == "sum":
            gx = g
            gs = S.gather(g, d, idx)
        elif reduce == "mean":
            gn = g / _W(self.counts.astype(g._data.dtype))
            gx = gn
            gs = S.gather(gn, d, idx)
        elif reduce == "prod":
            gx, gs = _prod_grads(g, x, src, result, d, idx, inc)
        else:  # amax / amin: the gradient split among all places equal to the result
            self_is = (x == result) if inc else S.masked_fill(x == result, touched, False)
            src_is = src == S.gather(result, d, idx)
            n = S.scatter_add(self_is.to(g.dtype), d, idx, src_is.to(g.dtype))
            gd = g / S.masked_fill(n, n == 0, 1.0)
            gx = gd * self_is.to(g.dtype)
            gs = src_is.to(g.dtype) * S.gather(gd, d, idx)
        if not inc:
            gx = S.masked_fill(gx, touched, 0.0)
        return (gx if self.needs_input_grad[0] else None,
                gs if self.needs_input_grad[1] else None)


def _prod_grads(g, x, src, result, d, idx, inc):
    """torch's ``prod`` gradients, exact through zeros: a zero in ``input`` gets the product of
    the rest (its place recomputed with the zero as 1); a source that is the only zero at its
    place gets the product of the others there; two or more zeros at a place give 0."""
    x_zero = x == 0
    masked_x = S.masked_fill(x, x_zero, 1.0)
    gx = g * scatter_reduce(masked_x, d, idx, src, "prod", include_self=inc) / masked_x
    src_zero = src == 0
    zeros_at = S.gather(S.scatter_add(x * 0, d, idx, src_zero.to(x.dtype)), d, idx)
    single = src_zero & (zeros_at == 1)
    masked_result = scatter_reduce(x, d, idx, S.masked_fill(src, single, 1.0), "prod",
                                   include_self=inc)
    gs = where(single, S.gather(g * masked_result, d, idx),
               S.gather(g * result, d, idx) / S.masked_fill(src, src_zero, 1.0))
    return gx, gs


def scatter_reduce(input, dim, index, src, reduce, *, include_self=True):  # noqa: A002
    """Reduce ``src`` into a copy of ``input`` at ``index`` along ``dim``.

    For dim 0: ``out[index[i][j]][j] = reduce(out[index[i][j]][j], src[i][j])``, starting from
    ``input`` (``include_self=True``) or from the first value scattered to each place.

    Example:
        >>> x = nnlite.zeros(3)
        >>> x.scatter_reduce(0, nnlite.tensor([0, 0, 2]), nnlite.tensor([1., 4., 2.]), "amax")
        tensor([4., 0., 2.])
    """
    if reduce not in _REDUCES:
        raise RuntimeError(f"reduce argument must be either sum, prod, mean, amax or amin, got "
                           f"{reduce}")
    xs = input._data
    idx = index._data if isinstance(index, Tensor) else np.asarray(index)
    if idx.dtype != np.int64:
        raise RuntimeError("scatter_reduce(): Expected dtype int64 for index")
    if idx.ndim != xs.ndim or src._data.ndim != xs.ndim:
        raise RuntimeError("Index tensor must have the same number of dimensions as self tensor")
    d = wrap_dim(dim, xs.ndim) if xs.ndim else 0
    check_index_range(idx, xs.shape[d] if xs.ndim else 1, d)
    s = src._data[tuple(slice(0, n) for n in idx.shape)].astype(xs.dtype, copy=False)
    out = np.array(xs, copy=True)
    touched = _touched(xs.shape, d, idx)
    key = _key(idx, d)
    counts = None
    if not include_self:
        init = {"sum": 0, "mean": 0, "prod": 1}.get(reduce)
        if init is None:
            info = np.finfo(xs.dtype) if xs.dtype.kind == "f" else np.iinfo(xs.dtype)
            init = (-np.inf if xs.dtype.kind == "f" else info.min) if reduce == "amax" else (
                np.inf if xs.dtype.kind == "f" else info.max)
        out[touched] = init
    if reduce in ("sum", "mean"):
        np.add.at(out, key, s)
    elif reduce == "prod":
        np.multiply.at(out, key, s)
    elif reduce == "amax":
        np.maximum.at(out, key, s)
    else:
        np.minimum.at(out, key, s)
    if reduce == "mean":
        counts = np.zeros(xs.shape, np.int64)
        np.add.at(counts, key, 1)
        counts += int(bool(include_self))
        counts[counts == 0] = 1
        out = out // counts if xs.dtype.kind in "iu" else (out / counts).astype(xs.dtype)
    result = _W(out)
    node = record(result, ScatterReduceBackward0, (input, src), saved=(input, src, result))
    if node is not None:
        node.dim, node.reduce, node.include_self = d, reduce, bool(include_self)
        node.save(idx=_W(idx), touched=touched, counts=counts)
    return result
