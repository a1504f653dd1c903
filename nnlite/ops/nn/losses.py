"""The losses of ``torch.nn.functional`` (called with ``reduction`` only; ``nn.functional``
turns the deprecated ``size_average``/``reduce`` into it).

Elementwise losses are one graph node each, named and differentiated as PyTorch's kernels.

The forward value comes from the composite the caller computes without a graph (so the numbers
are those of the composite); the node (``MseLossBackward0``, ``BinaryCrossEntropyBackward0``,
...) then carries PyTorch's closed-form gradient, including its clamps at the edges of the
domain: binary cross-entropy divides by ``max(x (1 - x), 1e-12)``, so ``p = 0`` or ``1`` gives
a finite gradient. Backwards are written in Tensor ops, so double backward works.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from nnlite._tensor import Tensor
from nnlite.autograd.function import Node, record
from nnlite.autograd.grad_mode import _CaptureState, _GradState, no_grad
from nnlite.kernels import lazy as _lazy_kernels
from nnlite.ops import elementwise as E
from nnlite.ops import elementwise as _E
from nnlite.ops import reduce as R
from nnlite.ops._util import TYPE_NAMES as _NAMES
from nnlite.ops._util import sum_to
from nnlite.ops.nn.activations import log_sigmoid
from nnlite.ops.nn.distance import pairwise_distance

_loss_kernels = _lazy_kernels("loss")

_W = Tensor._wrap


def _const(arr: np.ndarray) -> Tensor:
    """A constant (no-grad) tensor around an array, for Tensor-op backward formulas."""
    return _W(arr)

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
        return gx, gy


class BinaryCrossEntropyWithLogitsBackward0(_LossNode):
    """Edges to ``input`` and ``target`` only (``weight``/``pos_weight`` are refused when they
    require grad, as torch's)."""

    def grads(self, g, x, y, w=None, pw=None):
        gw = g if w is None else g * w
        if pw is None:
            gx = (E.sigmoid(x) - y) * gw
            gy = -x * gw if self.needs_input_grad[1] else None
        else:
            lw = (pw - 1) * y + 1
            gx = ((1 - y) - lw * E.sigmoid(-x)) * gw
            gy = None
            if self.needs_input_grad[1]:
                gy = (-x + (pw - 1) * -log_sigmoid(x)) * gw
        return gx, gy


# the arguments torch's kernels cannot differentiate (it refuses them when they require grad)
_NOT_DIFFERENTIABLE = {
    "BinaryCrossEntropyBackward0": ("binary_cross_entropy", (None, None, "weight")),
    "BinaryCrossEntropyWithLogitsBackward0": ("binary_cross_entropy_with_logits",
                                              (None, None, "weight", "pos_weight")),
}


def named_loss(value: Tensor, cls, reduction: str, loss_shape: tuple, inputs: tuple,
               edges: int | None = None, **attrs):
    """Attach ``cls`` (one node) to ``value``, a loss computed without a graph from
    ``inputs = (input, target, *extras)`` (None extras allowed; they get no gradient).

    ``edges``: how many leading inputs are differentiable (torch lists a graph edge only for
    those: BCE's weight, soft-margin's target have none); all of ``inputs`` are saved."""
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
    node = record(value, cls, ins if edges is None else ins[:edges], ins)
    if node is not None:
        node.reduction, node.loss_shape = reduction, loss_shape
        for k, v in attrs.items():
            setattr(node, k, v)
    return value


# ---- cross entropy (class indices), fused: one log-softmax + NLL node ----------------------


class NllLossBackward0(Node):
    """Backward of the fused softmax + cross-entropy (PyTorch's graph ends in NllLossBackward0).

    ``nll_loss`` on log-probabilities is composed from differentiable ops; its result gets this
    node with ``composite`` set, which passes the gradient through (torch's name on top)."""

    composite = False
    coef = None  # nll_loss: the fixed d loss / d input (the loss is linear in the input)

    def backward(self, g):
        if self.coef is not None:
            gr = g.reshape(-1, 1) if self.reduction == "none" else g.reshape(1, 1)
            return (_from_class_last_t(gr * Tensor._wrap(self.coef), self.in_shape),)
        if self.composite:
            return (g,)
        (logits,) = self._unpacked_saved
        m, c = self.rows_shape
        if not _GradState.enabled:
            gd = g._data
            if self.reduction == "none":
                grows = np.ascontiguousarray(gd.reshape(-1))
            else:
                grows = np.empty(m, self.logp.dtype)
                grows.fill(gd.reshape(()) * self.scale)
            g2 = _loss_kernels.cross_entropy_backward(
                grows, self.logp, self.target, self.weight, self.ignore_index,
                self.label_smoothing,
            )
            return (_W(_from_class_last(g2, self.in_shape).astype(logits._data.dtype,
                                                                 copy=False)),)
        # composite, differentiable in the logits (through softmax) and in g
        z2 = _to_class_last_t(logits)
        p = z2.softmax(1)
        keep = self.target != self.ignore_index
        t = np.where(keep, self.target, 0)
        dt = self.logp.dtype
        w = np.ones(c, dt) if self.weight is None else self.weight.astype(dt)
        ls = self.label_smoothing
        wt = w[t] * keep
        a = (1 - ls) * wt + (ls / c) * w.sum() * keep
        b = np.zeros((m, c), dt)
        b[np.arange(m), t] = (1 - ls) * wt
        b += (ls / c) * w[None, :] * keep[:, None]
        grows = g.reshape(m, 1) if self.reduction == "none" else (g * self.scale).reshape(1, 1)
        g2 = grows * (p * _const(a.astype(dt)[:, None]) - _const(b))
        return (_from_class_last_t(g2, self.in_shape),)


def _to_class_last(xd: np.ndarray) -> np.ndarray:
    """(C,) -> (1, C); (N, C) as is; (N, C, d1, ...) -> (N * d1 * ..., C)."""
    if xd.ndim == 1:
        return xd.reshape(1, -1)
    if xd.ndim == 2:
        return xd
    return np.moveaxis(xd, 1, -1).reshape(-1, xd.shape[1])


def _from_class_last(g2: np.ndarray, shape: tuple) -> np.ndarray:
    if len(shape) <= 2:
        return g2.reshape(shape)
    moved = (shape[0],) + tuple(shape[2:]) + (shape[1],)
    return np.ascontiguousarray(np.moveaxis(g2.reshape(moved), -1, 1))


def _to_class_last_t(x: Tensor) -> Tensor:
    if x.ndim == 1:
        return x.reshape(1, -1)
    if x.ndim == 2:
        return x
    return x.movedim(1, -1).reshape(-1, x.shape[1])


def _from_class_last_t(g2: Tensor, shape: tuple) -> Tensor:
    if len(shape) <= 2:
        return g2.reshape(shape)
    moved = (shape[0],) + tuple(shape[2:]) + (shape[1],)
    return g2.reshape(moved).movedim(-1, 1)


def _log_softmax_link(node):
    """Show torch's graph ``NllLossBackward0 -> LogSoftmaxBackward0 -> logits`` for the fused
    cross-entropy: a LogSoftmaxBackward0 node between the loss node and the logits. The fused
    backward already gives the gradient with respect to the logits, so the link hands it on
    unchanged (``fused``): one kernel pass as before, one more Python call."""
    link = R.LogSoftmaxBackward0()
    link.fused = True
    link.next_functions, link.needs_input_grad = node.next_functions, node.needs_input_grad
    link._dt = node._dt
    node.next_functions = ((link, 0),)
    node.needs_input_grad = (True,)


def _check_index_target(td) -> None:
    """Class-index targets are int64 or uint8, as torch's nll_loss/cross_entropy require."""
    if td.dtype not in (np.int64, np.uint8):
        raise RuntimeError("expected target dtype to be Long or Byte, but got "
                           + _NAMES.get(td.dtype.name, td.dtype.name))


def cross_entropy_indices(input: Tensor, target: Tensor, weight: Tensor | None,
                          ignore_index: int, reduction: str, label_smoothing: float) -> Tensor:
    """Fused log-softmax + NLL for class-index targets (numba kernel forward and backward)."""
    xd = input._data
    td = target._data
    c = xd.shape[1] if xd.ndim >= 2 else xd.shape[0]
    _check_index_target(td)
    exp_tshape = (xd.shape[0],) + tuple(xd.shape[2:]) if xd.ndim >= 2 else ()
    if td.shape != exp_tshape:
        if xd.ndim >= 2 and (td.ndim == 0 or td.shape[0] != xd.shape[0]):
            raise ValueError(
                f"Expected input batch_size ({xd.shape[0]}) to match target batch_size "
                f"({td.shape[0] if td.ndim else 1})."
            )
        raise RuntimeError(
            f"expected target size {list(exp_tshape)}, got {list(td.shape)}"
        )
    z2 = _to_class_last(xd)
    t1 = td.reshape(-1).astype(np.int64, copy=False)
    wd = None if weight is None else weight._data
    if wd is not None and wd.shape != (c,):
        raise RuntimeError(
            f"weight tensor should be defined either for all {c} classes or no classes but got "
            f"weight tensor of shape: {list(wd.shape)}"
        )
    # one kernel pass gives the rows, sum_i loss_i and the 'mean' denominator sum_i w[t_i]
    loss_rows, logp, loss_sum, denom = _loss_kernels.cross_entropy_forward_sums(
        z2, t1, wd, int(ignore_index), float(label_smoothing)
    )
    dt = xd.dtype
    if reduction == "none":
        out = _W(loss_rows.astype(dt, copy=False).reshape(td.shape))
        scale = 1.0
    elif reduction == "sum":
        out = _W(np.array(loss_sum, dt))
        scale = 1.0
    elif denom != 0:
        out = _W(np.array(loss_sum / denom, dt))
        scale = 1.0 / np.float64(denom)  # a float64 scalar, as before (not a weak Python float)
    else:  # every row ignored (or zero weights): 0/0 or x/0 as numpy divides
        with np.errstate(divide="ignore", invalid="ignore"):
            out = _W(np.asarray(np.float64(loss_sum) / np.float64(denom), dt))
        scale = np.nan
    node = record(out, NllLossBackward0, (input,), (input,))
    if node is not None:
        _log_softmax_link(node)
        node.rows_shape = z2.shape
        node.in_shape = xd.shape
        node.save(logp=logp, target=t1,
                  weight=None if wd is None else np.ascontiguousarray(wd, dtype=logp.dtype))
        node.ignore_index, node.label_smoothing = int(ignore_index), float(label_smoothing)
        node.reduction, node.scale = reduction, scale
    if _CaptureState.recorder is not None:  # recording a plan for nnlite.compile
        _CaptureState.recorder.emit("cross_entropy", out, (input, target, weight),
                                    ignore_index=int(ignore_index), reduction=reduction,
                                    label_smoothing=float(label_smoothing))
    return out


# ---- margin, embedding and likelihood losses, composed from differentiable ops -----------------


def _no_grad_arg(t, fn: str, arg: str) -> None:
    if isinstance(t, Tensor) and t.requires_grad:
        raise RuntimeError(
            f"The function '{fn}' is not differentiable with respect to argument '{arg}'. This "
            "input cannot have requires_grad True."
        )


def _zero(like: Tensor) -> Tensor:
    return _E.zeros_like(like)


def margin_ranking_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0.0,
                        reduction: str = "mean") -> Tensor:
    """``max(0, -y (x1 - x2) + margin)``."""
    if not (input1.ndim == input2.ndim == target.ndim):
        raise RuntimeError(
            f"margin_ranking_loss : All input tensors should have same dimension but got sizes: "
            f"input1: {input1.shape}, input2: {input2.shape}, target: {target.shape} "
        )
    loss = _E.clamp_min(-target * (input1 - input2) + margin, 0)
    return apply_reduction(loss, reduction)


def hinge_embedding_loss(input: Tensor, target: Tensor, margin: float = 1.0,
                         reduction: str = "mean") -> Tensor:
    """``x`` where ``y == 1``, ``max(0, margin - x)`` where ``y == -1``."""
    z = _zero(input)
    margin_clamp = _E.clamp_min(margin - input, 0)
    loss = _E.where(target != 1, margin_clamp, z) + _E.where(target != -1, input, z)
    return apply_reduction(loss, reduction)


def soft_margin_loss(input: Tensor, target: Tensor, reduction: str = "mean") -> Tensor:
    """``log(1 + exp(-y x))``."""
    _no_grad_arg(target, "soft_margin_loss", "target")
    with no_grad():
        loss = _E.log1p(_E.exp(-target * input))
        out = apply_reduction(loss, reduction)
    return named_loss(out, SoftMarginLossBackward0, reduction, loss.shape, (input, target),
                      edges=1)


def multilabel_soft_margin_loss(input: Tensor, target: Tensor, weight: Tensor | None = None,
                                reduction: str = "mean") -> Tensor:
    """Per-sample mean over classes of the binary logistic loss."""
    loss = -(target * log_sigmoid(input) + (1 - target) * log_sigmoid(-input))
    if weight is not None:
        loss = loss * weight
    loss = loss.sum(dim=input.ndim - 1) / input.shape[-1]
    return apply_reduction(loss, reduction)


def cosine_embedding_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0.0,
                          reduction: str = "mean") -> Tensor:
    """``1 - cos(x1, x2)`` where ``y == 1``, ``max(0, cos(x1, x2) - margin)`` where ``y == -1``."""
    if input1.ndim != input2.ndim or input1.ndim not in (1, 2):
        raise RuntimeError(
            f"cosine_embedding_loss : 1D or 2D input tensors expected, got {input1.ndim}D"
        )
    d = input1.ndim - 1
    eps = 1e-12
    prod = (input1 * input2).sum(d)
    mag1 = (input1 * input1).sum(d) + eps
    mag2 = (input2 * input2).sum(d) + eps
    cos = prod / (mag1 * mag2).sqrt()
    z = _zero(cos)
    pos = _E.where(target == 1, 1 - cos, z)
    neg = _E.where(target == -1, _E.clamp_min(cos - margin, 0), z)
    return apply_reduction(pos + neg, reduction)


def poisson_nll_loss(input: Tensor, target: Tensor, log_input: bool = True, full: bool = False,
                     eps: float = 1e-8, reduction: str = "mean") -> Tensor:
    """Negative log-likelihood of ``target`` under Poisson(``exp(input)`` or ``input``)."""
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    if log_input:
        loss = _E.exp(input) - target * input
    else:
        loss = input - target * _E.log(input + eps)
    if full:
        stirling = target * _E.log(target) - target + 0.5 * _E.log(2 * math.pi * target)
        loss = loss + _E.where(target > 1, stirling, _zero(stirling))
    return apply_reduction(loss, reduction)


def gaussian_nll_loss(input: Tensor, target: Tensor, var, full: bool = False,
                      eps: float = 1e-6, reduction: str = "mean") -> Tensor:
    """``0.5 (log(max(var, eps)) + (input - target)^2 / max(var, eps))`` (+ const if ``full``)."""
    if not isinstance(var, Tensor):
        if var < 0:
            raise ValueError("var has negative entry/entries")
        var = _E.full_like(input, float(var))
    if var.shape != input.shape:
        if input.shape[:-1] == var.shape:
            var = var.unsqueeze(-1)
        elif not (input.shape[:-1] == var.shape[:-1] and var.shape[-1] == 1):
            raise ValueError("var is of incorrect size")
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(reduction + " is not valid")
    if bool((var < 0).any()):
        raise ValueError("var has negative entry/entries")
    # torch clamps a clone under no_grad: the value is clamped, the gradient passes unchanged
    var = var + (_E.clamp_min(var, eps) - var).detach()
    loss = 0.5 * (_E.log(var) + (input - target) ** 2 / var)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return apply_reduction(loss, reduction)


def triplet_margin_loss(anchor: Tensor, positive: Tensor, negative: Tensor, margin: float = 1.0,
                        p: float = 2, eps: float = 1e-6, swap: bool = False,
                        reduction: str = "mean") -> Tensor:
    """``max(d(a, p) - d(a, n) + margin, 0)`` with ``d`` the pairwise ``p``-distance."""
    if not (anchor.ndim == positive.ndim == negative.ndim):
        raise RuntimeError(
            f"The anchor, positive, and negative tensors are expected to have the same number "
            f"of dimensions, but got: anchor {anchor.ndim}D, positive {positive.ndim}D, and "
            f"negative {negative.ndim}D inputs"
        )
    d_pos = pairwise_distance(anchor, positive, p, eps)
    d_neg = pairwise_distance(anchor, negative, p, eps)
    if swap:
        d_neg = _E.minimum(d_neg, pairwise_distance(positive, negative, p, eps))
    loss = _E.clamp_min(margin + d_pos - d_neg, 0)
    return apply_reduction(loss, reduction)


def triplet_margin_with_distance_loss(anchor: Tensor, positive: Tensor, negative: Tensor, *,
                                      distance_function=None, margin: float = 1.0,
                                      swap: bool = False, reduction: str = "mean") -> Tensor:
    """``max(d(a, p) - d(a, n) + margin, 0)`` for any ``distance_function`` (default the
    pairwise 2-distance); with ``swap``, ``d(a, n)`` is ``min(d(a, n), d(p, n))``. Torch's
    own composite, so its graph (ClampMin <- Sub <- Add) is the same."""
    check_reduction(reduction)
    if margin <= 0:
        raise ValueError(f"margin must be greater than 0, got {margin}")
    if not (anchor.ndim == positive.ndim == negative.ndim):
        raise RuntimeError(
            f"The anchor, positive, and negative tensors are expected to have the same number "
            f"of dimensions, but got: anchor {anchor.ndim}D, positive {positive.ndim}D, and "
            f"negative {negative.ndim}D inputs"
        )
    dist = pairwise_distance if distance_function is None else distance_function
    d_pos = dist(anchor, positive)
    d_neg = dist(anchor, negative)
    if swap:
        d_neg = _E.minimum(d_neg, dist(positive, negative))
    loss = _E.clamp_min(margin + d_pos - d_neg, 0)
    return apply_reduction(loss, reduction)


class MultiMarginLossBackward0(Node):
    """``l_i = sum_{j != y_i} w[y_i] h(margin - x[i, y_i] + x[i, j]) / C``, ``h(z) = max(z, 0)^p``:
    ``dl_i/dx_ij = w h'(z_ij) / C`` (j != y_i), ``dl_i/dx_iy = -sum_j`` of those."""

    def backward(self, g):
        (input,) = self._unpacked_saved
        x = input.reshape(self.rows)
        n = self.rows[0]
        y = _W(self.target.reshape(-1, 1))
        gi = g.reshape(-1, 1) if self.reduction == "none" else g.reshape(1, 1)
        if self.reduction == "mean":
            gi = gi / n
        coef = _W(self.coef)  # w[y] / C where the margin is violated (j != y), else 0
        d = coef * gi
        if self.p == 2:
            d = d * ((x - x.gather(1, y)) + self.margin) * 2.0
        gx = d - _W(self.onehot) * d.sum(1, keepdim=True)
        return (gx.reshape(input.shape),)


def multi_margin_loss(input: Tensor, target: Tensor, p: int = 1, margin: float = 1.0,
                      weight: Tensor | None = None,
                      reduction: str = "mean") -> Tensor:
    """``sum_{j != y} max(0, margin - x[y] + x[j])^p / C`` per sample (weighted by ``w[y]``)."""
    if p not in (1, 2):
        raise ValueError("only p == 1 and p == 2 supported")
    check_reduction(reduction)
    _no_grad_arg(weight, "multi_margin_loss", "weight")
    xd = input._data
    x = xd if xd.ndim == 2 else xd.reshape(1, -1)
    n, c = x.shape
    t = np.asarray(target._data).reshape(-1).astype(np.int64)
    if t.shape[0] != n:
        raise RuntimeError(f"inconsistent target size, expected {n} but got "
                           f"{list(target.shape)}")
    if t.size and (t.min() < 0 or t.max() >= c):
        raise IndexError(f"target out of range: targets must be in [0, {c - 1}]")
    rows = np.arange(n)
    z = margin - x[rows, t][:, None] + x
    onehot = np.zeros((n, c), bool)
    onehot[rows, t] = True
    active = (z > 0) & ~onehot
    wy = np.ones(n, x.dtype) if weight is None else weight._data[t].astype(x.dtype)
    h = np.where(active, z if p == 1 else z * z, 0)
    loss = (h.sum(1) * wy / c).astype(x.dtype)
    if reduction == "mean":
        val = np.asarray(loss.mean(), x.dtype)
    elif reduction == "sum":
        val = np.asarray(loss.sum(), x.dtype)
    else:
        # unbatched: the target's shape (torch: a 0-d target gives a 0-d loss)
        val = loss if xd.ndim == 2 else loss.reshape(target.shape)
    out = _W(val)
    node = record(out, MultiMarginLossBackward0, (input,), (input,))
    if node is not None:
        node.rows, node.p, node.margin, node.reduction = (n, c), p, float(margin), reduction
        node.save(target=t, onehot=onehot.astype(x.dtype),
                  coef=(active * (wy / c)[:, None]).astype(x.dtype))
    return out


# ---- the losses of nn.functional with their own formulas ------------------------------------

_REDUCTIONS = ("none", "mean", "sum")


def apply_reduction(loss: Tensor, reduction: str) -> Tensor:
    if reduction == "none":
        return loss
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    raise ValueError(f"{reduction} is not a valid value for reduction")


def check_reduction(reduction: str) -> None:
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{reduction} is not a valid value for reduction")


def _check_same_size_warn(input: Tensor, target: Tensor, name: str) -> None:
    if target.shape != input.shape:
        warnings.warn(
            f"Using a target size ({target.shape}) that is different to the input size "
            f"({input.shape}). This will likely lead to incorrect results due to broadcasting. "
            "Please ensure they have the same size.", stacklevel=3,
        )


def cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None,
                  ignore_index: int = -100, reduction: str = "mean",
                  label_smoothing: float = 0.0) -> Tensor:
    """Cross-entropy between logits ``input`` (N, C, ...) and ``target``.

    Class-index targets (int, shape (N, ...)): one fused, max-shifted log-softmax + NLL
    (stable for logits of 1e4), ``loss_i = (1-ls) w[t_i] (-log p_i,t_i) + ls/C sum_c w_c
    (-log p_ic)``; ``reduction='mean'`` divides by ``sum_i w[t_i]`` over non-ignored rows, as
    PyTorch does. Probability targets (float, same shape as input): ``-sum_c w_c t_ic log p_ic``
    with ``t`` smoothed toward uniform, mean over rows.

    Example:
        >>> F.cross_entropy(torch.tensor([[1e4, 0.0]]), torch.tensor([1]))
        tensor(10000.)
    """
    check_reduction(reduction)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(
            f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}"
        )
    if input._data.ndim == 0:
        raise ValueError("Expected input to have at least 1 dimension, got 0")
    if target._data.dtype.kind == "f":
        if target.shape != input.shape:
            _check_index_target(target._data)
        return _cross_entropy_probs(input, target, weight, reduction, label_smoothing)
    if label_smoothing and _CaptureState.recorder is None:
        return _cross_entropy_smoothed(input, target, weight, ignore_index, reduction,
                                       label_smoothing)
    fn = input.grad_fn
    if fn is not None and fn.consume is not None:  # logits from nnlite.compile: the loss joins
        out = fn.consume(cross_entropy_indices, (input, target, weight),
                         (ignore_index, reduction, label_smoothing))
        if out is not None:
            return out
    return cross_entropy_indices(input, target, weight, ignore_index, reduction,
                                      label_smoothing)


def _cross_entropy_smoothed(input, target, weight, ignore_index, reduction, label_smoothing):
    """Label-smoothed cross-entropy on class indices as torch composes it (its graph:
    ``(1 - ls) * nll_loss(log_softmax(x)) + smooth * (ls / C)``, the two terms sharing the
    log-softmax node). A captured step keeps the fused kernel (it lowers that one op)."""
    cdim = 0 if input.ndim == 1 else 1
    c = input.shape[cdim]
    logp = R.log_softmax(input, cdim)
    nll = nll_loss(logp, target, weight, ignore_index, reduction)
    ignored = _W(target._data == ignore_index)
    if weight is not None:
        smooth = -(logp * weight.reshape(_class_shape(input.ndim, c))).sum(cdim)
    else:
        smooth = -logp.sum(cdim)
    smooth = smooth.masked_fill(ignored, 0.0)
    if reduction == "mean":
        kept = ~ignored._data
        if weight is not None:
            denom = weight._data[target._data[kept].reshape(-1)].sum()
        else:
            denom = kept.sum()
        smooth = smooth.sum() / _W(np.asarray(denom, dtype=input._data.dtype))
    elif reduction == "sum":
        smooth = smooth.sum()
    return _E.add(_E.mul_scalar(nll, 1.0 - label_smoothing),
                  _E.mul_scalar(smooth, label_smoothing / c))


def _class_shape(ndim: int, c: int):
    return (c,) if ndim == 1 else (1, c) + (1,) * (ndim - 2)


def _cross_entropy_probs(input, target, weight, reduction, label_smoothing):
    cdim = 0 if input.ndim == 1 else 1
    c = input.shape[cdim]
    logp = R.log_softmax(input, cdim)
    t = target
    if label_smoothing > 0:
        t = t * (1 - label_smoothing) + label_smoothing / c
    prod = logp * t
    if weight is not None:
        prod = prod * weight.reshape(_class_shape(input.ndim, c))
    loss = -prod.sum(cdim)
    if reduction == "mean":
        n = input.numel() // c
        return _E.div_scalar(loss.sum(), n)  # torch's div.Scalar: DivBackward1
    return apply_reduction(loss, reduction)




def nll_loss(input: Tensor, target: Tensor, weight: Tensor | None = None,
             ignore_index: int = -100, reduction: str = "mean") -> Tensor:
    """``loss_i = -w[t_i] input[i, t_i]`` (input holds log-probabilities); ``'mean'`` divides by
    ``sum_i w[t_i]`` over non-ignored rows."""
    with no_grad():
        value = _nll_loss(input, target, weight, ignore_index, reduction)
    out = Tensor._wrap(value._data)
    node = record(out, NllLossBackward0, (input,))
    if node is not None:
        xd = input._data
        c = xd.shape[1] if xd.ndim >= 2 else xd.shape[0]
        t1 = target._data.reshape(-1).astype(np.int64)
        keep = t1 != ignore_index
        ts = np.where(keep, t1, 0)
        w = np.ones(c, xd.dtype) if weight is None else weight._data.astype(xd.dtype)
        roww = (w[ts] * keep).astype(xd.dtype)
        if reduction == "mean":
            total = float(roww.sum(dtype=np.float64))
            with np.errstate(invalid="ignore", divide="ignore"):
                # all rows ignored or of zero weight: torch's -w/0 on kept rows, 0 on ignored
                roww = (roww / total if total else np.where(keep, w[ts] / xd.dtype.type(0), 0)
                        ).astype(xd.dtype)
        coef = np.zeros((t1.shape[0], c), xd.dtype)
        coef[np.arange(t1.shape[0]), ts] = -roww
        node.save(coef=coef)
        node.in_shape, node.reduction = xd.shape, reduction
    return out


def _nll_loss(input, target, weight, ignore_index, reduction):
    """``loss_i = -w[t_i] input[i, t_i]`` (input holds log-probabilities); ``'mean'`` divides by
    ``sum_i w[t_i]`` over non-ignored rows."""
    check_reduction(reduction)
    xd, td = input._data, target._data
    if xd.ndim < 1:
        raise ValueError("Expected 1 or more dimensions (got 0)")
    _check_index_target(td)
    if xd.ndim >= 2 and (td.ndim == 0 or td.shape[0] != xd.shape[0]):
        raise ValueError(
            f"Expected input batch_size ({xd.shape[0]}) to match target batch_size "
            f"({td.shape[0] if td.ndim else 1})."
        )
    c = xd.shape[1] if xd.ndim >= 2 else xd.shape[0]
    x2 = _to_class_last_t(input)
    t1 = td.reshape(-1).astype(np.int64)
    keep = t1 != ignore_index
    bad = keep & ((t1 < 0) | (t1 >= c))
    if bad.any():
        raise IndexError(f"Target {t1[bad][0]} is out of bounds.")
    ts = np.where(keep, t1, 0)
    w = np.ones(c, xd.dtype) if weight is None else weight._data.astype(xd.dtype)
    roww = (w[ts] * keep).astype(xd.dtype)
    picked = x2.gather(1, Tensor._wrap(ts.reshape(-1, 1))).reshape(-1)
    loss = -(picked * Tensor._wrap(roww))
    if reduction == "none":
        return loss.reshape(td.shape)
    if reduction == "sum":
        return loss.sum()
    total = float(roww.sum(dtype=np.float64))
    if total == 0.0:
        # torch: the loss is 0/0 = nan, yet ignored rows get a zero gradient (only kept rows
        # of zero weight get -0/0 = nan), so the division must not reach the ignored rows
        with np.errstate(invalid="ignore", divide="ignore"):
            coef = np.where(keep, w[ts] / xd.dtype.type(0), 0).astype(xd.dtype)
        return -(picked * Tensor._wrap(coef)).sum() + float("nan")
    return loss.sum() / total


def _broadcast_pair(input, target, name):
    if target.shape != input.shape:
        _check_same_size_warn(input, target, name)
    try:
        np.broadcast_shapes(input.shape, target.shape)
    except ValueError:
        raise RuntimeError(
            f"The size of tensor a ({input.shape[-1] if input.ndim else 1}) must match the size "
            f"of tensor b ({target.shape[-1] if target.ndim else 1}) at non-singleton dimension"
            f" {max(input.ndim, target.ndim) - 1}"
        ) from None


def mse_loss(input: Tensor, target: Tensor, reduction: str = "mean", weight=None) -> Tensor:
    """``(x - y)^2``, reduced."""
    check_reduction(reduction)
    _broadcast_pair(input, target, "mse_loss")
    with no_grad():
        d = input - target
        out = apply_reduction(d * d, reduction)
    return named_loss(out, MseLossBackward0, reduction, d.shape, (input, target))


def l1_loss(input: Tensor, target: Tensor, reduction: str = "mean") -> Tensor:
    """``|x - y|``, reduced."""
    check_reduction(reduction)
    _broadcast_pair(input, target, "l1_loss")
    return apply_reduction((input - target).abs(), reduction)


def smooth_l1_loss(input: Tensor, target: Tensor, reduction: str = "mean", beta: float = 1.0) -> Tensor:
    """``0.5 d^2 / beta`` where ``|d| < beta``, else ``|d| - 0.5 beta`` (``d = x - y``)."""
    check_reduction(reduction)
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    _broadcast_pair(input, target, "smooth_l1_loss")
    if beta == 0.0:  # torch falls back to l1_loss's composite (MeanBackward0 ...)
        return apply_reduction((input - target).abs(), reduction)
    with no_grad():
        d = input - target
        ad = d.abs()
        quad = d * d * (0.5 / beta)
        lin = ad - 0.5 * beta
        out = apply_reduction(_E.where(ad < beta, quad, lin), reduction)
    return named_loss(out, SmoothL1LossBackward0, reduction, d.shape, (input, target),
                         beta=beta)


def huber_loss(input: Tensor, target: Tensor, reduction: str = "mean",
               delta: float = 1.0, weight=None) -> Tensor:
    """``0.5 d^2`` where ``|d| <= delta``, else ``delta (|d| - 0.5 delta)``."""
    check_reduction(reduction)
    if delta <= 0:
        raise RuntimeError("huber_loss does not support non-positive values for delta.")
    _broadcast_pair(input, target, "huber_loss")
    with no_grad():
        d = input - target
        ad = d.abs()
        quad = d * d * 0.5
        lin = (ad - 0.5 * delta) * delta
        out = apply_reduction(_E.where(ad <= delta, quad, lin), reduction)
    return named_loss(out, HuberLossBackward0, reduction, d.shape, (input, target),
                         delta=delta)


def binary_cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None, reduction: str = "mean") -> Tensor:
    """``-w (y log x + (1 - y) log(1 - x))`` with the logs clamped at -100, as PyTorch."""
    check_reduction(reduction)
    if target.shape != input.shape:
        raise ValueError(
            f"Using a target size ({target.shape}) that is different to the input size "
            f"({input.shape}) is deprecated. Please ensure they have the same size."
        )
    xd = input._data
    if xd.size and (np.nanmin(xd) < 0 or np.nanmax(xd) > 1):
        raise RuntimeError("all elements of input should be between 0 and 1")
    with no_grad():
        log_x = input.log().clamp_min(-100.0)
        log_1mx = (1 - input).log().clamp_min(-100.0)
        loss = -(target * log_x + (1 - target) * log_1mx)
        if weight is not None:
            loss = loss * weight
        out = apply_reduction(loss, reduction)
    return named_loss(out, BinaryCrossEntropyBackward0, reduction, loss.shape,
                      (input, target, weight), edges=2)


def binary_cross_entropy_with_logits(input: Tensor, target: Tensor,
                                     weight: Tensor | None = None, reduction: str = "mean",
                                     pos_weight: Tensor | None = None) -> Tensor:
    """``-w [p y log s(x) + (1 - y) log(1 - s(x))]`` computed stably from the logits ``x``
    (``p``: ``pos_weight``): ``(1 - y) x + (1 + (p - 1) y) softplus(-x)``."""
    check_reduction(reduction)
    if target.shape != input.shape:
        raise ValueError(
            f"Target size ({target.shape}) must be the same as input size ({input.shape})"
        )
    # log(1 + exp(-x)) = -log_sigmoid(x) = log1p(exp(-|x|)) - min(x, 0): no overflow
    # (PyTorch's formula); one smooth op, so the gradient at x = 0 is sigmoid(0) - y
    with no_grad():
        sp_neg = -log_sigmoid(input)
        if pos_weight is not None:
            lw = (pos_weight - 1) * target + 1
            loss = (1 - target) * input + lw * sp_neg
        else:
            loss = (1 - target) * input + sp_neg
        if weight is not None:
            loss = loss * weight
        out = apply_reduction(loss, reduction)
    return named_loss(out, BinaryCrossEntropyWithLogitsBackward0, reduction, loss.shape,
                      (input, target, weight, pos_weight), edges=2)


def kl_div(input: Tensor, target: Tensor, reduction: str = "mean",
           log_target: bool = False) -> Tensor:
    """``target * (log(target) - input)`` (``input`` holds log-probabilities); 0 where target
    is 0. ``reduction='batchmean'`` divides the sum by the batch size, as the math wants."""
    if log_target:
        loss = _E.exp(target) * (target - input)
    else:
        # torch's formula: 0 where target == 0, NaN for a negative target, gradient -target
        loss = _E.xlogy(target, target) - target * input
    if reduction == "batchmean":
        return loss.sum() / (input.shape[0] if input.dim() else 1)
    return apply_reduction(loss, reduction)
