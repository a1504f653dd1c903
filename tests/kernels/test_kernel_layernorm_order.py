"""Short-row float32 LayerNorm in torch's order: kernel == numpy reference == torch (0 ulp),
and the op stays accurate against the float64 closed form."""

import numpy as np
import pytest

import nnlite
from nnlite.kernels import layernorm_order as L
from nnlite.kernels import summation


def _ulps(a, b):
    a = np.asarray(a, np.float32).ravel()
    b = np.asarray(b, np.float32).ravel()
    ia = a.view(np.int32).astype(np.int64)
    ib = b.view(np.int32).astype(np.int64)
    ia = np.where(ia < 0, -(ia & 0x7FFFFFFF), ia)
    ib = np.where(ib < 0, -(ib & 0x7FFFFFFF), ib)
    return int(np.abs(ia - ib).max()) if ia.size else 0


def test_ulps_helper_sees_one_ulp():
    a = np.float32([1.0, -3.0])
    assert _ulps(a, a) == 0 and _ulps(a, np.nextafter(a, np.float32(0))) == 1


SHAPES = [(64, 128), (8, 33), (16, 7), (5, 1), (3, 8), (40, 100), (6, 64)]
AFFINE = [(False, False), (True, True), (True, False), (False, True)]


def _case(shape, seed):
    rng = np.random.default_rng(seed)
    x = (rng.standard_normal(shape) * 3 - 1).astype(np.float32)
    w = rng.standard_normal(shape[-1]).astype(np.float32)
    b = rng.standard_normal(shape[-1]).astype(np.float32)
    return x, w, b


@pytest.mark.parametrize("shape", SHAPES)
def test_kernel_matches_reference(shape):
    x, w, b = _case(shape, 0)
    for hw, hb in AFFINE:
        args = (w if hw else None, b if hb else None, 1e-5, 8)
        got = L.layernorm_forward_short(x, *args)
        want = L.layernorm_forward_short_ref(x, *args)
        for g, r in zip(got, want):
            assert _ulps(g, r) == 0


@pytest.mark.parametrize("shape", SHAPES + [(2, 3, 64)])
def test_layer_norm_op_equals_torch_bitwise(shape):
    torch = pytest.importorskip("torch")
    lanes = (64 if torch.backends.cpu.get_cpu_capability() == "AVX512" else 32) // 4
    if lanes != summation.vector_bytes() // 4:
        pytest.skip("this torch build vectorizes with another width than the CPU flags say")
    x, w, b = _case(shape, 1)
    d = shape[-1]
    for hw, hb in AFFINE:
        tw, tb = (torch.tensor(w) if hw else None), (torch.tensor(b) if hb else None)
        nw, nb = (nnlite.tensor(w) if hw else None), (nnlite.tensor(b) if hb else None)
        ty = torch.nn.functional.layer_norm(torch.tensor(x), (d,), tw, tb, 1e-5)
        ny = nnlite.nn.functional.layer_norm(nnlite.tensor(x), (d,), nw, nb, 1e-5)
        assert _ulps(ny.numpy(), ty.numpy()) == 0
    m = torch.nn.LayerNorm(d)
    mn = nnlite.nn.LayerNorm(d)
    assert _ulps(mn(nnlite.tensor(x)).detach().numpy(), m(torch.tensor(x)).detach().numpy()) == 0


def test_short_rows_stay_accurate_and_long_rows_use_the_float64_kernel():
    x, w, b = _case((32, 128), 2)
    y = nnlite.nn.functional.layer_norm(nnlite.tensor(x), (128,), nnlite.tensor(w),
                                        nnlite.tensor(b)).numpy()
    x64 = x.astype(np.float64)
    mu = x64.mean(1, keepdims=True)
    ref = (x64 - mu) / np.sqrt(((x64 - mu) ** 2).mean(1, keepdims=True) + 1e-5) * w + b
    np.testing.assert_allclose(y, ref, rtol=1e-5, atol=1e-5)
    with pytest.raises(ValueError, match="longer than one chunk"):
        L.layernorm_forward_short(np.zeros((2, 1000), np.float32), None, None, 1e-5, 8)
    long_x = np.random.default_rng(3).standard_normal((4, 1000)).astype(np.float32)
    out = nnlite.nn.functional.layer_norm(nnlite.tensor(long_x), (1000,)).numpy()
    l64 = long_x.astype(np.float64)
    ref = (l64 - l64.mean(1, keepdims=True)) / np.sqrt(l64.var(1, keepdims=True) + 1e-5)
    np.testing.assert_allclose(out, ref, rtol=1e-5, atol=1e-5)
