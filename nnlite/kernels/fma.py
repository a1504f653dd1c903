"""A one-rounding fused multiply-add for numba kernels, and its numpy reference.

torch's vectorized float32 code uses FMA instructions (``vfmadd`` on x86-64), which round
``a * b + c`` once; matching its bits needs the same operation inside the kernels (``fma``,
LLVM's ``llvm.fma`` intrinsic) and in their numpy references (``fma_f32_ref``).
"""

from __future__ import annotations

import numpy as np
from numba.core import types
from numba.extending import intrinsic

__all__ = ["fma", "fma_f32_ref"]


@intrinsic
def fma(typingctx, a, b, c):
    """``a * b + c`` rounded once (``llvm.fma``: vfmadd on x86-64), for three equal float types."""
    if isinstance(a, types.Float) and a == b == c:

        def codegen(context, builder, sig, args):
            return builder.fma(*args)

        return a(a, b, c), codegen
    return None


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
