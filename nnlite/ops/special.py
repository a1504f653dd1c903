"""Vectorised special functions on numpy arrays (no SciPy): erf and erfc.

``math.erf`` through ``np.vectorize`` is ~100x slower; these rational approximations are accurate
to ~1e-16 relative in float64.
"""

from __future__ import annotations

import builtins
import math

from nnlite import _dtype as D
from nnlite._tensor import Tensor
from nnlite.autograd.function import Node, record
from nnlite.kernels import lazy as _lazy_kernels
from nnlite.ops import elementwise as E
from nnlite.ops._util import as_t as _t

_W = Tensor._wrap

import numpy as np

_special_kernels = _lazy_kernels("special")

# Cephes ndtr.c rational approximations (S. Moshier, public domain), ~1e-16 relative in float64:
# erf(x) = x T(x^2)/U(x^2) for |x| <= 1, erfc(x) = exp(-x^2) P(x)/Q(x) for 1 < x < 8, R/S beyond.
_ERF_T = (9.60497373987051638749e0, 9.00260197203842689217e1, 2.23200534594684319226e3,
          7.00332514112805075473e3, 5.55923013010394962768e4)
_ERF_U = (1.0, 3.35617141647503099647e1, 5.21357949780152679795e2, 4.59432382970980127987e3,
          2.26290000613890934246e4, 4.92673942608635921086e4)
_ERFC_P = (2.46196981473530512524e-10, 5.64189564831068821977e-1, 7.46321056442269912687e0,
           4.86371970985681366614e1, 1.96520832956077098242e2, 5.26445194995477358631e2,
           9.34528527171957607540e2, 1.02755188689515710272e3, 5.57535335369399327526e2)
_ERFC_Q = (1.0, 1.32281951154744992508e1, 8.67072140885989742329e1, 3.54937778887819891062e2,
           9.75708501743205489753e2, 1.82390916687909736289e3, 2.24633760818710981792e3,
           1.65666309194161350182e3, 5.57535340817727675546e2)
_ERFC_R = (5.64189583547755073984e-1, 1.27536670759978104416e0, 5.01905042251180477414e0,
           6.16021097993053585195e0, 7.40974269950448939160e0, 2.97886665372100240670e0)
_ERFC_S = (1.0, 2.26052863220117276590e0, 9.39603524938001434673e0, 1.20489539808096656605e1,
           1.70814450747565897222e1, 9.60896809063285878198e0, 3.36907645100081516050e0)


def _polyval(coefs, x):
    acc = np.full_like(x, coefs[0])
    for c in coefs[1:]:
        acc *= x
        acc += c
    return acc


_ERF_KERNEL_MIN = 2048  # below this the numba call's overhead is not worth it


def erf_np(x: np.ndarray) -> np.ndarray:
    """``erf(x)`` elementwise in x's float dtype, computed in float64 (Cephes, ~1e-16; large
    float arrays through libm's erf in one numba pass, ~30x fewer memory passes)."""
    if x.dtype in (np.float32, np.float64) and x.size >= _ERF_KERNEL_MIN:
        erf = _special_kernels.erf

        return erf(x)
    xd = np.asarray(x, np.float64)
    ax = np.abs(xd)
    out = np.empty_like(xd)
    small = ax <= 1.0
    if small.any():
        xs = xd[small]
        z = xs * xs
        out[small] = xs * _polyval(_ERF_T, z) / _polyval(_ERF_U, z)
    big = ~small
    if big.any():
        a = np.minimum(ax[big], 30.0)  # exp(-900) is 0: keeps inf out of the polynomials
        mid = a < 8.0
        erfc = np.empty_like(a)
        e = np.exp(-a * a)
        am = a[mid]
        erfc[mid] = e[mid] * _polyval(_ERFC_P, am) / _polyval(_ERFC_Q, am)
        at = a[~mid]
        erfc[~mid] = e[~mid] * _polyval(_ERFC_R, at) / _polyval(_ERFC_S, at)
        out[big] = np.copysign(1.0 - erfc, xd[big])
    nan = np.isnan(xd)
    if nan.any():
        out[nan] = np.nan
    return out.astype(x.dtype, copy=False) if x.dtype.kind == "f" else out




def erfc_np(x: np.ndarray) -> np.ndarray:
    """``erfc(x) = 1 - erf(x)`` without cancellation for large ``x`` (same approximations)."""
    xd = np.asarray(x, np.float64)
    ax = np.abs(xd)
    out = 1.0 - erf_np(xd)
    big = ax > 1.0
    if big.any():
        a = np.minimum(ax[big], 30.0)
        mid = a < 8.0
        tail = np.empty_like(a)
        e = np.exp(-a * a)
        tail[mid] = e[mid] * _polyval(_ERFC_P, a[mid]) / _polyval(_ERFC_Q, a[mid])
        tail[~mid] = e[~mid] * _polyval(_ERFC_R, a[~mid]) / _polyval(_ERFC_S, a[~mid])
        out[big] = np.where(xd[big] > 0, tail, 2.0 - tail)
    return out.astype(x.dtype, copy=False) if x.dtype.kind == "f" else out


# ---- differentiable special functions ---------------------------------------------------------


def _erf_np(x):
    return erf_np(x)


erf = E._unary(
    "ErfBackward0", _erf_np, lambda g, x, y: g * E.exp(-(x * x)) * (2.0 / math.sqrt(math.pi))
)



def _vectorize(fn, x):
    return np.vectorize(fn, otypes=[x.dtype])(x) if x.size else x.copy()


def _erfc_np(x):
    return erfc_np(x)


erfc = E._unary(
    "ErfcBackward0", _erfc_np, lambda g, x, y: g * E.exp(-(x * x)) * (-2.0 / math.sqrt(math.pi))
)


def _erfinv_np(y):
    """Inverse error function: Winitzki's closed-form start, then Newton steps on ``erf``."""
    y64 = np.atleast_1d(y.astype(np.float64))  # 0-d: numpy ops would give scalars here
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
    return x.astype(y.dtype).reshape(np.shape(y))


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


class DigammaBackward0(Node):
    def backward(self, g):
        (x,) = self._unpacked_saved
        return (g * polygamma(1, x),)


def digamma(input):
    """``d/dx log Gamma(x)`` (one node, DigammaBackward0: ``g * polygamma(1, x)``)."""
    x = _t(input)
    xd = x._data if x._data.dtype.kind == "f" else x._data.astype(D._default_float.np)
    out = _W(np.asarray(_polygamma_np(0, xd)))
    record(out, DigammaBackward0, (x,), (x,))
    return out


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


class MvlgammaBackward0(Node):
    """``mvlgamma(x, p)``: ``g * sum_{i<p} digamma(x - i/2)``."""

    def backward(self, g):
        (x,) = self._unpacked_saved
        d = digamma(x)
        for i in range(1, self.p):
            d = d + digamma(x - i / 2)
        return (g * d,)


def mvlgamma(input, p):
    """Multivariate log-gamma: ``p(p-1)/4 log(pi) + sum_{i<p} lgamma(x - i/2)`` (one node)."""
    x = _t(input)
    if p < 1:
        raise RuntimeError("p has to be greater than or equal to 1")
    xd = x._data if x._data.dtype.kind == "f" else x._data.astype(D._default_float.np)
    if xd.size and not np.all(xd > (p - 1) / 2):
        raise RuntimeError("All elements must be greater than (p-1)/2")
    r = np.full(xd.shape, p * (p - 1) / 4 * math.log(math.pi), np.float64)
    for i in range(p):
        r = r + _lgamma_np(xd - i / 2)
    out = _W(np.asarray(r, dtype=xd.dtype))
    node = record(out, MvlgammaBackward0, (x,), (x,))
    if node is not None:
        node.p = builtins.int(p)
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
