"""The numba pooling kernels (nnlite.kernels.pool) against their numpy statements in
nnlite.ops.nn.pool and against PyTorch: bit-equal values, indices and gradients over random
geometries (padding, dilation, ceil_mode, ties, NaN, -inf), 1-D/2-D/3-D, float32/float64."""

import numpy as np
import pytest

import nnlite
from nnlite.ops.nn import pool as P

torch = pytest.importorskip("torch")


def _geometries(rng, nd, n=12):
    out = []
    while len(out) < n:
        k = tuple(int(v) for v in rng.integers(1, 4, nd))
        s = tuple(int(v) for v in rng.integers(1, 4, nd))
        d = tuple(int(v) for v in rng.integers(1, 3, nd))
        p = tuple(int(rng.integers(0, kk // 2 + 1)) for kk in k)  # torch's bound
        sp = tuple(int(v) for v in rng.integers(4, 9, nd))
        ceil = bool(rng.integers(0, 2))
        geo = P._PoolGeom((2, 3) + sp, k, s, p, d, ceil)
        if min(geo.out_sp) >= 1:
            out.append((sp, k, s, p, d, ceil, geo))
    return out


def _input(rng, shape, dtype, specials=True):
    x = rng.standard_normal(shape).astype(dtype)
    x.flat[::5] = x.flat[1]  # ties
    if specials:
        x.flat[::17] = np.nan
    return x


@pytest.mark.parametrize("nd", [2, 3])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_kernels_equal_their_numpy_statements(nd, dtype):
    rng = np.random.default_rng(nd)
    for sp, k, s, p, d, ceil, geo in _geometries(rng, nd):
        x = _input(rng, (2, 3) + sp, dtype)
        y, i = P.max_pool_forward(x, geo)
        ry, ri = P.max_pool_np(x, geo)
        np.testing.assert_array_equal(y, ry)
        np.testing.assert_array_equal(i, ri)
        g = rng.standard_normal(y.shape).astype(dtype)
        # (the numpy statement sums overlapping windows in float64: last-bit differences)
        np.testing.assert_allclose(P.max_pool_backward(g, i, x.shape, nd),
                                   P.max_pool_backward_np(g, i, x.shape, nd), rtol=1e-5,
                                   atol=1e-6)
        ga = P._PoolGeom(x.shape, k, s, p, (1,) * nd, ceil)
        for cip in (True, False):
            div = P.avg_pool_divisor(ga, cip, None)
            xa = np.nan_to_num(x)
            np.testing.assert_allclose(P.avg_pool_forward(xa, ga, div),
                                       P.avg_pool_np(xa, ga, div), rtol=1e-6, atol=1e-7)
            ga_g = rng.standard_normal((2, 3) + ga.out_sp).astype(dtype)
            np.testing.assert_allclose(P.avg_pool_backward(ga_g, ga, div),
                                       P.avg_pool_backward_np(ga_g, ga, div), rtol=1e-6,
                                       atol=1e-7)


def test_the_comparison_fails_on_a_wrong_kernel_result():
    x = _input(np.random.default_rng(0), (1, 2, 5, 5), "float32", specials=False)
    geo = P._PoolGeom(x.shape, (2, 2), (1, 1), (0, 0), (1, 1), False)
    y, _ = P.max_pool_forward(x, geo)
    y[0, 0, 0, 0] = np.nextafter(y[0, 0, 0, 0], np.inf)
    with pytest.raises(AssertionError):
        np.testing.assert_array_equal(y, P.max_pool_np(x, geo)[0])


@pytest.mark.parametrize("nd", [1, 2, 3])
def test_pools_bit_equal_torch_values_indices_and_grads(nd):
    rng = np.random.default_rng(10 + nd)
    geos = _geometries(rng, max(nd, 2), n=6)
    for sp, k, s, p, d, ceil, _ in geos:
        if nd == 1:
            sp, k, s, p, d = sp[1:], k[1:], s[1:], p[1:], d[1:]
        x = _input(rng, (2, 3) + sp, "float32")
        x.flat[2::11] = -np.inf
        x[0, 0] = -np.inf  # whole planes of -inf: the index is the first in-bounds tap
        for kind in ("max", "avg", "avg_exclude"):
            res = []
            for T in (torch, nnlite):
                xt = T.tensor(x if kind == "max" else np.nan_to_num(x, neginf=-3.0),
                              requires_grad=True)
                f = getattr(T.nn.functional, f"{kind[:3]}_pool{nd}d")
                if kind == "max":
                    y, i = f(xt, k, s, p, d, ceil_mode=ceil, return_indices=True)
                else:
                    y, i = f(xt, k, s, p, ceil_mode=ceil,
                             count_include_pad=kind == "avg"), None
                g = np.random.default_rng(1).standard_normal(tuple(y.shape)).astype(np.float32)
                y.backward(T.tensor(g))
                res.append((y.detach().numpy(), None if i is None else i.numpy(),
                            xt.grad.numpy()))
            for a, b in zip(res[0], res[1]):
                if a is not None:
                    np.testing.assert_array_equal(b, a)


def _pad_errors(T):
    F = T.nn.functional
    x = T.randn(1, 1, 8, 8)
    calls = [lambda: F.max_pool1d(x[0], 3, 1, 3, dilation=2),
             lambda: F.max_pool1d(x[0], 3, 1, 2, dilation=2, return_indices=True),
             lambda: F.max_pool1d(x[0], 3, 1, 3, dilation=2, return_indices=True),
             lambda: F.max_pool2d(x, (3, 1), 1, (2, 0), dilation=2),
             lambda: F.max_pool2d(x, 3, 1, 2, dilation=2),
             lambda: F.max_pool3d(x.unsqueeze(0), (3, 5, 1), 1, (1, 2, 0), dilation=2),
             lambda: F.avg_pool1d(x[0], 3, 1, 2),
             lambda: F.avg_pool2d(x, (3, 1), 1, (2, 0)),
             lambda: F.avg_pool3d(x.unsqueeze(0), 3, 1, 2)]
    out = []
    for c in calls:
        try:
            c()
            out.append(None)
        except RuntimeError as e:
            out.append(str(e))
    return out


def test_padding_checks_as_torchs():
    mine, theirs = _pad_errors(nnlite), _pad_errors(torch)
    assert None not in mine
    assert mine == theirs
