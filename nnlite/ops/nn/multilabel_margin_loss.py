"""Multi-label hinge loss (``F.multilabel_margin_loss``), as PyTorch's CPU kernel computes it.

For a row ``x`` (C classes) whose target row lists class indices up to the first ``-1``
(``J``, duplicates counted as often as listed), with ``T`` the set of listed classes::

    loss = sum_{j in J} sum_{i not in T} max(0, 1 - (x[j] - x[i])) / C

The hinge ``z = (1 - x[j]) + x[i]`` is formed in the input's dtype, each row's sum runs in
float64 in torch's order then is rounded to the dtype (torch's accumulate type on the CPU), so
losses are torch's bits. Like torch, no second derivative is provided beyond the (zero)
curvature of this piecewise-linear loss. The gradient is piecewise constant: ``+1`` at ``i`` and ``-1`` at ``j`` per active pair,
scaled by ``1 / C`` (and ``1 / N`` for the mean).
"""

from __future__ import annotations

import numpy as np

from nnlite._tensor import Tensor
from nnlite.autograd.function import Node, record

_W = Tensor._wrap
_REDUCTIONS = ("none", "mean", "sum")


class MultilabelMarginLossBackward0(Node):
    """``dloss/dx = coef`` (a constant per-element count of active pairs over C, N): the
    backward is linear in ``g``, so its own derivative is the same product."""

    def backward(self, g):
        coef = _W(self.coef)
        if self.reduction == "none" and self.rows_shape is not None:
            g = g.reshape(self.rows_shape)
        return ((coef * g).reshape(self.x_shape),)


def multilabel_margin_loss(input: Tensor, target: Tensor, reduction: str = "mean") -> Tensor:
    """The multi-label margin loss of ``input`` (C) / (N, C) against int64 class lists
    ``target`` of the same shape (each row ends at its first ``-1``)."""
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{reduction} is not a valid value for reduction")
    xd, td = input._data, np.asarray(target._data)
    if xd.ndim > 2 or (xd.ndim == 2 and xd.shape[1] == 0) or (xd.ndim == 1 and xd.size == 0):
        raise RuntimeError("Expected non-empty vector or matrix with optional 0-dim batch size, "
                           f"but got: {list(xd.shape)}")
    if td.shape != xd.shape and not (xd.ndim <= 1 and td.size == max(xd.size, 1)
                                     and td.ndim <= 1):
        raise RuntimeError(f"inconsistent target size: {list(td.shape)} for input of size: "
                           f"{list(xd.shape)}")
    if td.dtype != np.int64:
        kind = {"f": "Float", "i": "Int", "b": "Bool", "u": "Byte"}.get(td.dtype.kind, "")
        if td.dtype == np.float64:
            kind = "Double"
        elif td.dtype.kind == "i":
            kind = {1: "Char", 2: "Short", 4: "Int"}[td.dtype.itemsize]
        raise RuntimeError(f"expected scalar type Long but found {kind}")
    x = xd.reshape(-1, xd.shape[-1]) if xd.ndim == 2 else xd.reshape(1, -1)
    t = td.reshape(x.shape)
    n, c = x.shape
    if t.size and (t.min() < -1 or t.max() >= c):
        raise RuntimeError("argument #2 'target' is out of range")
    listed = np.cumprod(t >= 0, axis=1).astype(bool)  # entries before the first -1
    tgt = np.where(listed, t, 0)
    is_target = np.zeros((n, c), bool)
    rows = np.broadcast_to(np.arange(n)[:, None], t.shape)
    is_target[rows[listed], tgt[listed]] = True
    xt = np.take_along_axis(x, tgt, axis=1)  # (N, J)
    z = (x.dtype.type(1) - xt)[:, :, None] + x[:, None, :]  # (N, J, C) in the dtype
    active = (z > 0) & listed[:, :, None] & ~is_target[:, None, :]
    # torch's order: one running float64 sum per row over (j, i), then over the rows
    terms = np.where(active, z, 0).astype(np.float64).reshape(n, -1)
    row_sum = (np.cumsum(terms, axis=1)[:, -1] if terms.shape[1] else
               np.zeros(n)).astype(x.dtype)
    dt = x.dtype.type
    if reduction == "none":
        val = (row_sum / dt(c)).astype(x.dtype)
        val = val.reshape(()) if xd.ndim <= 1 else val
        scale = np.full((n, 1), 1.0 / c)
    else:
        total = (np.cumsum(row_sum.astype(np.float64))[-1] if n else np.float64(0)) / c
        if reduction == "mean":
            total = total / n if n else np.float64(np.nan)
        val = np.asarray(total, x.dtype)
        scale = np.full((n, 1), 1.0 / (c * n if reduction == "mean" else c))
    out = _W(np.asarray(val))
    node = record(out, MultilabelMarginLossBackward0, (input,))
    if node is not None:
        cnt = active.sum(1).astype(np.float64)  # +1 at every non-target i per active pair
        np.add.at(cnt, (rows, tgt), -np.where(listed, active.sum(2), 0))
        node.x_shape, node.reduction = xd.shape, reduction
        node.rows_shape = (n, 1) if xd.ndim == 2 else None
        node.save(coef=(cnt * scale.astype(x.dtype)).astype(x.dtype))
    return out
