"""A one-rounding fused multiply-add for numba kernels, and its numpy reference.

torch's vectorized float32 code uses FMA instructions (``vfmadd`` on x86-64), which round
``a * b + c`` once; matching its bits needs the same operation inside the kernels (``fma``,
LLVM's ``llvm.fma`` intrinsic) and in their numpy references (``fma_f32_ref``).

With ``NUMBA_DISABLE_JIT=1`` the kernels run as Python and ``fma`` is a Python function with the
same single rounding (float32 through round-to-odd in float64, float64 through an exact product),
so the interpreted kernels give the compiled ones' bits.
"""

from __future__ import annotations

import math

import numba
import numpy as np
from numba.core import types
from numba.extending import intrinsic

__all__ = ["fma", "fma_f32_ref", "fma_scalar"]


def fma_f32_ref(a, b, c):
    """float32 ``a * b + c`` rounded once: the float64 product is exact; the float64 sum is
    rounded to odd so that the final rounding to float32 is the correct one."""
    p = np.asarray(a, np.float64) * np.asarray(b, np.float64)
    c64 = np.asarray(c, np.float64)
    s = p + c64
    bb = s - p
    err = (p - (s - bb)) + (c64 - bb)
    odd = (s.view(np.int64) & 1) == 1
    fix = (err != 0) & ~odd & np.isfinite(s)
    s = np.where(fix, np.nextafter(s, np.where(err > 0, np.inf, -np.inf)), s)
    return s.astype(np.float32)


def _split(a: float):
    t = a * 134217729.0  # 2**27 + 1 (Veltkamp)
    hi = t - (t - a)
    return hi, a - hi


def _two_sum(a: float, b: float):
    s = a + b
    bb = s - a
    return s, (a - (s - bb)) + (b - bb)


def _fma64(a: float, b: float, c: float) -> float:
    """float64 ``a * b + c`` rounded once (Boldo & Melquiond: Dekker's exact product, an exact
    sum with ``c``, the low parts added rounded to odd, one final rounding) for finite values
    whose product neither overflows nor underflows; IEEE's ``a * b + c`` otherwise."""
    if hasattr(math, "fma"):  # Python >= 3.13
        return math.fma(a, b, c)
    ph = a * b
    if not (math.isfinite(ph) and math.isfinite(c)) or ph == 0.0 or abs(ph) < 1e-250 \
            or abs(ph) > 1e300:
        return ph + c
    ah, al = _split(a)
    bh, bl = _split(b)
    pl = ((ah * bh - ph) + ah * bl + al * bh) + al * bl
    th, tl = _two_sum(c, ph)
    s, err = _two_sum(tl, pl)
    if err != 0.0 and (np.float64(s).view(np.int64) & 1) == 0:
        s = math.nextafter(s, math.inf if err > 0 else -math.inf)
    return th + s


def fma_scalar(a, b, c):
    """``a * b + c`` of three numbers of one float type (numpy float32/float64 scalars or Python
    floats), rounded once, in that type: what ``fma`` computes inside a compiled kernel."""
    if isinstance(a, np.float32):
        return np.float32(fma_f32_ref(a, b, c)[()])
    r = _fma64(float(a), float(b), float(c))
    return np.float64(r) if isinstance(a, np.floating) else r


if numba.config.DISABLE_JIT:
    fma = fma_scalar
else:

    @intrinsic
    def fma(typingctx, a, b, c):
        """``a * b + c`` rounded once (``llvm.fma``: vfmadd on x86-64), for three equal float
        types."""
        if isinstance(a, types.Float) and a == b == c:

            def codegen(context, builder, sig, args):
                return builder.fma(*args)

            return a(a, b, c), codegen
        return None
