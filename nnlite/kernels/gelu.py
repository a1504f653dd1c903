"""Exact-erf GELU kernels in float32 with the formulas PyTorch's CPU path runs.

``torch.nn.functional.gelu(x)`` (``approximate='none'``) on a contiguous float32 CPU tensor with
more than one element goes to oneDNN's ``eltwise_gelu_erf`` (ATen's ``use_mkldnn``), forward and
backward. Without AVX-512 (oneDNN's avx2 code) both evaluate ``erf`` by Abramowitz-Stegun
7.1.26, ``erf(u) = 1 - t (p1 + t (p2 + ...)) exp(-u^2)`` with ``t = 1 / (1 + p |u|)``, using
oneDNN's own float32 ``exp`` (floor-based range reduction, degree-5 polynomial) and fused
multiply-adds where oneDNN has them. Written out here as plain float32 arithmetic they vectorise
(numba's ``math.erf`` is a scalar libm call per element) and give torch's bits: the tests
compare with torch 2.13 to 0 ulp on such CPUs. (On AVX-512 CPUs oneDNN's forward uses a table
of minimax polynomials instead, ~1 ulp from these results; non-contiguous inputs take ATen's
SLEEF-based kernel, also a few ulp away.)

Accuracy is that formula's: A&S is within 1.5e-7 of ``erf``, and evaluated in float32 within
~5e-7, so GELU is within ~3e-7 |x| absolutely (a few ulp for x > -1, but few correct digits in
the far negative tail where GELU is tiny), as in torch. float64 is not handled here (the op layer uses libm's ``erf`` in
double, matching ATen's float64 path to ~1e-16).

Example:
    >>> y = np.empty(3, np.float32)
    >>> gelu_forward_f32(np.array([-1.0, 0.0, 2.0], np.float32), y)
    >>> y.tolist()
    [-0.15865525603294373, 0.0, 1.9544997215270996]
"""

from __future__ import annotations

import numpy as np
from llvmlite import ir
from numba.core import types
from numba.extending import intrinsic

from nnlite.kernels._jit import njit
from nnlite.kernels.fma import fma as _fma
from nnlite.kernels.fma import fma_f32_ref as _fma_ref

__all__ = [
    "gelu_backward_f32",
    "gelu_backward_f32_ref",
    "gelu_forward_f32",
    "gelu_forward_f32_ref",
    "onednn_uses_avx512",
]

f32 = np.float32


def _bits_to_f32(words) -> np.ndarray:
    return np.array(words, np.uint32).view(np.float32)


# ---- oneDNN's constants (jit_uni_eltwise_injector tables), as float32 bit patterns -----------

# Abramowitz-Stegun erf and oneDNN's exp
_AS_P = f32(_bits_to_f32([0x3ea7ba05])[0])  # 0.3275911
_AS_POL = tuple(f32(v) for v in _bits_to_f32(
    [0x3e827906, 0xbe91a98e, 0x3fb5f0e3, 0xbfba00e3, 0x3f87dc22]))  # p1..p5
_ONE_OVER_SQRT2 = f32(_bits_to_f32([0x3f3504f3])[0])
_ONE_OVER_SQRTPI = f32(_bits_to_f32([0x3f106eba])[0])
_EXP_LOG2EF = f32(_bits_to_f32([0x3fb8aa3b])[0])
_EXP_LN_MAX = f32(_bits_to_f32([0x42b17218])[0])
_EXP_LN_MIN = f32(_bits_to_f32([0xc2aeac50])[0])
_LN2F = f32(_bits_to_f32([0x3f317218])[0])
_EXP_POL = tuple(f32(v) for v in _bits_to_f32(
    [0x3f7ffffb, 0x3efffee3, 0x3e2aad40, 0x3d2b9d0d, 0x3c07cfce]))  # p1..p5

_P1, _P2, _P3, _P4, _P5 = _AS_POL
_E1, _E2, _E3, _E4, _E5 = _EXP_POL


# ---- LLVM intrinsics: one-rounding FMA and float32 <-> bit pattern --------------------------


@intrinsic
def _bits(typingctx, x):
    """The float32's bit pattern as an int32."""
    if x == types.float32:

        def codegen(context, builder, sig, args):
            return builder.bitcast(args[0], ir.IntType(32))

        return types.int32(x), codegen
    return None


@intrinsic
def _from_bits(typingctx, i):
    """The float32 whose bit pattern is the low 32 bits of the integer."""
    if isinstance(i, types.Integer):

        def codegen(context, builder, sig, args):
            v = args[0]
            if v.type.width > 32:
                v = builder.trunc(v, ir.IntType(32))
            elif v.type.width < 32:
                v = builder.sext(v, ir.IntType(32))
            return builder.bitcast(v, ir.FloatType())

        return types.float32(i), codegen
    return None


# ---- kernels --------------------------------------------------------------------------------


@njit(inline="always")
def _exp_onednn(v):
    """oneDNN's float32 exp: ``2 * 2^(n-1) * p(r)``, ``n = floor(v log2e + 1/2)``."""
    under = v < _EXP_LN_MIN
    v = min(v, _EXP_LN_MAX)
    v = max(v, _EXP_LN_MIN)
    fx = np.floor(v * _EXP_LOG2EF + f32(0.5))
    r = _fma(-fx, _LN2F, v)
    n = np.int32(fx - f32(1.0))
    scale = f32(0.0) if under else _from_bits((np.int64(n) + 127) << 23)
    p = _fma(_E5, r, _E4)
    p = _fma(p, r, _E3)
    p = _fma(p, r, _E2)
    p = _fma(p, r, _E1)
    p = _fma(p, r, f32(1.0))
    return p * scale * f32(2.0)


@njit(inline="always")
def _erf_as(u):
    """``erf(u)`` by Abramowitz-Stegun 7.1.26 as oneDNN evaluates it."""
    w = f32(1.0) / _fma(_AS_P, abs(u), f32(1.0))
    s = -_exp_onednn(-(u * u)) * w
    p = _fma(_P5, w, _P4)
    p = _fma(p, w, _P3)
    p = _fma(p, w, _P2)
    p = _fma(p, w, _P1)
    e = _fma(s, p, f32(1.0))
    return -e if _bits(u) < 0 else e


@njit
def _forward_kernel(x, out):
    for i in range(x.shape[0]):
        v = x[i]
        h = v * f32(0.5)
        out[i] = _fma(_erf_as(v * _ONE_OVER_SQRT2), h, h)  # S + S erf, S = x / 2


@njit
def _backward_kernel(g, x, out):
    for i in range(x.shape[0]):
        r_ = x[i] * _ONE_OVER_SQRT2
        q = _exp_onednn(-(r_ * r_))
        t = r_ * _ONE_OVER_SQRTPI * q  # x pdf(x) = u exp(-u^2) / sqrt(pi)
        out[i] = g[i] * _fma(_erf_as(r_), f32(0.5), t + f32(0.5))


def _flat32(a: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(a, np.float32).reshape(-1)


def gelu_forward_f32(x: np.ndarray, out: np.ndarray) -> None:
    """``out = x * (1 + erf(x / sqrt 2)) / 2`` for float32 ``x`` (oneDNN's formula; ``out``
    C-contiguous float32 of x's size)."""
    _forward_kernel(_flat32(x), out.reshape(-1))


def gelu_backward_f32(g: np.ndarray, x: np.ndarray, out: np.ndarray) -> None:
    """``out = g * gelu'(x)`` for float32 arrays of one shape (oneDNN's A&S formula)."""
    _backward_kernel(_flat32(g), _flat32(x), out.reshape(-1))


# ---- numpy references (same arithmetic, FMAs rounded once through float64) -------------------


def _exp_onednn_ref(v):
    under = v < _EXP_LN_MIN
    v = np.maximum(np.minimum(v, _EXP_LN_MAX), _EXP_LN_MIN).astype(np.float32)
    fx = np.floor(v * _EXP_LOG2EF + f32(0.5)).astype(np.float32)
    r = _fma_ref(-fx, _LN2F, v)
    n = (fx - f32(1.0)).astype(np.int64)
    scale = (((n + 127) << 23) & 0xFFFFFFFF).astype(np.uint32).view(np.float32)
    scale = np.where(under, f32(0.0), scale).astype(np.float32)
    p = _fma_ref(_E5, r, _E4)
    for c in (_E3, _E2, _E1, f32(1.0)):
        p = _fma_ref(p, r, c)
    return (p * scale * f32(2.0)).astype(np.float32)


def gelu_backward_f32_ref(g: np.ndarray, x: np.ndarray) -> np.ndarray:
    """numpy version of :func:`gelu_backward_f32` (for tests)."""
    g = np.asarray(g, np.float32)
    x = np.asarray(x, np.float32)
    r_ = (x * _ONE_OVER_SQRT2).astype(np.float32)
    q = _exp_onednn_ref(-(r_ * r_))
    t = (r_ * _ONE_OVER_SQRTPI * q).astype(np.float32)
    return (g * _fma_ref(_erf_as_ref(r_), f32(0.5), t + f32(0.5))).astype(np.float32)


def _erf_as_ref(u):
    w = (f32(1.0) / _fma_ref(_AS_P, np.abs(u), f32(1.0))).astype(np.float32)
    s = (-_exp_onednn_ref(-(u * u)) * w).astype(np.float32)
    p = _fma_ref(_P5, w, _P4)
    for c in (_P3, _P2, _P1):
        p = _fma_ref(p, w, c)
    e = _fma_ref(s, p, f32(1.0))
    return np.where(np.signbit(u), -e, e).astype(np.float32)


def gelu_forward_f32_ref(x: np.ndarray) -> np.ndarray:
    """numpy version of :func:`gelu_forward_f32` (for tests)."""
    x = np.asarray(x, np.float32)
    h = (x * f32(0.5)).astype(np.float32)
    return _fma_ref(_erf_as_ref((x * _ONE_OVER_SQRT2).astype(np.float32)), h, h)


def onednn_uses_avx512() -> bool:
    """Whether oneDNN runs its AVX-512 code here (avx512f/bw/vl/dq), where its GELU forward is
    a minimax table rather than the formula above."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("flags"):
                    flags = set(line.split(":", 1)[1].split())
                    return {"avx512f", "avx512bw", "avx512vl", "avx512dq"} <= flags
    except OSError:
        pass
    return False
