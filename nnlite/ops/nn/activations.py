"""Activation ops: a numpy/numba forward plus a node whose backward has two paths.

* ``create_graph=False`` (grad mode off inside backward): plain arrays and the numba kernels;
* ``create_graph=True``: the same formula in Tensor ops, so it can be differentiated again.

In-place forms (``elu_``, ``leaky_relu_``, ...) are torch's ``*Backward1`` nodes: the same
derivative written in the result (the input is overwritten). ``softsign``/``tanhshrink``/
``softmin`` are composed from differentiable ops, as torch composes them.
"""

from __future__ import annotations

import math

import numpy as np

from nnlite._tensor import Tensor
from nnlite.autograd.function import Node, record
from nnlite.autograd.grad_mode import _CaptureState, _GradState
from nnlite.kernels import lazy as _lazy_kernels
from nnlite.ops import elementwise as _E
from nnlite.ops import reduce as R
from nnlite.ops import shape as S
from nnlite.ops.nn import rrelu as _rrelu_ops
from nnlite.ops._util import TYPE_NAMES as _NAMES
from nnlite.ops._util import sum_to
from nnlite.ops.inplace import apply_inplace
from nnlite.ops.special import erf, erf_np

_elementwise_kernels = _lazy_kernels("elementwise")
_gelu_kernels = _lazy_kernels("gelu")

_W = Tensor._wrap


def _const(arr: np.ndarray) -> Tensor:
    """A constant (no-grad) tensor around an array, for Tensor-op backward formulas."""
    return _W(arr)

# ---- pointwise activations ------------------------------------------------------------------


def _pointwise(name, fwd, bwd_np, bwd_t, save="x"):
    """An activation op ``y = f(x)`` with ``bwd_np(g, x, y, **kw)`` and ``bwd_t(g, x, y, **kw)``.

    ``save`` names what backward reads: "x", "y" or "xy" (the others are passed as None).
    """
    node_cls = type(name, (Node,), {})

    def backward(self, g):
        saved = self._unpacked_saved
        x = saved[0] if "x" in save else None
        y = saved[-1] if "y" in save else None
        if not _GradState.enabled:
            return (_W(bwd_np(g._data, None if x is None else x._data,
                              None if y is None else y._data, **self.kw)),)
        return (bwd_t(g, x, y, **self.kw),)

    node_cls.backward = backward

    def op(x: Tensor, **kw) -> Tensor:
        xd = x._data
        if xd.dtype.kind != "f":
            raise RuntimeError(f'"{name[:-9].lower()}" not implemented for '
                               f"'{_NAMES.get(xd.dtype.name, xd.dtype.name)}'")
        with np.errstate(over="ignore", invalid="ignore"):
            out = _W(np.asarray(fwd(xd, **kw), dtype=xd.dtype))
        if _GradState.enabled and x._requires_grad:
            saved = {"x": (x,), "y": (out,), "xy": (x, out)}[save]
            node = record(out, node_cls, (x,), saved)
            node.kw = kw
        if _CaptureState.recorder is not None:  # recording a plan for nnlite.compile
            _CaptureState.recorder.emit("pointwise", out, (x,), fwd=fwd, bwd=bwd_np, save=save,
                                        kw=kw, op=op)
        return out

    op.node_cls = node_cls
    return op


def _relu_bwd_t(g, x, y):
    return g.masked_fill(y <= 0, 0.0)  # torch's threshold_backward: NaN units pass g


class ReluBackward0(Node):
    """ReLU's node: saves only the output; one fused numba pass on the plain path."""

    def backward(self, g):
        (y,) = self._unpacked_saved
        if not _GradState.enabled:
            gd = g._data
            return (_W(_elementwise_kernels.relu_backward(gd, y._data) if gd.size
                       else gd.copy()),)
        return (_relu_bwd_t(g, None, y),)


def _leaky_fwd(x, slope):
    return _elementwise_kernels.leaky_relu_forward(x, float(slope)) if x.size else x.copy()


def _leaky_bwd_np(g, x, y, slope):
    if not g.size:
        return g.copy()
    return _elementwise_kernels.leaky_relu_backward(g, x, float(slope))


def _leaky_bwd_t(g, x, y, slope):
    pos = (x > 0).to(g.dtype)
    return g * (pos + (1 - pos) * slope)


_leaky_relu = _pointwise("LeakyReluBackward0", _leaky_fwd, _leaky_bwd_np, _leaky_bwd_t)


def _elu_fwd(x, alpha, scale=None):
    if scale is not None:  # selu: scale * elu(x, alpha), torch's EluBackward0 with scale
        t = x.dtype.type
        return np.where(x > 0, x * t(scale), np.expm1(np.minimum(x, 0)) * t(alpha * scale))
    return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0)))


def _elu_bwd_np(g, x, y, alpha, scale=None):
    if scale is not None:
        t = g.dtype.type
        d = np.where(x <= 0, np.exp(np.minimum(x, 0)) * t(alpha * scale), t(scale))
        return g * d.astype(g.dtype, copy=False)
    # torch tests x <= 0 for the exponential branch: a NaN input gets the linear slope
    return g * np.where(x <= 0, alpha * np.exp(np.minimum(x, 0)), 1).astype(g.dtype, copy=False)


def _elu_bwd_t(g, x, y, alpha, scale=None):
    pos = (x <= 0).logical_not().to(g.dtype)
    if scale is not None:
        return g * (pos * scale + (1 - pos) * x.clamp(max=0).exp() * (alpha * scale))
    neg_part = x.clamp(max=0).exp() * alpha
    return g * (pos + (1 - pos) * neg_part)


# elu and selu (torch names both EluBackward0: one node, ``scale`` set for selu)
_elu = _pointwise("EluBackward0", _elu_fwd, _elu_bwd_np, _elu_bwd_t)

_SQRT1_2 = 1.0 / math.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_TANH_C = math.sqrt(2.0 / math.pi)


def _gelu_fwd(x, approximate):
    if approximate == "tanh":
        inner = _TANH_C * (x + 0.044715 * (x * x * x))
        return 0.5 * x * (1.0 + np.tanh(inner))
    if x.dtype == np.float32 and x.size > 1:  # torch's oneDNN formula, vectorised
        out = np.empty(x.shape, np.float32)
        _gelu_kernels.gelu_forward_f32(x, out)
        return out
    return 0.5 * x * (1.0 + erf_np(x * x.dtype.type(_SQRT1_2)))


def _gelu_bwd_np(g, x, y, approximate):
    if approximate == "tanh":
        x2 = x * x
        t = np.tanh(_TANH_C * (x + 0.044715 * x2 * x))
        d = 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * _TANH_C * (1 + 3 * 0.044715 * x2)
    elif x.dtype == np.float32 and g.dtype == np.float32 and x.size > 1 and g.shape == x.shape:
        out = np.empty(x.shape, np.float32)
        _gelu_kernels.gelu_backward_f32(g, x, out)
        return out
    else:
        cdf = 0.5 * (1.0 + erf_np(x * x.dtype.type(_SQRT1_2)))
        d = cdf + x * np.exp(-0.5 * (x * x)) * _INV_SQRT_2PI
    return g * d.astype(g.dtype, copy=False)


def _gelu_bwd_t(g, x, y, approximate):
    if approximate == "tanh":
        x2 = x * x
        t = ((x + x2 * x * 0.044715) * _TANH_C).tanh()
        d = (t + 1) * 0.5 + x * (1 - t * t) * (0.5 * _TANH_C) * (x2 * (3 * 0.044715) + 1)
    else:
        cdf = (erf(x * _SQRT1_2) + 1) * 0.5
        d = cdf + x * (x * x * -0.5).exp() * _INV_SQRT_2PI
    return g * d


_gelu = _pointwise("GeluBackward0", _gelu_fwd, _gelu_bwd_np, _gelu_bwd_t)


def _softplus_fwd(x, beta, threshold):
    bx = x * beta
    with np.errstate(over="ignore"):
        soft = np.log1p(np.exp(np.minimum(bx, threshold))) / beta
    return np.where(bx > threshold, x, soft)


def _softplus_bwd_np(g, x, y, beta, threshold):
    bx = x * beta
    e = np.exp(-np.abs(bx))
    sig = np.where(bx >= 0, 1 / (1 + e), e / (1 + e))
    return g * np.where(bx > threshold, 1, sig).astype(g.dtype, copy=False)


def _softplus_bwd_t(g, x, y, beta, threshold):
    over = (x * beta > threshold).to(g.dtype)
    return g * (over + (1 - over) * (x * beta).sigmoid())


_softplus = _pointwise("SoftplusBackward0", _softplus_fwd, _softplus_bwd_np, _softplus_bwd_t)


# ---- piecewise activations with PyTorch's derivative at the kinks -----------------------------
# A composite of clamps/abs would pass a gradient from both sides of a kink (clamp's derivative
# is 1 at its bounds); torch's kernels pick one side, and exact kink inputs (0 from a dead ReLU,
# a zero init) are common, so each of these is one op with torch's convention.


def _hardtanh_fwd(x, lo, hi):
    return np.minimum(np.maximum(x, x.dtype.type(lo)), x.dtype.type(hi))


def _hardtanh_mask(x, lo, hi):
    return ~((x <= lo) | (x >= hi))  # torch: zero at and beyond the bounds; NaN passes g


def _hardtanh_bwd_np(g, x, y, lo, hi):
    return g * _hardtanh_mask(x, lo, hi).astype(g.dtype)


def _hardtanh_bwd_t(g, x, y, lo, hi):
    return g * _const(_hardtanh_mask(x._data, lo, hi).astype(g._data.dtype))


_hardtanh = _pointwise("HardtanhBackward0", _hardtanh_fwd, _hardtanh_bwd_np, _hardtanh_bwd_t)


def hardtanh(x: Tensor, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:
    """``clamp(x, min_val, max_val)``; gradient 1 strictly inside, 0 at and beyond the bounds."""
    return _hardtanh(x, lo=min_val, hi=max_val)


def _hardsigmoid_fwd(x):
    t = x.dtype.type
    return np.minimum(np.maximum(x + t(3), t(0)), t(6)) / t(6)


def _hardsigmoid_coef(x, dtype):
    # torch multiplies by the float constant 1.0f / 6.0f, also for doubles
    return ((x > -3) & (x < 3)).astype(dtype) * dtype.type(np.float32(1.0 / 6.0))


def _hardsigmoid_bwd_np(g, x, y):
    return g * _hardsigmoid_coef(x, g.dtype)


def _hardsigmoid_bwd_t(g, x, y):
    return g * _const(_hardsigmoid_coef(x._data, g._data.dtype))


_hardsigmoid = _pointwise("HardsigmoidBackward0", _hardsigmoid_fwd, _hardsigmoid_bwd_np,
                          _hardsigmoid_bwd_t)


def hardsigmoid(x: Tensor) -> Tensor:
    """``relu6(x + 3) / 6``; gradient 1/6 on ``(-3, 3)``, 0 elsewhere (torch's kinks)."""
    return _hardsigmoid(x)


def _hardswish_fwd(x):
    t = x.dtype.type
    return x * np.minimum(np.maximum(x + t(3), t(0)), t(6)) / t(6)


def _hardswish_masks(x, dtype):
    # torch: 0 below -3, x / 3 + 1/2 up to 3, 1 above (a NaN input gets 1, +-inf no NaN)
    mid = ((x > -3) & (x < 3)).astype(dtype)
    hi = ((x >= 3) | np.isnan(x)).astype(dtype)
    return mid, hi


def _hardswish_bwd_np(g, x, y):
    mid, hi = _hardswish_masks(x, g.dtype)
    t = g.dtype.type
    slope = np.where(mid > 0, x / t(3) + t(0.5), t(0))
    return g * (slope + hi)


def _hardswish_bwd_t(g, x, y):
    # torch: 0 for x <= -3, x / 3 + 1/2 for -3 < x < 3, 1 for x >= 3
    mid, hi = _hardswish_masks(x._data, g._data.dtype)
    inside = _const(mid > 0)
    return g * ((x / 3.0 + 0.5).masked_fill(inside.logical_not(), 0.0) + _const(hi))


_hardswish = _pointwise("HardswishBackward0", _hardswish_fwd, _hardswish_bwd_np,
                        _hardswish_bwd_t)


def hardswish(x: Tensor) -> Tensor:
    """``x * relu6(x + 3) / 6`` with torch's derivative at the kinks -3 and 3."""
    return _hardswish(x)


def _celu_fwd(x, alpha):
    t = x.dtype.type
    return np.where(x > 0, x, t(alpha) * np.expm1(np.minimum(x, 0) * t(1.0 / alpha)))


def _celu_bwd_np(g, x, y, alpha):
    t = g.dtype.type
    neg = np.exp(np.minimum(x, 0) * t(1.0 / alpha))
    return g * np.where(x <= 0, neg, t(1)).astype(g.dtype, copy=False)


def _celu_bwd_t(g, x, y, alpha):
    pos = (x <= 0).logical_not().to(g.dtype)
    return g * (pos + (1 - pos) * (x.clamp(max=0) * (1.0 / alpha)).exp())


_celu = _pointwise("CeluBackward0", _celu_fwd, _celu_bwd_np, _celu_bwd_t)


def celu(x: Tensor, alpha: float = 1.0) -> Tensor:
    """``x if x > 0 else alpha * (exp(x / alpha) - 1)``; gradient at 0 from the left (1)."""
    return _celu(x, alpha=alpha)


_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def selu(x: Tensor) -> Tensor:
    """``scale * elu(x, alpha)`` with the self-normalising constants (one op, as torch)."""
    return _elu(x, alpha=_SELU_ALPHA, scale=_SELU_SCALE)


def _mish_fwd(x):
    with np.errstate(over="ignore"):
        return x * np.tanh(np.log1p(np.exp(x)))


def _mish_bwd_np(g, x, y):
    with np.errstate(over="ignore"):
        t = np.tanh(np.log1p(np.exp(x)))
    e = np.exp(-np.abs(x))
    sig = np.where(x >= 0, 1 / (1 + e), e / (1 + e))
    return g * (t + x * sig * (1 - t * t)).astype(g.dtype, copy=False)


def _mish_bwd_t(g, x, y):
    t = _softplus(x, beta=1.0, threshold=20.0).tanh()
    return g * (t + x * x.sigmoid() * (1 - t * t))


_mish = _pointwise("MishBackward0", _mish_fwd, _mish_bwd_np, _mish_bwd_t)


def mish(x: Tensor) -> Tensor:
    """``x * tanh(softplus(x))`` as one op (MishBackward0)."""
    return _mish(x)


class PreluKernelBackward0(Node):
    """``y = x if x > 0 else w x``: ``gx = g`` or ``w g`` (at 0: ``w g``), ``gw = sum x g [x <= 0]``
    (``w`` already viewed to broadcast against ``x``, as torch's ``prelu`` does)."""

    def backward(self, g):
        x, w = self._unpacked_saved
        pos = (x._data > 0).astype(g._data.dtype)
        gx = gw = None
        if not _GradState.enabled:
            gd, xd, wd = g._data, x._data, w._data
            if self.needs_input_grad[0]:
                gx = _W(gd * np.where(pos > 0, 1, wd).astype(gd.dtype, copy=False))
            if self.needs_input_grad[1]:
                gw = _W(_sum_to_np(gd * xd * (1 - pos), tuple(w.shape)))
            return gx, gw
        negc = _const(1 - pos)
        if self.needs_input_grad[0]:
            gx = g * (_const(pos) + negc * w)
        if self.needs_input_grad[1]:
            gw = sum_to(g * x * negc, tuple(w.shape))
        return gx, gw


def _sum_to_np(a: np.ndarray, shape: tuple) -> np.ndarray:
    nd = a.ndim - len(shape)
    axes = tuple(range(nd)) + tuple(i + nd for i, s in enumerate(shape)
                                    if s == 1 and a.shape[i + nd] != 1)
    return a.sum(axis=axes, keepdims=True).reshape(shape) if axes else a


def prelu(x: Tensor, weight: Tensor) -> Tensor:
    """``x if x > 0 else weight * x``, ``weight`` per channel (dim 1) or one shared value."""
    xd, wd = x._data, weight._data
    if xd.dtype != wd.dtype:
        raise RuntimeError(f"prelu: Type promoting not supported. Got "
                           f"{_NAMES.get(xd.dtype.name, xd.dtype.name)} and "
                           f"{_NAMES.get(wd.dtype.name, wd.dtype.name)}")
    if xd.ndim > 1:
        # torch views the weight as (1, C, 1, ...) first: its ViewBackward0 is the weight's edge
        weight = weight.reshape((1, wd.size) + (1,) * (xd.ndim - 2))
        wd = weight._data
    out = _W(np.where(xd > 0, xd, wd * xd).astype(xd.dtype, copy=False))
    record(out, PreluKernelBackward0, (x, weight), (x, weight))
    return out


def _log_sigmoid_fwd(x):
    # torch's CPU formula: min(x, 0) - log1p(exp(-|x|)); smooth everywhere, no threshold
    return np.minimum(x, 0) - np.log1p(np.exp(-np.abs(x)))


def _log_sigmoid_bwd_np(g, x, y):
    e = np.exp(-np.abs(x))
    sig_neg = np.where(x >= 0, e / (1 + e), 1 / (1 + e))  # 1 - sigmoid(x), stably
    return g * sig_neg.astype(g.dtype, copy=False)


def _log_sigmoid_bwd_t(g, x, y):
    return g * (-x).sigmoid()


_log_sigmoid = _pointwise("LogSigmoidBackward0", _log_sigmoid_fwd, _log_sigmoid_bwd_np,
                          _log_sigmoid_bwd_t)


def log_sigmoid(x: Tensor) -> Tensor:
    """``log(sigmoid(x))`` with gradient ``sigmoid(-x)`` (exact at ``x = 0``, unlike a
    ``|x|``/``clamp`` composite whose one-sided derivatives do not add up there)."""
    return _log_sigmoid(x)


def _silu_fwd(x):
    e = np.exp(-np.abs(x))
    sig = np.where(x >= 0, 1 / (1 + e), e / (1 + e))
    return x * sig


def _silu_bwd_np(g, x, y):
    e = np.exp(-np.abs(x))
    s = np.where(x >= 0, 1 / (1 + e), e / (1 + e))
    return g * (s * (1 + x * (1 - s))).astype(g.dtype, copy=False)


def _silu_bwd_t(g, x, y):
    s = x.sigmoid()
    return g * (s * (x * (1 - s) + 1))


_silu = _pointwise("SiluBackward0", _silu_fwd, _silu_bwd_np, _silu_bwd_t)


def relu(x: Tensor) -> Tensor:
    """``max(x, 0)`` (``torch.relu``, ``F.relu``, ``Tensor.relu``): one fused numba pass for a
    non-empty floating input (the per-step hot op: no errstate, no kw), numpy otherwise."""
    xd = x._data
    if xd.dtype.kind == "f" and xd.size:
        r = _elementwise_kernels.relu_forward(xd)
        out = _W(r if xd.ndim else r.reshape(()))  # the kernel gives a 0-d input one dim
    else:
        if xd.dtype == np.bool_:
            raise RuntimeError("Boolean inputs not supported for relu")
        out = _W(np.maximum(xd, xd.dtype.type(0)))
    if _GradState.enabled and x._requires_grad:
        record(out, ReluBackward0, (x,), (out,))
    if _CaptureState.recorder is not None:  # recording a plan for nnlite.compile
        _CaptureState.recorder.emit("relu", out, (x,))
    return out


def leaky_relu(x: Tensor, negative_slope: float = 0.01) -> Tensor:
    return _leaky_relu(x, slope=negative_slope)


def elu(x: Tensor, alpha: float = 1.0) -> Tensor:
    return _elu(x, alpha=alpha)


def gelu(x: Tensor, approximate: str = "none") -> Tensor:
    if approximate not in ("none", "tanh"):
        raise RuntimeError("approximate argument must be either none or tanh.")
    return _gelu(x, approximate=approximate)


def softplus(x: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    return _softplus(x, beta=beta, threshold=threshold)


def silu(x: Tensor) -> Tensor:
    return _silu(x)




# ---- activations ----------------------------------------------------------------------------


def _threshold_fwd(x, threshold, value):
    return np.where(x <= threshold, x.dtype.type(value), x)  # NaN stays NaN (NaN <= t is False)


def _threshold_bwd_np(g, x, y, threshold, value):
    return np.where(x <= threshold, g.dtype.type(0), g)


def _threshold_bwd_t(g, x, y, threshold, value):
    return g.masked_fill(x <= threshold, 0.0)


_threshold = _pointwise("ThresholdBackward0", _threshold_fwd, _threshold_bwd_np,
                        _threshold_bwd_t)


def threshold(input: Tensor, threshold: float, value: float) -> Tensor:
    """``x`` where ``x > threshold``, else ``value`` (a NaN input stays NaN, as torch)."""
    if input._data.dtype.kind != "f":  # integer tensors: no gradient, torch's values
        return _W(_threshold_fwd(input._data, threshold, value))
    return _threshold(input, threshold=threshold, value=value)


def _shrink_bwd_np(g, x, y, lambd):
    # torch's hardshrink/softshrink backward: 0 inside [-lambd, lambd], else g
    return np.where((x >= -lambd) & (x <= lambd), g.dtype.type(0), g)


def _shrink_bwd_t(g, x, y, lambd):
    return g.masked_fill((x >= -lambd) & (x <= lambd), 0.0)


def _hardshrink_fwd(x, lambd):
    return np.where((x >= -lambd) & (x <= lambd), x.dtype.type(0), x)


def _softshrink_fwd(x, lambd):
    # torch's tests: 0 inside [-lambd, lambd]; NaN falls through to x + lambd (stays NaN)
    t = x.dtype.type
    return np.where((x >= -lambd) & (x <= lambd), t(0),
                    np.where(x > lambd, x - t(lambd), x + t(lambd)))


_hardshrink = _pointwise("HardshrinkBackward0", _hardshrink_fwd, _shrink_bwd_np, _shrink_bwd_t)
_softshrink = _pointwise("SoftshrinkBackward0", _softshrink_fwd, _shrink_bwd_np, _shrink_bwd_t)


def hardshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """``x`` where ``|x| > lambd``, else 0 (a NaN input stays NaN, as torch)."""
    return _hardshrink(input, lambd=lambd)


def softshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """``x - lambd`` above ``lambd``, ``x + lambd`` below ``-lambd``, else 0."""
    if lambd < 0:
        raise RuntimeError(f"lambda must be greater or equal to 0, but found to be {lambd}.")
    return _softshrink(input, lambd=lambd)


# ---- in-place activations: torch's ``*Backward1`` nodes compute the derivative from the
# result (the input is overwritten), the same formulas written in ``y`` ----------------------

_NEG_SLOPE_MSG = ("In-place {} backward calculation is triggered with a negative slope which is "
                  "not supported. This is caused by calling in-place forward function with a "
                  "negative slope, please call out-of-place version instead.")


def _leaky_res_bwd_t(g, x, y, slope):
    if slope < 0:
        raise RuntimeError(_NEG_SLOPE_MSG.format("leakyReLu"))
    return _leaky_bwd_t(g, y, None, slope)  # y > 0 exactly where x > 0 (slope >= 0)


def _leaky_res_bwd_np(g, x, y, slope):
    if slope < 0:
        raise RuntimeError(_NEG_SLOPE_MSG.format("leakyReLu"))
    return _leaky_bwd_np(g, y, None, slope)


def _elu_res_bwd_t(g, x, y, alpha, scale=None):
    # d/dx of scale * alpha * (exp(x) - 1) is y + scale * alpha (x <= 0 exactly where y <= 0)
    if alpha < 0:
        raise RuntimeError(_NEG_SLOPE_MSG.format("elu"))
    sc = 1.0 if scale is None else scale
    neg = (y <= 0).to(g.dtype)
    return g * (neg * (y + alpha * sc) + (1 - neg) * sc)


def _elu_res_bwd_np(g, x, y, alpha, scale=None):
    if alpha < 0:
        raise RuntimeError(_NEG_SLOPE_MSG.format("elu"))
    t = g.dtype.type
    sc = 1.0 if scale is None else scale
    return g * np.where(y <= 0, y + t(alpha * sc), t(sc)).astype(g.dtype, copy=False)


def _celu_res_bwd_t(g, x, y, alpha):
    neg = (y <= 0).to(g.dtype)
    return g * (neg * (y * (1.0 / alpha) + 1) + (1 - neg))


def _celu_res_bwd_np(g, x, y, alpha):
    t = g.dtype.type
    return g * np.where(y <= 0, y * t(1.0 / alpha) + t(1), t(1)).astype(g.dtype, copy=False)


_leaky_relu_res = _pointwise("LeakyReluBackward1", _leaky_fwd, _leaky_res_bwd_np,
                             _leaky_res_bwd_t, save="y")
_elu_res = _pointwise("EluBackward1", _elu_fwd, _elu_res_bwd_np, _elu_res_bwd_t, save="y")
_celu_res = _pointwise("CeluBackward1", _celu_fwd, _celu_res_bwd_np, _celu_res_bwd_t, save="y")
# torch's threshold_ masks by the input as it was (``value`` may lie above ``threshold``):
# the node keeps the pre-update copy ``apply_inplace`` computes on
_threshold_res = _pointwise("ThresholdBackward1", _threshold_fwd, _threshold_bwd_np,
                            _threshold_bwd_t)


def leaky_relu_(input: Tensor, negative_slope: float = 0.01) -> Tensor:
    return apply_inplace(input, _leaky_relu_res, slope=negative_slope, name="leaky_relu_")


def elu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    return apply_inplace(input, _elu_res, alpha=alpha, name="elu_")


def selu_(input: Tensor) -> Tensor:
    return apply_inplace(input, _elu_res, alpha=_SELU_ALPHA, scale=_SELU_SCALE, name="selu_")


def celu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    return apply_inplace(input, _celu_res, alpha=alpha, name="celu_")


def threshold_(input: Tensor, threshold: float, value: float) -> Tensor:
    if input._data.dtype.kind != "f":
        return apply_inplace(input, lambda x: _W(_threshold_fwd(x._data, threshold, value)),
                             name="threshold_")
    return apply_inplace(input, _threshold_res, threshold=threshold, value=value,
                         name="threshold_")


def hardtanh_(input: Tensor, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:
    return apply_inplace(input, hardtanh, min_val, max_val, name="hardtanh_")


def rrelu(input: Tensor, lower: float = 1.0 / 8, upper: float = 1.0 / 3,
          training: bool = False) -> Tensor:
    """Leaky ReLU with slope ``(lower + upper) / 2`` (evaluation mode, as torch's); training
    mode draws a slope per element (both in ``rrelu.py``: one node, ``g * noise``)."""
    return _rrelu_ops.rrelu(input, lower, upper, training)


def rrelu_(input: Tensor, lower: float = 1.0 / 8, upper: float = 1.0 / 3,
           training: bool = False) -> Tensor:
    return _rrelu_ops.rrelu_(input, lower, upper, training)


def softsign(input: Tensor) -> Tensor:
    """``x / (1 + |x|)``."""
    return input / (input.abs() + 1.0)


def tanhshrink(input: Tensor) -> Tensor:
    return input - _E.tanh(input)


def glu(input: Tensor, dim: int = -1) -> Tensor:
    """``a * sigmoid(b)`` where ``a, b`` are the two halves of ``input`` along ``dim``."""
    if input.shape[dim] % 2:
        raise RuntimeError(
            f"glu: Halving dimension must be even, but dimension {dim % input.dim()} is size "
            f"{input.shape[dim]}"
        )
    d = dim % input._data.ndim
    xd = input._data
    a, b = np.split(xd, 2, axis=d)
    with np.errstate(over="ignore"):
        out = _W(np.asarray(a / (1 + np.exp(-b)), dtype=xd.dtype))
    node = record(out, GluBackward0, (input,), (input,))
    if node is not None:
        node.dim = d
    return out


class GluBackward0(Node):
    """``y = a * s`` with ``s = sigmoid(b)``: ``ga = g s``, ``gb = g a s (1 - s)``."""

    def backward(self, g):
        (x,) = self._unpacked_saved
        a, b = x.chunk(2, self.dim)
        s = _E.sigmoid(b)
        ga = g * s
        return S.cat([ga, ga * a * (1 - s)], self.dim)


def softmin(input: Tensor, dim: int | None = None, dtype=None) -> Tensor:
    return R.softmax(-input, dim, dtype=dtype)
