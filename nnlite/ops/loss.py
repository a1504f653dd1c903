"""Elementwise losses as one graph node each, named and differentiated as PyTorch's kernels.

The forward value comes from the composite the caller computes without a graph (so the numbers
are those of the composite); the node (``MseLossBackward0``, ``BinaryCrossEntropyBackward0``,
...) then carries PyTorch's closed-form gradient, including its clamps at the edges of the
domain: binary cross-entropy divides by ``max(x (1 - x), 1e-12)``, so ``p = 0`` or ``1`` gives
a finite gradient. Backwards are written in Tensor ops, so double backward works.
"""

from __future__ import annotations

from nnlite._tensor import Tensor
from nnlite.autograd.function import Node, record
from nnlite.ops import elementwise as E
from nnlite.ops._util import sum_to

_EPS = 1e-12  # ATen's EPSILON in binary_cross_entropy_backward


def _expand_grad(node, g):
    """The incoming gradient of the reduced loss, per element of the unreduced loss."""
    red = node.reduction
    if red == "none":
        return g
    shape = node.loss_shape
    if red == "mean":
        n = 1
        for s in shape:
            n *= s
        g = g / n if n else g * float("nan")
    return g.expand(shape) if shape else g


class _LossNode(Node):
    """Inputs: (input, target[, weight, ...]); saved the same tensors."""

    def grads(self, g, x, y, *rest):  # pragma: no cover - each loss overrides it
        raise NotImplementedError

    def backward(self, g):
        saved = self._unpacked_saved
        ge = _expand_grad(self, g)
        out = self.grads(ge, *(None if t is E._NOGRAD else t for t in saved))
        return tuple(
            None if (o is None or not need) else sum_to(o, t._data.shape)
            for o, need, t in zip(out, self.needs_input_grad, saved)
        )


class MseLossBackward0(_LossNode):
    def grads(self, g, x, y):
        d = (x - y) * (g * 2.0)
        return d, -d


class SmoothL1LossBackward0(_LossNode):
    def grads(self, g, x, y):
        d = x - y
        beta = self.beta
        # d / beta inside (-beta, beta), sign(d) outside: ATen's smooth_l1_backward
        gd = E.where(d.abs() < beta, d / beta, E.sign(d)) * g
        return gd, -gd


class HuberLossBackward0(_LossNode):
    def grads(self, g, x, y):
        d = x - y
        delta = self.delta
        gd = E.where(d.abs() <= delta, d, E.sign(d) * delta) * g
        return gd, -gd


class SoftMarginLossBackward0(_LossNode):
    def grads(self, g, x, y):
        z = E.sigmoid(-(y * x))
        return -(y * z) * g, -(x * z) * g


class BinaryCrossEntropyBackward0(_LossNode):
    def grads(self, g, x, y, w=None):
        gw = g if w is None else g * w
        gx = gw * (x - y) / E.clamp((1 - x) * x, min=_EPS)
        gy = None
        if self.needs_input_grad[1]:
            gy = gw * (E.log(1 - x).clamp(min=-100.0) - E.log(x).clamp(min=-100.0))
        return gx, gy, None


class BinaryCrossEntropyWithLogitsBackward0(_LossNode):
    def grads(self, g, x, y, w=None, pw=None):
        gw = g if w is None else g * w
        from nnlite.nn._ops import log_sigmoid

        if pw is None:
            gx = (E.sigmoid(x) - y) * gw
            gy = -x * gw if self.needs_input_grad[1] else None
            gpw = None
        else:
            lw = (pw - 1) * y + 1
            gx = ((1 - y) - lw * E.sigmoid(-x)) * gw
            sp = -log_sigmoid(x) if (self.needs_input_grad[1] or self.needs_input_grad[3]) \
                else None
            gy = (-x + (pw - 1) * sp) * gw if self.needs_input_grad[1] else None
            gpw = y * sp * gw if self.needs_input_grad[3] else None
        return gx, gy, None, gpw


# the arguments torch's kernels cannot differentiate (it refuses them when they require grad)
_NOT_DIFFERENTIABLE = {
    "BinaryCrossEntropyBackward0": ("binary_cross_entropy", (None, None, "weight")),
    "BinaryCrossEntropyWithLogitsBackward0": ("binary_cross_entropy_with_logits",
                                              (None, None, "weight", "pos_weight")),
}


def named_loss(value: Tensor, cls, reduction: str, loss_shape: tuple, inputs: tuple, **attrs):
    """Attach ``cls`` (one node) to ``value``, a loss computed without a graph from
    ``inputs = (input, target, *extras)`` (None extras allowed; they get no gradient)."""
    refuse = _NOT_DIFFERENTIABLE.get(cls.__name__)
    if refuse is not None:
        fn, names = refuse
        for t, arg in zip(inputs, names):
            if arg is not None and t is not None and t._requires_grad:
                raise RuntimeError(
                    f"The function '{fn}' is not differentiable with respect to argument "
                    f"'{arg}'. This input cannot have requires_grad True."
                )
    ins = tuple(E._NOGRAD if t is None else t for t in inputs)  # keeps each input's slot
    node = record(value, cls, ins, ins)
    if node is not None:
        node.reduction, node.loss_shape = reduction, loss_shape
        for k, v in attrs.items():
            setattr(node, k, v)
    return value
