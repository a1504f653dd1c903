"""The fused nn ops: linear, activations, dropout, batch_norm, layer_norm, cross_entropy.

Each op is a numpy/numba forward plus a graph node whose backward has two paths:

* ``create_graph=False`` (grad mode off inside backward): plain arrays and the numba kernels,
  computing only the gradients ``needs_input_grad`` asks for;
* ``create_graph=True``: the same formula written in Tensor ops, so it can be differentiated
  again (gradgradcheck covers every op here).

Kernel modules are imported inside the functions: ``import nnlite.nn`` must not import numba.
"""

from __future__ import annotations

import math

import numpy as np

from nnlite import _random as _R
from nnlite._tensor import Tensor
from nnlite.autograd.function import Node, record
from nnlite.autograd.grad_mode import _GradState

_W = Tensor._wrap

_NAMES = {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long",
          "int32": "Int", "bool": "Bool"}


_KMODS: dict = {}


def _load_kernels(name: str):
    if name == "norm":
        from nnlite.kernels import norm as k
    elif name == "loss":
        from nnlite.kernels import loss as k
    else:
        from nnlite.kernels import elementwise as k
    _KMODS[name] = k
    return k


def _kernels(name: str):
    """The kernel module ``name`` (imported on first use, then a dict lookup: no import
    statement per call)."""
    k = _KMODS.get(name)
    return k if k is not None else _load_kernels(name)


def _const(arr: np.ndarray) -> Tensor:
    """A constant (no-grad) tensor around an array, for Tensor-op backward formulas."""
    return _W(arr)


# ---- erf: the core's vectorised implementation (no SciPy) --------------------------------------
from nnlite.ops._special import erf_np  # noqa: E402


class ErfBackward0(Node):
    def backward(self, g):
        (x,) = self._unpacked_saved
        c = 2.0 / math.sqrt(math.pi)
        if not _GradState.enabled:
            xd = x._data
            return (_W(g._data * (np.exp(-(xd * xd)) * c).astype(xd.dtype, copy=False)),)
        return (g * (-(x * x)).exp() * c,)


def erf(x: Tensor) -> Tensor:
    """Differentiable ``erf`` on the vectorised implementation above."""
    out = _W(erf_np(x._data))
    record(out, ErfBackward0, (x,), (x,))
    return out


# ---- linear --------------------------------------------------------------------------------


def _weight_grad(g2: np.ndarray, x2: np.ndarray) -> np.ndarray:
    """``grad_W = g^T x`` (one BLAS call). A module-level function so tests can prove that a
    frozen weight never reaches it."""
    return g2.T @ x2


_ONES: dict = {}


def _col_sum(g2: np.ndarray) -> np.ndarray:
    """``g2.sum(axis=0)`` for the bias gradient. Up to 4096 rows as ``ones @ g2`` (one BLAS gemv,
    ~2 us at 64x128 against ~3.5 us for numpy's generic reduction; both accumulate each column
    in the array's dtype); taller (and non-float) inputs keep numpy's reduction."""
    m = g2.shape[0]
    dt = g2.dtype
    if m > 4096 or (dt != np.float32 and dt != np.float64):
        return g2.sum(axis=0)
    key = (m, dt)
    ones = _ONES.get(key)
    if ones is None:
        if len(_ONES) > 64:
            _ONES.clear()
        ones = _ONES[key] = np.ones(m, dt)
        ones.flags.writeable = False
    return ones @ g2


class LinearBackward0(Node):
    """Backward of ``y2 = x2 W^T + b`` on the 2-D rows ``x2`` (the AddmmBackward0/MmBackward0
    node of torch's graph): ``gx2 = g W``, ``gW = g^T x2``, ``gb = sum_rows g``.

    Its edges are torch's: (bias, x2, W^T) for addmm, (x2, W^T) for mm, where x2 and W^T are
    light reshape/transpose nodes; the gradient for ``W^T`` is returned as a transposed view of
    the contiguous ``gW``, which TBackward0 turns back without a copy.
    """

    def backward(self, g):
        x, w = self._unpacked_saved
        nig = self.needs_input_grad
        has_b = len(nig) == 3
        need_x, need_w = nig[1 if has_b else 0], nig[-1]
        in_f, out_f = self.in_f, self.out_f
        gx = gw = gb = None
        if not _GradState.enabled:
            g2 = g._data.reshape(-1, out_f)
            if need_x:
                gx = _W(g2 @ w._data)
            if need_w:
                gw = _W(_weight_grad(g2, x._data.reshape(-1, in_f)).T)
            if has_b and nig[0]:
                gb = _W(_col_sum(g2))
        else:
            g2 = g.reshape(-1, out_f)
            if need_x:
                gx = g2.mm(w)
            if need_w:
                gw = g2.t().mm(x.reshape(-1, in_f)).t()
            if has_b and nig[0]:
                gb = g2.sum(0)
        return (gb, gx, gw) if has_b else (gx, gw)


class AddmmBackward0(LinearBackward0):
    pass


class MmBackward0(LinearBackward0):
    pass


class _LinearT(Node):
    """TBackward0 for the weight's transpose in a Linear: the gradient transposed back (the
    contiguous array LinearBackward0 made, not a copy)."""

    def backward(self, g):
        if _GradState.enabled:
            return (g.t(),)
        a = g._data.T
        b = a.base
        if b is not None and b.shape == a.shape and b.flags.c_contiguous:
            a = b
        return (_W(a),)


_LinearT.__name__ = _LinearT.__qualname__ = "TBackward0"


class _LinearReshape(Node):
    """A light reshape node of the Linear graph (torch's ViewBackward0 & co)."""

    def backward(self, g):
        return (g.reshape(self.shape),)


def _reshape_cls(name):
    return type(name, (_LinearReshape,), {})


_VIEW, _UNSAFE_VIEW = _reshape_cls("ViewBackward0"), _reshape_cls("UnsafeViewBackward0")
_SQUEEZE4, _UNSQUEEZE = _reshape_cls("SqueezeBackward4"), _reshape_cls("UnsqueezeBackward0")


def _light(cls, edge, shape, dt):
    node = cls()
    node.next_functions = (edge,)
    node.needs_input_grad = (True,)
    node.shape, node._dt = shape, dt
    return node


def _edge(t):
    fn = t.grad_fn
    if fn is not None:
        return (fn, t._output_nr)
    if t._requires_grad:
        acc = t._accum
        if acc is None:
            from nnlite.autograd.function import AccumulateGrad

            acc = t._accum = AccumulateGrad(t)
        return (acc, 0)
    return (None, 0)


def _record_linear(out, input, weight, bias, x_shape, in_f, out_f):
    """The graph torch shows for F.linear: AddmmBackward0(bias, x, TBackward0(W)) or
    MmBackward0(x, TBackward0(W)), with ViewBackward0 nodes around it for inputs that are not
    2-D. Only the addmm/mm node computes; the others are reshapes and a transpose."""
    dt = out._data.dtype
    w_edge = _edge(weight)
    if w_edge[0] is not None:
        w_edge = (_light(_LinearT, w_edge, None, dt), 0)
    x_edge = _edge(input)
    nd = len(x_shape)
    if nd != 2 and x_edge[0] is not None:
        cls = _UNSQUEEZE if nd == 1 and bias is None else _VIEW
        x_edge = (_light(cls, x_edge, x_shape, dt), 0)
    if bias is not None:
        core = AddmmBackward0()
        edges = (_edge(bias), x_edge, w_edge)
    else:
        core = MmBackward0()
        edges = (x_edge, w_edge)
    core.next_functions = edges
    core.needs_input_grad = tuple(e[0] is not None for e in edges)
    core._dt = dt
    # save only what the needed gradients read: x for grad_W, W for grad_x
    core.save_for_backward(input if w_edge[0] is not None else None,
                           weight if x_edge[0] is not None else None)
    core.in_f, core.out_f = in_f, out_f
    top = core
    if nd != 2:
        rows = 1
        for s in x_shape[:-1]:
            rows *= s
        cls = _VIEW if bias is not None else (_SQUEEZE4 if nd == 1 else _UNSAFE_VIEW)
        top = _light(cls, (core, 0), (rows, out_f), dt)
    out._requires_grad = True
    out.grad_fn = top


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """``y = x W^T + b``: one BLAS product plus an in-place (numba) bias add, one graph node.

    The backward computes ``grad_W`` only when the weight requires grad: a frozen layer costs
    just the input gradient.
    """
    xd, wd = input._data, weight._data
    if xd.dtype != wd.dtype:
        raise RuntimeError(
            f"mat1 and mat2 must have the same dtype, but got {_NAMES.get(xd.dtype.name)} and "
            f"{_NAMES.get(wd.dtype.name)}"
        )
    if wd.ndim != 2:
        raise RuntimeError(f"linear(): weight must be 2-D, got {wd.ndim}-D")
    out_f, in_f = wd.shape
    if xd.ndim == 0 or xd.shape[-1] != in_f:
        rows = int(np.prod(xd.shape[:-1])) if xd.ndim > 1 else 1
        k = xd.shape[-1] if xd.ndim else 1
        raise RuntimeError(
            f"mat1 and mat2 shapes cannot be multiplied ({rows}x{k} and {in_f}x{out_f})"
        )
    x2 = xd.reshape(-1, in_f)
    y = x2 @ wd.T
    if bias is not None:
        bd = bias._data
        if bd.shape != (out_f,):
            raise RuntimeError(
                f"The size of tensor a ({out_f}) must match the size of tensor b "
                f"({bd.shape[-1] if bd.ndim else 1}) at non-singleton dimension 1"
            )
        if y.size:
            _kernels("elementwise").bias_add_(y, bd)
    out = _W(y.reshape(xd.shape[:-1] + (out_f,)))
    if _GradState.enabled and (input._requires_grad or weight._requires_grad
                               or (bias is not None and bias._requires_grad)):
        _record_linear(out, input, weight, bias, xd.shape, in_f, out_f)
    return out


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
        return out

    op.node_cls = node_cls
    return op


def _relu_fwd(x):
    return _kernels("elementwise").relu_forward(x) if x.size else x.copy()


def _relu_bwd_np(g, x, y):
    return _kernels("elementwise").relu_backward(g, y) if g.size else g.copy()


def _relu_bwd_t(g, x, y):
    return g.masked_fill(y <= 0, 0.0)  # torch's threshold_backward: NaN units pass g


_relu = _pointwise("ReluBackward0", _relu_fwd, _relu_bwd_np, _relu_bwd_t, save="y")


class ReluBackward0(_relu.node_cls):
    """ReLU's node on the lean path (no ``kw``, no ``save`` dispatch): saves only the output."""

    def backward(self, g):
        (y,) = self._unpacked_saved
        if not _GradState.enabled:
            gd = g._data
            return (_W(_kernels("elementwise").relu_backward(gd, y._data) if gd.size
                       else gd.copy()),)
        return (_relu_bwd_t(g, None, y),)




def _leaky_fwd(x, slope):
    return _kernels("elementwise").leaky_relu_forward(x, float(slope)) if x.size else x.copy()


def _leaky_bwd_np(g, x, y, slope):
    if not g.size:
        return g.copy()
    return _kernels("elementwise").leaky_relu_backward(g, x, float(slope))


def _leaky_bwd_t(g, x, y, slope):
    pos = (x > 0).to(g.dtype)
    return g * (pos + (1 - pos) * slope)


_leaky_relu = _pointwise("LeakyReluBackward0", _leaky_fwd, _leaky_bwd_np, _leaky_bwd_t)


def _elu_fwd(x, alpha):
    return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0)))


def _elu_bwd_np(g, x, y, alpha):
    # torch tests x <= 0 for the exponential branch: a NaN input gets the linear slope
    return g * np.where(x <= 0, alpha * np.exp(np.minimum(x, 0)), 1).astype(g.dtype, copy=False)


def _elu_bwd_t(g, x, y, alpha):
    pos = (x <= 0).logical_not().to(g.dtype)
    neg_part = x.clamp(max=0).exp() * alpha
    return g * (pos + (1 - pos) * neg_part)


_elu = _pointwise("EluBackward0", _elu_fwd, _elu_bwd_np, _elu_bwd_t)

_SQRT1_2 = 1.0 / math.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_TANH_C = math.sqrt(2.0 / math.pi)


def _gelu_fwd(x, approximate):
    if approximate == "tanh":
        inner = _TANH_C * (x + 0.044715 * (x * x * x))
        return 0.5 * x * (1.0 + np.tanh(inner))
    return 0.5 * x * (1.0 + erf_np(x * x.dtype.type(_SQRT1_2)))


def _gelu_bwd_np(g, x, y, approximate):
    if approximate == "tanh":
        x2 = x * x
        t = np.tanh(_TANH_C * (x + 0.044715 * x2 * x))
        d = 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * _TANH_C * (1 + 3 * 0.044715 * x2)
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


def _selu_fwd(x):
    t = x.dtype.type
    return np.where(x > 0, x * t(_SELU_SCALE),
                    np.expm1(np.minimum(x, 0)) * t(_SELU_ALPHA * _SELU_SCALE))


def _selu_bwd_np(g, x, y):
    t = g.dtype.type
    d = np.where(x <= 0, np.exp(np.minimum(x, 0)) * t(_SELU_ALPHA * _SELU_SCALE), t(_SELU_SCALE))
    return g * d.astype(g.dtype, copy=False)


def _selu_bwd_t(g, x, y):
    pos = (x <= 0).logical_not().to(g.dtype)
    return g * (pos * _SELU_SCALE + (1 - pos) * x.clamp(max=0).exp() * (_SELU_ALPHA * _SELU_SCALE))


_selu = _pointwise("EluBackward0", _selu_fwd, _selu_bwd_np, _selu_bwd_t)  # torch's name


def selu(x: Tensor) -> Tensor:
    """``scale * elu(x, alpha)`` with the self-normalising constants (one op, as torch)."""
    return _selu(x)


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
    """``y = x if x > 0 else w x``: ``gx = g`` or ``w g`` (at 0: ``w g``), ``gw = sum x g [x <= 0]``."""

    def backward(self, g):
        x, w = self._unpacked_saved
        wb = w.reshape(self.wshape) if self.wshape != w.shape else w
        pos = (x._data > 0).astype(g._data.dtype)
        gx = gw = None
        if not _GradState.enabled:
            gd, xd, wd = g._data, x._data, wb._data
            if self.needs_input_grad[0]:
                gx = _W(gd * np.where(pos > 0, 1, wd).astype(gd.dtype, copy=False))
            if self.needs_input_grad[1]:
                gw = _W(_sum_to_np(gd * xd * (1 - pos), tuple(wb.shape)).reshape(w.shape))
            return gx, gw
        negc = _const(1 - pos)
        if self.needs_input_grad[0]:
            gx = g * (_const(pos) + negc * wb)
        if self.needs_input_grad[1]:
            from nnlite.ops._util import sum_to

            gw = sum_to(g * x * negc, tuple(wb.shape)).reshape(tuple(w.shape))
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
    wshape = tuple(weight.shape)
    if wd.size > 1 and xd.ndim > 1:
        wshape = (1, wd.size) + (1,) * (xd.ndim - 2)
    wb = wd.reshape(wshape)
    out = _W(np.where(xd > 0, xd, wb * xd).astype(xd.dtype, copy=False))
    node = record(out, PreluKernelBackward0, (x, weight), (x, weight))
    if node is not None:
        node.wshape = wshape
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
    # lean path of _relu (the per-step hot op): no errstate, no kw, one fused numba pass
    xd = x._data
    if xd.dtype.kind != "f" or not xd.size:
        return _relu(x)
    out = _W(_kernels("elementwise").relu_forward(xd))
    if _GradState.enabled and x._requires_grad:
        record(out, ReluBackward0, (x,), (out,))
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


# ---- dropout -------------------------------------------------------------------------------


class NativeDropoutBackward0(Node):
    def backward(self, g):
        if not _GradState.enabled:
            return (_W(g._data * self.mask),)
        return (g * _const(self.mask),)


def dropout(x: Tensor, p: float = 0.5, training: bool = True) -> Tensor:
    """Zero each element with probability ``p`` and scale the rest by ``1/(1-p)``.

    The mask comes from nnlite's PyTorch-compatible global generator: after the same
    ``manual_seed`` it is the mask torch draws (on CPUs where torch uses ATen's own bernoulli).
    """
    if not training or p == 0.0:
        return x
    xd = x._data
    if p == 1.0:
        mask = np.zeros(xd.shape, xd.dtype)
    else:
        # torch: noise.bernoulli_(1 - p).div_(1 - p); input * noise -- same draws, same mask
        keep = _R.bernoulli_scalar(_R._gen(), xd.shape, 1.0 - p)
        mask = keep.astype(xd.dtype) / xd.dtype.type(1.0 - p)
    out = _W(xd * mask)
    node = record(out, NativeDropoutBackward0, (x,))
    if node is not None:
        node.mask = mask
    return out


# ---- batch norm ----------------------------------------------------------------------------


def _channels_last_rows(xd: np.ndarray) -> np.ndarray:
    """(N, C, *S) -> (N * prod(S), C) C-contiguous rows, the layout the kernels take."""
    if xd.ndim == 2:
        return xd
    c = xd.shape[1]
    return np.moveaxis(xd, 1, -1).reshape(-1, c)


def _from_rows(y2: np.ndarray, shape: tuple) -> np.ndarray:
    if len(shape) == 2:
        return y2
    moved = (shape[0],) + tuple(shape[2:]) + (shape[1],)
    return np.ascontiguousarray(np.moveaxis(y2.reshape(moved), -1, 1))


def _bn_dims(ndim: int):
    dims = (0,) + tuple(range(2, ndim))
    bshape = lambda c: (1, c) + (1,) * (ndim - 2)
    return dims, bshape


class NativeBatchNormBackward0(Node):
    """Training-mode backward through the batch statistics (fused kernel or Tensor ops)."""

    def backward(self, g):
        saved = self._unpacked_saved
        x = saved[0]
        w = saved[1] if self.has_w else None
        nig = self.needs_input_grad
        want_w = self.has_w and nig[1]
        want_b = self.has_b and nig[self.b_idx]
        gx = gw = gb = None
        if not _GradState.enabled:
            g2 = _channels_last_rows(g._data)
            gx2, gw_a, gb_a = _kernels("norm").batchnorm_backward(
                g2, self.x2, self.mean, self.invstd, None if w is None else w._data
            )
            if nig[0]:
                gx = _W(_from_rows(gx2, self.shape).astype(x._data.dtype, copy=False))
            if want_w:
                gw = _W(gw_a)
            if want_b:
                gb = _W(gb_a)
        else:
            dims, bshape = _bn_dims(x.ndim)
            c = x.shape[1]
            n = x.numel() // c
            mean = x.mean(dims, keepdim=True)
            xc = x - mean
            invstd = ((xc * xc).mean(dims, keepdim=True) + self.eps).rsqrt()
            xhat = xc * invstd
            sum_g = g.sum(dims)
            sum_gx = (g * xhat).sum(dims)
            if nig[0]:
                scale = invstd if w is None else invstd * w.reshape(bshape(c))
                gx = scale * (g - sum_g.reshape(bshape(c)) / n
                              - xhat * sum_gx.reshape(bshape(c)) / n)
            if want_w:
                gw = sum_gx
            if want_b:
                gb = sum_g
        grads = [gx]
        if self.has_w:
            grads.append(gw)
        if self.has_b:
            grads.append(gb)
        return tuple(grads)


class NativeBatchNormEvalBackward0(Node):
    """Eval-mode backward: the statistics are constants, so ``y`` is affine in ``x``."""

    def backward(self, g):
        saved = self._unpacked_saved
        x = saved[0]
        w = saved[1] if self.has_w else None
        nig = self.needs_input_grad
        dims, bshape = _bn_dims(x.ndim)
        c = x.shape[1]
        bs = bshape(c)
        rm, inv = self.rm.reshape(bs), self.invstd.reshape(bs)
        gx = gw = gb = None
        want_w = self.has_w and nig[1]
        want_b = self.has_b and nig[self.b_idx]
        if not _GradState.enabled:
            gd = g._data
            if nig[0]:
                scale = inv if w is None else inv * w._data.reshape(bs)
                gx = _W((gd * scale).astype(gd.dtype, copy=False))
            if want_w:
                gw = _W((gd * ((x._data - rm) * inv)).sum(axis=dims))
            if want_b:
                gb = _W(gd.sum(axis=dims))
        else:
            if nig[0]:
                scale = _const(inv) if w is None else w.reshape(bs) * _const(inv)
                gx = g * scale
            if want_w:
                gw = (g * ((x - _const(rm)) * _const(inv))).sum(dims)
            if want_b:
                gb = g.sum(dims)
        grads = [gx]
        if self.has_w:
            grads.append(gw)
        if self.has_b:
            grads.append(gb)
        return tuple(grads)


def _verify_batch_size(size) -> None:
    n = size[0]
    for s in size[2:]:
        n *= s
    if n == 1:
        raise ValueError(
            f"Expected more than 1 value per channel when training, got input size {size}"
        )


_FUSED_STAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def _fusable_stats(rm, rv) -> bool:
    """Whether the forward kernel can update these running-stat arrays in place."""
    a = rm if rm is not None else rv
    if a is None:
        return True
    dt = a.dtype
    for r in (rm, rv):
        if r is not None and (r.dtype != dt or dt not in _FUSED_STAT_DTYPES
                              or not r.flags.c_contiguous or not r.flags.writeable):
            return False
    return True


class _EmptyBatchNormBackward(NativeBatchNormBackward0):
    """An empty training batch: no statistics, zero gradients for weight and bias."""

    def backward(self, g):
        return tuple(None if not need else _W(np.zeros(shape, g._data.dtype))
                     for need, shape in zip(self.needs_input_grad, self.in_shapes))


_EmptyBatchNormBackward.__name__ = "NativeBatchNormBackward0"


def _empty_batch_norm(input, weight, bias, eps):
    """torch's answer for a training batch with no elements: an empty result, running stats
    untouched, zero gradients for weight and bias (instead of a statistics error)."""
    out = _W(np.empty(input._data.shape, input._data.dtype))
    inputs = tuple(t for t in (input, weight, bias) if t is not None)
    node = record(out, _EmptyBatchNormBackward, inputs)
    if node is not None:
        node.in_shapes = tuple(t._data.shape for t in inputs)
    return out


def batch_norm(input: Tensor, running_mean: Tensor | None, running_var: Tensor | None,
               weight: Tensor | None = None, bias: Tensor | None = None, training: bool = False,
               momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Batch normalisation over (N, C), (N, C, L) or (N, C, H, W) input.

    Training: ``y = (x - mean_B) / sqrt(var_B + eps) * weight + bias`` with the batch's biased
    variance; the running stats (if given) move by ``momentum`` toward the batch mean and the
    *unbiased* batch variance (``momentum * stat + (1 - momentum) * running`` in float64, as
    ATen; fused into the forward kernel). Eval: the running stats replace the batch stats.
    """
    xd = input._data
    shape = xd.shape
    if len(shape) < 2:
        raise ValueError(f"expected 2D or 3D input (got {xd.ndim}D input)")
    c = shape[1]
    cs = (c,)
    for name, t in (("weight", weight), ("bias", bias), ("running_mean", running_mean),
                    ("running_var", running_var)):
        if t is not None and t._data.shape != cs:
            raise RuntimeError(
                f"running_mean should contain {c} elements not {t._data.size}"
                if name.startswith("running") else
                f"{name} should contain {c} elements not {t._data.size}"
            )
    k = _kernels("norm")
    wd = None if weight is None else weight._data
    bd = None if bias is None else bias._data
    if training and xd.size == 0:
        return _empty_batch_norm(input, weight, bias, eps)
    x2 = xd if len(shape) == 2 else _channels_last_rows(xd)
    if training:
        n = shape[0]
        for s in shape[2:]:
            n *= s
        if n == 1:
            _verify_batch_size(input.shape)
        rm = None if running_mean is None else running_mean._data
        rv = None if running_var is None else running_var._data
        if _fusable_stats(rm, rv):
            y2, mean, invstd, var_unb = k.batchnorm_forward_train(x2, wd, bd, eps, rm, rv,
                                                                  momentum)
        else:
            y2, mean, invstd, var_unb = k.batchnorm_forward_train(x2, wd, bd, eps)
            k._running_update_ref(rm, mean, momentum)
            k._running_update_ref(rv, var_unb, momentum)
        if running_mean is not None:
            running_mean._vc[0] += 1
        if running_var is not None:
            running_var._vc[0] += 1
        node_cls = NativeBatchNormBackward0
    else:
        if running_mean is None or running_var is None:
            raise RuntimeError("running_mean and running_var must be defined in evaluation mode")
        y2 = k.batchnorm_forward_eval(x2, running_mean._data, running_var._data, wd, bd, eps)
        node_cls = NativeBatchNormEvalBackward0
    if len(shape) == 2 and y2.dtype is xd.dtype:
        out = _W(y2)
    else:
        out = _W(_from_rows(y2, shape).astype(xd.dtype, copy=False))
    if weight is None:
        inputs = (input,) if bias is None else (input, bias)
    else:
        inputs = (input, weight) if bias is None else (input, weight, bias)
    node = record(out, node_cls, inputs)
    if node is not None:
        node.has_w, node.has_b = weight is not None, bias is not None
        node.b_idx = 2 if weight is not None else 1
        node.eps, node.shape = eps, shape
        if weight is not None:
            node.save_for_backward(input, weight)
        else:
            node.save_for_backward(input)
        if training:
            node.x2 = x2
            node.mean, node.invstd = mean, invstd
        else:
            rv64 = running_var._data.astype(np.float64)
            node.rm = running_mean._data.astype(xd.dtype, copy=True)
            node.invstd = (1.0 / np.sqrt(rv64 + eps)).astype(xd.dtype)
    return out


# ---- layer norm ----------------------------------------------------------------------------


class NativeLayerNormBackward0(Node):
    def backward(self, g):
        saved = self._unpacked_saved
        x = saved[0]
        w = saved[1] if self.has_w else None
        nig = self.needs_input_grad
        want_w = self.has_w and nig[1]
        want_b = self.has_b and nig[self.b_idx]
        nshape = self.nshape
        gx = gw = gb = None
        if not _GradState.enabled:
            dsz = self.dsz
            g2 = np.ascontiguousarray(g._data).reshape(-1, dsz)
            gx2, gw_a, gb_a = _kernels("norm").layernorm_backward(
                g2, self.x2, self.mean, self.invstd,
                None if w is None else w._data.reshape(-1),
            )
            if nig[0]:
                gx = _W(gx2.reshape(x._data.shape).astype(x._data.dtype, copy=False))
            if want_w:
                gw = _W(gw_a.reshape(nshape))
            if want_b:
                gb = _W(gb_a.reshape(nshape))
        else:
            k = len(nshape)
            dims = tuple(range(x.ndim - k, x.ndim))
            lead = tuple(range(x.ndim - k))
            mean = x.mean(dims, keepdim=True)
            xc = x - mean
            invstd = ((xc * xc).mean(dims, keepdim=True) + self.eps).rsqrt()
            xhat = xc * invstd
            gxhat = g if w is None else g * w
            if nig[0]:
                gx = invstd * (gxhat - gxhat.mean(dims, keepdim=True)
                               - xhat * (gxhat * xhat).mean(dims, keepdim=True))
            if want_w:
                gw = (g * xhat).sum(lead) if lead else g * xhat
            if want_b:
                gb = g.sum(lead) if lead else g
        grads = [gx]
        if self.has_w:
            grads.append(gw)
        if self.has_b:
            grads.append(gb)
        return tuple(grads)


def layer_norm(input: Tensor, normalized_shape, weight: Tensor | None = None,
               bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    """Normalise over the trailing ``normalized_shape`` dims: ``(x - mean) / sqrt(var + eps)``
    (biased variance) then ``* weight + bias``."""
    if isinstance(normalized_shape, int):
        normalized_shape = (normalized_shape,)
    nshape = tuple(int(s) for s in normalized_shape)
    xd = input._data
    k = len(nshape)
    if xd.ndim < k or tuple(xd.shape[xd.ndim - k:]) != nshape:
        raise RuntimeError(
            f"Given normalized_shape={list(nshape)}, expected input with shape "
            f"[*, {', '.join(str(s) for s in nshape)}], but got input of size"
            f"{list(input.shape)}"
        )
    dsz = int(np.prod(nshape)) if nshape else 1
    x2 = np.ascontiguousarray(xd).reshape(-1, dsz)
    wd = None if weight is None else weight._data.reshape(-1)
    bd = None if bias is None else bias._data.reshape(-1)
    y2, mean, invstd = _kernels("norm").layernorm_forward(x2, wd, bd, eps)
    out = _W(y2.reshape(xd.shape).astype(xd.dtype, copy=False))
    inputs = [input]
    if weight is not None:
        inputs.append(weight)
    if bias is not None:
        inputs.append(bias)
    node = record(out, NativeLayerNormBackward0, tuple(inputs))
    if node is not None:
        node.has_w, node.has_b = weight is not None, bias is not None
        node.b_idx = 2 if weight is not None else 1
        node.eps, node.nshape, node.dsz = eps, nshape, dsz
        node.x2, node.mean, node.invstd = x2, mean, invstd
        node.save_for_backward(input, *([weight] if weight is not None else []))
    return out


# ---- cross entropy (class indices), fused -------------------------------------------------


class NllLossBackward0(Node):
    """Backward of the fused softmax + cross-entropy (PyTorch's graph ends in NllLossBackward0)."""

    def backward(self, g):
        (logits,) = self._unpacked_saved
        m, c = self.rows_shape
        if not _GradState.enabled:
            gd = g._data
            if self.reduction == "none":
                grows = np.ascontiguousarray(gd.reshape(-1))
            else:
                grows = np.empty(m, self.logp.dtype)
                grows.fill(gd.reshape(()) * self.scale)
            g2 = _kernels("loss").cross_entropy_backward(
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


def cross_entropy_indices(input: Tensor, target: Tensor, weight: Tensor | None,
                          ignore_index: int, reduction: str, label_smoothing: float) -> Tensor:
    """Fused log-softmax + NLL for class-index targets (numba kernel forward and backward)."""
    xd = input._data
    td = target._data
    c = xd.shape[1] if xd.ndim >= 2 else xd.shape[0]
    if td.dtype.kind not in "iu":
        raise RuntimeError(
            f"expected scalar type Long but found {_NAMES.get(td.dtype.name, td.dtype.name)}"
        )
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
    loss_rows, logp, loss_sum, denom = _kernels("loss").cross_entropy_forward_sums(
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
        node.rows_shape = z2.shape
        node.in_shape = xd.shape
        node.logp, node.target = logp, t1
        node.weight = None if wd is None else np.ascontiguousarray(wd, dtype=logp.dtype)
        node.ignore_index, node.label_smoothing = int(ignore_index), float(label_smoothing)
        node.reduction, node.scale = reduction, scale
    return out
