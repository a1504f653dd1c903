"""The erf kernel against math.erf, and erf_np's kernel path against its polynomial path."""

import numpy as np
import pytest

import nnlite.ops.special as S
from nnlite.kernels.special import erf, erf_ref


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_erf_kernel_matches_math_erf_including_specials(dtype):
    x = np.concatenate([np.linspace(-7, 7, 3002), [0.0, -0.0, np.inf, -np.inf, np.nan, 1e-30]])
    x = x.astype(dtype).reshape(-1, 8)[:, ::-1]  # non-contiguous, 2-D
    got, want = erf(x), erf_ref(x)
    assert got.dtype == dtype and got.shape == x.shape
    np.testing.assert_array_equal(got, want)


def test_erf_np_kernel_path_equals_polynomial_path(monkeypatch):
    x = (np.random.default_rng(0).standard_normal(50_000) * 3).astype(np.float32)
    fast = S.erf_np(x)
    monkeypatch.setattr(S, "_ERF_KERNEL_MIN", 10**12)
    slow = S.erf_np(x)
    np.testing.assert_array_equal(fast, slow)  # float32: identical after rounding
    x64 = x.astype(np.float64)
    slow64 = S.erf_np(x64)
    monkeypatch.setattr(S, "_ERF_KERNEL_MIN", 1)
    np.testing.assert_allclose(S.erf_np(x64), slow64, rtol=1e-15, atol=1e-16)
