"""Elementwise ops: arithmetic, unary math, comparisons, where/clamp, casts.

Each op computes its forward on numpy arrays and records a node whose ``backward`` is written in
Tensor ops (so it is differentiable again when ``create_graph=True``).
"""

from __future__ import annotations

import builtins
import math

import numpy as np

from nnlite import _dtype as D
from nnlite._tensor import Tensor, _as_array, _check_device
from nnlite.autograd.function import Node, record
from nnlite.autograd.grad_mode import _GradState
from nnlite.kernels import lazy as _lazy_kernels
from nnlite.ops._util import _SCALARS, broadcast_shape, result_float, sum_to
from nnlite.ops._util import TYPE_NAMES as _TYPE_NAMES

_elementwise_kernels = _lazy_kernels("elementwise")

_W = Tensor._wrap
_NOGRAD = Tensor._wrap(np.zeros(()))  # stands for a Python scalar operand: edge (None, 0)


# ---- dtype handling for binary ops --------------------------------------------------------


def _no_bool(arr: np.ndarray, kernel: str) -> None:
    """torch has no bool kernel for some ops: its NotImplementedError, naming the kernel."""
    if arr.dtype == np.bool_:
        raise NotImplementedError(f'"{kernel}" not implemented for \'Bool\'')


def _operands(a, b):
    """Arrays for ``a op b`` with PyTorch's promotion; scalars stay Python scalars."""
    if isinstance(b, _SCALARS) and not isinstance(b, np.ndarray):
        ad = a._data
        if ad.dtype.kind in "biu" and isinstance(b, (builtins.float, np.floating)):
            return ad.astype(D._default_float.np), builtins.float(b)
        if isinstance(b, np.generic):
            b = b.item()
        if ad.dtype.kind == "b" and isinstance(b, builtins.int) and not isinstance(b, builtins.bool):
            return ad.astype(np.int64), b
        return ad, b
    if not isinstance(b, Tensor):
        b = Tensor._wrap(_as_array(b))
    ad, bd = a._data, b._data
    if ad.shape != bd.shape:
        _check_broadcast(ad.shape, bd.shape)
    if ad.dtype != bd.dtype:
        rt = D.result_type_np(ad, bd)
        if ad.dtype != rt:
            ad = ad.astype(rt)
        if bd.dtype != rt:
            bd = bd.astype(rt)
    return ad, bd


def _check_broadcast(sa: tuple, sb: tuple) -> None:
    """PyTorch's RuntimeError for shapes that do not broadcast (numpy would raise ValueError)."""
    n = max(len(sa), len(sb))
    for k in range(1, min(len(sa), len(sb)) + 1):
        x, y = sa[-k], sb[-k]
        if x != y and x != 1 and y != 1:
            raise RuntimeError(
                f"The size of tensor a ({x}) must match the size of tensor b ({y}) at "
                f"non-singleton dimension {n - k}"
            )


def _fix_div(out, ad):
    # int / int is true division in the default float dtype (numpy would give float64).
    if out.dtype == np.float64 and ad.dtype != np.float64:
        return out.astype(D._default_float.np)
    return out


def _inputs(a, b):
    return (a, b) if isinstance(b, Tensor) else (a, _NOGRAD)


# ---- arithmetic ---------------------------------------------------------------------------


class AddBackward0(Node):
    def backward(self, g):
        ga = sum_to(g, self.a_shape) if self.needs_input_grad[0] else None
        gb = None
        if self.needs_input_grad[1]:
            gb = sum_to(g, self.b_shape)
            if self.alpha != 1:
                gb = gb * self.alpha
        return ga, gb


class SubBackward0(Node):
    def backward(self, g):
        ga = sum_to(g, self.a_shape) if self.needs_input_grad[0] else None
        gb = sum_to(-g if self.alpha == 1 else g * (-self.alpha), self.b_shape) \
            if self.needs_input_grad[1] else None
        return ga, gb


class RsubBackward1(Node):
    def backward(self, g):
        return (-g,)


class AddBackward1(Node):
    """``x + s`` for a Python number ``s``: torch's ``add.Scalar``, the node its C++ composites
    (``pairwise_distance``) show; ``x + 1.0`` from Python is ``AddBackward0`` in torch too."""

    def backward(self, g):
        return (g,)


class MulBackward1(Node):
    """``x * s`` for a Python number ``s``: torch's ``mul.Scalar`` (as label-smoothed
    cross-entropy's weights of its two terms)."""

    def backward(self, g):
        return (g * self.scalar,)


def add_scalar(x, s):
    """``x + s`` (float ``x``, Python number ``s``) with torch's ``add.Scalar`` node."""
    out = _W(x._data + x._data.dtype.type(s))
    record(out, AddBackward1, (x,))
    return out


def mul_scalar(x, s):
    """``x * s`` (float ``x``, Python number ``s``) with torch's ``mul.Scalar`` node."""
    out = _W(x._data * x._data.dtype.type(s))
    node = record(out, MulBackward1, (x,))
    if node is not None:
        node.scalar = s
    return out


def add(a, b, alpha=1):
    """``a + alpha * b`` with broadcasting."""
    if not isinstance(a, Tensor):
        a, b = _as_tensor_first(a, b)
    ad, bd = _operands(a, b)
    out = _W(ad + bd if alpha == 1 else ad + alpha * bd)
    node = record(out, AddBackward0, _inputs(a, b))
    if node is not None:
        node.a_shape = a._data.shape
        node.b_shape = bd.shape if isinstance(b, Tensor) else ()
        node.alpha = alpha
    return out


def _is_bool(v) -> bool:
    return isinstance(v, builtins.bool) or (isinstance(v, Tensor) and v._data.dtype == np.bool_)


def _sub_bool_check(a, b) -> None:
    """torch refuses ``-`` on bools (a bool tensor, or a bool scalar as the other operand)."""
    if _is_bool(a) or _is_bool(b):
        if _is_bool(a) and _is_bool(b) and isinstance(a, Tensor) and isinstance(b, Tensor):
            raise RuntimeError(
                "Subtraction, the `-` operator, with two bool tensors is not supported. "
                "Use the `^` or `logical_xor()` operator instead."
            )
        raise RuntimeError(
            "Subtraction, the `-` operator, with a bool tensor is not supported. If you are "
            "trying to invert a mask, use the `~` or `logical_not()` operator instead."
        )


def sub(a, b, alpha=1):
    if not isinstance(a, Tensor):
        a, b = _as_tensor_first(a, b)
    _sub_bool_check(a, b)
    ad, bd = _operands(a, b)
    out = _W(ad - bd if alpha == 1 else ad - alpha * bd)
    node = record(out, SubBackward0, _inputs(a, b))
    if node is not None:
        node.a_shape = a._data.shape
        node.b_shape = bd.shape if isinstance(b, Tensor) else ()
        node.alpha = alpha
    return out


def rsub_scalar(a, s):
    """``s - a`` for a scalar ``s``."""
    _sub_bool_check(a, s)
    ad, sd = _operands(a, s)
    out = _W(sd - ad)
    record(out, RsubBackward1, (a,))  # one edge, as torch's ``s - a`` shows it
    return out


class MulBackward0(Node):
    def backward(self, g):
        a, b = self._unpacked_saved
        ga = gb = None
        if self.needs_input_grad[0]:
            ga = sum_to(g * (b if b is not None else self.scalar), self.a_shape)
        if self.needs_input_grad[1]:
            gb = sum_to(g * a, self.b_shape)
        return ga, gb


def mul(a, b):
    if not isinstance(a, Tensor):
        a, b = _as_tensor_first(a, b)
    ad, bd = _operands(a, b)
    out = _W(ad * bd)
    if isinstance(b, Tensor):
        node = record(out, MulBackward0, (a, b), (a, b))
        if node is not None:
            node.a_shape, node.b_shape = ad.shape, bd.shape
    else:
        node = record(out, MulBackward0, (a, _NOGRAD))
        if node is not None:
            node.save_for_backward(a, None)
            node.scalar = bd
            node.a_shape, node.b_shape = ad.shape, ()
    return out


class DivBackward0(Node):
    def backward(self, g):
        a, b = self._unpacked_saved
        ga = gb = None
        if b is None:
            return g / self.scalar, None
        if self.needs_input_grad[0]:
            ga = sum_to(g / b, self.a_shape)
        if self.needs_input_grad[1]:
            gb = sum_to(-g * a / (b * b), self.b_shape)
        return ga, gb


class DivBackward1(Node):
    """``x / s`` for a Python number ``s``: torch's ``div.Scalar``, the node its C++ composites
    show (cross-entropy with probability targets divides by the row count so)."""

    def backward(self, g):
        return (g / self.scalar,)


def div_scalar(x, s):
    """``x / s`` (float ``x``, Python number ``s``) with torch's ``div.Scalar`` node."""
    with np.errstate(divide="ignore", invalid="ignore"):
        out = _W(_fix_div(np.true_divide(x._data, x._data.dtype.type(s)), x._data))
    node = record(out, DivBackward1, (x,))
    if node is not None:
        node.scalar = s
    return out


def div(a, b, rounding_mode=None):
    """``a / b`` (true division); ``rounding_mode`` 'trunc' or 'floor' gives no gradient."""
    if not isinstance(a, Tensor):
        a, b = _as_tensor_first(a, b)
    ad, bd = _operands(a, b)
    if rounding_mode is not None:
        if rounding_mode in ("floor", "trunc"):
            _no_bool(ad, f"div_{rounding_mode}_cpu")
        if ad.dtype.kind in "biu" and np.any(np.asarray(bd) == 0):
            raise RuntimeError("ZeroDivisionError")  # torch's integer division by zero
        if rounding_mode == "floor":
            with np.errstate(divide="ignore", invalid="ignore"):
                r = np.floor_divide(ad, bd) if ad.dtype.kind in "iu" else np.floor(ad / bd)
        elif rounding_mode == "trunc":
            r = np.trunc(ad / bd)
            if ad.dtype.kind in "iu":
                r = r.astype(ad.dtype)
        else:
            raise ValueError(
                f"div expected rounding_mode to be one of None, 'trunc', or 'floor' but found "
                f"'{rounding_mode}'"
            )
        out = _W(np.asarray(r).astype(ad.dtype, copy=False))
        return out
    with np.errstate(divide="ignore", invalid="ignore"):
        out = _W(_fix_div(np.true_divide(ad, bd), ad))
    if isinstance(b, Tensor):
        node = record(out, DivBackward0, (a, b), (a, b))
        if node is not None:
            node.a_shape, node.b_shape = ad.shape, bd.shape
    else:
        node = record(out, DivBackward0, (a, _NOGRAD))
        if node is not None:
            node.save_for_backward(a, None)
            node.scalar = bd
    return out


def rdiv(a, s):
    """``s / a`` for a scalar ``s``."""
    return mul(reciprocal(a), s)


def floor_divide(a, b):
    return div(a, b, rounding_mode="floor")


class RemainderBackward0(Node):
    """``a % s`` for a scalar ``s``: the gradient passes through."""

    def backward(self, g):
        return g, None


class RemainderBackward1(Node):
    """``a % b`` = ``a - floor(a / b) * b``: d/db is ``-floor(a / b)``."""

    _rounding = "floor"

    def backward(self, g):
        a, b = self._unpacked_saved
        ga = sum_to(g, self.a_shape) if self.needs_input_grad[0] else None
        gb = None
        if self.needs_input_grad[1]:
            gb = sum_to(-g * div(a, b, rounding_mode=self._rounding), self.b_shape)
        return ga, gb


class FmodBackward0(RemainderBackward0):
    pass


class FmodBackward1(RemainderBackward1):
    """``fmod(a, b)`` = ``a - trunc(a / b) * b``."""

    _rounding = "trunc"


def _remainder_np(ad, bd):
    if np.asarray(ad).dtype.kind != "f":
        if np.any(np.asarray(bd) == 0):
            raise RuntimeError("ZeroDivisionError")
        return np.remainder(ad, bd)
    # torch: m = fmod(a, b); m + b where m != 0 and sign(m) != sign(b) -- so 0 % -1 is +0
    # (numpy's remainder gives -0, the divisor's sign)
    with np.errstate(invalid="ignore", divide="ignore"):
        m = np.fmod(ad, bd)
        return np.where((m != 0) & ((bd < 0) != (m < 0)), m + bd, m)


def _fmod_np(ad, bd):
    if np.asarray(ad).dtype.kind != "f" and np.any(np.asarray(bd) == 0):
        raise RuntimeError("ZeroDivisionError")
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.fmod(ad, bd)


def _modulo(a, b, fn, scalar_cls, tensor_cls):
    if not isinstance(a, Tensor):
        a, b = _as_tensor_first(a, b)
    ad, bd = _operands(a, b)
    _no_bool(ad, "remainder_cpu" if fn is _remainder_np else "fmod_cpu")
    out = _W(np.asarray(fn(ad, bd)))
    if isinstance(b, Tensor):
        node = record(out, tensor_cls, (a, b), (a, b))
        if node is not None:
            node.a_shape, node.b_shape = a._data.shape, b._data.shape
    else:
        record(out, scalar_cls, (a, _NOGRAD))
    return out


def remainder(a, b):
    """Python's ``a % b``: the result takes the divisor's sign."""
    return _modulo(a, b, _remainder_np, RemainderBackward0, RemainderBackward1)


def fmod(a, b):
    """C's ``fmod``: the result takes the dividend's sign."""
    return _modulo(a, b, _fmod_np, FmodBackward0, FmodBackward1)


class PowBackward0(Node):
    def backward(self, g):
        (a,) = self._unpacked_saved
        e = self.exponent
        if e == 0:
            return g * 0.0, None
        return g * e * pow(a, e - 1), None


class PowBackward1(Node):
    def backward(self, g):
        a, b = self._unpacked_saved
        ga = gb = None
        if self.needs_input_grad[0]:
            # 0 where the exponent is 0 (not 0 * a**-1 = NaN at a = 0), as torch
            ga = g * b * pow(a, b - 1)
            ga = sum_to(where(eq(b, 0), zeros_like(ga), ga), self.a_shape)
        if self.needs_input_grad[1]:
            # d/db a**b = a**b * log(a); PyTorch defines it as 0 where a == 0 and b >= 0.
            out = pow(a, b)
            la = where(eq(a, 0) & ge(b, 0), zeros_like(a), log(a))
            gb = sum_to(g * out * la, self.b_shape)
        return ga, gb


class PowBackward2(Node):
    def backward(self, g):
        (b,) = self._unpacked_saved
        base = self.base
        out = pow(base, b)
        lb = math.log(base) if base > 0 else (0.0 if base == 0 else math.nan)
        return (g * out * lb,)


def pow(a, b):
    """``a ** b`` for tensor or scalar exponent (and scalar base via ``rpow``)."""
    if not isinstance(a, Tensor):
        return rpow(b, a)
    ad, bd = _operands(a, b)
    if isinstance(b, Tensor):
        _no_bool(ad, "pow")
        with np.errstate(divide="ignore", invalid="ignore"):
            out = _W(np.power(ad, bd))
        node = record(out, PowBackward1, (a, b), (a, b))
        if node is not None:
            node.a_shape, node.b_shape = ad.shape, bd.shape
        return out
    if ad.dtype.kind in "iu" and isinstance(bd, builtins.int) and bd < 0:
        raise RuntimeError("Integers to negative integer powers are not allowed.")
    with np.errstate(divide="ignore", invalid="ignore"):
        if bd == 2:
            r = ad * ad
        elif bd == 0.5:
            r = np.sqrt(ad)
        elif bd == 1:
            r = ad.copy()
        else:
            r = np.power(ad, bd if ad.dtype.kind != "f" else ad.dtype.type(bd))
    out = _W(np.asarray(r))
    node = record(out, PowBackward0, (a,), (a,))
    if node is not None:
        node.exponent = bd
    return out


def rpow(b, base):
    """``base ** b`` for a scalar ``base`` and tensor exponent ``b``."""
    bd, sd = _operands(b, base)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        out = _W(np.asarray(np.power(bd.dtype.type(sd) if bd.dtype.kind == "f" else sd, bd)))
    node = record(out, PowBackward2, (b,), (b,))  # one edge: the exponent, as torch
    if node is not None:
        node.base = builtins.float(base)
    return out


def _as_tensor_first(a, b):
    # scalar op Tensor: wrap the scalar in the tensor's dtype family
    if isinstance(b, Tensor):
        if isinstance(a, _SCALARS):
            ad = np.asarray(a)
            if isinstance(a, builtins.float) and b._data.dtype.kind == "f":
                ad = ad.astype(b._data.dtype)
            elif isinstance(a, builtins.float):
                ad = ad.astype(D._default_float.np)
            elif isinstance(a, builtins.bool):
                ad = ad.astype(np.bool_)
            elif isinstance(a, builtins.int):
                ad = ad.astype(b._data.dtype if b._data.dtype.kind != "b" else np.int64)
            return Tensor._wrap(ad), b
    return Tensor._wrap(_as_array(a)), b


# ---- unary math ---------------------------------------------------------------------------


def _unary(name, fwd, bwd, save_out=False, bwd_np=None):
    """Build an op ``f(x)`` from a numpy forward and a Tensor-ops backward ``bwd(g, x, out)``.

    ``bwd_np(g, saved)`` on arrays, when given, is the fast path used when no graph is built.
    """
    node_cls = type(name, (Node,), {})

    def backward(self, g):
        (s,) = self._unpacked_saved
        if bwd_np is not None and not _GradState.enabled and g._data.size:
            return (_W(bwd_np(g._data, s._data)),)
        return (bwd(g, None, s) if save_out else bwd(g, s, None),)

    node_cls.backward = backward

    def op(x):
        if not isinstance(x, Tensor):
            x = Tensor._wrap(_as_array(x))
        xd = x._data
        if xd.dtype.kind != "f":
            xd = xd.astype(D._default_float.np)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            out = _W(np.asarray(fwd(xd)))
        if _GradState.enabled and x._requires_grad:
            record(out, node_cls, (x,), (out,) if save_out else (x,))
        return out

    op.__name__ = name.replace("Backward0", "").lower()
    op.node_cls = node_cls
    return op


def _rounded_once(fn):
    """``fn`` of a float32 array computed in float64 and rounded once to float32.

    torch's CPU exp/log/tanh (MKL's vector math) are within an ulp of the correctly rounded
    result; numpy's float32 SIMD versions are up to 2-3 ulp off. Rounding the float64 result
    gives torch's exact bits on 99.0 % (exp), 99.9 % (tanh) and 93 % (log) of float32 inputs,
    against 61 %, 68 % and 84 % before (bench/float32_drift.py, part 3; docs/float32_rounding.md).
    """

    def f(x):
        if x.dtype == np.float32:
            return fn(x.astype(np.float64)).astype(np.float32)
        return fn(x)

    f.__name__ = fn.__name__
    return f


_exp_rounded = _rounded_once(np.exp)
exp = _unary("ExpBackward0", _exp_rounded, lambda g, x, y: g * y, save_out=True)
exp2 = _unary("Exp2Backward0", np.exp2, lambda g, x, y: g * y * math.log(2.0), save_out=True)
expm1 = _unary("Expm1Backward0", _rounded_once(np.expm1), lambda g, x, y: g * (y + 1),
               save_out=True)
log = _unary("LogBackward0", _rounded_once(np.log), lambda g, x, y: g / x)
log2 = _unary("Log2Backward0", np.log2, lambda g, x, y: g / (x * math.log(2.0)))
log10 = _unary("Log10Backward0", np.log10, lambda g, x, y: g / (x * math.log(10.0)))
log1p = _unary("Log1PBackward0", _rounded_once(np.log1p), lambda g, x, y: g / (x + 1))
sqrt = _unary("SqrtBackward0", np.sqrt, lambda g, x, y: g / (y * 2), save_out=True)
rsqrt = _unary(
    "RsqrtBackward0", lambda x: 1 / np.sqrt(x), lambda g, x, y: g * y * y * y * (-0.5),
    save_out=True,
)
sin = _unary("SinBackward0", _rounded_once(np.sin), lambda g, x, y: g * cos(x))
cos = _unary("CosBackward0", _rounded_once(np.cos), lambda g, x, y: -(g * sin(x)))
tan = _unary("TanBackward0", np.tan, lambda g, x, y: g * (y * y + 1), save_out=True)
def _tanh_bwd_np(g, y):
    tanh_backward = _elementwise_kernels.tanh_backward

    return tanh_backward(g, y)


def _sigmoid_bwd_np(g, y):
    sigmoid_backward = _elementwise_kernels.sigmoid_backward

    return sigmoid_backward(g, y)


tanh = _unary(
    "TanhBackward0", _rounded_once(np.tanh), lambda g, x, y: g * (1 - y * y), save_out=True,
    bwd_np=_tanh_bwd_np,
)
asin = _unary("AsinBackward0", np.arcsin, lambda g, x, y: g * rsqrt(1 - x * x))
acos = _unary("AcosBackward0", np.arccos, lambda g, x, y: -(g * rsqrt(1 - x * x)))
atan = _unary("AtanBackward0", np.arctan, lambda g, x, y: g / (x * x + 1))
sinh = _unary("SinhBackward0", np.sinh, lambda g, x, y: g * cosh(x))
cosh = _unary("CoshBackward0", np.cosh, lambda g, x, y: g * sinh(x))
reciprocal = _unary(
    "ReciprocalBackward0", lambda x: 1 / x, lambda g, x, y: -(g * y * y), save_out=True
)
def _square_float(x):
    """``x * x`` recorded as ``pow(x, 2)`` (torch's PowBackward0: ``2 x`` times the gradient)."""
    if not isinstance(x, Tensor):
        x = Tensor._wrap(_as_array(x))
    xd = x._data
    if xd.dtype.kind != "f":
        xd = xd.astype(D._default_float.np)
    with np.errstate(over="ignore", invalid="ignore"):
        out = _W(np.asarray(xd * xd))
    if _GradState.enabled and x._requires_grad:
        node = record(out, PowBackward0, (x,), (x,))
        node.exponent = 2
    return out


def square(x):
    """``x * x``; integer tensors stay integer (bool gives int64), as torch's ``pow(x, 2)``."""
    if isinstance(x, Tensor) and x._data.dtype.kind in "biu":
        d = x._data.astype(np.int64) if x._data.dtype == np.bool_ else x._data
        return _W(d * d)
    return _square_float(x)


def _sigmoid_np(x):
    # torch's kernel: 1 / (1 + exp(-x)) (an overflowing exp gives 0, as torch's); in float32 on
    # the once-rounded exp: 96 % of float32 and 97 % of float64 results bit-equal to torch's
    # (the exp(-|x|) form: 83 % / 77 %)
    one = x.dtype.type(1)
    return one / (one + _exp_rounded(-x))


sigmoid = _unary(
    "SigmoidBackward0", _sigmoid_np, lambda g, x, y: g * y * (1 - y), save_out=True,
    bwd_np=_sigmoid_bwd_np,
)


class _ZeroGrad(Node):
    def backward(self, g):
        return (g * 0.0,)


def _zero_grad_op(name, fwd, bool_kernel=None):
    cls = type(name, (_ZeroGrad,), {})

    def op(x):
        if not isinstance(x, Tensor):
            x = Tensor._wrap(_as_array(x))
        if bool_kernel is not None:
            _no_bool(x._data, bool_kernel)
        out = _W(np.asarray(fwd(x._data)))
        if out._data.dtype.kind == "f":
            record(out, cls, (x,))
        return out

    op.__name__ = name.replace("Backward0", "").lower()
    return op


def _sign_np(x):
    # torch.sign(NaN) is 0 (numpy's is NaN); abs's gradient g * sign(x) is then 0 there too
    if x.dtype == np.bool_:  # numpy has no bool sign; torch's is the mask itself
        return x.copy()
    s = np.sign(x)
    if s.dtype.kind == "f" and s.size and np.isnan(s).any():
        s = np.where(np.isnan(s), s.dtype.type(0), s)
    return s


sign = _zero_grad_op("SignBackward0", _sign_np)
floor = _zero_grad_op("FloorBackward0", np.floor, "floor_vml_cpu")
ceil = _zero_grad_op("CeilBackward0", np.ceil, "ceil_vml_cpu")
trunc = _zero_grad_op("TruncBackward0", np.trunc, "trunc_vml_cpu")
frac = _unary("FracBackward0", lambda x: x - np.trunc(x), lambda g, x, y: g)


def round(x, decimals=0):  # noqa: A001
    return _zero_grad_op("RoundBackward0", lambda a: np.round(a, decimals), "round_vml_cpu")(x)


class NegBackward0(Node):
    def backward(self, g):
        return (-g,)


def neg(x):
    if x._data.dtype == np.bool_:
        raise RuntimeError(
            "Negation, the `-` operator, on a bool tensor is not supported. If you are trying "
            "to invert a mask, use the `~` or `logical_not()` operator instead."
        )
    out = _W(-x._data)
    record(out, NegBackward0, (x,))
    return out


class AbsBackward0(Node):
    def backward(self, g):
        (x,) = self._unpacked_saved
        return (g * sign(x),)


def abs(x):  # noqa: A001
    _no_bool(x._data, "abs_cpu")
    out = _W(np.abs(x._data))
    record(out, AbsBackward0, (x,), (x,))
    return out


class ClampBackward1(Node):
    def backward(self, g):
        (x,) = self._unpacked_saved
        lo, hi = self.lo, self.hi
        m = None
        if lo is not None:
            m = ge(x, lo)
        if hi is not None:
            m2 = le(x, hi)
            m = m2 if m is None else logical_and(m, m2)
        return (g * m,)


def clamp(x, min=None, max=None):  # noqa: A002
    """Clamp into ``[min, max]``; the gradient passes where ``min <= x <= max``."""
    if isinstance(min, Tensor) or isinstance(max, Tensor):
        out = x
        if min is not None:
            out = maximum(out, min if isinstance(min, Tensor) else full_like(x, min))
        if max is not None:
            out = minimum(out, max if isinstance(max, Tensor) else full_like(x, max))
        return out
    if min is None and max is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    xd = x._data
    if xd.dtype.kind in "iub" and (isinstance(min, builtins.float) or isinstance(max, builtins.float)):
        xd = xd.astype(D._default_float.np)
    elif xd.dtype == np.bool_ and any(isinstance(v, builtins.int) and not isinstance(v, builtins.bool)
                                      for v in (min, max)):
        xd = xd.astype(np.int64)  # torch's promotion: a bool tensor clamped to an int is int64
    out = _W(np.clip(xd, min, max).astype(xd.dtype, copy=False))
    node = record(out, ClampBackward1, (x,), (x,))
    if node is not None:
        node.lo, node.hi = min, max
    return out


clip = clamp


class ClampMinBackward0(ClampBackward1):
    pass


class ClampMaxBackward0(ClampBackward1):
    pass


def clamp_min(x, min):  # noqa: A002
    out = clamp(x, min=min)
    if out.grad_fn.__class__ is ClampBackward1:
        out.grad_fn.__class__ = ClampMinBackward0  # torch's name for the method's node
    return out


def clamp_max(x, max):  # noqa: A002
    out = clamp(x, max=max)
    if out.grad_fn.__class__ is ClampBackward1:
        out.grad_fn.__class__ = ClampMaxBackward0
    return out


class MaximumBackward0(Node):
    def backward(self, g):
        a, b = self._unpacked_saved
        # torch: ties share the gradient equally; each side is zeroed only where the other one
        # wins, so a NaN operand (which wins) passes its gradient
        half = where(eq(a, b), g * 0.5, g)
        ga = gb = None
        if self.needs_input_grad[0]:
            ga = sum_to(half.masked_fill(gt(a, b) if self.is_min else lt(a, b), 0.0),
                        self.a_shape)
        if self.needs_input_grad[1]:
            gb = sum_to(half.masked_fill(lt(a, b) if self.is_min else gt(a, b), 0.0),
                        self.b_shape)
        return ga, gb


class MinimumBackward0(MaximumBackward0):
    pass


def _max_min(a, b, is_min):
    if not isinstance(a, Tensor):
        a = Tensor._wrap(_as_array(a))
    if not isinstance(b, Tensor):
        b = Tensor._wrap(_as_array(b))
    ad, bd = _operands(a, b)
    out = _W(np.minimum(ad, bd) if is_min else np.maximum(ad, bd))
    node = record(out, MinimumBackward0 if is_min else MaximumBackward0, (a, b), (a, b))
    if node is not None:
        node.a_shape, node.b_shape, node.is_min = ad.shape, bd.shape, is_min
    return out


def maximum(a, b):
    return _max_min(a, b, False)


def minimum(a, b):
    return _max_min(a, b, True)


class FmaxBackward0(Node):
    """The gradient goes to ``a`` where it was chosen (``a >= b``, for fmin ``a <= b``, or ``b``
    is NaN), else to ``b``: no tie splitting, as PyTorch's formula."""

    def backward(self, g):
        a, b = self._unpacked_saved
        keep = logical_or(le(a, b) if self._is_min else ge(a, b), isnan(b))
        z = zeros_like(g)
        ga = sum_to(where(keep, g, z), self.a_shape) if self.needs_input_grad[0] else None
        gb = sum_to(where(keep, z, g), self.b_shape) if self.needs_input_grad[1] else None
        return ga, gb


class FminBackward0(FmaxBackward0):
    _is_min = True


FmaxBackward0._is_min = False


def _fmax_fmin(a, b, is_min):
    if not isinstance(a, Tensor):
        a = Tensor._wrap(_as_array(a))
    if not isinstance(b, Tensor):
        b = Tensor._wrap(_as_array(b))
    ad, bd = _operands(a, b)
    # NaN is ignored: the other operand wins unless both are NaN (numpy's fmax/fmin agree)
    out = _W(np.asarray(np.fmin(ad, bd) if is_min else np.fmax(ad, bd)))
    node = record(out, FminBackward0 if is_min else FmaxBackward0, (a, b), (a, b))
    if node is not None:
        node.a_shape, node.b_shape = ad.shape, bd.shape
    return out


def fmax(a, b):
    """Elementwise maximum that ignores NaN: ``fmax(nan, 1) == 1``."""
    return _fmax_fmin(a, b, False)


def fmin(a, b):
    """Elementwise minimum that ignores NaN: ``fmin(nan, 1) == 1``."""
    return _fmax_fmin(a, b, True)


class WhereBackward0(Node):
    def backward(self, g):
        (c,) = self._unpacked_saved
        z = zeros_like(g)
        ga = sum_to(where(c, g, z), self.a_shape) if self.needs_input_grad[0] else None
        gb = sum_to(where(c, z, g), self.b_shape) if self.needs_input_grad[1] else None
        return ga, gb


def where(condition, input=None, other=None):  # noqa: A002
    """``input`` where ``condition`` holds, else ``other`` (or the indices, one-argument form)."""
    if input is None and other is None:
        if not isinstance(condition, Tensor):
            raise TypeError("where(): argument 'condition' (position 1) must be Tensor, not "
                            f"{type(condition).__name__}")
        return tuple(_W(i) for i in np.nonzero(np.atleast_1d(condition._data)))
    c = condition if isinstance(condition, Tensor) else _W(_as_array(condition))
    if not isinstance(input, Tensor) and not isinstance(other, Tensor):
        input = _W(_as_array(input))
    if not isinstance(input, Tensor):
        input = _scalar_like(input, other)
    if not isinstance(other, Tensor):
        other = _scalar_like(other, input)
    ad, bd = _operands(input, other)
    out = _W(np.where(c._data.astype(np.bool_, copy=False), ad, bd))
    # edges for the two values only (the condition is not differentiable), as torch's
    node = record(out, WhereBackward0, (input, other), (c,))
    if node is not None:
        node.a_shape, node.b_shape = ad.shape, bd.shape
    return out


def _scalar_like(s, t):
    """A Python scalar as a 0-dim operand of ``t``'s kind (bool with an int gives int64)."""
    arr = np.asarray(s)
    tk = t._data.dtype.kind
    if tk == "f" or arr.dtype.kind == tk or (arr.dtype.kind == "i" and tk in "iu"):
        arr = arr.astype(t._data.dtype)
    elif arr.dtype.kind == "f":
        arr = arr.astype(D._default_float.np)
    elif arr.dtype.kind == "b":
        arr = arr.astype(t._data.dtype)
    else:
        arr = arr.astype(np.int64)
    return _W(arr)


# ---- comparisons and logic (no gradient) --------------------------------------------------


def _cmp(fn):
    def op(a, b):
        if not isinstance(a, Tensor):
            a = _W(_as_array(a))
        ad, bd = _operands(a, b)
        return _W(np.asarray(fn(ad, bd)))

    return op


eq = _cmp(np.equal)
ne = _cmp(np.not_equal)
lt = _cmp(np.less)
le = _cmp(np.less_equal)
gt = _cmp(np.greater)
ge = _cmp(np.greater_equal)
logical_and = _cmp(np.logical_and)
logical_or = _cmp(np.logical_or)
logical_xor = _cmp(np.logical_xor)
greater, greater_equal, less, less_equal, not_equal = gt, ge, lt, le, ne


def _bitwise(fn, name):
    def op(a, b):
        if not isinstance(a, Tensor):
            a = _W(_as_array(a))
        ad, bd = _operands(a, b)
        if ad.dtype.kind == "f" or (isinstance(bd, np.ndarray) and bd.dtype.kind == "f"):
            raise TypeError(f'"{name}" not implemented for floating-point tensors')
        return _W(np.asarray(fn(ad, bd)))

    return op


bitwise_and = _bitwise(np.bitwise_and, "bitwise_and")
bitwise_or = _bitwise(np.bitwise_or, "bitwise_or")
bitwise_xor = _bitwise(np.bitwise_xor, "bitwise_xor")


def logical_not(x):
    return _W(np.logical_not(x._data))


def bitwise_not(x):
    if x._data.dtype.kind == "f":
        raise TypeError('"bitwise_not" not implemented for floating-point tensors')
    return _W(np.invert(x._data))


def isnan(x):
    return _W(np.isnan(x._data))


def isinf(x):
    return _W(np.isinf(x._data))


def isfinite(x):
    return _W(np.isfinite(x._data))


def equal(a, b) -> bool:
    return a._data.shape == b._data.shape and builtins.bool(np.array_equal(a._data, b._data))


def allclose(a, b, rtol=1e-05, atol=1e-08, equal_nan=False) -> bool:
    return builtins.bool(np.allclose(a._data, _as_array(b), rtol=rtol, atol=atol, equal_nan=equal_nan))


def isclose(a, b, rtol=1e-05, atol=1e-08, equal_nan=False):
    if isinstance(b, Tensor):
        if a._data.dtype != b._data.dtype:
            raise RuntimeError(f"{_TYPE_NAMES[a._data.dtype.name]} did not match "
                               f"{_TYPE_NAMES[b._data.dtype.name]} (isclose compares tensors of "
                               "one dtype: convert one with .to(other.dtype))")
        broadcast_shape(a._data.shape, b._data.shape)
    return _W(np.isclose(a._data, _as_array(b), rtol=rtol, atol=atol, equal_nan=equal_nan))


# ---- casts and constructors used by backward formulas ------------------------------------


class ToCopyBackward0(Node):
    def backward(self, g):
        return (cast(g, self.src_dtype),)


def cast(x, dtype, copy=False):
    if x._data.dtype == dtype.np:
        return x.clone() if copy else x
    out = _W(x._data.astype(dtype.np))
    if dtype.is_floating_point and x._data.dtype.kind == "f":
        node = record(out, ToCopyBackward0, (x,))
        if node is not None:
            node.src_dtype = x.dtype
    return out


def zeros_like(x, dtype=None, requires_grad=False,
        *, layout=None, device=None, memory_format=None, pin_memory=False):
    _check_device(device)
    t = _W(np.zeros(x._data.shape, D.to_dtype(dtype).np if dtype else x._data.dtype))
    if requires_grad:
        t.requires_grad = True
    return t


def ones_like(x, dtype=None, requires_grad=False,
        *, layout=None, device=None, memory_format=None, pin_memory=False):
    _check_device(device)
    t = _W(np.ones(x._data.shape, D.to_dtype(dtype).np if dtype else x._data.dtype))
    if requires_grad:
        t.requires_grad = True
    return t


def full_like(x, fill_value, dtype=None, requires_grad=False,
        *, layout=None, device=None, memory_format=None, pin_memory=False):
    _check_device(device)
    t = _W(np.full(x._data.shape, fill_value, D.to_dtype(dtype).np if dtype else x._data.dtype))
    if requires_grad:
        t.requires_grad = True
    return t


class LerpBackward0(Node):
    """``lerp(a, b, w)`` with a scalar ``w``: ``d/da = 1 - w``, ``d/db = w``."""

    def backward(self, g):
        w = self.weight
        ga = sum_to(g * (1.0 - w), self.a_shape) if self.needs_input_grad[0] else None
        gb = sum_to(g * w, self.b_shape) if self.needs_input_grad[1] else None
        return ga, gb


class LerpBackward1(Node):
    """``lerp(a, b, w)`` with a tensor ``w``: also ``d/dw = b - a``."""

    def backward(self, g):
        a, b, w = self._unpacked_saved
        ga = sum_to(g * (1 - w), self.a_shape) if self.needs_input_grad[0] else None
        gb = sum_to(g * w, self.b_shape) if self.needs_input_grad[1] else None
        gw = sum_to(g * (b - a), self.w_shape) if self.needs_input_grad[2] else None
        return ga, gb, gw


def lerp(a, b, weight):
    """``a + weight * (b - a)``, computed as torch does (from ``b``'s side for weight >= 0.5)."""
    ad, bd = _operands(a, b)
    tw = isinstance(weight, Tensor)
    wd = weight._data if tw else weight
    if tw and wd.dtype != ad.dtype:
        raise RuntimeError(f"expected dtype {D.from_numpy_dtype(ad.dtype)} for `weight` but "
                           f"got dtype {D.from_numpy_dtype(wd.dtype)}")
    d = bd - ad
    out = _W(np.asarray(np.where(np.abs(wd) < 0.5, ad + wd * d, bd - d * (1 - wd)), ad.dtype))
    if tw:
        node = record(out, LerpBackward1, (a, b, weight), (a, b, weight))
        if node is not None:
            node.w_shape = wd.shape
    else:
        node = record(out, LerpBackward0, (a, b))
        if node is not None:
            node.weight = wd
    if node is not None:
        node.a_shape, node.b_shape = ad.shape, bd.shape
    return out


class _AddcBackward(Node):
    """``x + value * t1 op t2``: ``d/dx = g``; ``d/dt1``, ``d/dt2`` from ``op``."""

    def backward(self, g):
        t1, t2 = self._unpacked_saved
        gv = g * self.value if self.value != 1 else g
        need = self.needs_input_grad
        gx = sum_to(g, self.shapes[0]) if need[0] else None
        g1 = sum_to(self.d1(gv, t1, t2), self.shapes[1]) if need[1] else None
        g2 = sum_to(self.d2(gv, t1, t2), self.shapes[2]) if need[2] else None
        return gx, g1, g2


class AddcmulBackward0(_AddcBackward):
    @staticmethod
    def d1(g, t1, t2):
        return g * t2

    @staticmethod
    def d2(g, t1, t2):
        return g * t1


class AddcdivBackward0(_AddcBackward):
    @staticmethod
    def d1(g, t1, t2):
        return g / t2

    @staticmethod
    def d2(g, t1, t2):
        return -(g * t1) / (t2 * t2)


def _addc(cls, npop, x, t1, t2, value):
    xs = [v if isinstance(v, Tensor) else _W(_as_array(v)) for v in (x, t1, t2)]
    a1, a2 = xs[1]._data, xs[2]._data
    nd = max(a1.ndim, a2.ndim)
    rt = D.result_type_np(xs[0]._data, np.empty((1,) * nd, D.result_type_np(a1, a2)))
    if cls is AddcdivBackward0 and rt.kind in "biu":
        raise RuntimeError("Integer division with addcdiv is no longer supported, and in a "
                           "future release addcdiv will perform a true division of tensor1 and "
                           "tensor2. The historic addcdiv behavior can be implemented as "
                           "(input + value * torch.trunc(tensor1 / tensor2)).to(input.dtype) "
                           "for integer inputs and as (input + value * tensor1 / tensor2) for "
                           "float inputs. The future addcdiv behavior is just the latter "
                           "implementation: (input + value * tensor1 / tensor2), for all dtypes.")
    xd, d1, d2 = (v._data.astype(rt, copy=False) for v in xs)
    shape = np.broadcast_shapes(xd.shape, d1.shape, d2.shape)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = _W(np.asarray(xd + np.asarray(value, rt) * npop(d1, d2), rt))
    if out._data.shape != shape:
        out._data = np.broadcast_to(out._data, shape).copy()
    node = record(out, cls, xs, (xs[1], xs[2]))
    if node is not None:
        node.value, node.shapes = value, (xd.shape, d1.shape, d2.shape)
    return out


def addcmul(x, t1, t2, value=1):
    """``x + value * t1 * t2`` (one node, torch's ``AddcmulBackward0``)."""
    return _addc(AddcmulBackward0, np.multiply, x, t1, t2, value)


def addcdiv(x, t1, t2, value=1):
    """``x + value * t1 / t2`` (one node, torch's ``AddcdivBackward0``)."""
    return _addc(AddcdivBackward0, np.divide, x, t1, t2, value)


# ---- binary math composites ---------------------------------------------------------------


def _t(x):
    return x if isinstance(x, Tensor) else _W(_as_array(x))


def _float_pair(a, b):
    """Both operands as tensors of their promoted floating dtype (ints become the default)."""
    if not isinstance(a, Tensor):
        a, b = _as_tensor_first(a, b)
    if not isinstance(b, Tensor):
        b = _scalar_like(b, a)
    ad, bd = _operands(a, b)
    rt = result_float(ad.dtype)
    return a, b, ad.astype(rt, copy=False), bd.astype(rt, copy=False)



# ---- binary math ----------------------------------------------------------------------------


def _binary(name, fwd, bwd, scalar_names=None):
    """Op ``f(a, b)`` on floats: numpy forward, Tensor-ops ``bwd(g, a, b, out) -> (ga, gb)``.

    ``scalar_names`` (``(scalar self, scalar other)``): torch's overloads with a Python scalar
    operand, whose node has one edge, to the tensor operand (``XlogyBackward1``/``2``)."""

    class _Node(Node):
        def backward(self, g):
            a, b, out = self._unpacked_saved
            ga, gb = bwd(g, a, b, out)
            ga = sum_to(ga, self.a_shape) if self.needs_input_grad[0] else None
            gb = sum_to(gb, self.b_shape) if self.needs_input_grad[1] else None
            return ga, gb

    _Node.__name__ = _Node.__qualname__ = name
    one_edge = {}
    for k, n in enumerate(scalar_names or ()):

        class _OneEdge(Node):
            tensor_pos = 1 - k  # the tensor operand's position

            def backward(self, g):
                a, b, out = self._unpacked_saved
                return sum_to(bwd(g, a, b, out)[self.tensor_pos], self.shape)

        _OneEdge.__name__ = _OneEdge.__qualname__ = n
        one_edge[k] = _OneEdge

    def op(input, other):
        scalar = 0 if not isinstance(input, Tensor) else 1 if not isinstance(other, Tensor) else -1
        a, b, ad, bd = _float_pair(input, other)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            out = _W(np.asarray(fwd(ad, bd)))
        if scalar >= 0 and scalar in one_edge:
            t = b if scalar == 0 else a
            node = record(out, one_edge[scalar], (t,), (a, b, out))
            if node is not None:
                node.shape = t._data.shape
            return out
        node = record(out, _Node, (a, b), (a, b, out))
        if node is not None:
            node.a_shape, node.b_shape = a._data.shape, b._data.shape
        return out

    op.__name__ = name.replace("Backward0", "").lower()
    return op


def _den(a, b):
    return a * a + b * b


def _atan2_bwd(g, a, b, y):
    # torch: 1 / (a^2 + b^2) taken as 0 where it is infinite, so atan2(0, 0) has gradient 0
    rec = reciprocal(_den(a, b))
    rec = where(isinf(rec), zeros_like(rec), rec)
    return g * b * rec, -(g * a) * rec


atan2 = _binary("Atan2Backward0", np.arctan2, _atan2_bwd)
arctan2 = atan2
hypot = _binary("HypotBackward0", np.hypot, lambda g, a, b, y: (g * a / y, g * b / y))
logaddexp = _binary(
    "LogaddexpBackward0", np.logaddexp,
    lambda g, a, b, y: (g * exp(a - y), g * exp(b - y)),
)
logaddexp2 = _binary(
    "Logaddexp2Backward0", np.logaddexp2,
    lambda g, a, b, y: (g * exp2(a - y), g * exp2(b - y)),
)


def _xlogy_np(x, y):
    r = x * np.log(y)
    return np.where((x == 0) & ~np.isnan(y), np.zeros((), r.dtype), r)


def _xlogy_bwd(g, x, y, out):
    # d/dx = log(y) (0 where x == 0 and y <= 0, as PyTorch); d/dy = x / y
    lg = where(eq(x, 0) & le(y, 0), zeros_like(y), log(y))
    return g * lg, g * x / y


xlogy = _binary("XlogyBackward0", _xlogy_np, _xlogy_bwd, ("XlogyBackward1", "XlogyBackward2"))


def _copysign_bwd(g, a, b, y):
    # d/da = sign change (0 where a == 0, as PyTorch); d/db = 0
    ratio = where(eq(a, 0), zeros_like(y), y / where(eq(a, 0), ones_like(y), a))
    return g * ratio, g * 0.0


copysign = _binary("CopysignBackward0", np.copysign, _copysign_bwd)


def float_power(input, exponent):
    """``input ** exponent`` computed in float64."""
    a = _t(input).to(D.float64) if isinstance(input, Tensor) else input
    b = exponent.to(D.float64) if isinstance(exponent, Tensor) else builtins.float(exponent)
    if not isinstance(a, Tensor):
        return rpow(b, builtins.float(a))
    return pow(a, b)


def heaviside(input, values):
    """0 where ``input < 0``, ``values`` where ``input == 0``, 1 where ``input > 0``."""
    v = _t(values)
    if input._data.dtype != v._data.dtype:
        raise RuntimeError(
            "heaviside is not yet implemented for tensors with different dtypes"
        )
    xd, vd = input._data, v._data
    broadcast_shape(xd.shape, vd.shape)
    return _W(np.asarray(np.where(xd == 0, vd, (xd > 0).astype(xd.dtype))).astype(xd.dtype))


def true_divide(input, other):
    return div(input, other)


def rsub(input, other, alpha=1):
    """``other - alpha * input``."""
    if isinstance(other, Tensor):
        return sub(other, input, alpha=alpha)
    return rsub_scalar(input * alpha if alpha != 1 else input, other)


def negative(input):
    return neg(input)


def positive(input):
    if input._data.dtype == np.bool_:
        raise RuntimeError("The `+` operator, on a bool tensor is not supported.")
    return input


# sgn(x) = x / |x| is sign(x) on real tensors; its own node, as torch's
sgn = _zero_grad_op("SgnBackward0", _sign_np)


def fix(input):
    return trunc(input)



# ---- unary math and special functions --------------------------------------------------------


asinh = _unary("AsinhBackward0", np.arcsinh, lambda g, x, y: g * rsqrt(x * x + 1))
acosh = _unary("AcoshBackward0", np.arccosh, lambda g, x, y: g * rsqrt(x * x - 1))
atanh = _unary("AtanhBackward0", np.arctanh, lambda g, x, y: g / (1 - x * x))
arcsinh, arccosh, arctanh = asinh, acosh, atanh



class Deg2RadBackward0(Node):
    def backward(self, g):
        return g * self.factor


class NanToNumBackward0(Node):
    """The gradient flows where the input was finite (0 at the replaced NaN/inf)."""

    def backward(self, g):
        return g * self.finite


def _scaled(cls, name, input, factor):
    if not isinstance(input, Tensor):
        input = _W(_as_array(input))
    xd = input._data
    if xd.dtype.kind != "f":
        xd = xd.astype(D._default_float.np)
    out = _W(np.asarray(xd * xd.dtype.type(factor)))
    node = record(out, cls, (input,))
    if node is not None:
        node.factor = factor
    return out


def deg2rad(input):
    return _scaled(Deg2RadBackward0, "deg2rad", input, math.pi / 180.0)


Rad2DegBackward0 = type("Rad2DegBackward0", (Node,), {"backward": Deg2RadBackward0.backward})


def rad2deg(input):
    return _scaled(Rad2DegBackward0, "rad2deg", input, 180.0 / math.pi)


def nan_to_num(input, nan=0.0, posinf=None, neginf=None):
    """NaN, +inf and -inf replaced by ``nan``, ``posinf`` (default: the dtype's max) and
    ``neginf`` (default: its lowest); the gradient flows only where the input is finite."""
    xd = input._data
    if xd.dtype.kind != "f":
        return input.clone()
    fi = np.finfo(xd.dtype)
    hi = fi.max if posinf is None else posinf
    lo = fi.min if neginf is None else neginf
    finite = np.isfinite(xd)
    vals = np.where(np.isnan(xd), nan, np.where(xd == np.inf, hi, lo)).astype(xd.dtype)
    out = _W(np.where(finite, xd, vals))
    node = record(out, NanToNumBackward0, (input,))
    if node is not None:
        node.save(finite=_W(finite.astype(xd.dtype)))
    return out


def signbit(input):
    return _W(np.asarray(np.signbit(input._data)))


def isposinf(input):
    return _W(np.asarray(np.isposinf(input._data)))


def isneginf(input):
    return _W(np.asarray(np.isneginf(input._data)))


def isreal(input):
    return _W(np.ones(input._data.shape, np.bool_))


def is_complex(input) -> bool:
    return False


def is_nonzero(input) -> bool:
    if input._data.size != 1:
        raise RuntimeError(
            "Boolean value of Tensor with more than one value is ambiguous"
            if input._data.size else "Boolean value of Tensor with no values is ambiguous"
        )
    return builtins.bool(input._data.reshape(()))




# ---- dtype queries ---------------------------------------------------------------------------


def result_type(tensor1, tensor2):
    """The dtype of ``tensor1 op tensor2`` under PyTorch's promotion rules."""
    a = tensor1 if isinstance(tensor1, Tensor) else None
    b = tensor2 if isinstance(tensor2, Tensor) else None
    if a is None and b is None:
        return add(_t(tensor1), tensor2).dtype
    if a is None:
        return add(b, tensor1).dtype
    return add(a, tensor2).dtype


def can_cast(from_, to) -> bool:
    """Whether PyTorch's type promotion allows casting ``from_`` to ``to`` (same-kind rule)."""
    order = {"b": 0, "u": 1, "i": 1, "f": 2}
    return order[D.to_dtype(from_).np.kind] <= order[D.to_dtype(to).np.kind]
