"""Separable resampling maps: along each of some dims, every output position is a weighted sum
of a few input positions (its taps). Reflect/replicate padding and nearest interpolation have
one tap of weight 1, linear interpolation two.

Such a map is linear, so its gradient is its adjoint (the same taps, scatter-added back), and
the adjoint's gradient is the map again. Each op gets a pair of nodes named as torch names
them: ``<Op>Backward0`` on the op's result and ``<Op>BackwardBackward0`` on its gradient (e.g.
``ReflectionPad1DBackward0`` / ``ReflectionPad1DBackwardBackward0``), so every order of
derivative works. A node keeps only scalars and a function that rebuilds the taps from them.
"""

from __future__ import annotations

import numpy as np

from nnlite._tensor import Tensor
from nnlite.autograd.function import Node, record

_W = Tensor._wrap

# taps: a tuple of (dim, in_size, ((index array, weight array or None), ...)), applied in order


def gather_np(x: np.ndarray, taps) -> np.ndarray:
    """The map on an array: along each listed dim, the weighted sum of its taps."""
    for dim, _, pairs in taps:
        out = None
        for idx, w in pairs:
            term = np.take(x, idx, axis=dim)
            if w is not None:
                term = term * _along(w.astype(x.dtype, copy=False), dim, x.ndim)
            out = term if out is None else out + term
        x = out
    return np.ascontiguousarray(x)


def scatter_np(g: np.ndarray, taps) -> np.ndarray:
    """The adjoint on an array: each tap's weighted slices added back at its source index."""
    for dim, n, pairs in reversed(taps):
        shape = list(g.shape)
        shape[dim] = n
        out = np.zeros(shape, g.dtype)
        for idx, w in pairs:
            src = g if w is None else g * _along(w.astype(g.dtype, copy=False), dim, g.ndim)
            add_at_axis(out, idx, src, dim)
        g = out
    return g


def _along(w: np.ndarray, dim: int, ndim: int) -> np.ndarray:
    shape = [1] * ndim
    shape[dim] = w.shape[0]
    return w.reshape(shape)


def add_at_axis(out: np.ndarray, idx: np.ndarray, src: np.ndarray, dim: int) -> None:
    """``out[..., idx[k], ...] += src[..., k, ...]`` along ``dim`` (repeated indices summed), by
    one sort and a segmented sum instead of ``np.add.at``."""
    if idx.size == 0:
        return
    order = np.argsort(idx, kind="stable")
    sidx = idx[order]
    starts = np.flatnonzero(np.r_[True, sidx[1:] != sidx[:-1]])
    sums = np.add.reduceat(np.take(src, order, axis=dim), starts, axis=dim)
    key = (slice(None),) * dim + (sidx[starts],)
    out[key] += sums


class TapsBackward(Node):
    """Backward of a separable map: the adjoint, recorded as the paired node."""

    def backward(self, g):
        return (_apply(g, self.make_taps, self._pair, scatter_np),)


class TapsBackwardBackward(Node):
    """Backward of the adjoint: the map again."""

    def backward(self, g):
        return (_apply(g, self.make_taps, self._pair, gather_np),)


_PAIRS: dict = {}


def node_pair(name: str):
    """The (``<name>Backward0``, ``<name>BackwardBackward0``) node classes of op ``name``."""
    pair = _PAIRS.get(name)
    if pair is None:
        fwd = type(f"{name}Backward0", (TapsBackward,), {"__module__": __name__})
        bwd = type(f"{name}BackwardBackward0", (TapsBackwardBackward,), {"__module__": __name__})
        fwd._pair, bwd._pair = bwd, fwd
        pair = _PAIRS[name] = (fwd, bwd)
    return pair


def _apply(x: Tensor, make_taps, cls, fn) -> Tensor:
    out = _W(fn(x._data, make_taps(x._data.dtype)))
    node = record(out, cls, (x,))
    if node is not None:
        node.make_taps = make_taps
    return out


def apply_taps(x: Tensor, name: str, make_taps) -> Tensor:
    """``x`` through the separable map ``make_taps(dtype)`` builds, as op ``name``'s node.

    ``make_taps`` must close over scalars only (the node keeps it for every later order)."""
    return _apply(x, make_taps, node_pair(name)[0], gather_np)
