"""More of ``torch.nn.functional``: shrink/threshold activations, ``bilinear``, channel dropout,
``pdist`` and the margin/embedding/likelihood losses, composed from differentiable ops.

Re-exported by :mod:`nnlite.nn.functional`; the formulas follow PyTorch's reference
implementations so values and gradients agree.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from nnlite._tensor import Tensor
from nnlite.nn.distance import pairwise_distance
from nnlite.ops import elementwise as _E

__all__ = [
    "bilinear",
    "cosine_embedding_loss",
    "dropout1d",
    "dropout2d",
    "dropout3d",
    "gaussian_nll_loss",
    "hardshrink",
    "hinge_embedding_loss",
    "margin_ranking_loss",
    "multi_margin_loss",
    "multilabel_soft_margin_loss",
    "pdist",
    "poisson_nll_loss",
    "soft_margin_loss",
    "softshrink",
    "threshold",
    "threshold_",
    "triplet_margin_loss",
]


def _reduction(size_average, reduce, reduction):
    from nnlite.nn.functional import _legacy_reduction

    return _legacy_reduction(size_average, reduce, reduction)


def _reduce(loss: Tensor, reduction: str) -> Tensor:
    from nnlite.nn.functional import _reduce as reduce_

    return reduce_(loss, reduction)


def _no_grad_arg(t, fn: str, arg: str) -> None:
    if isinstance(t, Tensor) and t.requires_grad:
        raise RuntimeError(
            f"The function '{fn}' is not differentiable with respect to argument '{arg}'. This "
            "input cannot have requires_grad True."
        )


def _zero(like: Tensor) -> Tensor:
    return _E.zeros_like(like)


# ---- activations ----------------------------------------------------------------------------


def threshold(input: Tensor, threshold: float, value: float, inplace: bool = False) -> Tensor:
    """``x`` where ``x > threshold``, else ``value`` (a NaN input stays NaN, as torch)."""
    out = _E.where(input <= threshold, _E.full_like(input, value), input)
    return input.copy_(out) if inplace else out


def threshold_(input: Tensor, threshold: float, value: float) -> Tensor:
    return globals()["threshold"](input, threshold, value, inplace=True)


def hardshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """``x`` where ``|x| > lambd``, else 0 (a NaN input stays NaN, as torch)."""
    return _E.where((input >= -lambd) & (input <= lambd), _zero(input), input)


def softshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """``x - lambd`` above ``lambd``, ``x + lambd`` below ``-lambd``, else 0."""
    if lambd < 0:
        raise RuntimeError(f"lambda must be greater or equal to 0, but found to be {lambd}.")
    z = _zero(input)
    # torch's tests: 0 inside [-lambd, lambd]; NaN falls through to x + lambd (stays NaN)
    inside = (input >= -lambd) & (input <= lambd)
    return _E.where(inside, z, _E.where(input > lambd, input - lambd, input + lambd))


# ---- layers ---------------------------------------------------------------------------------


def bilinear(input1: Tensor, input2: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """``y_k = x1^T W_k x2 + b_k`` (``weight``: (out, in1, in2)), over leading batch dims."""
    out_f, in1, in2 = weight.shape
    if input1.shape[-1] != in1 or input2.shape[-1] != in2:
        raise RuntimeError(
            f"bilinear(): input sizes {input1.shape[-1]}, {input2.shape[-1]} do not match the "
            f"weight {list(weight.shape)}"
        )
    w = weight.permute(1, 0, 2).reshape(in1, out_f * in2)
    t = (input1 @ w).reshape(*input1.shape[:-1], out_f, in2)
    y = (t * input2.unsqueeze(-2)).sum(-1)
    return y + bias if bias is not None else y


def _feature_dropout(input: Tensor, p: float, training: bool, inplace: bool, batched: bool,
                     name: str) -> Tensor:
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0.0 or input.numel() == 0:
        return input
    if p == 1.0:
        out = input * _E.zeros_like(input)
        return input.copy_(out) if inplace else out
    # torch: noise of shape (N, C, 1, ...) drawn by bernoulli_(1 - p), divided by 1 - p
    sh = input.shape
    noise_shape = (sh[0], sh[1]) + (1,) * (len(sh) - 2) if batched else (sh[0],) + (1,) * (
        len(sh) - 1)
    from nnlite.ops.creation import empty

    noise = empty(noise_shape, dtype=input.dtype).bernoulli_(1.0 - p)
    noise.div_(1.0 - p)
    out = input * noise
    return input.copy_(out) if inplace else out


def dropout1d(input: Tensor, p: float = 0.5, training: bool = True,
              inplace: bool = False) -> Tensor:
    """Zero whole channels of (N, C, L) or (C, L) input with probability ``p``."""
    if input.ndim not in (2, 3):
        raise RuntimeError(
            f"dropout1d: Expected 2D or 3D input, but received a {input.ndim}D input. Note that "
            "dropout1d exists to provide channel-wise dropout on inputs with 1 spatial "
            "dimension, a channel dimension, and an optional batch dimension (i.e. 2D or 3D "
            "inputs)."
        )
    return _feature_dropout(input, p, training, inplace, input.ndim == 3, "dropout1d")


def dropout2d(input: Tensor, p: float = 0.5, training: bool = True,
              inplace: bool = False) -> Tensor:
    """Zero whole channels of (N, C, H, W) input with probability ``p`` (a 3-D input is read as
    (N, C, L), as PyTorch still does, with its warning)."""
    if input.ndim not in (3, 4):
        warnings.warn(
            f"dropout2d: Received a {input.ndim}-D input to dropout2d, which is deprecated and "
            "will result in an error in a future release. To retain the behavior and silence "
            "this warning, please use dropout instead. Note that dropout2d exists to provide "
            "channel-wise dropout on inputs with 2 spatial dimensions, a channel dimension, and "
            "an optional batch dimension (i.e. 3D or 4D inputs).", stacklevel=2,
        )
    if input.ndim == 3:
        warnings.warn(
            "dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D "
            "dropout behavior is desired - input is interpreted as shape (N, C, L), where C is "
            "the channel dim. This behavior will change in a future release to interpret the "
            "input as one without a batch dimension, i.e. shape (C, H, W). To maintain the 1D "
            "channel-wise dropout behavior, please switch to using dropout1d instead.",
            stacklevel=2,
        )
    return _feature_dropout(input, p, training, inplace, True, "dropout2d")


def dropout3d(input: Tensor, p: float = 0.5, training: bool = True,
              inplace: bool = False) -> Tensor:
    return _feature_dropout(input, p, training, inplace, input.ndim == 5, "dropout3d")


def pdist(input: Tensor, p: float = 2.0) -> Tensor:
    """``p``-norm distances between all pairs of rows ``i < j``, in row-major order."""
    if input.ndim != 2:
        raise RuntimeError(f"pdist only supports 2D tensors, got: {input.ndim}D")
    n = input.shape[0]
    i, j = np.triu_indices(n, 1)
    return (input[i] - input[j]).norm(p=p, dim=-1)


# ---- losses ---------------------------------------------------------------------------------


def margin_ranking_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0.0,
                        size_average=None, reduce=None, reduction: str = "mean") -> Tensor:
    """``max(0, -y (x1 - x2) + margin)``."""
    reduction = _reduction(size_average, reduce, reduction)
    if not (input1.ndim == input2.ndim == target.ndim):
        raise RuntimeError(
            f"margin_ranking_loss : All input tensors should have same dimension but got sizes: "
            f"input1: {input1.shape}, input2: {input2.shape}, target: {target.shape} "
        )
    loss = _E.clamp_min(-target * (input1 - input2) + margin, 0)
    return _reduce(loss, reduction)


def hinge_embedding_loss(input: Tensor, target: Tensor, margin: float = 1.0, size_average=None,
                         reduce=None, reduction: str = "mean") -> Tensor:
    """``x`` where ``y == 1``, ``max(0, margin - x)`` where ``y == -1``."""
    reduction = _reduction(size_average, reduce, reduction)
    z = _zero(input)
    margin_clamp = _E.clamp_min(margin - input, 0)
    loss = _E.where(target != 1, margin_clamp, z) + _E.where(target != -1, input, z)
    return _reduce(loss, reduction)


def soft_margin_loss(input: Tensor, target: Tensor, size_average=None, reduce=None,
                     reduction: str = "mean") -> Tensor:
    """``log(1 + exp(-y x))``."""
    reduction = _reduction(size_average, reduce, reduction)
    _no_grad_arg(target, "soft_margin_loss", "target")
    from nnlite.autograd.grad_mode import no_grad
    from nnlite.ops import loss as L

    with no_grad():
        loss = _E.log1p(_E.exp(-target * input))
        out = _reduce(loss, reduction)
    return L.named_loss(out, L.SoftMarginLossBackward0, reduction, loss.shape, (input, target))


def multilabel_soft_margin_loss(input: Tensor, target: Tensor, weight: Tensor | None = None,
                                size_average=None, reduce=None,
                                reduction: str = "mean") -> Tensor:
    """Per-sample mean over classes of the binary logistic loss."""
    from nnlite.nn.functional import logsigmoid

    reduction = _reduction(size_average, reduce, reduction)
    loss = -(target * logsigmoid(input) + (1 - target) * logsigmoid(-input))
    if weight is not None:
        loss = loss * weight
    loss = loss.sum(dim=input.ndim - 1) / input.shape[-1]
    return _reduce(loss, reduction)


def cosine_embedding_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0.0,
                          size_average=None, reduce=None, reduction: str = "mean") -> Tensor:
    """``1 - cos(x1, x2)`` where ``y == 1``, ``max(0, cos(x1, x2) - margin)`` where ``y == -1``."""
    reduction = _reduction(size_average, reduce, reduction)
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
    return _reduce(pos + neg, reduction)


def poisson_nll_loss(input: Tensor, target: Tensor, log_input: bool = True, full: bool = False,
                     size_average=None, eps: float = 1e-8, reduce=None,
                     reduction: str = "mean") -> Tensor:
    """Negative log-likelihood of ``target`` under Poisson(``exp(input)`` or ``input``)."""
    reduction = _reduction(size_average, reduce, reduction)
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    if log_input:
        loss = _E.exp(input) - target * input
    else:
        loss = input - target * _E.log(input + eps)
    if full:
        stirling = target * _E.log(target) - target + 0.5 * _E.log(2 * math.pi * target)
        loss = loss + _E.where(target > 1, stirling, _zero(stirling))
    return _reduce(loss, reduction)


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
    return _reduce(loss, reduction)


def triplet_margin_loss(anchor: Tensor, positive: Tensor, negative: Tensor, margin: float = 1.0,
                        p: float = 2, eps: float = 1e-6, swap: bool = False, size_average=None,
                        reduce=None, reduction: str = "mean") -> Tensor:
    """``max(d(a, p) - d(a, n) + margin, 0)`` with ``d`` the pairwise ``p``-distance."""
    reduction = _reduction(size_average, reduce, reduction)
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
    return _reduce(loss, reduction)


def multi_margin_loss(input: Tensor, target: Tensor, p: int = 1, margin: float = 1.0,
                      weight: Tensor | None = None, size_average=None, reduce=None,
                      reduction: str = "mean") -> Tensor:
    """``sum_{j != y} max(0, margin - x[y] + x[j])^p / C`` per sample (weighted by ``w[y]``)."""
    reduction = _reduction(size_average, reduce, reduction)
    if p not in (1, 2):
        raise ValueError("only p == 1 and p == 2 supported")
    _no_grad_arg(weight, "multi_margin_loss", "weight")
    x = input if input.ndim == 2 else input.reshape(1, -1)
    y = target.reshape(-1, 1)
    c = x.shape[1]
    xy = x.gather(1, y)
    z = _E.clamp_min(margin - xy + x, 0)
    if p == 2:
        z = z * z
    if weight is not None:
        z = z * weight[target.reshape(-1)].reshape(-1, 1)
    not_target = Tensor._wrap(np.arange(c)[None, :] != y.numpy())
    loss = _E.where(not_target, z, _zero(z)).sum(1) / c
    if input.ndim < 2:
        loss = loss.reshape(())
    return _reduce(loss, reduction)
