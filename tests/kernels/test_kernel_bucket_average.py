"""The two-rank bucket averaging kernel against its numpy statement and a closed form."""

import numpy as np
import pytest

from nnlite.kernels import bucket_average as k


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_average2_equals_numpy_bit_for_bit(dtype):
    rng = np.random.default_rng(0)
    a0 = (rng.standard_normal(1001) * 10.0 ** rng.integers(-30, 30, 1001)).astype(dtype)
    b0 = (rng.standard_normal(1001) * 10.0 ** rng.integers(-30, 30, 1001)).astype(dtype)
    a0[:3] = [np.inf, np.nan, 1.0]
    b0[:3] = [-np.inf, 1.0, np.finfo(dtype).max]
    a, b = a0.copy(), b0.copy()
    k.average2_into(a, b, dtype(2))
    ra, rb = a0.copy(), b0.copy()
    k.average2_ref(ra, rb, dtype(2))
    assert np.array_equal(a, ra, equal_nan=True) and np.array_equal(b, rb, equal_nan=True)
    assert np.array_equal(a, b, equal_nan=True)
    out, ref = np.empty_like(a0), np.empty_like(a0)
    a, b = a0.copy(), b0.copy()
    k.average2_to(a, b, out, dtype(2))
    k.average2_to_ref(a0, b0, ref, dtype(2))
    assert np.array_equal(out, ref, equal_nan=True) and np.array_equal(out, ra, equal_nan=True)
    assert np.array_equal(a, a0, equal_nan=True) and np.array_equal(b, b0, equal_nan=True)
    # the closed form on values where it is exact: (x + y) / 2 of small integers
    x, y = np.arange(8, dtype=dtype), np.arange(8, dtype=dtype)[::-1].copy()
    k.average2_into(x, y, dtype(2))
    assert np.array_equal(x, np.full(8, 3.5, dtype)) and np.array_equal(y, x)


def test_the_reference_is_the_closed_form():
    a, b = np.array([1.0, -3.0, 0.5]), np.array([2.0, 3.0, 0.25])
    out = np.empty(3)
    k.average2_to_ref(a, b, out, 2.0)
    k.average2_ref(a, b, 2.0)
    assert np.array_equal(a, [1.5, 0.0, 0.375]) and np.array_equal(b, a)
    assert np.array_equal(out, a)
