"""``nnlite.nn.functional``: the stateless ops behind the layers, as ``torch.nn.functional``.

A facade: each function takes PyTorch's arguments (``inplace=``, the deprecated
``size_average``/``reduce``, the implicit-``dim`` warning) and calls its op in
:mod:`nnlite.ops.nn` (or :mod:`nnlite.ops`), where the forward and its node live.

Example:
    >>> import nnlite.nn.functional as F
    >>> loss = F.cross_entropy(logits, labels, label_smoothing=0.1)
"""

from __future__ import annotations

import warnings

from nnlite._tensor import Tensor
from nnlite.nn import _reduction as _Reduction
from nnlite.ops import registry as _registry
from nnlite.ops.nn import conv as _C
from nnlite.ops.nn import dropout as _D
from nnlite.ops.nn import embedding as _Emb
from nnlite.ops.nn import embedding_bag as _EmbBag
from nnlite.ops.nn import fractional_pool as _FP
from nnlite.ops.nn import linear as _Lin
from nnlite.ops.nn import losses as _L
from nnlite.ops.nn import multilabel_margin_loss as _MLM
from nnlite.ops.nn import norms as _N
from nnlite.ops.nn import pool as _P
from nnlite.ops.nn.attention import scaled_dot_product_attention  # noqa: F401
from nnlite.ops.nn.conv_tbc import conv_tbc  # noqa: F401
from nnlite.ops.nn.multi_head_attention import multi_head_attention_forward  # noqa: F401
from nnlite.ops.nn.distance import cosine_similarity, pairwise_distance, pdist  # noqa: F401
from nnlite.ops.nn.functional_activations import (  # noqa: F401
    celu,
    celu_,
    elu,
    elu_,
    gelu,
    glu,
    gumbel_softmax,
    hardshrink,
    hardsigmoid,
    hardswish,
    hardtanh,
    hardtanh_,
    leaky_relu,
    leaky_relu_,
    log_softmax,
    logsigmoid,
    mish,
    prelu,
    relu,
    relu6,
    relu_,
    rrelu,
    rrelu_,
    selu,
    selu_,
    sigmoid,
    silu,
    softmax,
    softmin,
    softplus,
    softshrink,
    softsign,
    tanh,
    tanhshrink,
    threshold,
    threshold_,
)
from nnlite.ops.nn.functional_activations import (
    inplace_activation as _inplace,
)
from nnlite.ops.nn.padding import pad  # noqa: F401
from nnlite.ops.nn.alpha_dropout import alpha_dropout, feature_alpha_dropout  # noqa: F401
from nnlite.ops.nn.channel import channel_shuffle, local_response_norm  # noqa: F401
from nnlite.ops.nn.fold import fold, unfold  # noqa: F401
from nnlite.ops.nn.rms_norm import rms_norm  # noqa: F401
from nnlite.ops.nn.sampling import affine_grid, grid_sample  # noqa: F401
from nnlite.ops.nn.pool import (  # noqa: F401
    adaptive_avg_pool1d,
    adaptive_avg_pool2d,
    adaptive_max_pool1d,
    adaptive_max_pool2d,
)
from nnlite.ops.nn.upsample import interpolate, pixel_shuffle, pixel_unshuffle  # noqa: F401
from nnlite.ops.nn.adaptive_pool3d import (  # noqa: F401
    adaptive_avg_pool3d,
    adaptive_max_pool3d,
    adaptive_max_pool3d_with_indices,
)
from nnlite.ops.nn.max_unpool import max_unpool1d, max_unpool2d, max_unpool3d  # noqa: F401
from nnlite.ops.nn.ctc_loss import ctc_loss  # noqa: F401
from nnlite.ops.nn.lp_pool import lp_pool1d, lp_pool2d, lp_pool3d  # noqa: F401


def _legacy(size_average, reduce, reduction: str) -> str:
    """``reduction`` from PyTorch's deprecated ``size_average``/``reduce`` (warning as torch)."""
    if size_average is not None or reduce is not None:
        return _Reduction.legacy_get_string(size_average, reduce)
    return reduction


# ---- layers -------------------------------------------------------------------------------


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """``y = x W^T + b`` (``W``: (out_features, in_features))."""
    return _Lin.linear(input, weight, bias)


def bilinear(input1: Tensor, input2: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """``y_k = x1^T W_k x2 + b_k``."""
    return _Lin.bilinear(input1, input2, weight, bias)


# ---- activations (nnlite.ops.nn.functional_activations) --------------------------------

# ---- dropout ------------------------------------------------------------------------------


def dropout(input: Tensor, p: float = 0.5, training: bool = True,
            inplace: bool = False) -> Tensor:
    """Zero elements with probability ``p`` (from nnlite's seeded generator), scale the rest by
    ``1/(1-p)``; identity when not ``training``."""
    _D.check_probability(p)
    if inplace and training and p > 0:
        return _inplace(input, _D.dropout, "dropout_", p, training)
    return _D.dropout(input, p, training)


def dropout1d(input: Tensor, p: float = 0.5, training: bool = True,
              inplace: bool = False) -> Tensor:
    """Zero whole channels of (N, C, L) / (C, L) with probability ``p``."""
    return _D.dropout1d(input, p, training, inplace)


def dropout2d(input: Tensor, p: float = 0.5, training: bool = True,
              inplace: bool = False) -> Tensor:
    """Zero whole channels of (N, C, H, W) / (C, H, W) with probability ``p``."""
    return _D.dropout2d(input, p, training, inplace)


def dropout3d(input: Tensor, p: float = 0.5, training: bool = True,
              inplace: bool = False) -> Tensor:
    """Zero whole channels of (N, C, D, H, W) / (C, D, H, W) with probability ``p``."""
    return _D.dropout3d(input, p, training, inplace)


# ---- normalisation ------------------------------------------------------------------------


def batch_norm(input: Tensor, running_mean: Tensor | None, running_var: Tensor | None,
               weight: Tensor | None = None, bias: Tensor | None = None,
               training: bool = False, momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Batch normalisation (see :class:`nnlite.nn.BatchNorm1d`)."""
    return _N.batch_norm(input, running_mean, running_var, weight, bias, training, momentum, eps)


def layer_norm(input: Tensor, normalized_shape, weight: Tensor | None = None,
               bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    """Layer normalisation over the trailing ``normalized_shape`` dims."""
    return _N.layer_norm(input, normalized_shape, weight, bias, eps)


def group_norm(input: Tensor, num_groups: int, weight: Tensor | None = None,
               bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    """Normalise each of ``num_groups`` channel groups per sample (see :class:`GroupNorm`)."""
    return _N.group_norm(input, num_groups, weight, bias, eps)


def instance_norm(input: Tensor, running_mean: Tensor | None = None,
                  running_var: Tensor | None = None, weight: Tensor | None = None,
                  bias: Tensor | None = None, use_input_stats: bool = True,
                  momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Normalise each channel of each sample over its spatial dims."""
    return _N.instance_norm(input, running_mean, running_var, weight, bias, use_input_stats,
                            momentum, eps)


def normalize(input: Tensor, p: float = 2.0, dim: int = 1, eps: float = 1e-12) -> Tensor:
    """``x / max(||x||_p, eps)`` along ``dim``."""
    return _N.normalize(input, p, dim, eps)


# ---- losses -------------------------------------------------------------------------------


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
    return _L.cross_entropy(input, target, weight, ignore_index,
                            _legacy(size_average, reduce, reduction), label_smoothing)


def nll_loss(input: Tensor, target: Tensor, weight: Tensor | None = None, size_average=None,
             ignore_index: int = -100, reduce=None, reduction: str = "mean") -> Tensor:
    """``-w[t_i] input[i, t_i]`` (``input`` holds log-probabilities), reduced."""
    return _L.nll_loss(input, target, weight, ignore_index,
                       _legacy(size_average, reduce, reduction))


def mse_loss(input: Tensor, target: Tensor, size_average=None, reduce=None,
             reduction: str = "mean", weight=None) -> Tensor:
    """``(x - y)^2``, reduced."""
    return _L.mse_loss(input, target, _legacy(size_average, reduce, reduction))


def l1_loss(input: Tensor, target: Tensor, size_average=None, reduce=None,
            reduction: str = "mean") -> Tensor:
    """``|x - y|``, reduced."""
    return _L.l1_loss(input, target, _legacy(size_average, reduce, reduction))


def smooth_l1_loss(input: Tensor, target: Tensor, size_average=None, reduce=None,
                   reduction: str = "mean", beta: float = 1.0) -> Tensor:
    """``0.5 d^2 / beta`` where ``|d| < beta``, else ``|d| - 0.5 beta`` (``d = x - y``)."""
    return _L.smooth_l1_loss(input, target, _legacy(size_average, reduce, reduction), beta)


def huber_loss(input: Tensor, target: Tensor, reduction: str = "mean",
               delta: float = 1.0, weight=None) -> Tensor:
    """``0.5 d^2`` where ``|d| <= delta``, else ``delta (|d| - 0.5 delta)``."""
    return _L.huber_loss(input, target, reduction, delta)


def binary_cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None,
                         size_average=None, reduce=None, reduction: str = "mean") -> Tensor:
    """``-w (y log x + (1 - y) log(1 - x))`` with the logs clamped at -100, as PyTorch."""
    return _L.binary_cross_entropy(input, target, weight,
                                   _legacy(size_average, reduce, reduction))


def binary_cross_entropy_with_logits(input: Tensor, target: Tensor,
                                     weight: Tensor | None = None, size_average=None,
                                     reduce=None, reduction: str = "mean",
                                     pos_weight: Tensor | None = None) -> Tensor:
    """``-w [p y log s(x) + (1 - y) log(1 - s(x))]`` computed stably from the logits ``x``."""
    return _L.binary_cross_entropy_with_logits(
        input, target, weight, _legacy(size_average, reduce, reduction), pos_weight)


def kl_div(input: Tensor, target: Tensor, size_average=None, reduce=None,
           reduction: str = "mean", log_target: bool = False) -> Tensor:
    """``target * (log(target) - input)`` (``input`` holds log-probabilities); 0 where target
    is 0. ``reduction='batchmean'`` divides the sum by the batch size, as the math wants."""
    return _L.kl_div(input, target, _legacy(size_average, reduce, reduction), log_target)


def margin_ranking_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0.0,
                        size_average=None, reduce=None, reduction: str = "mean") -> Tensor:
    """``max(0, -y (x1 - x2) + margin)``."""
    return _L.margin_ranking_loss(input1, input2, target, margin,
                                  _legacy(size_average, reduce, reduction))


def hinge_embedding_loss(input: Tensor, target: Tensor, margin: float = 1.0, size_average=None,
                         reduce=None, reduction: str = "mean") -> Tensor:
    """``x`` where ``y == 1``, ``max(0, margin - x)`` where ``y == -1``."""
    return _L.hinge_embedding_loss(input, target, margin, _legacy(size_average, reduce, reduction))


def soft_margin_loss(input: Tensor, target: Tensor, size_average=None, reduce=None,
                     reduction: str = "mean") -> Tensor:
    """``log(1 + exp(-y x))``."""
    return _L.soft_margin_loss(input, target, _legacy(size_average, reduce, reduction))


def multilabel_soft_margin_loss(input: Tensor, target: Tensor, weight: Tensor | None = None,
                                size_average=None, reduce=None,
                                reduction: str = "mean") -> Tensor:
    """Per-sample mean over classes of the binary logistic loss."""
    return _L.multilabel_soft_margin_loss(input, target, weight,
                                          _legacy(size_average, reduce, reduction))


def cosine_embedding_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0.0,
                          size_average=None, reduce=None, reduction: str = "mean") -> Tensor:
    """``1 - cos(x1, x2)`` where ``y == 1``, ``max(0, cos(x1, x2) - margin)`` where ``y == -1``."""
    return _L.cosine_embedding_loss(input1, input2, target, margin,
                                    _legacy(size_average, reduce, reduction))


def poisson_nll_loss(input: Tensor, target: Tensor, log_input: bool = True, full: bool = False,
                     size_average=None, eps: float = 1e-8, reduce=None,
                     reduction: str = "mean") -> Tensor:
    """Negative log-likelihood of ``target`` under Poisson(``exp(input)`` or ``input``)."""
    return _L.poisson_nll_loss(input, target, log_input, full, eps,
                               _legacy(size_average, reduce, reduction))


def gaussian_nll_loss(input: Tensor, target: Tensor, var, full: bool = False,
                      eps: float = 1e-6, reduction: str = "mean") -> Tensor:
    """``0.5 (log(max(var, eps)) + (input - target)^2 / max(var, eps))`` (+ const if ``full``)."""
    return _L.gaussian_nll_loss(input, target, var, full, eps, reduction)


def triplet_margin_loss(anchor: Tensor, positive: Tensor, negative: Tensor, margin: float = 1.0,
                        p: float = 2, eps: float = 1e-6, swap: bool = False, size_average=None,
                        reduce=None, reduction: str = "mean") -> Tensor:
    """``max(d(a, p) - d(a, n) + margin, 0)`` with ``d`` the pairwise ``p``-distance."""
    return _L.triplet_margin_loss(anchor, positive, negative, margin, p, eps, swap,
                                  _legacy(size_average, reduce, reduction))


def triplet_margin_with_distance_loss(anchor: Tensor, positive: Tensor, negative: Tensor, *,
                                      distance_function=None, margin: float = 1.0,
                                      swap: bool = False, reduction: str = "mean") -> Tensor:
    """``max(d(a, p) - d(a, n) + margin, 0)`` with any ``distance_function(x1, x2)`` (default
    :func:`pairwise_distance`); ``swap`` uses ``min(d(a, n), d(p, n))``."""
    return _L.triplet_margin_with_distance_loss(
        anchor, positive, negative, distance_function=distance_function, margin=margin,
        swap=swap, reduction=reduction)


def multilabel_margin_loss(input: Tensor, target: Tensor, size_average=None, reduce=None,
                           reduction: str = "mean") -> Tensor:
    """``sum_{j in y} sum_{i not in y} max(0, 1 - (x[j] - x[i])) / C`` per sample; each target
    row lists class indices up to its first -1."""
    return _MLM.multilabel_margin_loss(input, target, _legacy(size_average, reduce, reduction))


def multi_margin_loss(input: Tensor, target: Tensor, p: int = 1, margin: float = 1.0,
                      weight: Tensor | None = None, size_average=None, reduce=None,
                      reduction: str = "mean") -> Tensor:
    """``sum_{j != y} max(0, margin - x[y] + x[j])^p / C`` per sample (weighted by ``w[y]``)."""
    return _L.multi_margin_loss(input, target, p, margin, weight,
                                _legacy(size_average, reduce, reduction))


# ---- convolution, pooling, embedding ------------------------------------------------------


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


def conv3d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0,
           dilation=1, groups: int = 1) -> Tensor:
    """3-D cross-correlation of (N, C_in, D, H, W) with weight (C_out, C_in/groups, kD, kH, kW)
    (im2col + BLAS, as conv2d); ``padding`` may be an int, a triple or 'same'/'valid'."""
    return _C.conv(3, input, weight, bias, stride, padding, dilation, groups)


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


def conv_transpose3d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1,
                     padding=0, output_padding=0, groups: int = 1, dilation=1) -> Tensor:
    """3-D transposed convolution, weight (C_in, C_out/groups, kD, kH, kW)."""
    return _C.conv_transpose(3, input, weight, bias, stride, padding, output_padding, groups,
                             dilation)


def max_pool1d(input: Tensor, kernel_size, stride=None, padding=0, dilation=1,
               ceil_mode: bool = False, return_indices: bool = False):
    return _P.max_pool(1, input, kernel_size, stride, padding, dilation, ceil_mode,
                       return_indices)


def max_pool2d(input: Tensor, kernel_size, stride=None, padding=0, dilation=1,
               ceil_mode: bool = False, return_indices: bool = False):
    """Max over (kH, kW) windows; with ``return_indices`` also the flat argmax in each plane."""
    return _P.max_pool(2, input, kernel_size, stride, padding, dilation, ceil_mode,
                       return_indices)


def max_pool2d_with_indices(input: Tensor, kernel_size, stride=None, padding=0, dilation=1,
                            ceil_mode: bool = False, return_indices: bool = True):
    return _P.max_pool(2, input, kernel_size, stride, padding, dilation, ceil_mode, True)


def max_pool3d(input: Tensor, kernel_size, stride=None, padding=0, dilation=1,
               ceil_mode: bool = False, return_indices: bool = False):
    """Max over (kT, kH, kW) windows; with ``return_indices`` also the flat argmax
    ``(t * H + h) * W + w`` in each volume."""
    return _P.max_pool(3, input, kernel_size, stride, padding, dilation, ceil_mode,
                       return_indices)


def max_pool1d_with_indices(input: Tensor, kernel_size, stride=None, padding=0, dilation=1,
                            ceil_mode: bool = False, return_indices: bool = True):
    return _P.max_pool(1, input, kernel_size, stride, padding, dilation, ceil_mode, True)


def max_pool3d_with_indices(input: Tensor, kernel_size, stride=None, padding=0, dilation=1,
                            ceil_mode: bool = False, return_indices: bool = True):
    return _P.max_pool(3, input, kernel_size, stride, padding, dilation, ceil_mode, True)


def avg_pool3d(input: Tensor, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
               count_include_pad: bool = True, divisor_override=None) -> Tensor:
    """Mean over (kT, kH, kW) windows; zero padding counts in the divisor by default."""
    return _P.avg_pool(3, input, kernel_size, stride, padding, ceil_mode, count_include_pad,
                       divisor_override)


def avg_pool1d(input: Tensor, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
               count_include_pad: bool = True) -> Tensor:
    return _P.avg_pool(1, input, kernel_size, stride, padding, ceil_mode, count_include_pad)


def avg_pool2d(input: Tensor, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
               count_include_pad: bool = True, divisor_override=None) -> Tensor:
    """Mean over (kH, kW) windows; zero padding counts in the divisor by default."""
    return _P.avg_pool(2, input, kernel_size, stride, padding, ceil_mode, count_include_pad,
                       divisor_override)


def adaptive_max_pool1d_with_indices(input: Tensor, output_size, return_indices: bool = False):
    """``adaptive_max_pool1d`` returning ``(output, indices)``."""
    return _P.adaptive_max_pool1d(input, output_size, True)


def adaptive_max_pool2d_with_indices(input: Tensor, output_size, return_indices: bool = False):
    """``adaptive_max_pool2d`` returning ``(output, indices)``."""
    return _P.adaptive_max_pool2d(input, output_size, True)


def _deprecated_upsample(name: str) -> None:
    warnings.warn(f"`nn.functional.{name}` is deprecated. Use `nn.functional.interpolate` "
                  "instead.", stacklevel=3)


def upsample(input: Tensor, size=None, scale_factor=None, mode: str = "nearest",
             align_corners=None) -> Tensor:
    """Deprecated :func:`interpolate` (warns, as torch)."""
    _deprecated_upsample("upsample")
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input: Tensor, size=None, scale_factor=None) -> Tensor:
    """Deprecated ``interpolate(mode="nearest")`` (warns, as torch)."""
    _deprecated_upsample("upsample_nearest")
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input: Tensor, size=None, scale_factor=None) -> Tensor:
    """Deprecated ``interpolate(mode="bilinear", align_corners=True)`` (warns, as torch)."""
    _deprecated_upsample("upsample_bilinear")
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)


def fractional_max_pool2d(input: Tensor, kernel_size, output_size=None, output_ratio=None,
                          return_indices: bool = False, _random_samples: Tensor | None = None):
    """Max over ``kH x kW`` windows at pseudo-random fractional strides, so the output is
    ``output_size`` (or ``output_ratio`` of the input); ``_random_samples`` (N, C, 2) fixes the
    strides (else drawn with ``rand`` in the input's dtype, as torch)."""
    return _FP.fractional_max_pool(2, input, kernel_size, output_size, output_ratio,
                                   return_indices, _random_samples)


def fractional_max_pool2d_with_indices(input: Tensor, kernel_size, output_size=None,
                                       output_ratio=None, return_indices: bool = False,
                                       _random_samples: Tensor | None = None):
    return _FP.fractional_max_pool(2, input, kernel_size, output_size, output_ratio, True,
                                   _random_samples)


def fractional_max_pool3d(input: Tensor, kernel_size, output_size=None, output_ratio=None,
                          return_indices: bool = False, _random_samples: Tensor | None = None):
    """3-D fractional max pooling over (N, C, T, H, W); ``_random_samples`` is (N, C, 3)."""
    return _FP.fractional_max_pool(3, input, kernel_size, output_size, output_ratio,
                                   return_indices, _random_samples)


def fractional_max_pool3d_with_indices(input: Tensor, kernel_size, output_size=None,
                                       output_ratio=None, return_indices: bool = False,
                                       _random_samples: Tensor | None = None):
    return _FP.fractional_max_pool(3, input, kernel_size, output_size, output_ratio, True,
                                   _random_samples)


def embedding(input: Tensor, weight: Tensor, padding_idx=None, max_norm=None,
              norm_type: float = 2.0, scale_grad_by_freq: bool = False,
              sparse: bool = False) -> Tensor:
    """Rows ``weight[input]``; the ``padding_idx`` row gets no gradient."""
    return _Emb.embedding(input, weight, padding_idx, max_norm, norm_type, scale_grad_by_freq,
                          sparse)


def embedding_bag(input: Tensor, weight: Tensor, offsets: Tensor | None = None, max_norm=None,
                  norm_type: float = 2, scale_grad_by_freq: bool = False, mode: str = "mean",
                  sparse: bool = False, per_sample_weights: Tensor | None = None,
                  include_last_offset: bool = False, padding_idx=None) -> Tensor:
    """Sum/mean/max of bags of rows of ``weight``: a 2-D ``input`` holds one bag per row, a
    1-D one is cut into bags at ``offsets`` (see :class:`nnlite.nn.EmbeddingBag`)."""
    return _EmbBag.embedding_bag(input, weight, offsets, max_norm, norm_type,
                                 scale_grad_by_freq, mode, sparse, per_sample_weights,
                                 include_last_offset, padding_idx)


def one_hot(input: Tensor, num_classes: int = -1) -> Tensor:
    """int64 one-hot encoding with a new last dim of size ``num_classes``."""
    return _Emb.one_hot(input, num_classes)


# generated from the op registry: a function without a row is not public (a test checks both ways)
__all__ = _registry.public_names("F")  # noqa: PLE0605
