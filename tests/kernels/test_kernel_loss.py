"""Softmax / log-softmax / cross-entropy kernels vs numpy references, finite differences, torch."""

import numpy as np
import pytest

from nnlite.kernels import loss as K

DTYPES = [np.float32, np.float64]


def tol(dt):
    return {"rtol": 1e-5, "atol": 1e-6} if dt == np.float32 else {"rtol": 1e-10, "atol": 1e-12}


def rand(shape, dt, seed=0, scale=1.0):
    return (scale * np.random.default_rng(seed).standard_normal(shape)).astype(dt)


@pytest.mark.parametrize("dt", DTYPES)
@pytest.mark.parametrize("shape", [(4, 6), (1, 1), (1, 5), (2, 3, 4)])
def test_softmax_family_matches_reference(dt, shape):
    x, g = rand(shape, dt, 1, 3.0), rand(shape, dt, 2)
    y, ly = K.softmax_forward(x), K.log_softmax_forward(x)
    for got, want in [
        (y, K.softmax_forward_ref(x)),
        (ly, K.log_softmax_forward_ref(x)),
        (K.softmax_backward(g, y), K.softmax_backward_ref(g, y)),
        (K.log_softmax_backward(g, ly), K.log_softmax_backward_ref(g, ly)),
    ]:
        assert got.dtype == dt and got.shape == shape
        np.testing.assert_allclose(got, want, **tol(dt))


@pytest.mark.parametrize("dt", DTYPES)
def test_softmax_stable_for_huge_and_equal_logits(dt):
    x = np.array([[1e4, 0.0, -1e4], [1e4, 1e4, 1e4], [7.0, 7.0, 7.0]], dt)
    y, ly = K.softmax_forward(x), K.log_softmax_forward(x)
    assert np.isfinite(y).all() and np.isfinite(ly).all()
    np.testing.assert_allclose(y, [[1, 0, 0], [1 / 3] * 3, [1 / 3] * 3], **tol(dt))
    np.testing.assert_allclose(ly[1:], np.log(1 / 3), **tol(dt))
    assert ly[0, 0] == 0 and ly[0, 2] == -2e4
    loss, _ = K.cross_entropy_forward(x, np.array([2, 0, 1]), None)
    np.testing.assert_allclose(loss, [2e4, np.log(3), np.log(3)], **tol(dt))


def test_softmax_nan_row_stays_nan():
    y = K.softmax_forward(np.array([[np.nan, 1.0], [0.0, 1.0]], np.float32))
    assert np.isnan(y[0]).all() and np.isfinite(y[1]).all()


CE_CASES = [(w, ls) for w in (False, True) for ls in (0.0, 0.3)]


def ce_inputs(dt, n=6, c=5):
    x = rand((n, c), dt, 1, 2.0)
    t = np.array([0, 4, -100, 2, 2, 1])[:n]
    w = np.abs(rand(c, dt, 3)) + 0.1
    g = rand(n, dt, 4)
    return x, t, w, g


@pytest.mark.parametrize("dt", DTYPES)
@pytest.mark.parametrize("use_w,ls", CE_CASES)
def test_cross_entropy_matches_reference(dt, use_w, ls):
    x, t, w, g = ce_inputs(dt)
    w = w if use_w else None
    loss, logp = K.cross_entropy_forward(x, t, w, -100, ls)
    want_loss, want_logp = K.cross_entropy_forward_ref(x, t, w, -100, ls)
    assert loss.dtype == dt and logp.dtype == dt
    np.testing.assert_allclose(loss, want_loss, **tol(dt))
    np.testing.assert_allclose(logp, want_logp, **tol(dt))
    assert loss[2] == 0  # ignored row
    gz = K.cross_entropy_backward(g, logp, t, w, -100, ls)
    np.testing.assert_allclose(gz, K.cross_entropy_backward_ref(g, logp, t, w, -100, ls), **tol(dt))
    np.testing.assert_array_equal(gz[2], 0)


@pytest.mark.parametrize("dt", DTYPES)
@pytest.mark.parametrize("use_w,ls", CE_CASES)
def test_cross_entropy_forward_sums(dt, use_w, ls):
    x, t, w, _ = ce_inputs(dt)
    w = w if use_w else None
    loss, logp, loss_sum, w_sum = K.cross_entropy_forward_sums(x, t, w, -100, ls)
    np.testing.assert_array_equal(loss, K.cross_entropy_forward(x, t, w, -100, ls)[0])
    np.testing.assert_allclose(loss_sum, loss.sum(dtype=np.float64), rtol=1e-12)
    np.testing.assert_allclose(w_sum, K.cross_entropy_row_weights(t, w, -100, np.float64).sum(),
                               rtol=1e-12)
    _, _, _, none_kept = K.cross_entropy_forward_sums(x, np.full(len(t), -100), w, -100, ls)
    assert none_kept == 0.0


@pytest.mark.parametrize("use_w,ls", CE_CASES)
def test_cross_entropy_backward_matches_finite_differences(use_w, ls):
    x, t, w, g = ce_inputs(np.float64)
    w = w if use_w else None

    def f(z):
        return (K.cross_entropy_forward(z, t, w, -100, ls)[0] * g).sum()

    h = 1e-6
    num = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        xp, xm = x.copy(), x.copy()
        xp[idx] += h
        xm[idx] -= h
        num[idx] = (f(xp) - f(xm)) / (2 * h)
    _, logp = K.cross_entropy_forward(x, t, w, -100, ls)
    np.testing.assert_allclose(
        K.cross_entropy_backward(g, logp, t, w, -100, ls), num, rtol=1e-6, atol=1e-8
    )


def test_softmax_backward_matches_finite_differences():
    x, g = rand((3, 4), np.float64, 1), rand((3, 4), np.float64, 2)
    h = 1e-6
    for fwd, bwd in [
        (K.softmax_forward, K.softmax_backward),
        (K.log_softmax_forward, K.log_softmax_backward),
    ]:
        num = np.zeros_like(x)
        for idx in np.ndindex(x.shape):
            xp, xm = x.copy(), x.copy()
            xp[idx] += h
            xm[idx] -= h
            num[idx] = ((fwd(xp) - fwd(xm)) * g).sum() / (2 * h)
        np.testing.assert_allclose(bwd(g, fwd(x)), num, rtol=1e-6, atol=1e-8)


def test_cross_entropy_targets_and_row_weights():
    x, t, w, _ = ce_inputs(np.float32)
    loss64, _ = K.cross_entropy_forward(x, t, w)
    loss32, _ = K.cross_entropy_forward(x, t.astype(np.int32), w)
    np.testing.assert_array_equal(loss64, loss32)
    with pytest.raises(IndexError, match="out of bounds"):
        K.cross_entropy_forward(x, np.array([0, 5, 0, 0, 0, 0]), None)
    with pytest.raises(ValueError):
        K.cross_entropy_forward(x, t.astype(np.float32), None)
    # ignore_index can be any value, also a valid class; -100 is then out of bounds
    t2 = np.array([0, 4, 1, 2, 2, 1])
    loss, logp = K.cross_entropy_forward(x, t2, None, ignore_index=2)
    assert loss[3] == 0 and loss[4] == 0 and loss[2] > 0
    assert not K.cross_entropy_backward(np.ones(6), logp, t2, None, ignore_index=2)[3:5].any()
    with pytest.raises(IndexError, match="Target -100"):
        K.cross_entropy_forward(x, t, None, ignore_index=2)
    rw = K.cross_entropy_row_weights(t, w, -100)
    np.testing.assert_allclose(rw, [w[0], w[4], 0, w[2], w[2], w[1]])
    np.testing.assert_array_equal(K.cross_entropy_row_weights(t, None), [1, 1, 0, 1, 1, 1])


@pytest.mark.parametrize("use_w,ls", CE_CASES)
def test_cross_entropy_matches_torch(use_w, ls):
    torch = pytest.importorskip("torch")
    tF = torch.nn.functional
    x, t, w, g = ce_inputs(np.float32)
    w = w if use_w else None
    tw = None if w is None else torch.from_numpy(w)
    tx = torch.tensor(x, requires_grad=True)
    tl = tF.cross_entropy(
        tx, torch.from_numpy(t), tw, ignore_index=-100, label_smoothing=ls, reduction="none"
    )
    tl.backward(torch.from_numpy(g))
    loss, logp = K.cross_entropy_forward(x, t, w, -100, ls)
    np.testing.assert_allclose(loss, tl.detach().numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(
        K.cross_entropy_backward(g, logp, t, w, -100, ls), tx.grad.numpy(), rtol=1e-5, atol=1e-6
    )
    # reduction='mean' = sum(loss) / sum(row weights)
    mean = tF.cross_entropy(
        torch.from_numpy(x), torch.from_numpy(t), tw, ignore_index=-100, label_smoothing=ls
    )
    rw = K.cross_entropy_row_weights(t, w, -100)
    assert loss.sum() / rw.sum() == pytest.approx(mean.item(), rel=1e-5)


def test_softmax_matches_torch():
    torch = pytest.importorskip("torch")
    aten = torch.ops.aten
    x, g = rand((5, 7), np.float32, 1, 3.0), rand((5, 7), np.float32, 2)
    tx, tg = torch.from_numpy(x), torch.from_numpy(g)
    ty, tly = torch.softmax(tx, 1), torch.log_softmax(tx, 1)
    checks = [
        (K.softmax_forward(x), ty),
        (K.log_softmax_forward(x), tly),
        (K.softmax_backward(g, ty.numpy()), aten._softmax_backward_data(tg, ty, 1, ty.dtype)),
        (
            K.log_softmax_backward(g, tly.numpy()),
            aten._log_softmax_backward_data(tg, tly, 1, tly.dtype),
        ),
    ]
    for got, want in checks:
        np.testing.assert_allclose(got, want.numpy(), rtol=1e-5, atol=1e-6)
