"""Regularized incomplete gamma ``P(a, x)`` and beta ``I_x(a, b)`` on float64 numpy arrays, and
the implicit reparameterization gradients built on them.

A sample ``x`` of a Gamma(a) (or Beta(a, b)) drawn by rejection has no explicit formula in
``a``; its derivative holding the cdf fixed is ``dx/da = -(dF/da) / pdf(x)`` (Figurnov et al.,
2018), the quantity torch's ``_standard_gamma_grad`` / ``_dirichlet_grad`` approximate. Here
``dF/da`` is a central difference of the series/continued-fraction cdf in float64 (relative
error ~1e-7), which is far below float32 rounding.
"""

from __future__ import annotations

import math

import numpy as np

_lgamma = np.frompyfunc(math.lgamma, 1, 1)
_ITERS = 400
_TINY = 1e-300


def lgamma(a: np.ndarray) -> np.ndarray:
    return _lgamma(np.asarray(a, np.float64)).astype(np.float64)


def _gamma_series(a, x):
    # P(a, x) = x^a e^-x / Gamma(a + 1) * sum_n x^n / ((a + 1) ... (a + n))
    term = np.ones_like(x) / a
    total = term.copy()
    ap = a.copy()
    for _ in range(_ITERS):
        ap = ap + 1
        term = term * x / ap
        total = total + term
        if np.all(np.abs(term) < np.abs(total) * 1e-16):
            break
    return total * np.exp(-x + a * np.log(x) - lgamma(a))


def _gamma_cfrac(a, x):
    # Q(a, x) by the modified Lentz continued fraction
    b = x + 1 - a
    c = np.full_like(x, 1 / _TINY)
    d = 1 / np.where(b == 0, _TINY, b)
    h = d.copy()
    for i in range(1, _ITERS):
        an = -i * (i - a)
        b = b + 2
        d = an * d + b
        d = 1 / np.where(np.abs(d) < _TINY, _TINY, d)
        c = b + an / np.where(np.abs(c) < _TINY, _TINY, c)
        delta = d * c
        h = h * delta
        if np.all(np.abs(delta - 1) < 1e-16):
            break
    return np.exp(-x + a * np.log(x) - lgamma(a)) * h


def gammainc(a, x) -> np.ndarray:
    """``P(a, x) = gamma(a, x) / Gamma(a)`` (``torch.special.gammainc``), broadcast, float64."""
    a, x = np.broadcast_arrays(np.asarray(a, np.float64), np.asarray(x, np.float64))
    out = np.zeros(a.shape)
    pos = x > 0
    series = pos & (x < a + 1)
    frac = pos & ~series
    with np.errstate(all="ignore"):
        if series.any():
            out[series] = _gamma_series(a[series], x[series])
        if frac.any():
            out[frac] = 1 - _gamma_cfrac(a[frac], x[frac])
    out[np.isnan(a) | np.isnan(x) | (a <= 0)] = np.nan
    return out


def _beta_cfrac(a, b, x):
    qab, qap, qam = a + b, a + 1, a - 1
    c = np.ones_like(x)
    d = 1 - qab * x / qap
    d = 1 / np.where(np.abs(d) < _TINY, _TINY, d)
    h = d.copy()
    for m in range(1, _ITERS):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1 + aa * d
        d = 1 / np.where(np.abs(d) < _TINY, _TINY, d)
        c = 1 + aa / np.where(np.abs(c) < _TINY, _TINY, c)
        h = h * d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1 + aa * d
        d = 1 / np.where(np.abs(d) < _TINY, _TINY, d)
        c = 1 + aa / np.where(np.abs(c) < _TINY, _TINY, c)
        delta = d * c
        h = h * delta
        if np.all(np.abs(delta - 1) < 1e-16):
            break
    return h


def betainc(a, b, x) -> np.ndarray:
    """``I_x(a, b)``, the Beta(a, b) cdf at ``x``, broadcast, float64."""
    a, b, x = np.broadcast_arrays(*(np.asarray(v, np.float64) for v in (a, b, x)))
    out = np.where(x >= 1, 1.0, 0.0)
    inner = (x > 0) & (x < 1)
    with np.errstate(all="ignore"):
        ai, bi, xi = a[inner], b[inner], x[inner]
        lbt = (lgamma(ai + bi) - lgamma(ai) - lgamma(bi) + ai * np.log(xi)
               + bi * np.log1p(-xi))
        front = np.exp(lbt)
        direct = xi < (ai + 1) / (ai + bi + 2)
        res = np.empty_like(xi)
        res[direct] = front[direct] * _beta_cfrac(ai[direct], bi[direct], xi[direct]) / ai[direct]
        flip = ~direct
        res[flip] = 1 - front[flip] * _beta_cfrac(bi[flip], ai[flip], 1 - xi[flip]) / bi[flip]
    out[inner] = res
    return out


def _d_da(f, a, *rest):
    h = np.maximum(np.abs(a), 1e-3) * 1e-5
    return (f(a + h, *rest) - f(a - h, *rest)) / (2 * h)


def standard_gamma_grad(a: np.ndarray, x: np.ndarray) -> np.ndarray:
    """``d x / d a`` for ``x ~ Gamma(a, 1)`` at fixed cdf (``torch._standard_gamma_grad``)."""
    a = np.asarray(a, np.float64)
    x = np.asarray(x, np.float64)
    with np.errstate(all="ignore"):
        log_pdf = (a - 1) * np.log(x) - x - lgamma(a)
        return -_d_da(gammainc, a, x) / np.exp(log_pdf)


def dirichlet_grad(x: np.ndarray, a: np.ndarray, total: np.ndarray) -> np.ndarray:
    """``torch._dirichlet_grad(x, a, total)``: ``(d x / d a) / (1 - x)`` for the marginal
    ``x ~ Beta(a, total - a)`` with ``total - a`` held; the Dirichlet backward multiplies it by
    ``grad - sum(x * grad)``, which restores the ``1 - x`` of the component itself."""
    x, a, total = (np.asarray(v, np.float64) for v in (x, a, total))
    b = total - a
    with np.errstate(all="ignore"):
        log_pdf = ((a - 1) * np.log(x) + (b - 1) * np.log1p(-x)
                   + lgamma(a + b) - lgamma(a) - lgamma(b))
        dx_da = -_d_da(lambda aa, bb, xx: betainc(aa, bb, xx), a, b, x) / np.exp(log_pdf)
        return dx_da / (1 - x)
