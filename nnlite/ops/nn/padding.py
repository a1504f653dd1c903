"""``pad``: constant padding (one node), reflect/replicate padding (a separable map with
torch's ``ReflectionPad<k>DBackward0`` / ``ReplicationPad<k>DBackward0`` nodes, k the number of
padded dims) and circular padding (an index gather)."""

from __future__ import annotations

import numpy as np

from nnlite._tensor import Tensor
from nnlite.autograd.function import Node, record
from nnlite.ops.nn.taps import apply_taps


def _pairs(pad, ndim):
    """PyTorch's pad tuple (last dim first: left, right, top, bottom, ...) -> per-dim pairs."""
    if len(pad) % 2:
        raise ValueError("Padding length must be divisible by 2")
    n = len(pad) // 2
    if n > ndim:
        raise ValueError(
            f"Padding length should be less than or equal to two times the input dimension but "
            f"got padding length {len(pad)} and input of dimension {ndim}"
        )
    pairs = [(0, 0)] * ndim
    for i in range(n):
        pairs[ndim - 1 - i] = (int(pad[2 * i]), int(pad[2 * i + 1]))
    return pairs


class ConstantPadNdBackward0(Node):
    def backward(self, g):
        # the gradient is the un-padded window (negative pads cropped: put zeros back)
        key = []
        for (lo, hi), n in zip(self.pairs, g._data.shape):
            key.append(slice(max(lo, 0), n - max(hi, 0)))
        gx = g[tuple(key)]
        if any(lo < 0 or hi < 0 for lo, hi in self.pairs):
            gx = pad(gx, [v for lo, hi in reversed(self.pairs) for v in (max(-lo, 0), max(-hi, 0))])
        return (gx,)


def _constant_pad(x, pairs, value):
    xd = x._data
    crop = tuple(slice(max(-lo, 0), n - max(-hi, 0)) for (lo, hi), n in zip(pairs, xd.shape))
    xd = xd[crop]
    arr = np.pad(xd, [(max(lo, 0), max(hi, 0)) for lo, hi in pairs], constant_values=value)
    out = Tensor._wrap(arr)
    node = record(out, ConstantPadNdBackward0, (x,))
    if node is not None:
        node.pairs = pairs
    return out


def _pad_index(n: int, lo: int, hi: int, mode: str) -> np.ndarray:
    """Source positions along one dim of size ``n`` padded by ``lo`` / ``hi``."""
    idx = np.arange(-lo, n + hi)
    if mode == "reflect":
        period = 2 * (n - 1) if n > 1 else 1
        idx = np.abs(idx) % period
        return np.where(idx >= n, period - idx, idx)
    if mode == "replicate":
        return np.clip(idx, 0, n - 1)
    return idx % n  # circular


def _index_pad(x, pairs, mode, k=1):
    """reflect / replicate / circular as gathers along each padded dim."""
    shape = tuple(x._data.shape)
    for d, (lo, hi) in enumerate(pairs):
        if mode == "reflect" and (lo >= shape[d] or hi >= shape[d]):
            raise RuntimeError(
                f"Argument #4: Padding size should be less than the corresponding input "
                f"dimension, but got: padding ({lo}, {hi}) at dimension {d} of input "
                f"{list(x.shape)}"
            )
    if mode == "circular":  # torch builds it from slices and cat: no node of its own
        out = x
        for d, (lo, hi) in enumerate(pairs):
            if lo or hi:
                out = out[(slice(None),) * d + (_pad_index(shape[d], lo, hi, mode),)]
        return out
    padded = [d for d, (lo, hi) in enumerate(pairs) if lo or hi]
    spec = tuple((d, shape[d], pairs[d][0], pairs[d][1]) for d in padded)

    def make_taps(dtype):
        return tuple((d, n, ((_pad_index(n, lo, hi, mode), None),)) for d, n, lo, hi in spec)

    name = "ReflectionPad" if mode == "reflect" else "ReplicationPad"
    return apply_taps(x, f"{name}{k}D", make_taps)


def pad(input: Tensor, pad, mode: str = "constant", value: float | None = None) -> Tensor:
    """Pad the last ``len(pad) // 2`` dims: ``pad = (left, right, top, bottom, ...)``.

    Example:
        >>> pad(x, (1, 1), value=0.0)  # one zero on each side of the last dim
    """
    pairs = _pairs(tuple(pad), input.dim())
    if mode == "constant":
        return _constant_pad(input, pairs, 0.0 if value is None else value)
    if mode not in ("reflect", "replicate", "circular"):
        raise NotImplementedError(
            f"Unrecognised padding mode {mode}: expected one of constant, reflect, replicate, "
            "circular"
        )
    return _index_pad(input, pairs, mode, len(pad) // 2)
