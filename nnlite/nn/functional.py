"""``nnlite.nn.functional``: the stateless ops behind the layers, as ``torch.nn.functional``.

Example:
    >>> import nnlite.nn.functional as F
    >>> loss = F.cross_entropy(logits, labels, label_smoothing=0.1)
"""

from __future__ import annotations

import warnings

import numpy as np

from nnlite._tensor import Tensor
from nnlite.autograd.function import Node, record
from nnlite.nn import _ops
from nnlite.autograd.grad_mode import no_grad as _no_grad
from nnlite.ops import elementwise as _E
from nnlite.ops import loss as _L
from nnlite.ops import registry as _registry
from nnlite.ops.inplace import apply_inplace as _apply_inplace
from nnlite.ops import reduce as _R


_REDUCTIONS = ("none", "mean", "sum")


def _inplace(input: Tensor, op, name: str, *args) -> Tensor:
    """``inplace=True``: ``op``'s result written into ``input``, version counter bumped, graph
    rewired (a leaf that requires grad is refused), as PyTorch's in-place activations."""
    return _apply_inplace(input, op, *args, name=name)


# ---- layers -------------------------------------------------------------------------------


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """``y = x W^T + b`` (``W``: (out_features, in_features))."""
    return _ops.linear(input, weight, bias)


def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """``max(x, 0)``; with ``inplace`` the result is written into ``input`` (version bumped)."""
    if inplace:
        return _inplace(input, _ops.relu, "relu_")
    return _ops.relu(input)


def relu_(input: Tensor) -> Tensor:
    return input.relu_()


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """``x if x > 0 else negative_slope * x``."""
    if inplace:
        return _inplace(input, _ops.leaky_relu, "leaky_relu_", negative_slope)
    return _ops.leaky_relu(input, negative_slope)


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """``x if x > 0 else alpha * (exp(x) - 1)``."""
    if inplace:
        return _inplace(input, _ops.elu, "elu_", alpha)
    return _ops.elu(input, alpha)


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """``x * Phi(x)`` with the exact normal CDF (erf), or its tanh approximation."""
    return _ops.gelu(input, approximate)


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    """``x * sigmoid(x)``."""
    if inplace:
        return _inplace(input, _ops.silu, "silu_")
    return _ops.silu(input)


def sigmoid(input: Tensor) -> Tensor:
    return _E.sigmoid(input)


def tanh(input: Tensor) -> Tensor:
    return _E.tanh(input)


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """``log(1 + exp(beta x)) / beta``, and ``x`` itself where ``beta x > threshold``."""
    return _ops.softplus(input, beta, threshold)


def logsigmoid(input: Tensor) -> Tensor:
    return _ops.log_sigmoid(input)


def relu6(input: Tensor, inplace: bool = False) -> Tensor:
    """``min(max(x, 0), 6)``."""
    return hardtanh(input, 0.0, 6.0, inplace)


def hardtanh(input: Tensor, min_val: float = -1.0, max_val: float = 1.0,
             inplace: bool = False) -> Tensor:
    """``clamp(x, min_val, max_val)``; zero gradient at the bounds (as torch)."""
    if inplace:
        return _inplace(input, _ops.hardtanh, "hardtanh_", min_val, max_val)
    return _ops.hardtanh(input, min_val, max_val)


def _softmax_dim_warn(dim, ndim):
    if dim is None:
        warnings.warn(
            "Implicit dimension choice for softmax has been deprecated. Change the call to "
            "include dim=X as an argument.", stacklevel=3,
        )


def softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype=None) -> Tensor:
    """``exp(x_i) / sum_j exp(x_j)`` along ``dim`` (max-shifted: no overflow)."""
    _softmax_dim_warn(dim, input.ndim)
    return _R.softmax(input, dim, dtype=dtype)


def log_softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3,
                dtype=None) -> Tensor:
    """``x_i - log(sum_j exp(x_j))`` along ``dim``."""
    _softmax_dim_warn(dim, input.ndim)
    return _R.log_softmax(input, dim, dtype=dtype)


def dropout(input: Tensor, p: float = 0.5, training: bool = True,
            inplace: bool = False) -> Tensor:
    """Zero elements with probability ``p`` (from nnlite's seeded generator), scale the rest by
    ``1/(1-p)``; identity when not ``training``."""
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if inplace and training and p > 0:
        return _inplace(input, _ops.dropout, "dropout_", p, training)
    return _ops.dropout(input, p, training)


def batch_norm(input: Tensor, running_mean: Tensor | None, running_var: Tensor | None,
               weight: Tensor | None = None, bias: Tensor | None = None,
               training: bool = False, momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Batch normalisation (see :class:`nnlite.nn.BatchNorm1d`)."""
    return _ops.batch_norm(input, running_mean, running_var, weight, bias, training,
                           momentum, eps)


def layer_norm(input: Tensor, normalized_shape, weight: Tensor | None = None,
               bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    """Layer normalisation over the trailing ``normalized_shape`` dims."""
    return _ops.layer_norm(input, normalized_shape, weight, bias, eps)


def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """int64 one-hot encoding with a new last dim of size ``num_classes``."""
    td = tensor._data
    if td.dtype.kind not in "iu":
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    if num_classes == -1:
        num_classes = int(td.max()) + 1 if td.size else 0
    if td.size and (td.min() < 0 or td.max() >= num_classes):
        raise RuntimeError("Class values must be smaller than num_classes.")
    return Tensor._wrap(np.eye(num_classes, dtype=np.int64)[td])


def normalize(input: Tensor, p: float = 2.0, dim: int = 1, eps: float = 1e-12) -> Tensor:
    """``x / max(||x||_p, eps)`` along ``dim``."""
    n = input.norm(p, dim, keepdim=True).clamp_min(eps)
    return input / n.expand_as(input)


# ---- losses -------------------------------------------------------------------------------


def _legacy_reduction(size_average, reduce, reduction):
    if size_average is None and reduce is None:
        return reduction
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    if not reduce:
        return "none"
    return "mean" if size_average else "sum"


def _reduce(loss: Tensor, reduction: str) -> Tensor:
    if reduction == "none":
        return loss
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    raise ValueError(f"{reduction} is not a valid value for reduction")


def _check_reduction(reduction: str) -> None:
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
                  size_average=None, ignore_index: int = -100, reduce=None,
                  reduction: str = "mean", label_smoothing: float = 0.0) -> Tensor:
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
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(
            f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}"
        )
    if input.ndim == 0:
        raise ValueError("Expected input to have at least 1 dimension, got 0")
    if target._data.dtype.kind == "f":
        if target.shape != input.shape:
            raise RuntimeError(
                f"Expected floating point type for target with class probabilities, got "
                f"{target.dtype}" if target._data.dtype.kind != "f" else
                f"expected scalar type Long but found "
                f"{_ops._NAMES.get(target._data.dtype.name, target._data.dtype.name)}"
            )
        return _cross_entropy_probs(input, target, weight, reduction, label_smoothing)
    return _ops.cross_entropy_indices(input, target, weight, ignore_index, reduction,
                                      label_smoothing)


def _class_shape(ndim: int, c: int):
    return (c,) if ndim == 1 else (1, c) + (1,) * (ndim - 2)


def _cross_entropy_probs(input, target, weight, reduction, label_smoothing):
    cdim = 0 if input.ndim == 1 else 1
    c = input.shape[cdim]
    logp = _R.log_softmax(input, cdim)
    t = target
    if label_smoothing > 0:
        t = t * (1 - label_smoothing) + label_smoothing / c
    prod = logp * t
    if weight is not None:
        prod = prod * weight.reshape(_class_shape(input.ndim, c))
    loss = -prod.sum(cdim)
    if reduction == "mean":
        n = input.numel() // c
        return loss.sum() / n
    return _reduce(loss, reduction)


class _NllLossName(Node):
    """Identity node that gives the composite NLL loss PyTorch's ``grad_fn`` name."""

    def backward(self, g):
        return (g,)


_NllLossName.__name__ = "NllLossBackward0"


def _nll_named(t: Tensor) -> Tensor:
    out = Tensor._wrap(t._data)
    record(out, _NllLossName, (t,))
    return out


def nll_loss(input: Tensor, target: Tensor, weight: Tensor | None = None, size_average=None,
             ignore_index: int = -100, reduce=None, reduction: str = "mean") -> Tensor:
    reduction = _legacy_reduction(size_average, reduce, reduction)
    return _nll_named(_nll_loss(input, target, weight, ignore_index, reduction))


def _nll_loss(input, target, weight, ignore_index, reduction):
    """``loss_i = -w[t_i] input[i, t_i]`` (input holds log-probabilities); ``'mean'`` divides by
    ``sum_i w[t_i]`` over non-ignored rows."""
    _check_reduction(reduction)
    xd, td = input._data, target._data
    if xd.ndim < 1:
        raise ValueError("Expected 1 or more dimensions (got 0)")
    if td.dtype.kind not in "iu":
        raise RuntimeError(
            f"expected scalar type Long but found "
            f"{_ops._NAMES.get(td.dtype.name, td.dtype.name)}"
        )
    if xd.ndim >= 2 and (td.ndim == 0 or td.shape[0] != xd.shape[0]):
        raise ValueError(
            f"Expected input batch_size ({xd.shape[0]}) to match target batch_size "
            f"({td.shape[0] if td.ndim else 1})."
        )
    c = xd.shape[1] if xd.ndim >= 2 else xd.shape[0]
    x2 = _ops._to_class_last_t(input)
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


def mse_loss(input: Tensor, target: Tensor, size_average=None, reduce=None,
             reduction: str = "mean", weight=None) -> Tensor:
    """``(x - y)^2``, reduced."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    _broadcast_pair(input, target, "mse_loss")
    with _no_grad():
        d = input - target
        out = _reduce(d * d, reduction)
    return _L.named_loss(out, _L.MseLossBackward0, reduction, d.shape, (input, target))


def l1_loss(input: Tensor, target: Tensor, size_average=None, reduce=None,
            reduction: str = "mean") -> Tensor:
    """``|x - y|``, reduced."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    _broadcast_pair(input, target, "l1_loss")
    return _reduce((input - target).abs(), reduction)


def smooth_l1_loss(input: Tensor, target: Tensor, size_average=None, reduce=None,
                   reduction: str = "mean", beta: float = 1.0) -> Tensor:
    """``0.5 d^2 / beta`` where ``|d| < beta``, else ``|d| - 0.5 beta`` (``d = x - y``)."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    _broadcast_pair(input, target, "smooth_l1_loss")
    if beta == 0.0:  # torch falls back to l1_loss's composite (MeanBackward0 ...)
        return _reduce((input - target).abs(), reduction)
    with _no_grad():
        d = input - target
        ad = d.abs()
        quad = d * d * (0.5 / beta)
        lin = ad - 0.5 * beta
        out = _reduce(_E.where(ad < beta, quad, lin), reduction)
    return _L.named_loss(out, _L.SmoothL1LossBackward0, reduction, d.shape, (input, target),
                         beta=beta)


def huber_loss(input: Tensor, target: Tensor, reduction: str = "mean",
               delta: float = 1.0, weight=None) -> Tensor:
    """``0.5 d^2`` where ``|d| <= delta``, else ``delta (|d| - 0.5 delta)``."""
    _check_reduction(reduction)
    if delta <= 0:
        raise RuntimeError("huber_loss does not support non-positive values for delta.")
    _broadcast_pair(input, target, "huber_loss")
    with _no_grad():
        d = input - target
        ad = d.abs()
        quad = d * d * 0.5
        lin = (ad - 0.5 * delta) * delta
        out = _reduce(_E.where(ad <= delta, quad, lin), reduction)
    return _L.named_loss(out, _L.HuberLossBackward0, reduction, d.shape, (input, target),
                         delta=delta)


def binary_cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None,
                         size_average=None, reduce=None, reduction: str = "mean") -> Tensor:
    """``-w (y log x + (1 - y) log(1 - x))`` with the logs clamped at -100, as PyTorch."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    if target.shape != input.shape:
        raise ValueError(
            f"Using a target size ({target.shape}) that is different to the input size "
            f"({input.shape}) is deprecated. Please ensure they have the same size."
        )
    xd = input._data
    if xd.size and (np.nanmin(xd) < 0 or np.nanmax(xd) > 1):
        raise RuntimeError("all elements of input should be between 0 and 1")
    with _no_grad():
        log_x = input.log().clamp_min(-100.0)
        log_1mx = (1 - input).log().clamp_min(-100.0)
        loss = -(target * log_x + (1 - target) * log_1mx)
        if weight is not None:
            loss = loss * weight
        out = _reduce(loss, reduction)
    return _L.named_loss(out, _L.BinaryCrossEntropyBackward0, reduction, loss.shape,
                         (input, target, weight))


def binary_cross_entropy_with_logits(input: Tensor, target: Tensor,
                                     weight: Tensor | None = None, size_average=None,
                                     reduce=None, reduction: str = "mean",
                                     pos_weight: Tensor | None = None) -> Tensor:
    """``-w [p y log s(x) + (1 - y) log(1 - s(x))]`` computed stably from the logits ``x``
    (``p``: ``pos_weight``): ``(1 - y) x + (1 + (p - 1) y) softplus(-x)``."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    if target.shape != input.shape:
        raise ValueError(
            f"Target size ({target.shape}) must be the same as input size ({input.shape})"
        )
    # log(1 + exp(-x)) = -log_sigmoid(x) = log1p(exp(-|x|)) - min(x, 0): no overflow
    # (PyTorch's formula); one smooth op, so the gradient at x = 0 is sigmoid(0) - y
    with _no_grad():
        sp_neg = -_ops.log_sigmoid(input)
        if pos_weight is not None:
            lw = (pos_weight - 1) * target + 1
            loss = (1 - target) * input + lw * sp_neg
        else:
            loss = (1 - target) * input + sp_neg
        if weight is not None:
            loss = loss * weight
        out = _reduce(loss, reduction)
    return _L.named_loss(out, _L.BinaryCrossEntropyWithLogitsBackward0, reduction, loss.shape,
                         (input, target, weight, pos_weight))


# ---- more activations, composed from differentiable ops ----------------------------------------


def mish(input: Tensor, inplace: bool = False) -> Tensor:
    """``x * tanh(softplus(x))``."""
    if inplace:
        return _inplace(input, _ops.mish, "mish_")
    return _ops.mish(input)


def hardswish(input: Tensor, inplace: bool = False) -> Tensor:
    """``x * relu6(x + 3) / 6``."""
    if inplace:
        return _inplace(input, _ops.hardswish, "hardswish_")
    return _ops.hardswish(input)


def hardsigmoid(input: Tensor, inplace: bool = False) -> Tensor:
    """``relu6(x + 3) / 6``."""
    if inplace:
        return _inplace(input, _ops.hardsigmoid, "hardsigmoid_")
    return _ops.hardsigmoid(input)


def softsign(input: Tensor) -> Tensor:
    """``x / (1 + |x|)``."""
    return input / (input.abs() + 1.0)


def tanhshrink(input: Tensor) -> Tensor:
    return input - _E.tanh(input)


def selu(input: Tensor, inplace: bool = False) -> Tensor:
    """``scale * elu(x, alpha)`` with the self-normalising constants."""
    if inplace:
        return _inplace(input, _ops.selu, "selu_")
    return _ops.selu(input)


def celu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """``max(0, x) + min(0, alpha * (exp(x / alpha) - 1))``."""
    if inplace:
        return _inplace(input, _ops.celu, "celu_", alpha)
    return _ops.celu(input, alpha)


def glu(input: Tensor, dim: int = -1) -> Tensor:
    """``a * sigmoid(b)`` where ``a, b`` are the two halves of ``input`` along ``dim``."""
    if input.shape[dim] % 2:
        raise RuntimeError(
            f"glu: Halving dimension must be even, but dimension {dim % input.dim()} is size "
            f"{input.shape[dim]}"
        )
    a, b = input.chunk(2, dim)
    return a * _E.sigmoid(b)


def softmin(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype=None) -> Tensor:
    return softmax(-input, dim, dtype=dtype)


def prelu(input: Tensor, weight: Tensor) -> Tensor:
    """``max(0, x) + weight * min(0, x)``, ``weight`` per channel (dim 1) or shared."""
    return _ops.prelu(input, weight)


def kl_div(input: Tensor, target: Tensor, size_average=None, reduce=None,
           reduction: str = "mean", log_target: bool = False) -> Tensor:
    """``target * (log(target) - input)`` (``input`` holds log-probabilities); 0 where target
    is 0. ``reduction='batchmean'`` divides the sum by the batch size, as the math wants."""
    if size_average is not None or reduce is not None:
        reduction = _legacy_reduction(size_average, reduce, reduction)
    if log_target:
        loss = _E.exp(target) * (target - input)
    else:
        # torch's formula: 0 where target == 0, NaN for a negative target, gradient -target
        from nnlite.ops.composites import xlogy

        loss = xlogy(target, target) - target * input
    if reduction == "batchmean":
        return loss.sum() / (input.shape[0] if input.dim() else 1)
    return _reduce(loss, reduction)




from nnlite.nn.distance import cosine_similarity, pairwise_distance  # noqa: E402,F401
from nnlite.nn.padding import pad  # noqa: E402,F401


# ---- convolution, pooling, embedding (nnlite/nn/_conv_ops.py) ---------------------------------
from nnlite.nn import _conv_ops as _C  # noqa: E402


def conv1d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0,
           dilation=1, groups: int = 1) -> Tensor:
    """1-D cross-correlation of (N, C_in, L) with weight (C_out, C_in/groups, K);
    ``padding`` may be an int or 'same'/'valid'."""
    return _C.conv(1, input, weight, bias, stride, padding, dilation, groups)


def conv2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0,
           dilation=1, groups: int = 1) -> Tensor:
    """2-D cross-correlation of (N, C_in, H, W) with weight (C_out, C_in/groups, kH, kW)
    (im2col + BLAS); ``padding`` may be an int, a pair or 'same'/'valid'."""
    return _C.conv(2, input, weight, bias, stride, padding, dilation, groups)


def max_pool1d(input: Tensor, kernel_size, stride=None, padding=0, dilation=1,
               ceil_mode: bool = False, return_indices: bool = False):
    return _C.max_pool(1, input, kernel_size, stride, padding, dilation, ceil_mode,
                       return_indices)


def max_pool2d(input: Tensor, kernel_size, stride=None, padding=0, dilation=1,
               ceil_mode: bool = False, return_indices: bool = False):
    """Max over (kH, kW) windows; with ``return_indices`` also the flat argmax in each plane."""
    return _C.max_pool(2, input, kernel_size, stride, padding, dilation, ceil_mode,
                       return_indices)


def max_pool2d_with_indices(input: Tensor, kernel_size, stride=None, padding=0, dilation=1,
                            ceil_mode: bool = False, return_indices: bool = True):
    return _C.max_pool(2, input, kernel_size, stride, padding, dilation, ceil_mode, True)


def avg_pool1d(input: Tensor, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
               count_include_pad: bool = True) -> Tensor:
    return _C.avg_pool(1, input, kernel_size, stride, padding, ceil_mode, count_include_pad)


def avg_pool2d(input: Tensor, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
               count_include_pad: bool = True, divisor_override=None) -> Tensor:
    """Mean over (kH, kW) windows; zero padding counts in the divisor by default."""
    return _C.avg_pool(2, input, kernel_size, stride, padding, ceil_mode, count_include_pad,
                       divisor_override)


def adaptive_avg_pool2d(input: Tensor, output_size) -> Tensor:
    """Average into an (oH, oW) output with PyTorch's adaptive windows."""
    return _C.adaptive_avg_pool2d(input, output_size)


def embedding(input: Tensor, weight: Tensor, padding_idx=None, max_norm=None,
              norm_type: float = 2.0, scale_grad_by_freq: bool = False,
              sparse: bool = False) -> Tensor:
    """Rows ``weight[input]``; the ``padding_idx`` row gets no gradient."""
    return _C.embedding(input, weight, padding_idx, max_norm, norm_type, scale_grad_by_freq,
                        sparse)




from nnlite.nn._functional_composites import *  # noqa: E402,F401,F403


from nnlite.nn.groupnorm import group_norm, instance_norm  # noqa: E402,F401



def conv_transpose1d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1,
                     padding=0, output_padding=0, groups: int = 1, dilation=1) -> Tensor:
    """1-D transposed convolution, weight (C_in, C_out/groups, K) (see ConvTranspose1d)."""
    return _C.conv_transpose(1, input, weight, bias, stride, padding, output_padding, groups,
                             dilation)


def conv_transpose2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1,
                     padding=0, output_padding=0, groups: int = 1, dilation=1) -> Tensor:
    """2-D transposed convolution, weight (C_in, C_out/groups, KH, KW) (see ConvTranspose2d)."""
    return _C.conv_transpose(2, input, weight, bias, stride, padding, output_padding, groups,
                             dilation)



from nnlite.nn.upsample import (  # noqa: E402,F401
    adaptive_avg_pool1d,
    adaptive_max_pool1d,
    adaptive_max_pool2d,
    interpolate,
    pixel_shuffle,
    pixel_unshuffle,
)


from nnlite.nn.attention import scaled_dot_product_attention  # noqa: E402,F401

# generated from the op registry: a function without a row is not public (a test checks both ways)
__all__ = _registry.public_names("F")  # noqa: PLE0605
