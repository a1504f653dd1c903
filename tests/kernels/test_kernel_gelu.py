"""float32 GELU kernels: against their numpy references, torch's bits, the exact closed form,
and gradchecks (float64) of F.gelu's first and second derivatives."""

import math

import numpy as np
import pytest

import nnlite
from nnlite.kernels import gelu as G


def _ulps(a, b):
    """Per-element distance in float32 ulps (NaN == NaN; +0 and -0 are 0 apart)."""
    a = np.asarray(a, np.float32).ravel()
    b = np.asarray(b, np.float32).ravel()
    ia = a.view(np.int32).astype(np.int64)
    ib = b.view(np.int32).astype(np.int64)
    ia = np.where(ia < 0, -(ia & 0x7FFFFFFF), ia)
    ib = np.where(ib < 0, -(ib & 0x7FFFFFFF), ib)
    d = np.abs(ia - ib)
    return np.where(np.isnan(a) & np.isnan(b), 0, d)


def test_ulps_helper_sees_one_ulp_and_sign():
    x = np.array([1.0, -2.0, 0.0, np.nan], np.float32)
    assert _ulps(x, x).max() == 0
    assert _ulps(x, np.nextafter(x, np.float32(np.inf)))[:3].tolist() == [1, 1, 1]
    assert _ulps(np.float32(1e-45), np.float32(-1e-45)).item() == 2


def _inputs():
    rng = np.random.default_rng(0)
    special = [0.0, -0.0, 1e-40, -1e-40, 1e-30, 3.5, -3.5, 5.5, -5.5, 9.0, -9.0, 13.3, -13.3,
               87.0, -87.0, 100.0, -100.0, 1e30, -1e30, np.inf, -np.inf, np.nan]
    return np.concatenate([rng.standard_normal(20_000) * 3, rng.uniform(-15, 15, 5_000),
                           rng.standard_normal(2_000) * 1e-3, special]).astype(np.float32)


def test_kernels_match_numpy_references_bitwise():
    x = _inputs()
    g = np.random.default_rng(1).standard_normal(x.size).astype(np.float32)
    y = np.empty_like(x)
    dx = np.empty_like(x)
    G.gelu_forward_f32(x, y)
    G.gelu_backward_f32(g, x, dx)
    with np.errstate(all="ignore"):
        assert _ulps(y, G.gelu_forward_f32_ref(x)).max() == 0
        assert _ulps(dx, G.gelu_backward_f32_ref(g, x)).max() == 0


def test_fma_reference_rounds_once():
    # a*b + c = 1 + 2^-23 + 2^-24 - 2^-70: float64 drops the 2^-70 and lands on the float32
    # midpoint (ties to even: 1 + 2^-22); rounded once it is just below it: 1 + 2^-23
    a = np.float32(2.0 ** -24 * (1 + 2.0 ** -23))
    b = np.float32(1 - 2.0 ** -23)
    c = np.float32(1 + 2.0 ** -23)
    assert np.float32(np.float64(a) * np.float64(b) + np.float64(c)) == np.float32(1 + 2.0 ** -22)
    assert G._fma_ref(a, b, c) == c
    assert G._fma_ref(np.float32(3), np.float32(5), np.float32(-15)) == 0


def test_float32_gelu_is_close_to_the_exact_closed_form():
    x = _inputs()
    x = x[np.isfinite(x)]
    y = nnlite.nn.functional.gelu(nnlite.tensor(x)).numpy()
    exact = np.array([v * 0.5 * (1 + math.erf(v / math.sqrt(2))) for v in x.astype(float)])
    # A&S 7.1.26 is within 1.5e-7 of erf; evaluated in float32 (1 - t p e cancels near 0) the
    # erf is within ~5e-7, so |gelu error| <= 3e-7 |x| + float32 rounding of the result
    bound = 3e-7 * np.abs(x) + 2 * np.spacing(np.abs(exact).astype(np.float32))
    assert (np.abs(y - exact) <= bound).all()


def test_float64_gelu_keeps_double_precision():
    x = np.concatenate([np.linspace(-12, 12, 2001), [1e-300, -1e-300, 0.0]])
    y = nnlite.nn.functional.gelu(nnlite.tensor(x)).numpy()
    exact = np.array([v * 0.5 * math.erfc(-v / math.sqrt(2)) for v in x])  # no cancellation
    # torch's formula x (1 + erf) / 2 cancels for x < 0: absolutely accurate to ~1e-16 |x|
    assert (np.abs(y - exact) <= 1e-14 * np.abs(exact) + 4e-16 * np.abs(x)).all()
    assert y.dtype == np.float64


def test_float32_gelu_and_its_gradient_equal_torch_bitwise():
    torch = pytest.importorskip("torch")
    if not torch.backends.mkldnn.is_available():
        pytest.skip("torch without oneDNN computes GELU with another formula")
    if G.onednn_uses_avx512():
        pytest.skip("oneDNN's AVX-512 GELU forward uses a minimax table, not A&S")
    x = _inputs()
    g = np.random.default_rng(2).standard_normal(x.size).astype(np.float32)
    xt = torch.tensor(x, requires_grad=True)
    yt = torch.nn.functional.gelu(xt)
    yt.backward(torch.tensor(g))
    xn = nnlite.tensor(x, requires_grad=True)
    yn = nnlite.nn.functional.gelu(xn)
    yn.backward(nnlite.tensor(g))
    assert _ulps(yn.detach().numpy(), yt.detach().numpy()).max() == 0
    assert _ulps(xn.grad.numpy(), xt.grad.numpy()).max() == 0
    # nn.GELU after a Linear (the transformer MLP), 3-D
    w = np.random.default_rng(3).standard_normal((4, 16, 48)).astype(np.float32)
    ot = torch.nn.GELU()(torch.tensor(w))
    on = nnlite.nn.GELU()(nnlite.tensor(w))
    assert _ulps(on.numpy(), ot.numpy()).max() == 0


def test_gelu_gradcheck_float64_first_and_second_derivative():
    from nnlite.autograd import gradcheck, gradgradcheck

    x = nnlite.tensor(np.random.default_rng(4).standard_normal((3, 5)) * 2,
                      dtype=nnlite.float64, requires_grad=True)
    assert gradcheck(nnlite.nn.functional.gelu, (x,))
    assert gradgradcheck(nnlite.nn.functional.gelu, (x,))
