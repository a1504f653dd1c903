"""Kernels behind nnlite's random numbers: the exact arithmetic of PyTorch's CPU samplers.

PyTorch's CPU generator is an mt19937; nnlite draws the same 32-bit words (numpy's ``MT19937``)
and must then turn them into floats with *the same roundings* as ATen, which is what this file
is for. Three things are load-bearing (each was measured against torch 2.13 on 1e6 samples):

* ATen is compiled by GCC with FMA contraction on, so ``x * (to - from) + from`` (uniform),
  ``val * std + mean`` (scalar normal) and several steps of the polynomial ``log``/``sincos``
  are single-rounding fused multiply-adds. Plain ``a * b + c`` changes the last bit of ~half the
  uniform values.
* float32 ``randn``/``normal_`` with 16 or more elements goes through ``NormalFill16`` with AVX2:
  Box-Muller over blocks of 16 uniforms, ``u1 = 1 - data[j]``, ``u2 = data[j + 8]``, using the
  Cephes-derived ``log256_ps`` and ``sincos256_ps`` of ``ATen/native/cpu/avx_mathfun.h`` (not
  libm), ported here operation by operation.
* float64 uses glibc's ``log``/``cos``/``sin``/``log1p``; numba calls the same libm.

Every kernel has a pure-numpy reference (``*_ref``) with the same results; it is what runs under
``NUMBA_DISABLE_JIT=1`` (the ``fma`` there is emulated exactly with round-to-odd), and the tests
compare both with torch.

Example:
    >>> u = np.full(16, 0.25, np.float32)
    >>> normal_fill16_f32(u, 0.0, 1.0)[:2].tolist()  # Box-Muller of (0.25, 0.25)
    [-3.3156293710590035e-08, -3.3156293710590035e-08]
"""

from __future__ import annotations

import math

import numba
import numpy as np

from nnlite.kernels._jit import njit
from nnlite.kernels.fma import fma as _fma  # one rounding (llvm.fma)

_JIT = not numba.config.DISABLE_JIT
f32 = np.float32


def _two_sum(a, b):
    s = a + b
    bb = s - a
    return s, (a - (s - bb)) + (b - bb)


def _round_to_odd_sum(a, b):
    """``a + b`` in float64 rounded to odd: exact, or the neighbour with an odd last bit."""
    s, err = _two_sum(a, b)
    inexact_even = (err != 0) & ((s.view(np.int64) & 1) == 0)
    return np.where(inexact_even, np.nextafter(s, np.where(err > 0, np.inf, -np.inf)), s)


def fma32_ref(a, b, c) -> np.ndarray:
    """Correctly rounded float32 ``a * b + c``: the float64 product is exact, the float64 sum is
    rounded to odd, and 53 >= 24 + 2 bits make the final rounding to float32 correct."""
    a, b, c = (np.asarray(v, np.float64) for v in (a, b, c))
    return _round_to_odd_sum(a * b, c).astype(np.float32)


def _split(a):
    t = a * 134217729.0  # 2**27 + 1 (Veltkamp)
    hi = t - (t - a)
    return hi, a - hi


def fma64_ref(a, b, c) -> np.ndarray:
    """Correctly rounded float64 ``a * b + c`` (Boldo & Melquiond: exact product by Dekker, exact
    sum with ``c``, the low parts added rounded to odd, one final rounding). Finite inputs whose
    product does not overflow or underflow, which is all the samplers need."""
    a, b, c = (np.asarray(v, np.float64) for v in (a, b, c))
    ph = a * b
    ah, al = _split(a)
    bh, bl = _split(b)
    pl = ((ah * bh - ph) + ah * bl + al * bh) + al * bl
    th, tl = _two_sum(c, ph)
    return th + _round_to_odd_sum(tl, pl)


# ---- float32 Box-Muller as ATen's NormalFill16<float> with AVX2 ----------------------------------

_SQRTHF = f32(0.707106781186547524)
_LOG_P = tuple(
    f32(v)
    for v in (
        7.0376836292e-2,
        -1.1514610310e-1,
        1.1676998740e-1,
        -1.2420140846e-1,
        1.4249322787e-1,
        -1.6668057665e-1,
        2.0000714765e-1,
        -2.4999993993e-1,
        3.3333331174e-1,
    )
)
_LOG_Q1, _LOG_Q2 = f32(-2.12194440e-4), f32(0.693359375)
_DP1, _DP2, _DP3 = f32(-0.78515625), f32(-2.4187564849853515625e-4), f32(-3.77489497744594108e-8)
_SIN_P0, _SIN_P1, _SIN_P2 = f32(-1.9515295891e-4), f32(8.3321608736e-3), f32(-1.6666654611e-1)
_COS_P0, _COS_P1, _COS_P2 = (
    f32(2.443315711809948e-5),
    f32(-1.388731625493765e-3),
    f32(4.166664568298827e-2),
)
_FOPI = f32(1.27323954473516)  # 4 / pi
_TWO_PI = f32(2.0 * math.pi)
_ONE, _HALF, _ZERO, _MINUS_TWO = f32(1.0), f32(0.5), f32(0.0), f32(-2.0)
_P0, _P1, _P2, _P3, _P4, _P5, _P6, _P7, _P8 = _LOG_P


@njit
def _log_ps(x, bits):
    """``log256_ps`` for one lane of u in (0, 1]: ``bits`` is u's float32 bit pattern and ``x``
    its mantissa in [0.5, 1) (``bits & ~0x7f800000 | 0x3f000000``), as the AVX code splits it."""
    e = f32((bits >> 23) - 0x7F) + _ONE
    small = x < _SQRTHF
    e = e - (_ONE if small else _ZERO)
    tmp = x if small else _ZERO
    x = x - _ONE
    x = x + tmp
    z = x * x
    y = _fma(_P0, x, _P1)
    y = _fma(y, x, _P2)
    y = _fma(y, x, _P3)
    y = _fma(y, x, _P4)
    y = _fma(y, x, _P5)
    y = _fma(y, x, _P6)
    y = _fma(y, x, _P7)
    y = _fma(y, x, _P8)
    y = y * x
    y = _fma(y, z, e * _LOG_Q1)
    y = y - z * _HALF
    x = x + y
    return _fma(e, _LOG_Q2, x)


@njit
def _sincos_ps(x):
    """``sincos256_ps`` for one lane (x >= 0 here: theta = 2 pi u)."""
    neg = x < _ZERO
    x = abs(x)
    j = (np.int32(x * _FOPI) + np.int32(1)) & np.int32(-2)
    y = f32(j)
    sign_sin = neg != ((j & 4) != 0)
    poly = (j & 2) == 0
    sign_cos = ((j - 2) & 4) == 0
    x = _fma(y, _DP1, x)
    x = _fma(y, _DP2, x)
    x = _fma(y, _DP3, x)
    z = x * x
    yc = _fma(_COS_P0, z, _COS_P1)
    yc = _fma(yc, z, _COS_P2)
    yc = yc * z
    yc = _fma(yc, z, -(z * _HALF))
    yc = yc + _ONE
    ys = _fma(_SIN_P0, z, _SIN_P1)
    ys = _fma(ys, z, _SIN_P2)
    ys = ys * z
    ys = _fma(ys, x, x)
    s = ys if poly else yc
    c = yc if poly else ys
    s = -s if sign_sin else s
    c = -c if sign_cos else c
    return s, c


@njit
def _box_muller_f32(u1, u1_bits, mant_bits, u2, mean, std, first, second):
    """Flat loops over the 8-lane halves so that LLVM vectorizes them (AVX2, like ATen)."""
    for i in range(u1.size):
        mant_bits[i] = (u1_bits[i] & ~0x7F800000) | 0x3F000000
    mant = mant_bits.view(np.float32)
    for i in range(u1.size):
        radius = math.sqrt(_MINUS_TWO * _log_ps(mant[i], u1_bits[i]))
        s, c = _sincos_ps(_TWO_PI * u2[i])
        first[i] = _fma(radius * c, std, mean)
        second[i] = _fma(radius * s, std, mean)


def _normal_fill16_f32(data, mean, std):
    d = data.reshape(-1, 16)
    u1 = (_ONE - d[:, :8]).ravel()
    u2 = np.ascontiguousarray(d[:, 8:]).ravel()
    first, second = np.empty_like(u1), np.empty_like(u1)
    bits = np.empty(u1.size, np.int32)
    _box_muller_f32(u1, u1.view(np.int32), bits, u2, mean, std, first, second)
    d[:, :8], d[:, 8:] = first.reshape(-1, 8), second.reshape(-1, 8)
    return data


def _log_ps_ref(x):
    m, ex = np.frexp(x)
    x, e = m.astype(f32), ex.astype(f32)
    mask = x < _SQRTHF
    e = e - np.where(mask, _ONE, _ZERO)
    x = (x - _ONE) + np.where(mask, x, _ZERO)
    z = x * x
    y = fma32_ref(_P0, x, _P1)
    for p in _LOG_P[2:]:
        y = fma32_ref(y, x, p)
    y = fma32_ref(y * x, z, e * _LOG_Q1)
    y = y - z * _HALF
    return fma32_ref(e, _LOG_Q2, x + y)


def _sincos_ps_ref(x):
    neg = np.signbit(x)
    x = np.abs(x)
    j = ((x * _FOPI).astype(np.int32) + 1) & -2
    y = j.astype(f32)
    sign_sin = neg ^ ((j & 4) != 0)
    poly = (j & 2) == 0
    sign_cos = ((j - 2) & 4) == 0
    for dp in (_DP1, _DP2, _DP3):
        x = fma32_ref(y, dp, x)
    z = x * x
    yc = fma32_ref(fma32_ref(_COS_P0, z, _COS_P1), z, _COS_P2) * z
    yc = fma32_ref(yc, z, -(z * _HALF)) + _ONE
    ys = fma32_ref(fma32_ref(_SIN_P0, z, _SIN_P1), z, _SIN_P2) * z
    ys = fma32_ref(ys, x, x)
    s, c = np.where(poly, ys, yc), np.where(poly, yc, ys)
    return np.where(sign_sin, -s, s), np.where(sign_cos, -c, c)


def _normal_fill16_f32_ref(data, mean, std):
    mean, std = f32(mean), f32(std)
    d = data.reshape(-1, 16)
    radius = np.sqrt(_MINUS_TWO * _log_ps_ref(_ONE - d[:, :8]))
    s, c = _sincos_ps_ref(_TWO_PI * d[:, 8:])
    first, second = fma32_ref(radius * c, std, mean), fma32_ref(radius * s, std, mean)
    d[:, :8], d[:, 8:] = first, second
    return data


def normal_fill16_f32(data: np.ndarray, mean: float, std: float) -> np.ndarray:
    """In place over a float32 array of uniforms whose size is a multiple of 16: each block of
    16 becomes 8 ``radius * cos`` then 8 ``radius * sin``, times ``std`` plus ``mean`` (fused)."""
    fn = _normal_fill16_f32 if _JIT else _normal_fill16_f32_ref
    return fn(data, f32(mean), f32(std))


# ---- float64 Box-Muller as ATen's scalar NormalFill16<double> ---------------------------------


@njit
def _normal_fill16_f64(data, mean, std):
    two_pi = 2.0 * math.pi
    for b in range(0, data.size - 15, 16):
        for j in range(8):
            radius = math.sqrt(-2.0 * math.log(1.0 - data[b + j]))
            theta = two_pi * data[b + j + 8]
            data[b + j] = _fma(radius * math.cos(theta), std, mean)
            data[b + j + 8] = _fma(radius * math.sin(theta), std, mean)
    return data


_LIBM = {name: np.frompyfunc(getattr(math, name), 1, 1) for name in ("log", "cos", "sin", "log1p")}


def _libm(name, x):
    """glibc's function elementwise (numpy's own SIMD float64 loops may differ in the last bit)."""
    return _LIBM[name](x).astype(np.float64)


def _normal_fill16_f64_ref(data, mean, std):
    d = data.reshape(-1, 16)
    radius = np.sqrt(-2.0 * _libm("log", 1.0 - d[:, :8]))
    theta = 2.0 * math.pi * d[:, 8:]
    first = fma64_ref(radius * _libm("cos", theta), std, mean)
    second = fma64_ref(radius * _libm("sin", theta), std, mean)
    d[:, :8], d[:, 8:] = first, second
    return data


def normal_fill16_f64(data: np.ndarray, mean: float, std: float) -> np.ndarray:
    """float64 counterpart of :func:`normal_fill16_f32` (libm log/cos/sin, fused ``* std + mean``)."""
    fn = _normal_fill16_f64 if _JIT else _normal_fill16_f64_ref
    return fn(data, float(mean), float(std))


# ---- uniform scaling, exponential, permutations ---------------------------------------------


@njit
def _fma_scalar_(x, scale, shift):
    for i in range(x.size):
        x[i] = _fma(x[i], scale, shift)
    return x


def fma_scalar_(x: np.ndarray, scale, shift) -> np.ndarray:
    """In place ``x = x * scale + shift`` with one rounding (1-d float32 or float64 array)."""
    t = x.dtype.type
    if _JIT:
        return _fma_scalar_(x, t(scale), t(shift))
    x[...] = (fma32_ref if x.dtype == np.float32 else fma64_ref)(x, scale, shift)
    return x


@njit
def _neg_log1p_scaled(u, scale):
    out = np.empty_like(u)
    for i in range(u.size):
        out[i] = scale * math.log1p(-u[i])
    return out


def neg_log1p_scaled(u: np.ndarray, scale: float) -> np.ndarray:
    """``scale * log1p(-u)`` with glibc's log1p (float64), as ATen's CPU ``exponential``."""
    if _JIT:
        return _neg_log1p_scaled(u, float(scale))
    return float(scale) * _libm("log1p", -u)


@njit
def _randperm_swaps(draws, out):
    n = out.size
    for i in range(n):
        out[i] = i
    for i in range(n - 1):
        z = np.int64(draws[i] % np.uint64(n - i))
        out[i], out[i + z] = out[i + z], out[i]
    return out


@njit
def _randperm_inside_out(draws, out):
    for i in range(out.size):
        z = np.int64(draws[i] % np.uint64(i + 1))
        out[i] = out[z]
        out[z] = i
    return out


def randperm_swaps(draws: np.ndarray, n: int) -> np.ndarray:
    """ATen's randperm for small n: identity, then for i < n - 1 swap i with
    ``i + draws[i] % (n - i)`` (``draws``: n - 1 32-bit words as uint64)."""
    return _randperm_swaps(draws, np.empty(n, np.int64))


def randperm_inside_out(draws: np.ndarray, n: int) -> np.ndarray:
    """ATen's randperm for n >= (2**32 - 1) // 20: inside-out Fisher-Yates on 64-bit draws."""
    return _randperm_inside_out(draws, np.empty(n, np.int64))


def words_to_unit_f32(words: np.ndarray) -> np.ndarray:
    """float32 ``uniform_real_distribution(0, 1)``: ``(w & (2**24 - 1)) * 2**-24`` per word.

    numpy, not a kernel: every step is exact (24 bits convert to float32 exactly, the scaling
    is by a power of two), so there is no rounding order to follow, and a jitted loop's compile
    (~0.5 s per clone, on the path of every model's initialization) bought ~20 us per 32768
    words."""
    return (words & np.uint64(0xFFFFFF)).astype(np.float32) * f32(2.0**-24)
