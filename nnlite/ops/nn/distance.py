"""Distances: ``pdist`` (its own node, ``PdistBackward0``), ``pairwise_distance`` (torch's
``norm(x1 - x2 + eps, p, dim)``: a ``NormBackward1`` node) and ``cosine_similarity`` (torch's
decomposition ``sum((x1 / |x1|) * (x2 / |x2|), dim)``).

The p-norm's gradient ``d|d|_p / dd = sgn(d) |d|^(p-1) / |d|_p^(p-1)`` (0 where the norm is 0,
ties shared for p = inf, 0 for p = 0) is written in Tensor ops, so double backward works.
"""

from __future__ import annotations

import numpy as np

from nnlite._tensor import Tensor
from nnlite.autograd.function import Node, record
from nnlite.ops import elementwise as E
from nnlite.ops.creation import zeros
from nnlite.ops.linalg import linalg_vector_norm

_W = Tensor._wrap
_INF = float("inf")


def _p_norm_np(d: np.ndarray, p: float, axis: int, keepdims: bool) -> np.ndarray:
    a = np.abs(d)
    if p == 2:
        return np.sqrt((a * a).sum(axis=axis, keepdims=keepdims))
    if p == 1:
        return a.sum(axis=axis, keepdims=keepdims)
    if p == _INF:
        return a.max(axis=axis, keepdims=keepdims, initial=0)
    if p == -_INF:
        return a.min(axis=axis, keepdims=keepdims)
    if p == 0:
        return (a != 0).sum(axis=axis, keepdims=keepdims).astype(d.dtype)
    return (a ** p).sum(axis=axis, keepdims=keepdims) ** (1.0 / p)


def _p_norm_vjp(d: Tensor, y: Tensor, g: Tensor, p: float, dim: int) -> Tensor:
    """The gradient w.r.t. ``d`` of ``y = |d|_p`` along ``dim`` (``y`` and ``g`` keep ``dim``),
    in Tensor ops."""
    if p == 0:
        return d * 0.0
    if p == 1:
        return E.sgn(d) * g
    if p in (_INF, -_INF):
        hit = np.abs(d._data) == y._data
        share = _W(hit.sum(axis=dim, keepdims=True).astype(d._data.dtype))
        return E.sgn(d) * E.where(_W(hit), g / share, d * 0.0)
    zero = _W(y._data == 0)
    safe = E.where(zero, y * 0.0 + 1.0, y)
    if p == 2:
        scaled = d / safe
    else:
        scaled = E.sgn(d) * E.abs(d) ** (p - 1) / safe ** (p - 1)
    return E.where(zero, d * 0.0, scaled * g)


class NormBackward1(Node):
    """``y = |x|_p`` over ``dim`` (torch's ``norm(self, p, dim, keepdim)``)."""

    def backward(self, g):
        x, y = self._unpacked_saved
        if not self.keepdim:
            g, y = g.unsqueeze(self.dim), y.unsqueeze(self.dim)
        return (_p_norm_vjp(x, y, g, self.p, self.dim),)


def _norm_dim(x: Tensor, p: float, dim: int, keepdim: bool) -> Tensor:
    dim = dim % x.ndim if x.ndim else 0
    out = _W(np.asarray(_p_norm_np(x._data, p, dim, keepdim)))
    node = record(out, NormBackward1, (x,), (x, out))
    if node is not None:
        node.p, node.dim, node.keepdim = p, dim, keepdim
    return out


class PdistBackward0(Node):
    """``y_k = |x_i - x_j|_p`` for the pairs ``i < j``: ``gx_i += v_k``, ``gx_j -= v_k`` with
    ``v_k`` the p-norm's gradient of row ``x_i - x_j``."""

    def backward(self, g):
        x, y = self._unpacked_saved
        n = x.shape[0]
        i, j = np.triu_indices(n, 1)
        it, jt = _W(i.astype(np.int64)), _W(j.astype(np.int64))
        d = x.index_select(0, it) - x.index_select(0, jt)
        v = _p_norm_vjp(d, y.unsqueeze(1), g.unsqueeze(1), self.p, 1)
        gx = zeros(x.shape, dtype=x.dtype)
        return (gx.index_add(0, it, v).index_add(0, jt, v * -1.0),)


def pdist(input: Tensor, p: float = 2.0) -> Tensor:
    """``p``-norm distances between all pairs of rows ``i < j``, in row-major order."""
    if input.ndim != 2:
        raise RuntimeError(f"pdist only supports 2D tensors, got: {input.ndim}D")
    if p < 0:
        raise RuntimeError("pdist only supports non-negative p values")
    xd = input._data
    i, j = np.triu_indices(xd.shape[0], 1)
    out = _W(np.asarray(_p_norm_np(xd[i] - xd[j], float(p), 1, False), dtype=xd.dtype))
    node = record(out, PdistBackward0, (input,), (input, out))
    if node is not None:
        node.p = float(p)
    return out


def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """``sum((x1 / max(|x1|, eps)) * (x2 / max(|x2|, eps)), dim)``, torch's formula: each input
    divided by its norm first (no overflow of the product), the clamp outside the graph."""
    if x1.shape != x2.shape:
        shape = tuple(np.broadcast_shapes(tuple(x1.shape), tuple(x2.shape)))
        x1, x2 = x1.expand(shape), x2.expand(shape)
    n1 = linalg_vector_norm(x1, 2, dim, True).clone()
    n2 = linalg_vector_norm(x2, 2, dim, True).clone()
    # torch clamps the (cloned) norms in place under no_grad: the gradient sees them unclamped
    np.maximum(n1._data, eps, out=n1._data)
    np.maximum(n2._data, eps, out=n2._data)
    return ((x1 / n1) * (x2 / n2)).sum(dim)


def pairwise_distance(x1: Tensor, x2: Tensor, p: float = 2.0, eps: float = 1e-6,
                      keepdim: bool = False) -> Tensor:
    """``|x1 - x2 + eps|_p`` over the last dim (torch's ``norm(x1 - x2 + eps, p, -1)``)."""
    d = E.add_scalar(x1 - x2, eps)
    return _norm_dim(d, float(p), -1, keepdim)
