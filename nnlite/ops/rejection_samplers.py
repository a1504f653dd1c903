"""ATen's CPU rejection samplers for Gamma, Poisson and Binomial on nnlite's generator, one
element at a time in C order, drawing the same float64 uniforms and normals in the same order,
so a seed gives torch's samples (``torch._standard_gamma``, ``torch.poisson``,
``torch.binomial``; ``ATen/native/Distributions.{h,cpp}``).

These loops are plain Python (a few microseconds per element): sampling is not on the
training hot path of the programs that use them.
"""

from __future__ import annotations

import math

import numpy as np

from nnlite import _random as _R

_F32_THIRD = float(np.float32(1.0) / np.float32(3.0))
_F32_0331 = float(np.float32(0.0331))


class _Draws:
    """torch's ``uniform_real_distribution<double>`` and ``normal_distribution<double>``."""

    def __init__(self, g):
        self.g = g

    def uniform(self) -> float:
        return float(_R._unit_uniform(self.g, 1, np.float64)[0])

    def normal(self) -> float:
        return float(_R._scalar_normals(self.g, 1, 0.0, 1.0)[0])


def _gamma_one(alpha, draws: _Draws, f32: bool) -> float:
    # sample_gamma<scalar_t, double>: Marsaglia & Tsang (2000), alpha < 1 boosted
    cast = (lambda v: float(np.float32(v))) if f32 else float
    alpha = cast(alpha)
    scale = 1.0
    if alpha < 1.0:
        if alpha == 0.0:
            return 0.0
        scale *= (1 - draws.uniform()) ** cast(1.0 / alpha)
        alpha = cast(alpha + 1.0)
    d = cast(alpha - _F32_THIRD) if f32 else alpha - _F32_THIRD
    # torch's loops test ``y <= 0`` and take NaN through: a NaN or negative alpha gives NaN
    c = 1.0 / math.sqrt(9.0 * d) if d > 0 else math.nan
    while True:
        while True:
            x = draws.normal()
            y = 1.0 + c * x
            if not y <= 0:
                break
        v = y * y * y
        u = 1 - draws.uniform()
        xx = x * x
        if u < 1.0 - _F32_0331 * xx * xx:
            return scale * d * v
        if math.log(u) < 0.5 * xx + d * (1.0 - v + math.log(v)):
            return scale * d * v


def standard_gamma(alpha: np.ndarray, g=None) -> np.ndarray:
    """``torch._standard_gamma(alpha)``: Gamma(alpha, 1) samples, at least ``finfo.tiny``."""
    draws = _Draws(_R._gen(g))
    flat = np.ascontiguousarray(alpha).ravel()
    f32 = flat.dtype == np.float32
    out = np.array([_gamma_one(a, draws, f32) for a in flat.tolist()], np.float64)
    out = out.astype(flat.dtype)
    tiny = np.finfo(flat.dtype).tiny
    return np.where(out > tiny, out, tiny).reshape(np.shape(alpha))  # NaN -> tiny, as torch


def dirichlet(alpha: np.ndarray, g=None) -> np.ndarray:
    """``torch._sample_dirichlet(alpha)``: float64 gammas normalised over the last dim, clamped
    into ``[tiny, 1)`` of alpha's dtype."""
    draws = _Draws(_R._gen(g))
    flat = np.ascontiguousarray(alpha).astype(np.float64).ravel()
    gam = np.array([_gamma_one(a, draws, False) for a in flat.tolist()], np.float64)
    gam = np.maximum(gam, np.finfo(np.float64).tiny).reshape(np.shape(alpha))
    with np.errstate(invalid="ignore"):
        ratio = (gam / gam.sum(-1, keepdims=True)).astype(np.asarray(alpha).dtype)
    fi = np.finfo(ratio.dtype)
    ratio = np.where(ratio > fi.tiny, ratio, fi.tiny)  # torch's clamp sends NaN to tiny too
    return np.minimum(ratio, np.nextafter(ratio.dtype.type(1), ratio.dtype.type(0)))


def _poisson_one(lam: float, draws: _Draws) -> int:
    if lam >= 10:  # transformed rejection (Hoermann, 1993)
        slam, loglam = math.sqrt(lam), math.log(lam)
        b = 0.931 + 2.53 * slam
        a = -0.059 + 0.02483 * b
        invalpha = 1.1239 + 1.1328 / (b - 3.4)
        vr = 0.9277 - 3.6224 / (b - 2)
        while True:
            U = draws.uniform() - 0.5
            V = draws.uniform()
            us = 0.5 - abs(U)
            k = int(math.floor((2 * a / us + b) * U + lam + 0.43))
            if us >= 0.07 and V <= vr:
                return k
            if k < 0 or (us < 0.013 and V > us):
                continue
            if (math.log(V) + math.log(invalpha) - math.log(a / (us * us) + b)
                    <= -lam + k * loglam - math.lgamma(k + 1.0)):
                return k
    if lam == 0:
        return 0
    enlam, x, prod = math.exp(-lam), 0, 1.0
    while True:
        prod *= draws.uniform()
        if prod > enlam:
            x += 1
        else:
            return x


def poisson(rate: np.ndarray, g=None) -> np.ndarray:
    """``torch.poisson(rate)`` (values in rate's dtype)."""
    draws = _Draws(_R._gen(g))
    flat = np.ascontiguousarray(rate).ravel()
    out = np.array([_poisson_one(float(r), draws) for r in flat.tolist()], np.float64)
    return out.astype(flat.dtype).reshape(np.shape(rate))


_STIRLING_TAIL = [0.08106146679532726, 0.04134069595540929, 0.02767792568499834,
                  0.02079067210376509, 0.01664469118982119, 0.01387612882307075,
                  0.01189670994589177, 0.01041126526197209, 0.009255462182712733,
                  0.008330563433362871]


def _stirling_tail(k: float) -> float:
    if k <= 9:
        return _STIRLING_TAIL[int(k)]
    kp1sq = (k + 1) * (k + 1)
    return (1.0 / 12 - (1.0 / 360 - 1.0 / 1260 / kp1sq) / kp1sq) / (k + 1)


def _btrs(n: float, p: float, draws: _Draws) -> float:
    stddev = math.sqrt(n * p * (1 - p))
    b = 1.15 + 2.53 * stddev
    a = -0.0873 + 0.0248 * b + 0.01 * p
    c = n * p + 0.5
    v_r = 0.92 - 4.2 / b
    r = p / (1 - p)
    alpha = (2.83 + 5.1 / b) * stddev
    m = math.floor((n + 1) * p)
    while True:
        U = draws.uniform() - 0.5
        V = draws.uniform()
        us = 0.5 - abs(U)
        k = math.floor((2 * a / us + b) * U + c)
        if k < 0 or k > n:
            continue
        if us >= 0.07 and V <= v_r:
            return k
        V = math.log(V * alpha / (a / (us * us) + b))
        upper = ((m + 0.5) * math.log((m + 1) / (r * (n - m + 1)))
                 + (n + 1) * math.log((n - m + 1) / (n - k + 1))
                 + (k + 0.5) * math.log(r * (n - k + 1) / (k + 1))
                 + _stirling_tail(m) + _stirling_tail(n - m)
                 - _stirling_tail(k) - _stirling_tail(n - k))
        if V <= upper:
            return k


def _inversion(n: float, p: float, draws: _Draws) -> float:
    geom_sum, num_geom = 0.0, 0.0
    logprob = math.log1p(-p)
    while True:
        geom = math.ceil(math.log(draws.uniform()) / logprob)
        geom_sum += geom
        if geom_sum > n:
            return num_geom
        num_geom += 1


def _binomial_one(n: float, p: float, draws: _Draws) -> float:
    if n <= 0.0 or p <= 0.0:
        return 0.0
    if p >= 1.0:
        return n
    if p <= 0.5:
        return _btrs(n, p, draws) if n * p >= 10.0 else _inversion(n, p, draws)
    if p > 0.5:
        q = 1.0 - p
        return n - (_btrs(n, q, draws) if n * q >= 10.0 else _inversion(n, q, draws))
    return math.nan


def binomial(count: np.ndarray, prob: np.ndarray, g=None) -> np.ndarray:
    """``torch.binomial(count, prob)`` (count and prob of one shape, values in their dtype)."""
    draws = _Draws(_R._gen(g))
    c = np.ascontiguousarray(count).ravel()
    p = np.ascontiguousarray(prob, dtype=c.dtype).ravel()
    out = [_binomial_one(float(a), float(b), draws) for a, b in zip(c.tolist(), p.tolist())]
    return np.array(out, np.float64).astype(c.dtype).reshape(np.shape(count))
