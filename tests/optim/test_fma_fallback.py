"""``nnlite.kernels.fma.fma_scalar``: the Python ``fma`` the kernels use under
``NUMBA_DISABLE_JIT=1`` rounds ``a * b + c`` once, as the compiled ``llvm.fma`` does."""

from fractions import Fraction

import numpy as np
import pytest

from nnlite.kernels.fma import fma_f32_ref, fma_scalar


def _exact(a, b, c, dtype):
    v = Fraction(float(a)) * Fraction(float(b)) + Fraction(float(c))
    return dtype(float(v)) if dtype is np.float64 else np.float32(_round_f32(v))


def _round_f32(v: Fraction) -> float:
    """The float32 nearest ``v`` (ties to even), through the two float32 neighbours."""
    f = float(np.float32(float(v)))  # may be double-rounded: correct it below
    lo = np.nextafter(np.float32(f), np.float32(-np.inf))
    hi = np.nextafter(np.float32(f), np.float32(np.inf))
    cands = [float(lo), f, float(hi)]
    return min(cands, key=lambda x: (abs(Fraction(x) - v),
                                     int(np.float32(x).view(np.int32)) & 1))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_fma_scalar_rounds_once(dtype):
    rng = np.random.default_rng(1)
    a, b, c = (rng.standard_normal(3000).astype(dtype) for _ in range(3))
    for x, y, z in zip(a, b, c):
        r = fma_scalar(x, y, z)
        assert type(r) is dtype
        assert r == _exact(x, y, z, dtype), (x, y, z)


def test_fma_scalar_on_a_case_double_rounding_gets_wrong():
    # a * b + c lies just above a float32 halfway point: rounding the float64 sum to nearest
    # first lands on the halfway point, and ties-to-even then rounds down (wrong)
    a, b = np.float32(1 + 2.0 ** -12), np.float32(1 + 2.0 ** -12)  # a*b = 1 + 2^-11 + 2^-24
    c = np.float32(2.0 ** -60)
    exact = _exact(a, b, c, np.float32)
    naive = np.float32(float(a) * float(b) + float(c))
    assert naive != exact  # the check below can fail: the naive form is wrong here
    assert fma_scalar(a, b, c) == exact
    assert fma_f32_ref(a, b, c) == exact


def test_fma_scalar_python_floats_and_specials():
    assert fma_scalar(2.0, 3.0, 1.0) == 7.0 and type(fma_scalar(2.0, 3.0, 1.0)) is float
    assert fma_scalar(0.1, 10.0, -1.0) == float(Fraction(0.1) * 10 - 1)  # 2**-54 * 5.55e-1
    assert np.isnan(fma_scalar(np.float64(np.inf), np.float64(0.0), np.float64(1.0)))
    assert fma_scalar(np.float64(1e300), np.float64(1e10), np.float64(-1.0)) == np.inf
