"""RReLU / F.rrelu / F.rrelu_ against PyTorch: training slopes drawn bit for bit as torch's
generator draws them (float32 and float64), eval mode, in-place forms, grads, grad_fn names
and the generator state afterwards."""

import numpy as np
import pytest

import nnlite

torch = pytest.importorskip("torch")

X = np.random.default_rng(1).standard_normal((6, 7))


def _trace(T, dt):
    T.manual_seed(5)
    m = T.nn.RReLU(0.1, 0.4)
    x = T.tensor(X.astype(dt), requires_grad=True)
    y, y2 = m(x), m(x)  # two calls: two fresh draws
    (y * y2).sum().backward()
    m.eval()
    xe = T.tensor(X.astype(dt), requires_grad=True)
    ye = m(xe)
    (ye * ye).sum().backward()
    xi = T.tensor(X.astype(dt), requires_grad=True)
    z = xi * 1
    T.nn.functional.rrelu_(z, training=True)
    z.sum().backward()
    arrays = [v.detach().numpy() for v in (y, y2, x.grad, ye, xe.grad, z, xi.grad, T.rand(3))]
    names = [type(v.grad_fn).__name__ for v in (y, ye, z)] + [repr(m)]
    return arrays, names


@pytest.mark.parametrize("dt", [np.float32, np.float64])
def test_rrelu_matches_torch_bit_for_bit(dt):
    (a, na), (b, nb) = _trace(torch, dt), _trace(nnlite, dt)
    assert na == nb == ["RreluWithNoiseBackward0", "RreluWithNoiseBackward0",
                        "RreluWithNoiseBackward1", "RReLU(lower=0.1, upper=0.4)"]
    for u, v in zip(a, b):
        np.testing.assert_array_equal(u, v)


def test_training_slopes_lie_in_the_range_and_differ_per_element():
    x = -nnlite.ones(1000)
    y = nnlite.nn.functional.rrelu(x, 0.2, 0.5, training=True)
    slopes = (-y).numpy()
    assert slopes.min() >= 0.2 and slopes.max() <= 0.5 and len(np.unique(slopes)) > 900
