"""RReLU: leaky ReLU with a random slope per non-positive element (training) or the mean
slope (evaluation).

``y = x`` where ``x > 0``, else ``y = r x`` with ``r ~ U(lower, upper)`` drawn per element;
the drawn slopes (1 where ``x > 0``) are the noise the backward multiplies by
(``RreluWithNoiseBackward0``: ``gx = g * noise``, linear in g, so any order works).

The draws are torch's, bit for bit: ATen's CPU kernel walks the elements in order and, for
each ``x <= 0``, takes one 64-bit draw ``d`` of the generator and computes the slope in
float64 as ``(d & (2**53 - 1)) * 2**-53 * (upper - lower) + lower`` with ``lower``/``upper``
first rounded to the input's dtype, then rounds it to the input's dtype. So
``manual_seed(s)`` followed by the same calls gives torch's slopes and outputs.
"""

from __future__ import annotations

import numpy as np

from nnlite import _random as _R
from nnlite._tensor import Tensor
from nnlite.autograd.function import Node, record
from nnlite.ops.inplace import apply_inplace

_W = Tensor._wrap


class RreluWithNoiseBackward0(Node):
    def backward(self, g):
        return (g * self.noise,)


class RreluWithNoiseBackward1(RreluWithNoiseBackward0):
    pass


def _noise(xd: np.ndarray, lower: float, upper: float, training: bool,
           generator=None) -> np.ndarray:
    dt = xd.dtype.type
    neg = xd <= 0
    noise = np.ones(xd.shape, xd.dtype)
    if not training:  # torch's eval mode: leaky ReLU with the mean slope
        noise[neg] = dt((lower + upper) / 2.0)
        return noise
    k = int(np.count_nonzero(neg))
    if k:
        d = _R._gen(generator)._random64(k)
        u = (d & np.uint64((1 << 53) - 1)).astype(np.float64) * 2.0**-53
        lo, hi = float(dt(lower)), float(dt(upper))
        noise[neg] = (u * (hi - lo) + lo).astype(xd.dtype)
    return noise


def _rrelu(input: Tensor, lower: float, upper: float, training: bool,
           node_cls=RreluWithNoiseBackward0) -> Tensor:
    xd = input._data
    if xd.dtype.kind != "f":
        raise RuntimeError(f"\"rrelu_with_noise_out_cpu\" not implemented for "
                           f"'{xd.dtype.name.capitalize()}'")
    noise = _noise(np.ascontiguousarray(xd), lower, upper, training)
    out = _W((xd * noise).astype(xd.dtype, copy=False))
    node = record(out, node_cls, (input,))
    if node is not None:
        node.noise = _W(noise)
    return out


def rrelu(input: Tensor, lower: float = 1.0 / 8, upper: float = 1.0 / 3,
          training: bool = False) -> Tensor:
    """``F.rrelu``: random slopes in training (see the module docstring), the mean slope
    ``(lower + upper) / 2`` otherwise; one node either way (``RreluWithNoiseBackward0``)."""
    return _rrelu(input, lower, upper, training)


def rrelu_(input: Tensor, lower: float = 1.0 / 8, upper: float = 1.0 / 3,
           training: bool = False) -> Tensor:
    """In-place :func:`rrelu` (``RreluWithNoiseBackward1``)."""
    return apply_inplace(input, _rrelu, lower, upper, training, RreluWithNoiseBackward1,
                         name="rrelu_")
