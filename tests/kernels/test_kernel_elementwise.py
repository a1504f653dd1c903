"""Elementwise kernels vs their numpy references (and torch where installed)."""

import numpy as np
import pytest

from nnlite.kernels import elementwise as E

DTYPES = [np.float32, np.float64]
SHAPES = [(3, 5), (1, 1), (7,), (2, 3, 4)]


def tol(dt):
    return {"rtol": 1e-5, "atol": 1e-6} if dt == np.float32 else {"rtol": 1e-12, "atol": 1e-12}


def rand(shape, dt, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(dt)


@pytest.mark.parametrize("dt", DTYPES)
@pytest.mark.parametrize("shape", SHAPES)
def test_unary_and_backward_match_reference(dt, shape):
    x, g = rand(shape, dt, 1), rand(shape, dt, 2)
    s = rand(shape, dt, 3)
    sig = 1 / (1 + np.exp(-s))
    th = np.tanh(s)
    pairs = [
        (E.relu_forward(x), E.relu_forward_ref(x)),
        (E.relu_backward(g, E.relu_forward(x)), E.relu_backward_ref(g, E.relu_forward_ref(x))),
        (E.leaky_relu_forward(x, 0.1), E.leaky_relu_forward_ref(x, 0.1)),
        (E.leaky_relu_backward(g, x, 0.1), E.leaky_relu_backward_ref(g, x, 0.1)),
        (E.sigmoid_backward(g, sig), E.sigmoid_backward_ref(g, sig)),
        (E.tanh_backward(g, th), E.tanh_backward_ref(g, th)),
    ]
    for got, want in pairs:
        assert got.dtype == dt and got.shape == shape
        np.testing.assert_allclose(got, want, **tol(dt))


def test_closed_forms():
    x = np.array([-2.0, -0.0, 0.0, 3.0], np.float32)
    np.testing.assert_array_equal(E.relu_forward(x), [0, 0, 0, 3])
    np.testing.assert_array_equal(
        E.relu_backward(np.ones(4, np.float32), E.relu_forward(x)), [0, 0, 0, 1]
    )
    np.testing.assert_allclose(E.leaky_relu_forward(x, 0.5), [-1, 0, 0, 3])
    np.testing.assert_allclose(
        E.leaky_relu_backward(np.full(4, 2, np.float32), x, 0.5), [1, 1, 1, 2]
    )
    y = np.array([0.25], np.float64)
    assert E.sigmoid_backward(np.array([2.0]), y)[0] == pytest.approx(2 * 0.25 * 0.75)
    assert E.tanh_backward(np.array([2.0]), y)[0] == pytest.approx(2 * (1 - 0.0625))


def test_relu_propagates_nan_and_backward_masks_upstream_nan():
    x = np.array([np.nan, -1.0, 1.0], np.float32)
    y = E.relu_forward(x)
    assert np.isnan(y[0]) and y[1] == 0 and y[2] == 1
    # like torch's threshold_backward (0 where y <= 0, else g): an off unit passes 0 even for a
    # NaN upstream gradient, and a NaN unit passes its gradient (torch gives [1, 0, 2] here)
    g = E.relu_backward(np.array([1.0, np.nan, 2.0], np.float32), y)
    np.testing.assert_array_equal(g, [1, 0, 2])


@pytest.mark.parametrize("dt", DTYPES)
def test_bias_add_in_place(dt):
    out, b = rand((4, 3), dt, 1), rand(3, dt, 2)
    want = out + b
    res = E.bias_add_(out, b)
    assert res is out
    np.testing.assert_allclose(out, want, **tol(dt))
    out2 = rand((2, 4, 3), dt, 3)
    want2 = np.maximum(out2 + b, 0)
    assert E.bias_add_relu_(out2, b) is out2
    np.testing.assert_allclose(out2, want2, **tol(dt))


def test_bias_add_non_contiguous_out_stays_in_place():
    base = rand((3, 8), np.float32)
    out = base[:, ::2]
    want = out + 1
    E.bias_add_(out, np.ones(4, np.float32))
    np.testing.assert_allclose(base[:, ::2], want)
    with pytest.raises(ValueError):
        E.bias_add_(np.zeros((2, 3), np.float32), np.zeros(4, np.float32))


def test_layouts_and_dtypes_are_normalised():
    x = rand((5, 4), np.float32)
    for v in (x.T, np.asfortranarray(x), x[::2]):
        np.testing.assert_array_equal(E.relu_forward(v), np.maximum(v, 0))
    ro = x.copy()
    ro.flags.writeable = False
    np.testing.assert_array_equal(E.relu_forward(ro), np.maximum(x, 0))
    # mixed dtypes promote to float64; float16 computes in float32; ints in float64
    assert E.relu_backward(x, x.astype(np.float64)).dtype == np.float64
    assert E.relu_forward(x.astype(np.float16)).dtype == np.float32
    assert E.relu_forward(np.arange(-2, 3)).dtype == np.float64


def test_matches_torch():
    torch = pytest.importorskip("torch")
    tF = torch.nn.functional
    aten = torch.ops.aten
    x, g = rand((6, 5), np.float32, 1), rand((6, 5), np.float32, 2)
    tx, tg = torch.from_numpy(x), torch.from_numpy(g)
    y = torch.relu(tx)
    sig, th = torch.sigmoid(tx), torch.tanh(tx)
    checks = [
        (E.relu_forward(x), y),
        (E.relu_backward(g, y.numpy()), aten.threshold_backward(tg, y, 0)),
        (E.leaky_relu_forward(x, 0.2), tF.leaky_relu(tx, 0.2)),
        (E.leaky_relu_backward(g, x, 0.2), aten.leaky_relu_backward(tg, tx, 0.2, False)),
        (E.sigmoid_backward(g, sig.numpy()), aten.sigmoid_backward(tg, sig)),
        (E.tanh_backward(g, th.numpy()), aten.tanh_backward(tg, th)),
    ]
    for got, want in checks:
        np.testing.assert_allclose(got, want.numpy(), rtol=1e-5, atol=1e-6)
