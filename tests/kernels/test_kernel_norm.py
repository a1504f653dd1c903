"""BatchNorm1d / LayerNorm kernels vs numpy references, finite differences and torch."""

import numpy as np
import pytest

from nnlite.kernels import norm as K

DTYPES = [np.float32, np.float64]
EPS = 1e-5


def tol(dt):
    return {"rtol": 1e-5, "atol": 1e-5} if dt == np.float32 else {"rtol": 1e-10, "atol": 1e-12}


def rand(shape, dt, seed=0, scale=1.0, offset=0.0):
    r = np.random.default_rng(seed).standard_normal(shape)
    return (offset + scale * r).astype(dt)


def affine(c, dt, on):
    return (rand(c, dt, 10), rand(c, dt, 11)) if on else (None, None)


def assert_all_close(got, want, dt):
    for a, b in zip(got, want, strict=True):
        assert a.dtype == dt
        np.testing.assert_allclose(a, b, **tol(dt))


@pytest.mark.parametrize("dt", DTYPES)
@pytest.mark.parametrize("aff", [True, False])
def test_batchnorm_matches_reference(dt, aff):
    x, g = rand((6, 4), dt, 1, 2.0, 0.5), rand((6, 4), dt, 2)
    w, b = affine(4, dt, aff)
    y, mean, invstd, var_unb = K.batchnorm_forward_train(x, w, b, EPS)
    assert_all_close((y, mean, invstd, var_unb), K.batchnorm_forward_train_ref(x, w, b, EPS), dt)
    np.testing.assert_allclose(var_unb, x.astype(np.float64).var(axis=0, ddof=1), **tol(dt))
    assert_all_close(
        K.batchnorm_backward(g, x, mean, invstd, w),
        K.batchnorm_backward_ref(g, x, mean, invstd, w),
        dt,
    )
    rm, rv = rand(4, dt, 3), np.abs(rand(4, dt, 4)) + 0.5
    np.testing.assert_allclose(
        K.batchnorm_forward_eval(x, rm, rv, w, b, EPS),
        K.batchnorm_forward_eval_ref(x, rm, rv, w, b, EPS),
        **tol(dt),
    )


@pytest.mark.parametrize("dt", DTYPES)
@pytest.mark.parametrize("aff", [True, False])
def test_layernorm_matches_reference(dt, aff):
    x, g = rand((5, 7), dt, 1, 2.0, 0.5), rand((5, 7), dt, 2)
    w, b = affine(7, dt, aff)
    y, mean, invstd = K.layernorm_forward(x, w, b, EPS)
    assert_all_close((y, mean, invstd), K.layernorm_forward_ref(x, w, b, EPS), dt)
    assert_all_close(
        K.layernorm_backward(g, x, mean, invstd, w),
        K.layernorm_backward_ref(g, x, mean, invstd, w),
        dt,
    )


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # 0 * inf without JIT
def test_batchnorm_closed_form_and_edge_cases():
    x = np.array([[1.0, 5.0], [3.0, 5.0]])
    y, mean, invstd, var_unb = K.batchnorm_forward_train(x, None, None, 0.0)
    np.testing.assert_allclose(mean, [2.0, 5.0])
    np.testing.assert_allclose(var_unb, [2.0, 0.0])
    np.testing.assert_allclose(y[:, 0], [-1.0, 1.0])
    assert np.isinf(invstd[1])  # eps=0 and a constant column: 1/sqrt(0)
    # N == 1: y is the bias, the unbiased variance is undefined (NaN; torch refuses to train)
    x1 = np.array([[2.0, -1.0]], np.float32)
    b = np.array([0.5, 0.25], np.float32)
    y, mean, invstd, var_unb = K.batchnorm_forward_train(x1, np.ones(2, np.float32), b, EPS)
    np.testing.assert_allclose(y, b[None])
    assert np.isnan(var_unb).all()
    gx, _, gb = K.batchnorm_backward(np.ones((1, 2), np.float32), x1, mean, invstd, None)
    np.testing.assert_allclose(gx, 0, atol=1e-6)
    np.testing.assert_allclose(gb, [1, 1])


@pytest.mark.parametrize("dt", DTYPES)
@pytest.mark.parametrize("which", ["both", "mean", "var", "none"])
def test_batchnorm_running_stats_fused_update_matches_reference(dt, which):
    x = rand((7, 5), dt, 3, 2.0, 0.5)
    rm0, rv0 = rand(5, dt, 4), np.abs(rand(5, dt, 5)) + 0.5
    rm, rv = rm0.copy(), rv0.copy()
    rm_ref, rv_ref = rm0.copy(), rv0.copy()
    args = {"both": (rm, rv), "mean": (rm, None), "var": (None, rv), "none": (None, None)}[which]
    ref_args = {"both": (rm_ref, rv_ref), "mean": (rm_ref, None), "var": (None, rv_ref),
                "none": (None, None)}[which]
    got = K.batchnorm_forward_train(x, None, None, EPS, *args, 0.3)
    want = K.batchnorm_forward_train_ref(x, None, None, EPS, *ref_args, 0.3)
    assert_all_close(got, want, dt)
    np.testing.assert_allclose(rm, rm_ref, **tol(dt))
    np.testing.assert_allclose(rv, rv_ref, **tol(dt))
    # ATen's formula: momentum * stat + (1 - momentum) * running, in float64, rounded once
    mean64, var64 = x.astype(np.float64).mean(0), x.astype(np.float64).var(0, ddof=1)
    if which in ("both", "mean"):
        np.testing.assert_allclose(rm, 0.3 * mean64 + 0.7 * rm0, **tol(dt))
    else:
        np.testing.assert_array_equal(rm, rm0)
    if which in ("both", "var"):
        np.testing.assert_allclose(rv, 0.3 * var64 + 0.7 * rv0, **tol(dt))
    else:
        np.testing.assert_array_equal(rv, rv0)


def test_batchnorm_running_stats_must_be_updatable():
    x = rand((4, 3), np.float32, 1)
    with pytest.raises(ValueError, match="running_mean"):
        K.batchnorm_forward_train(x, None, None, EPS, np.zeros(3, np.float32)[::-1], None)
    with pytest.raises(ValueError, match="same dtype"):
        K.batchnorm_forward_train(x, None, None, EPS, np.zeros(3, np.float32),
                                  np.ones(3, np.float64))


def test_two_pass_statistics_survive_a_large_offset():
    # E[x^2] - E[x]^2 in float32 loses every digit here; two passes keep the variance
    x = rand((64, 3), np.float32, 5, scale=1e-2, offset=1e4)
    _, mean, _, var_unb = K.batchnorm_forward_train(x, None, None, EPS)
    x64 = x.astype(np.float64)
    np.testing.assert_allclose(mean, x64.mean(axis=0), rtol=1e-7)
    np.testing.assert_allclose(var_unb, x64.var(axis=0, ddof=1), rtol=1e-4)
    _, _, invstd = K.layernorm_forward(x.T.copy(), None, None, EPS)
    # rows this short take torch's float32 Welford (bit for bit, kernels.layernorm_order):
    # ~4e-3 off here, where E[x^2] - E[x]^2 would keep no digit at all
    np.testing.assert_allclose(invstd, 1 / np.sqrt(x64.var(axis=0) + EPS), rtol=1e-2)
    _, _, invstd64 = K.layernorm_forward(x.T.astype(np.float64), None, None, EPS)
    np.testing.assert_allclose(invstd64, 1 / np.sqrt(x64.var(axis=0) + EPS), rtol=1e-10)


def numeric_grad(f, x, h=1e-6):
    gx = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        xp, xm = x.copy(), x.copy()
        xp[idx] += h
        xm[idx] -= h
        gx[idx] = (f(xp) - f(xm)) / (2 * h)
    return gx


@pytest.mark.parametrize("kind", ["batch", "layer"])
def test_backward_matches_finite_differences(kind):
    x, g = rand((4, 3), np.float64, 1), rand((4, 3), np.float64, 2)
    w, b = rand(3, np.float64, 3), rand(3, np.float64, 4)
    if kind == "batch":
        fwd, bwd = (lambda x, w, b: K.batchnorm_forward_train(x, w, b, EPS)), K.batchnorm_backward
    else:
        fwd, bwd = (lambda x, w, b: K.layernorm_forward(x, w, b, EPS)), K.layernorm_backward
    out = fwd(x, w, b)
    gx, gw, gb = bwd(g, x, out[1], out[2], w)
    np.testing.assert_allclose(
        gx, numeric_grad(lambda v: (fwd(v, w, b)[0] * g).sum(), x), rtol=1e-6, atol=1e-8
    )
    np.testing.assert_allclose(
        gw, numeric_grad(lambda v: (fwd(x, v, b)[0] * g).sum(), w), rtol=1e-6, atol=1e-8
    )
    np.testing.assert_allclose(
        gb, numeric_grad(lambda v: (fwd(x, w, v)[0] * g).sum(), b), rtol=1e-6, atol=1e-8
    )


@pytest.mark.parametrize("aff", [True, False])
def test_matches_torch(aff):
    torch = pytest.importorskip("torch")
    tF = torch.nn.functional
    x, g = rand((8, 5), np.float32, 1, 3.0, 1.0), rand((8, 5), np.float32, 2)
    w, b = affine(5, np.float32, aff)

    def leaf(a):
        return None if a is None else torch.tensor(a, requires_grad=True)

    for kind in ("batch", "layer"):
        tx, tw, tb = leaf(x), leaf(w), leaf(b)
        if kind == "batch":
            rm, rv = torch.zeros(5), torch.ones(5)
            ty = tF.batch_norm(tx, rm, rv, tw, tb, True, 0.1, EPS)
            y, mean, invstd, var_unb = K.batchnorm_forward_train(x, w, b, EPS)
            # running_var after one step from 1 with momentum 0.1 uses the unbiased variance
            np.testing.assert_allclose(0.9 + 0.1 * var_unb, rv.numpy(), rtol=1e-5)
            grads = K.batchnorm_backward(g, x, mean, invstd, w)
        else:
            ty = tF.layer_norm(tx, (5,), tw, tb, EPS)
            y, mean, invstd = K.layernorm_forward(x, w, b, EPS)
            grads = K.layernorm_backward(g, x, mean, invstd, w)
        ty.backward(torch.from_numpy(g))
        np.testing.assert_allclose(y, ty.detach().numpy(), rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(grads[0], tx.grad.numpy(), rtol=1e-4, atol=1e-5)
        if aff:
            np.testing.assert_allclose(grads[1], tw.grad.numpy(), rtol=1e-4, atol=1e-5)
            np.testing.assert_allclose(grads[2], tb.grad.numpy(), rtol=1e-4, atol=1e-5)
    rm, rv = rand(5, np.float32, 3), np.abs(rand(5, np.float32, 4)) + 0.5
    want = tF.batch_norm(
        torch.from_numpy(x),
        torch.from_numpy(rm),
        torch.from_numpy(rv),
        None if w is None else torch.from_numpy(w),
        None if b is None else torch.from_numpy(b),
        False,
        0.1,
        EPS,
    )
    np.testing.assert_allclose(
        K.batchnorm_forward_eval(x, rm, rv, w, b, EPS), want.numpy(), rtol=1e-5, atol=1e-5
    )


def test_bad_shapes_raise():
    with pytest.raises(ValueError):
        K.batchnorm_forward_train(np.zeros(3, np.float32), None, None, EPS)
    with pytest.raises(ValueError):
        K.layernorm_forward(np.zeros((2, 3), np.float32), np.ones(4, np.float32), None, EPS)
