"""More of PyTorch's commonly used API, mostly composed from the differentiable ops.

Binary math (atan2, hypot, logaddexp, xlogy, copysign, ...), special functions (erfinv, erfc,
lgamma, digamma, polygamma, sinc, logit), NaN-aware reductions, scans (cummax/cummin,
logcumsumexp), binning (searchsorted, bucketize, histc), shape helpers (tile, rot90, diag_embed,
block_diag, atleast_*, *_stack, unfold), index updates (index_add/copy/fill, masked_scatter,
index_put with accumulate) and small linear-algebra composites (cross, tensordot, kron, cdist,
addbmm/baddbmm/addmv/addr).

Where an op has its own node, its ``backward`` is written in Tensor ops so it is differentiable
again; elsewhere the op is algebra over existing ops and inherits their gradients.
"""

from __future__ import annotations

import builtins
import itertools
import math
from collections import namedtuple

import numpy as np

from nnlite import _dtype as D
from nnlite._tensor import Tensor, _as_array
from nnlite.autograd.function import Node, record
from nnlite.ops import elementwise as E
from nnlite.ops import linalg as L
from nnlite.ops import reduce as R
from nnlite.ops import shape as S
from nnlite.ops._util import check_index_range as _check_index_range
from nnlite.ops._util import result_float, sum_to, wrap_dim

_W = Tensor._wrap


def _t(x):
    return x if isinstance(x, Tensor) else _W(_as_array(x))


def _float_pair(a, b):
    """Both operands as tensors of their promoted floating dtype (ints become the default)."""
    if not isinstance(a, Tensor):
        a, b = E._as_tensor_first(a, b)
    if not isinstance(b, Tensor):
        b = E._scalar_like(b, a)
    ad, bd = E._operands(a, b)
    rt = result_float(ad.dtype)
    return a, b, ad.astype(rt, copy=False), bd.astype(rt, copy=False)


# ---- binary math ----------------------------------------------------------------------------


def _binary(name, fwd, bwd):
    """Op ``f(a, b)`` on floats: numpy forward, Tensor-ops ``bwd(g, a, b, out) -> (ga, gb)``."""

    class _Node(Node):
        def backward(self, g):
            a, b, out = self._unpacked_saved
            ga, gb = bwd(g, a, b, out)
            ga = sum_to(ga, self.a_shape) if self.needs_input_grad[0] else None
            gb = sum_to(gb, self.b_shape) if self.needs_input_grad[1] else None
            return ga, gb

    _Node.__name__ = _Node.__qualname__ = name

    def op(input, other):
        a, b, ad, bd = _float_pair(input, other)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            out = _W(np.asarray(fwd(ad, bd)))
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
    rec = E.reciprocal(_den(a, b))
    rec = E.where(E.isinf(rec), E.zeros_like(rec), rec)
    return g * b * rec, -(g * a) * rec


atan2 = _binary("Atan2Backward0", np.arctan2, _atan2_bwd)
arctan2 = atan2
hypot = _binary("HypotBackward0", np.hypot, lambda g, a, b, y: (g * a / y, g * b / y))
logaddexp = _binary(
    "LogaddexpBackward0", np.logaddexp,
    lambda g, a, b, y: (g * E.exp(a - y), g * E.exp(b - y)),
)
logaddexp2 = _binary(
    "Logaddexp2Backward0", np.logaddexp2,
    lambda g, a, b, y: (g * E.exp2(a - y), g * E.exp2(b - y)),
)


def _xlogy_np(x, y):
    r = x * np.log(y)
    return np.where((x == 0) & ~np.isnan(y), np.zeros((), r.dtype), r)


def _xlogy_bwd(g, x, y, out):
    # d/dx = log(y) (0 where x == 0 and y <= 0, as PyTorch); d/dy = x / y
    lg = E.where(E.eq(x, 0) & E.le(y, 0), E.zeros_like(y), E.log(y))
    return g * lg, g * x / y


xlogy = _binary("XlogyBackward0", _xlogy_np, _xlogy_bwd)


def _copysign_bwd(g, a, b, y):
    # d/da = sign change (0 where a == 0, as PyTorch); d/db = 0
    ratio = E.where(E.eq(a, 0), E.zeros_like(y), y / E.where(E.eq(a, 0), E.ones_like(y), a))
    return g * ratio, g * 0.0


copysign = _binary("CopysignBackward0", np.copysign, _copysign_bwd)


def float_power(input, exponent):
    """``input ** exponent`` computed in float64."""
    a = _t(input).to(D.float64) if isinstance(input, Tensor) else input
    b = exponent.to(D.float64) if isinstance(exponent, Tensor) else builtins.float(exponent)
    if not isinstance(a, Tensor):
        return E.rpow(b, builtins.float(a))
    return E.pow(a, b)


def heaviside(input, values):
    """0 where ``input < 0``, ``values`` where ``input == 0``, 1 where ``input > 0``."""
    v = _t(values)
    if input._data.dtype != v._data.dtype:
        raise RuntimeError(
            "heaviside is not yet implemented for tensors with different dtypes"
        )
    xd, vd = input._data, v._data
    return _W(np.asarray(np.where(xd == 0, vd, (xd > 0).astype(xd.dtype))).astype(xd.dtype))


def true_divide(input, other):
    return E.div(input, other)


def rsub(input, other, alpha=1):
    """``other - alpha * input``."""
    if isinstance(other, Tensor):
        return E.sub(other, input, alpha=alpha)
    return E.rsub(input * alpha if alpha != 1 else input, other)


def negative(input):
    return E.neg(input)


def positive(input):
    return input


def sgn(input):
    return E.sign(input)


def fix(input):
    return E.trunc(input)


# ---- unary math and special functions --------------------------------------------------------


asinh = E._unary("AsinhBackward0", np.arcsinh, lambda g, x, y: g * E.rsqrt(x * x + 1))
acosh = E._unary("AcoshBackward0", np.arccosh, lambda g, x, y: g * E.rsqrt(x * x - 1))
atanh = E._unary("AtanhBackward0", np.arctanh, lambda g, x, y: g / (1 - x * x))
arcsinh, arccosh, arctanh = asinh, acosh, atanh


def _vectorize(fn, x):
    return np.vectorize(fn, otypes=[x.dtype])(x) if x.size else x.copy()


def _erfc_np(x):
    from nnlite.ops._special import erfc_np

    return erfc_np(x)


erfc = E._unary(
    "ErfcBackward0", _erfc_np, lambda g, x, y: g * E.exp(-(x * x)) * (-2.0 / math.sqrt(math.pi))
)


def _erfinv_np(y):
    """Inverse error function: Winitzki's closed-form start, then Newton steps on ``erf``."""
    y64 = y.astype(np.float64)
    a = 0.147
    with np.errstate(divide="ignore", invalid="ignore"):
        ln = np.log1p(-y64 * y64)
        t = 2.0 / (math.pi * a) + ln / 2
        x = np.sign(y64) * np.sqrt(np.sqrt(t * t - ln / a) - t)
        inner = np.isfinite(x) & (np.abs(y64) < 1)
        for _ in range(4):
            err = _vectorize(math.erf, x[inner]) - y64[inner]
            x[inner] -= err / (2.0 / math.sqrt(math.pi) * np.exp(-x[inner] ** 2))
    x = np.where(np.abs(y64) == 1, np.copysign(np.inf, y64), x)
    x = np.where(np.abs(y64) > 1, np.nan, x)
    return x.astype(y.dtype)


erfinv = E._unary(
    "ErfinvBackward0", _erfinv_np,
    lambda g, x, y: g * E.exp(y * y) * (math.sqrt(math.pi) / 2), save_out=True,
)


def _digamma_np(x):
    """psi(x): reflection below 0.5, recurrence up to 6, then the asymptotic series."""
    x64 = x.astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        refl = x64 < 0.5
        z = np.where(refl, 1.0 - x64, x64)
        acc = np.zeros_like(z)
        for _ in range(6):
            small = z < 6
            acc -= np.where(small, 1.0 / z, 0.0)
            z = np.where(small, z + 1, z)
        iz2 = 1.0 / (z * z)
        series = iz2 * (1 / 12 - iz2 * (1 / 120 - iz2 * (1 / 252 - iz2 * (
            1 / 240 - iz2 * (1 / 132 - iz2 * (691 / 32760 - iz2 / 12))))))
        r = acc + np.log(z) - 0.5 / z - series
        r = np.where(refl, r - math.pi / np.tan(math.pi * x64), r)
        r = np.where(x64 == 0, np.where(np.signbit(x64), np.inf, -np.inf), r)  # torch: +-0
        r = np.where((x64 < 0) & (x64 == np.floor(x64)), np.nan, r)
    return r.astype(x.dtype)


def _hurwitz_zeta_np(s, x):
    """zeta(s, x) = sum_k (x + k)^-s for integer s >= 2 (Euler-Maclaurin after a shift)."""
    x64 = x.astype(np.float64)
    acc = np.zeros_like(x64)
    # the shift loop runs up to -min(x) times: infinite inputs are left out (the series gives
    # their limits) and very negative ones, whose values float64 cannot resolve, become NaN
    finite = x64[np.isfinite(x64)]
    lowest = builtins.max(builtins.float(finite.min()), -1e5) if finite.size else 0.0
    x64 = np.where(x64 < -1e5, np.nan, x64)
    n = builtins.max(10, builtins.int(np.ceil(-lowest)) + 10)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        shift = np.where(x64 < 10, np.ceil(10 - x64), 0)
        for k in range(n):
            acc += np.where(k < shift, (x64 + k) ** -s, 0.0)
        z = x64 + shift
        r = acc + z ** (1 - s) / (s - 1) + 0.5 * z ** -s
        # Bernoulli terms B_2j / (2j)! * s (s+1) ... (s+2j-2) z^(-s-2j+1)
        b2j = (1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730, 7 / 6)
        rising, fact = 1.0, 1.0
        for j, b in enumerate(b2j, start=1):
            rising *= (s + 2 * j - 2) * (s + 2 * j - 3) if j > 1 else s
            fact *= (2 * j) * (2 * j - 1)
            r += b / fact * rising * z ** (-s - 2 * j + 1)
    return r


def _polygamma_np(n, x):
    if n == 0:
        return _digamma_np(x)
    with np.errstate(divide="ignore", invalid="ignore"):
        r = (-1.0) ** (n + 1) * math.factorial(n) * _hurwitz_zeta_np(n + 1, x)
        r = np.where((x <= 0) & (x == np.floor(x)), np.inf if n % 2 else np.nan, r)
        r = np.where(x == -np.inf, np.nan, r)
    return r.astype(x.dtype)


class PolygammaBackward0(Node):
    def backward(self, g):
        (x,) = self._unpacked_saved
        return (g * polygamma(self.n + 1, x),)


def polygamma(n, input):
    """The ``n``-th derivative of the digamma function."""
    x = _t(input)
    xd = x._data if x._data.dtype.kind == "f" else x._data.astype(D._default_float.np)
    out = _W(np.asarray(_polygamma_np(builtins.int(n), xd)))
    node = record(out, PolygammaBackward0, (x,), (x,))
    if node is not None:
        node.n = builtins.int(n)
    return out


def digamma(input):
    return polygamma(0, input)


psi = digamma


def _lgamma_np(x):
    return _vectorize(math.lgamma, x.astype(np.float64)).astype(x.dtype)


def _lgamma_safe(v):
    try:
        return math.lgamma(v)
    except ValueError:
        return math.inf


lgamma = E._unary(
    "LgammaBackward0", lambda x: _vectorize(_lgamma_safe, x), lambda g, x, y: g * digamma(x)
)


def mvlgamma(input, p):
    """Multivariate log-gamma: ``p(p-1)/4 log(pi) + sum_i lgamma(x - i/2)``."""
    out = lgamma(input) + p * (p - 1) / 4 * math.log(math.pi)
    for i in range(1, p):
        out = out + lgamma(input - i / 2)
    return out


class SincBackward0(Node):
    def backward(self, g):
        (x,) = self._unpacked_saved
        zero = E.eq(x, 0)
        xs = E.where(zero, E.ones_like(x), x)
        d = (E.cos(xs * math.pi) - sinc(xs)) / xs
        return (g * E.where(zero, E.zeros_like(d), d),)


def sinc(input):
    """``sin(pi x) / (pi x)``, 1 at 0."""
    x = _t(input)
    xd = x._data if x._data.dtype.kind == "f" else x._data.astype(D._default_float.np)
    out = _W(np.asarray(np.sinc(xd)).astype(xd.dtype, copy=False))
    record(out, SincBackward0, (x,), (x,))
    return out


def deg2rad(input):
    return input * (math.pi / 180.0)


def rad2deg(input):
    return input * (180.0 / math.pi)


class LogitBackward0(Node):
    def backward(self, g):
        (x,) = self._unpacked_saved
        eps = self.eps
        gx = g / (x * (1 - x))
        if eps is None:
            # NaN outside [0, 1] (1 / (x (1 - x)) would be a finite negative number there)
            out_of_domain = E.lt(x, 0) | E.gt(x, 1)
            return (E.where(out_of_domain, E.full_like(gx, math.nan), gx),)
        # with eps the input was clamped: no gradient outside [eps, 1 - eps]
        outside = E.lt(x, eps) | E.gt(x, 1 - eps)
        return (E.where(outside, E.zeros_like(gx), gx),)


def logit(input, eps=None):
    """``log(p / (1 - p))``; with ``eps``, ``p`` is first clamped to ``[eps, 1 - eps]``.

    One node (LogitBackward0) with torch's gradient ``1 / (p (1 - p))``: NaN outside
    ``[0, 1]``, and 0 outside ``[eps, 1 - eps]`` when ``eps`` is given.
    """
    x = _t(input)
    xd = x._data if x._data.dtype.kind == "f" else x._data.astype(D._default_float.np)
    if eps is not None:
        xd = np.clip(xd, xd.dtype.type(eps), xd.dtype.type(1.0 - eps))
    with np.errstate(divide="ignore", invalid="ignore"):
        out = _W(np.asarray(np.log(xd / (1 - xd)), dtype=xd.dtype))
    node = record(out, LogitBackward0, (x,), (x,))
    if node is not None:
        node.eps = None if eps is None else builtins.float(eps)
    return out


def nan_to_num(input, nan=0.0, posinf=None, neginf=None):
    """NaN, +inf and -inf replaced by ``nan``, ``posinf`` (default: the dtype's max) and
    ``neginf`` (default: its lowest); the gradient flows only where the input is finite."""
    xd = input._data
    if xd.dtype.kind != "f":
        return S.clone(input)
    fi = np.finfo(xd.dtype)
    hi = fi.max if posinf is None else posinf
    lo = fi.min if neginf is None else neginf
    vals = np.where(np.isnan(xd), nan, np.where(xd == np.inf, hi, lo)).astype(xd.dtype)
    return E.where(_W(np.isfinite(xd)), input, _W(vals))


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


# ---- reductions and scans -------------------------------------------------------------------


def nansum(input, dim=None, keepdim=False, *, dtype=None):
    """Sum treating NaN as zero (NaN entries get no gradient)."""
    x = input
    if x._data.dtype.kind == "f":
        x = E.where(E.isnan(x), E.zeros_like(x), x)
    return R.sum(x, dim=dim, keepdim=keepdim, dtype=dtype)


def nanmean(input, dim=None, keepdim=False, *, dtype=None):
    """Mean over the non-NaN entries."""
    if input._data.dtype.kind != "f":
        raise RuntimeError(
            f"nanmean(): expected input to have floating point or complex dtype but got "
            f"{input.dtype}"
        )
    cnt = R.sum(E.logical_not(E.isnan(input)), dim=dim, keepdim=keepdim)
    return nansum(input, dim, keepdim, dtype=dtype) / cnt.to(
        D.to_dtype(dtype) if dtype is not None else input.dtype)


_AMINMAX = namedtuple("aminmax", ["min", "max"])


class _AminmaxResult(_AMINMAX):
    __slots__ = ()

    def __repr__(self):
        return f"torch.return_types.aminmax(\nmin={self.min!r},\nmax={self.max!r})"


def aminmax(input, *, dim=None, keepdim=False):
    return _AminmaxResult(R.amin(input, dim, keepdim), R.amax(input, dim, keepdim))


def _cum_extreme(x, dim, is_min, name):
    xd = x._data
    if xd.ndim == 0:
        return _scan_result(name, S.clone(x), _W(np.zeros((), np.int64)))
    d = wrap_dim(dim, xd.ndim)
    a = np.moveaxis(xd, d, 0)
    idx = np.zeros(a.shape, np.int64)
    if a.shape[0]:
        cur, cur_i = a[0].copy(), np.zeros(a.shape[1:], np.int64)
        for i in range(a.shape[0]):
            v = a[i]
            better = (v <= cur) if is_min else (v >= cur)
            if xd.dtype.kind == "f":
                better = np.isnan(v) | (~np.isnan(cur) & better)
            cur = np.where(better, v, cur)
            cur_i = np.where(better, i, cur_i)
            idx[i] = cur_i
    idx_t = _W(np.ascontiguousarray(np.moveaxis(idx, 0, d)))
    return _scan_result(name, S.gather(x, d, idx_t), idx_t)


def _scan_result(name, values, indices):
    if name not in R._RT:
        R._RT[name] = R._return_type(name)
    return R._RT[name](values, indices)


def cummax(input, dim):
    """Running maximum along ``dim`` and the index where it was reached (the last on ties)."""
    return _cum_extreme(input, dim, False, "cummax")


def cummin(input, dim):
    return _cum_extreme(input, dim, True, "cummin")


class LogcumsumexpBackward0(Node):
    def backward(self, g):
        x, out = self._unpacked_saved
        d = self.dim
        xs, os_, gs = (S.movedim(t, d, -1) for t in (x, out, g))
        n = xs._data.shape[-1]
        # dx_j = sum_{i >= j} g_i exp(x_j - out_i); masked entries (i < j) are exp(-inf) = 0
        diff = S.unsqueeze(xs, -2) - S.unsqueeze(os_, -1)
        mask = _W(np.tril(np.ones((n, n), np.bool_)))
        w = E.exp(E.where(mask, diff, E.full_like(diff, -math.inf)))
        gx = R.sum(S.unsqueeze(gs, -1) * w, dim=-2)
        return (S.movedim(gx, -1, d),)


def logcumsumexp(input, dim):
    """``log(cumsum(exp(x)))`` along ``dim``, computed stably."""
    x = input
    xd = x._data if x._data.dtype.kind == "f" else x._data.astype(D._default_float.np)
    d = wrap_dim(dim, xd.ndim)
    out = _W(np.logaddexp.accumulate(xd, axis=d) if xd.ndim else xd.copy())
    node = record(out, LogcumsumexpBackward0, (x,), (x, out))
    if node is not None:
        node.dim = d
    return out


def diff(input, n=1, dim=-1, prepend=None, append=None):
    """The ``n``-th forward difference along ``dim`` (with optional prepended/appended values)."""
    x = input
    d = wrap_dim(dim, x._data.ndim)
    if x._data.ndim == 0:
        raise RuntimeError("diff expects input to be at least one-dimensional")
    parts = [p for p in (prepend, x, append) if p is not None]
    if len(parts) > 1:
        x = S.cat([_t(p) for p in parts], d)
    for _ in range(n):
        m = x._data.shape[d]
        if m == 0:
            break
        x = S.narrow(x, d, 1, m - 1) - S.narrow(x, d, 0, m - 1) \
            if x._data.dtype != np.bool_ else E.logical_xor(S.narrow(x, d, 1, m - 1),
                                                           S.narrow(x, d, 0, m - 1))
    return x


def histc(input, bins=100, min=0, max=0):
    """Histogram with ``bins`` equal bins over ``[min, max]`` (the data range when equal)."""
    xd = input._data
    if xd.dtype.kind != "f":
        raise RuntimeError(f'"histogram_cpu" not implemented for \'{input.dtype.name.capitalize()}\'')
    lo, hi = builtins.float(min), builtins.float(max)
    if lo == hi and xd.size:
        lo, hi = builtins.float(np.min(xd)), builtins.float(np.max(xd))
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    if lo > hi:
        raise RuntimeError("torch.histc: max must be larger than min")
    v = xd.reshape(-1).astype(np.float64)
    v = v[(v >= lo) & (v <= hi)]
    pos = ((v - lo) * bins / (hi - lo)).astype(np.int64)
    pos = np.minimum(pos, bins - 1)
    return _W(np.bincount(pos, minlength=bins).astype(xd.dtype))


def searchsorted(sorted_sequence, values, *, out_int32=False, right=False, side=None,
                 sorter=None):
    """Indices where ``values`` would be inserted into the innermost dimension of
    ``sorted_sequence`` to keep it sorted (``right`` / ``side='right'``: after equal entries)."""
    seq = sorted_sequence._data
    scalar = not isinstance(values, Tensor)
    vals = _as_array(values) if scalar else values._data
    if side is not None:
        if right and side == "left":
            raise RuntimeError(
                "torch.searchsorted(): side and right can't be set to opposites, got side of "
                "left while right was True"
            )
        right = side == "right"
    s = "right" if right else "left"
    if sorter is not None:
        seq = np.take_along_axis(seq, sorter._data, -1)
    if seq.ndim <= 1:
        r = np.searchsorted(seq, vals, side=s)
    else:
        if vals.shape[:-1] != seq.shape[:-1]:
            raise RuntimeError(
                "torch.searchsorted(): boundaries tensor should be 1 dimension or the first N-1 "
                "dimensions of boundaries tensor and input value tensor must match, but we got "
                f"boundaries tensor {list(seq.shape)} and input value tensor {list(vals.shape)}"
            )
        s2, v2 = seq.reshape(-1, seq.shape[-1]), vals.reshape(-1, vals.shape[-1])
        r = np.stack([np.searchsorted(a, b, side=s) for a, b in zip(s2, v2)]).reshape(vals.shape)
    return _W(np.asarray(r).astype(np.int32 if out_int32 else np.int64))


def bucketize(input, boundaries, *, out_int32=False, right=False):
    """Index of the bucket of each value: ``boundaries[i-1] < x <= boundaries[i]``
    (``right=True``: ``boundaries[i-1] <= x < boundaries[i]``)."""
    if boundaries._data.ndim != 1:
        raise RuntimeError(
            f"boundaries tensor must be 1 dimension, but got dim({boundaries._data.ndim})"
        )
    return searchsorted(boundaries, input, out_int32=out_int32, right=right)


def msort(input):
    return R.sort(input, 0).values


def dist(input, other, p=2):
    """The ``p``-norm of ``input - other``."""
    return R.norm(E.sub(input, other).reshape(-1), p=p)


def cdist(x1, x2, p=2.0, compute_mode="use_mm_for_euclid_dist_if_necessary"):
    """Pairwise ``p``-norm distances between the rows of ``x1`` (.., P, M) and ``x2`` (.., R, M)."""
    if x1._data.ndim < 2 or x2._data.ndim < 2:
        raise RuntimeError(
            f"cdist only supports at least 2D tensors, X1 got: {x1._data.ndim}D"
            if x1._data.ndim < 2 else f"cdist only supports at least 2D tensors, X2 got: "
            f"{x2._data.ndim}D"
        )
    if x1._data.shape[-1] != x2._data.shape[-1]:
        raise RuntimeError(
            f"X1 and X2 must have the same number of columns. X1: {x1._data.shape[-1]} X2: "
            f"{x2._data.shape[-1]}"
        )
    if p < 0:
        raise RuntimeError("cdist only supports non-negative p values")
    diff_ = S.unsqueeze(x1, -2) - S.unsqueeze(x2, -3)
    return R.norm(diff_, p=p, dim=-1)


def cov(input, *, correction=1, fweights=None, aweights=None):
    """Covariance of the rows (variables) of ``input`` over its columns (observations)."""
    x = input if input._data.ndim == 2 else input.reshape(1, -1)
    if fweights is not None or aweights is not None:
        w = None
        if fweights is not None:
            w = fweights.to(x.dtype)
        if aweights is not None:
            w = aweights if w is None else w * aweights
        wsum = R.sum(w)
        avg = R.sum(x * w, dim=1, keepdim=True) / wsum
        if aweights is None:
            norm_ = wsum - correction
        else:
            norm_ = wsum - correction * R.sum(w * aweights) / wsum
        xc = x - avg
        c = L.matmul(xc * w, xc.t()) / norm_
    else:
        n = x._data.shape[1]
        xc = x - R.mean(x, dim=1, keepdim=True)
        c = L.matmul(xc, xc.t()) / builtins.max(n - correction, 0)
    return c.reshape(()) if input._data.ndim < 2 else c


def corrcoef(input):
    c = cov(input)
    if c._data.ndim == 0:
        return c / c
    d = E.sqrt(S.diagonal(c))
    c = c / S.unsqueeze(d, 1) / S.unsqueeze(d, 0)
    return E.clamp(c, -1, 1)


# ---- shape helpers --------------------------------------------------------------------------


def _tensor_list(tensors):
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    return tuple(_t(t) for t in tensors)


def tile(input, *dims):
    """Repeat ``input`` ``dims`` times per dimension (missing leading dims count as 1)."""
    dims = S._shape_arg(dims)
    nd = input._data.ndim
    if len(dims) < nd:
        dims = (1,) * (nd - len(dims)) + dims
    return S.repeat(input, *dims)


def rot90(input, k=1, dims=(0, 1)):
    """Rotate by 90 degrees ``k`` times in the plane ``dims`` (from the first towards the second
    axis)."""
    if len(dims) != 2:
        raise RuntimeError(f"expected total rotation dims == 2, but got dims = {len(dims)}")
    nd = input._data.ndim
    if nd < 2:
        raise RuntimeError(f"expected total dims >= 2, but got total dims = {nd}")
    d0, d1 = wrap_dim(dims[0], nd), wrap_dim(dims[1], nd)
    if d0 == d1:
        raise RuntimeError(
            f"expected rotation dims to be different, but got dim0 = {d0} and dim1 = {d1}"
        )
    k = k % 4
    if k == 1:
        return S.transpose(S.flip(input, (d1,)), d0, d1)
    if k == 2:
        return S.flip(input, (d0, d1))
    if k == 3:
        return S.transpose(S.flip(input, (d0,)), d0, d1)
    return S.clone(input)


def diag_embed(input, offset=0, dim1=-2, dim2=-1):
    """Tensor whose (``dim1``, ``dim2``) diagonals (at ``offset``) are the last dim of ``input``."""
    nd = input._data.ndim + 1
    d1, d2 = wrap_dim(dim1, nd), wrap_dim(dim2, nd)
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    n = input._data.shape[-1] + builtins.abs(offset)
    rest = list(input._data.shape[:-1])
    shape = []
    for i in range(nd):
        shape.append(n if i in (d1, d2) else rest.pop(0))
    return S._diag_embed_into(input, tuple(shape), offset, d1, d2)


def diagflat(input, offset=0):
    return S.diag(S.reshape(input, (-1,)), offset)


def block_diag(*tensors):
    """Block-diagonal matrix from the given matrices (vectors are rows, scalars 1x1)."""
    ts = []
    for t in tensors:
        t = _t(t)
        if t._data.ndim > 2:
            raise RuntimeError(
                f"torch.block_diag: Input tensors must have 2 or fewer dimensions. Input "
                f"{len(ts)} has {t._data.ndim} dimensions"
            )
        ts.append(t.reshape(1, -1) if t._data.ndim < 2 else t)
    if not ts:
        return _W(np.zeros((0, 0), D._default_float.np))
    dt = ts[0].dtype
    for t in ts[1:]:
        dt = D.promote_types(dt, t.dtype)
    ts = [t.to(dt) for t in ts]
    ncol = builtins.sum(t._data.shape[1] for t in ts)
    rows, left = [], 0
    for t in ts:
        r, c = t._data.shape
        pieces = [_W(np.zeros((r, left), dt.np)), t, _W(np.zeros((r, ncol - left - c), dt.np))]
        rows.append(S.cat(pieces, 1))
        left += c
    return S.cat(rows, 0)


def cartesian_prod(*tensors):
    ts = _tensor_list(tensors)
    if len(ts) == 1:
        return ts[0]
    grids = S.meshgrid(*ts, indexing="ij")
    return S.stack([g.reshape(-1) for g in grids], 1)


def combinations(input, r=2, with_replacement=False):
    """All length-``r`` combinations of the elements of a 1-D tensor, one per row."""
    if input._data.ndim != 1:
        raise RuntimeError(f"Expect a 1D vector, but got shape {list(input._data.shape)}")
    n = input._data.shape[0]
    gen = itertools.combinations_with_replacement if with_replacement else itertools.combinations
    combos = np.array(list(gen(range(n), r)), np.int64).reshape(-1, r)
    if r == 0:
        return _W(np.zeros((0,), input._data.dtype))
    if combos.shape[0] == 0:
        return _W(np.zeros((0, r), input._data.dtype))
    return S.stack([S.index_select(input, 0, _W(combos[:, j].copy())) for j in range(r)], 1)


def _atleast(tensors, fn):
    if len(tensors) == 1 and isinstance(tensors[0], Tensor):
        return fn(tensors[0])
    return tuple(fn(_t(t)) for t in _tensor_list(tensors))


def _to_1d(t):
    return t.reshape(1) if t._data.ndim == 0 else t


def _to_2d(t):
    return t.reshape(1, -1) if t._data.ndim < 2 else t


def _to_3d(t):
    nd = t._data.ndim
    if nd == 0:
        return t.reshape(1, 1, 1)
    if nd == 1:
        return t.reshape(1, -1, 1)
    if nd == 2:
        return S.unsqueeze(t, -1)
    return t


def atleast_1d(*tensors):
    return _atleast(tensors, _to_1d)


def atleast_2d(*tensors):
    return _atleast(tensors, _to_2d)


def atleast_3d(*tensors):
    return _atleast(tensors, _to_3d)


def column_stack(tensors):
    ts = [_t(t) for t in tensors]
    return S.hstack([t.reshape(-1, 1) if t._data.ndim < 2 else t for t in ts])


def dstack(tensors):
    return S.cat([_to_3d(_t(t)) for t in tensors], 2)


def row_stack(tensors):
    return S.vstack(tensors)


def _split_dim(input, indices_or_sections, dim, name):
    if isinstance(indices_or_sections, builtins.int):
        n = input._data.shape[dim]
        if indices_or_sections <= 0 or n % indices_or_sections:
            raise RuntimeError(
                f"torch.{name} attempted to split along dimension {dim}, but the size of the "
                f"dimension {n} is not divisible by the split_size {indices_or_sections}!"
            )
    return S.tensor_split(input, indices_or_sections, dim)


def hsplit(input, indices_or_sections):
    return _split_dim(input, indices_or_sections, 0 if input._data.ndim == 1 else 1, "hsplit")


def vsplit(input, indices_or_sections):
    if input._data.ndim < 2:
        raise RuntimeError(
            f"torch.vsplit requires a tensor with at least 2 dimension, but got a tensor with "
            f"{input._data.ndim} dimensions!"
        )
    return _split_dim(input, indices_or_sections, 0, "vsplit")


def dsplit(input, indices_or_sections):
    if input._data.ndim < 3:
        raise RuntimeError(
            f"torch.dsplit requires a tensor with at least 3 dimension, but got a tensor with "
            f"{input._data.ndim} dimensions!"
        )
    return _split_dim(input, indices_or_sections, 2, "dsplit")


def ravel(input):
    return S.reshape(input, (-1,))


def split_with_sizes(input, split_sizes, dim=0):
    return S.split(input, list(split_sizes), dim)


def unfold(input, dimension, size, step):
    """Sliding windows of ``size`` every ``step`` along ``dimension``, in a new last dim
    (``Tensor.unfold``; a copy here, where PyTorch returns a view)."""
    nd = input._data.ndim
    d = wrap_dim(dimension, nd)
    n = input._data.shape[d] if nd else 1
    if size > n:
        raise RuntimeError(
            f"maximum size for tensor at dimension {d} is {n} but size is {size}"
        )
    if step <= 0:
        raise RuntimeError(f"step is {step} but must be > 0")
    if nd == 0:
        return input.reshape(1)
    nwin = (n - size) // step + 1
    idx = (np.arange(nwin)[:, None] * step + np.arange(size)[None, :]).reshape(-1)
    y = S.index_select(input, d, _W(idx.astype(np.int64)))
    shape = list(input._data.shape)
    shape[d:d + 1] = [nwin, size]
    return S.movedim(y.reshape(tuple(shape)), d + 1, -1)


def take(input, index):
    """Elements of the flattened ``input`` at ``index`` (the result has ``index``'s shape)."""
    idx = _t(index)
    n = input._data.size
    bad = (idx._data >= n) | (idx._data < -n)
    if np.any(bad):
        v = builtins.int(idx._data[bad].reshape(-1)[0])
        raise IndexError(f"out of range: tried to access index {v} on a tensor of {n} elements.")
    return S.index(S.reshape(input, (-1,)), (idx._data,))


def triu_indices(row, col, offset=0, *, dtype=None, device=None, layout=None):
    r, c = np.triu_indices(row, offset, col)
    return _W(np.stack([r, c]).astype(D.to_dtype(dtype).np if dtype else np.int64))


def tril_indices(row, col, offset=0, *, dtype=None, device=None, layout=None):
    r, c = np.tril_indices(row, offset, col)
    return _W(np.stack([r, c]).astype(D.to_dtype(dtype).np if dtype else np.int64))


# ---- index updates (out of place; the ``_`` methods write the result back) -------------------


def _index_arg(index, name):
    idx = _t(index)._data
    if idx.dtype.kind not in "iu":
        raise IndexError(f"{name}(): Expected dtype int64 for index")
    if idx.ndim > 1:
        raise IndexError(f"{name}(): Index is supposed to be a vector")
    return idx.reshape(-1).astype(np.int64)


def _along(d, idx):
    return (slice(None),) * d + (idx,)


class IndexAddBackward0(Node):
    def backward(self, g):
        gx = g if self.needs_input_grad[0] else None
        gs = None
        if self.needs_input_grad[1]:
            gs = S.index_select(g, self.dim, self.idx) if g._data.ndim else g
            gs = gs.reshape(self.src_shape)
            if self.alpha != 1:
                gs = gs * self.alpha
        return gx, gs


def index_add(input, dim, index, source, *, alpha=1):
    """``input`` with ``alpha * source`` slices added at positions ``index`` along ``dim``."""
    d = wrap_dim(dim, input._data.ndim)
    idx = _index_arg(index, "index_add")
    src = _t(source)
    arr = np.array(input._data, copy=True)
    _check_index_range(idx, arr.shape[d] if arr.ndim else 1, d, error=IndexError,
                       message="index out of range in self")
    sd = src._data.astype(arr.dtype, copy=False)
    sd = sd.reshape(arr.shape[:d] + (idx.size,) + arr.shape[d + 1:]) if arr.ndim else sd
    np.add.at(arr, _along(d, idx) if arr.ndim else (), sd * alpha if alpha != 1 else sd)
    out = _W(arr)
    node = record(out, IndexAddBackward0, (input, src))
    if node is not None:
        node.dim, node.idx, node.alpha = d, _W(idx), alpha
        node.src_shape = src._data.shape
    return out


class IndexCopyBackward0(Node):
    def backward(self, g):
        gx = index_fill(g, self.dim, self.idx, 0.0) if self.needs_input_grad[0] else None
        gs = None
        if self.needs_input_grad[1]:
            gs = S.index_select(g, self.dim, self.idx).reshape(self.src_shape)
        return gx, gs


def index_copy(input, dim, index, source):
    """``input`` with the slices at ``index`` along ``dim`` replaced by ``source``'s."""
    d = wrap_dim(dim, input._data.ndim)
    idx = _index_arg(index, "index_copy")
    src = _t(source)
    arr = np.array(input._data, copy=True)
    if idx.size and (idx.min() < 0 or idx.max() >= (arr.shape[d] if arr.ndim else 1)):
        try:
            _check_index_range(idx, arr.shape[d] if arr.ndim else 1, d, error=IndexError)
        except IndexError as e:
            raise IndexError(f"index_copy_(): {e}") from None
    sd = src._data.astype(arr.dtype, copy=False)
    arr[_along(d, idx)] = sd.reshape(arr.shape[:d] + (idx.size,) + arr.shape[d + 1:])
    out = _W(arr)
    node = record(out, IndexCopyBackward0, (input, src))
    if node is not None:
        node.dim, node.idx, node.src_shape = d, _W(idx), src._data.shape
    return out


class IndexFillBackward0(Node):
    def backward(self, g):
        gx = index_fill(g, self.dim, self.idx, 0.0) if self.needs_input_grad[0] else None
        gv = None
        if self.needs_input_grad[1]:
            gv = R.sum(S.index_select(g, self.dim, self.idx))
        return gx, gv


def index_fill(input, dim, index, value):
    """``input`` with the slices at ``index`` along ``dim`` set to ``value``."""
    d = wrap_dim(dim, input._data.ndim)
    idx = _index_arg(index, "index_fill")
    if isinstance(value, Tensor) and value._data.ndim != 0:
        raise RuntimeError(
            f"index_fill_ only supports a 0-dimensional value tensor, but got tensor with "
            f"{value._data.ndim} dimension(s)."
        )
    arr = np.array(input._data, copy=True)
    _check_index_range(idx, arr.shape[d] if arr.ndim else 1, d, negative=True, error=IndexError)
    arr[_along(d, idx)] = value._data if isinstance(value, Tensor) else value
    out = _W(arr)
    v = value if isinstance(value, Tensor) else E._NOGRAD
    node = record(out, IndexFillBackward0, (input, v))
    if node is not None:
        node.dim, node.idx = d, _W(idx)
    return out


class MaskedScatterBackward0(Node):
    def backward(self, g):
        (m,) = self._unpacked_saved
        gx = gs = None
        if self.needs_input_grad[0]:
            gx = sum_to(E.where(m, E.zeros_like(g), g), self.x_shape)
        if self.needs_input_grad[1]:
            taken = S.masked_select(g, m)
            rest = self.src_numel - taken._data.size
            if rest:
                taken = S.cat([taken, _W(np.zeros(rest, g._data.dtype))])
            gs = taken.reshape(self.src_shape)
        return gx, gs


def masked_scatter(input, mask, source):
    """``input`` with the positions where ``mask`` is True filled, in order, from ``source``."""
    md = mask._data
    if md.dtype != np.bool_:
        raise RuntimeError(f"masked_scatter_ only supports boolean masks, but got mask with "
                           f"dtype {mask.dtype}")
    shape = np.broadcast_shapes(input._data.shape, md.shape)
    arr = np.array(np.broadcast_to(input._data, shape), copy=True)
    mb = np.broadcast_to(md, shape)
    k = builtins.int(mb.sum())
    sd = source._data.reshape(-1)
    if sd.size < k:
        raise RuntimeError("Number of elements of source < number of ones in mask")
    arr[mb] = sd[:k]
    out = _W(arr)
    node = record(out, MaskedScatterBackward0, (input, source), (_W(mb),))
    if node is not None:
        node.x_shape, node.src_shape = input._data.shape, source._data.shape
        node.src_numel = sd.size
    return out


class IndexPutAccBackward0(Node):
    def backward(self, g):
        gx = g if self.needs_input_grad[0] else None
        gv = sum_to(S.index(g, self.key), self.v_shape) if self.needs_input_grad[1] else None
        return gx, gv


def index_put(input, indices, values, accumulate=False):
    """``input`` with ``values`` written at ``input[indices]`` (summed when ``accumulate``)."""
    key = tuple(i._data if isinstance(i, Tensor) else i for i in indices)
    v = _t(values)
    if not accumulate:
        return S.index_put(input, key, v)
    arr = np.array(input._data, copy=True)
    np.add.at(arr, key, v._data.astype(arr.dtype, copy=False))
    out = _W(arr)
    node = record(out, IndexPutAccBackward0, (input, v))
    if node is not None:
        node.key, node.v_shape = key, v._data.shape
    return out


def fill_diagonal(input, fill_value, wrap=False):
    """``input`` with its main diagonal set to ``fill_value`` (``Tensor.fill_diagonal_``)."""
    sh = input._data.shape
    if len(sh) < 2:
        raise RuntimeError("dimensions must larger than 1")
    if len(sh) > 2 and len(set(sh)) != 1:
        raise RuntimeError("all dimensions of input must be of equal length")
    if len(sh) == 2:
        r, c = sh
        limit = r * c if wrap and r > c + 1 else builtins.min(r, c) * c
        flat = np.arange(0, limit, c + 1)
        key = (flat // c, flat % c)
    else:
        key = (np.arange(sh[0]),) * len(sh)
    return S.index_put(input, key, _W(np.asarray(fill_value, input._data.dtype)))


# ---- linear algebra composites --------------------------------------------------------------


def _scaled(t, s):
    return t if s == 1 else t * s


def _add_scaled(input, prod, beta, alpha):
    # beta == 0 ignores input entirely (nan/inf in it do not propagate), as PyTorch
    p = _scaled(prod, alpha)
    if beta == 0:
        return p + E.zeros_like(input) if input._data.shape != p._data.shape else p
    return _scaled(input, beta) + p


def addmv(input, mat, vec, *, beta=1, alpha=1):
    """``beta * input + alpha * (mat @ vec)``."""
    return _add_scaled(input, L.mv(mat, vec), beta, alpha)


def addr(input, vec1, vec2, *, beta=1, alpha=1):
    """``beta * input + alpha * outer(vec1, vec2)``."""
    return _add_scaled(input, L.outer(vec1, vec2), beta, alpha)


def baddbmm(input, batch1, batch2, *, beta=1, alpha=1):
    """``beta * input + alpha * (batch1 @ batch2)`` per batch."""
    return _add_scaled(input, L.bmm(batch1, batch2), beta, alpha)


def addbmm(input, batch1, batch2, *, beta=1, alpha=1):
    """``beta * input + alpha * sum_b batch1[b] @ batch2[b]``."""
    return _add_scaled(input, R.sum(L.bmm(batch1, batch2), dim=0), beta, alpha)


def vdot(input, other):
    return L.dot(input, other)


def cross(input, other, dim=None):
    """Cross product of 3-vectors along ``dim`` (default: the first dimension of size 3)."""
    a, b = S.broadcast_tensors(input, other)
    if dim is None:
        sizes = a._data.shape
        dim = next((i for i, s in enumerate(sizes) if s == 3), None)
        if dim is None:
            raise RuntimeError("no dimension of size 3 in input")
    d = wrap_dim(dim, a._data.ndim)
    if a._data.shape[d] != 3:
        raise RuntimeError(
            f"linalg.cross: inputs dimension {dim} must have length 3. Got "
            f"{a._data.shape[d]} and {b._data.shape[d]}"
        )
    a0, a1, a2 = (S.select(a, d, i) for i in range(3))
    b0, b1, b2 = (S.select(b, d, i) for i in range(3))
    return S.stack([a1 * b2 - a2 * b1, a2 * b0 - a0 * b2, a0 * b1 - a1 * b0], d)


def tensordot(a, b, dims=2, out=None):
    """Contract the last ``dims`` dims of ``a`` with the first of ``b`` (or the listed pairs)."""
    if isinstance(dims, Tensor):
        dims = dims.tolist()
    if isinstance(dims, builtins.int):
        if dims < 0:
            raise RuntimeError(f"tensordot expects dims >= 0, but got dims={dims}")
        da = list(range(a._data.ndim - dims, a._data.ndim))
        db = list(range(dims))
    else:
        da, db = dims
        da = [da] if isinstance(da, builtins.int) else list(da)
        db = [db] if isinstance(db, builtins.int) else list(db)
    da = [wrap_dim(i, a._data.ndim) for i in da]
    db = [wrap_dim(i, b._data.ndim) for i in db]
    for i, j in zip(da, db):
        if a._data.shape[i] != b._data.shape[j]:
            raise RuntimeError(
                f"contracted dimensions need to match, but first has size {a._data.shape[i]} "
                f"in dim {i} and second has size {b._data.shape[j]} in dim {j}"
            )
    fa = [i for i in range(a._data.ndim) if i not in da]
    fb = [i for i in range(b._data.ndim) if i not in db]
    k = builtins.int(np.prod([a._data.shape[i] for i in da]))
    am = S.permute(a, tuple(fa + da)).reshape(-1, k)
    bm = S.permute(b, tuple(db + fb)).reshape(k, -1)
    shape = tuple(a._data.shape[i] for i in fa) + tuple(b._data.shape[i] for i in fb)
    return L.mm(am, bm).reshape(shape)


def kron(input, other):
    """Kronecker product: block ``(i, j, ...)`` is ``input[i, j, ...] * other``."""
    nd = builtins.max(input._data.ndim, other._data.ndim)
    sa = (1,) * (nd - input._data.ndim) + input._data.shape
    sb = (1,) * (nd - other._data.ndim) + other._data.shape
    a = input.reshape(tuple(x for s in sa for x in (s, 1)))
    b = other.reshape(tuple(x for s in sb for x in (1, s)))
    return (a * b).reshape(tuple(p * q for p, q in zip(sa, sb)))


def chain_matmul(*matrices):
    ms = _tensor_list(matrices)
    out = ms[0]
    for m in ms[1:]:
        out = L.mm(out, m)
    return out


def matrix_power(input, n):
    """``input`` multiplied by itself ``n`` times (the identity for 0, the inverse for n < 0)."""
    x = input
    sh = x._data.shape
    if len(sh) < 2 or sh[-1] != sh[-2]:
        raise RuntimeError(
            "linalg.matrix_power: A must be batches of square matrices, but they are "
            f"{sh[-2] if len(sh) > 1 else 1} by {sh[-1] if sh else 1} matrices"
        )
    if n == 0:
        eye = _W(np.broadcast_to(np.eye(sh[-1], dtype=x._data.dtype), sh).copy())
        return E.where(_W(np.ones((), np.bool_)), eye, x)  # connected to x, zero gradient
    if n < 0:
        from nnlite.linalg import inv

        x, n = inv(x), -n
    out = x
    for _ in range(n - 1):
        out = L.matmul(out, x)
    return out


def det(input):
    from nnlite.linalg import det as _det

    return _det(input)


def inverse(input):
    from nnlite.linalg import inv

    return inv(input)


def logdet(input):
    return E.log(det(input))


# ---- small constructors and dtype queries ---------------------------------------------------


def scalar_tensor(s, *, dtype=None, device=None, requires_grad=False, **_):
    dt = D.to_dtype(dtype).np if dtype is not None else D._default_float.np
    t = _W(np.asarray(s, dtype=dt))
    if requires_grad:
        t.requires_grad = True
    return t


def result_type(tensor1, tensor2):
    """The dtype of ``tensor1 op tensor2`` under PyTorch's promotion rules."""
    a = tensor1 if isinstance(tensor1, Tensor) else None
    b = tensor2 if isinstance(tensor2, Tensor) else None
    if a is None and b is None:
        return E.add(_t(tensor1), tensor2).dtype
    if a is None:
        return E.add(b, tensor1).dtype
    return E.add(a, tensor2).dtype


def can_cast(from_, to) -> bool:
    """Whether PyTorch's type promotion allows casting ``from_`` to ``to`` (same-kind rule)."""
    order = {"b": 0, "u": 1, "i": 1, "f": 2}
    return order[D.to_dtype(from_).np.kind] <= order[D.to_dtype(to).np.kind]
