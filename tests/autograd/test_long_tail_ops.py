"""The issue-14 long-tail ops on the inputs the op table does not draw: NaNs, ties, repeated
runs, degenerate ranges, batches and large norms, each against torch."""

import numpy as np
import pytest

import nnlite

torch = pytest.importorskip("torch")
NAN = float("nan")


def same(a, b):
    for x, y in zip(a if isinstance(a, tuple) else (a,), b if isinstance(b, tuple) else (b,)):
        np.testing.assert_allclose(x.detach().numpy(), y.detach().numpy(), rtol=1e-6, atol=1e-7,
                                   equal_nan=True)
        assert str(x.dtype) == str(y.dtype)


@pytest.mark.parametrize("fn", [
    lambda T: T.nanmedian(T.tensor([[NAN, NAN, NAN], [1.0, NAN, 2.0], [4.0, 3.0, 5.0]]), 1),
    lambda T: T.nanmedian(T.tensor([NAN, 2.0, 1.0, NAN, 7.0, 3.0])),
    lambda T: T.mode(T.tensor([[1.0, 2.0, 2.0, 1.0], [3.0, 3.0, 1.0, 0.0]]), 1),
    lambda T: T.mode(T.tensor([[1, 1, 4], [4, 2, 2], [4, 2, 1]]), 0),
    lambda T: T.unique_consecutive(T.tensor([1, 1, 2, 2, 3, 1, 1, 2]), return_inverse=True,
                                   return_counts=True),
    lambda T: T.unique_consecutive(T.tensor([[1, 1], [1, 1], [2, 3], [1, 1]]), dim=0,
                                   return_inverse=True),
    lambda T: T.histogram(T.tensor([1.0, 1.0, 1.0]), 3),
    lambda T: T.histogram(T.tensor([0.0, 1.0, 2.5, 3.0]), 3, range=(0.0, 3.0),
                          weight=T.tensor([1.0, 2.0, 0.5, 1.0])),
    lambda T: T.scatter_reduce(T.tensor([1.0, 2.0, 3.0, 4.0]), 0, T.tensor([0, 0, 2, 2, 2]),
                               T.tensor([5.0, -1.0, 3.0, 3.0, 0.5]), "amax", include_self=False),
    lambda T: T.scatter_reduce(T.tensor([1, 2, 3]), 0, T.tensor([0, 0, 1]), T.tensor([4, 5, 6]),
                               "mean"),
    # a large norm (scaling and squaring); float64: torch's float32 kernel is less exact here
    lambda T: T.linalg.matrix_exp(T.tensor([[[0.0, 30.0], [-30.0, 0.0]], [[1.0, 2.0],
                                                                            [0.0, 1.0]]],
                                           dtype=T.float64)),
    lambda T: T.linalg.lu_factor(T.tensor(np.random.default_rng(0).standard_normal((2, 4, 3)))),
    lambda T: T.lu_unpack(*T.linalg.lu_factor(T.tensor([[0.0, 1.0], [2.0, 3.0]]))),
    lambda T: T.linalg.lu(T.tensor([[0.0, 1.0, 2.0], [2.0, 3.0, 1.0], [1.0, 1.0, 1.0]])),
])
def test_values_as_torch(fn):
    same(fn(nnlite), fn(torch))


def test_amax_ties_share_the_gradient_as_torch():
    grads = []
    for T in (nnlite, torch):
        x = T.tensor([2.0, 0.0, 1.0], requires_grad=True)
        s = T.tensor([2.0, 2.0, 1.0, -1.0], requires_grad=True)
        y = x.scatter_reduce(0, T.tensor([0, 0, 2, 1]), s, "amax")
        y.backward(T.tensor([3.0, 1.0, 2.0]))
        grads.append((x.grad, s.grad))
    same(grads[0], grads[1])


@pytest.mark.parametrize("bad", [
    lambda T: T.zeros(3).scatter_reduce(0, T.tensor([0]), T.ones(1), "median"),
    lambda T: T.slice_scatter(T.zeros(4, 2), T.ones(3, 2), 0, 0, 2),
    lambda T: T.select_scatter(T.zeros(3, 2), T.ones(2), 0, 5),
    lambda T: T.linalg.matrix_exp(T.ones(2, 3)),
    lambda T: T.linalg.lu_factor(T.ones(3)),
])
def test_errors_as_torch(bad):
    with pytest.raises(Exception) as want:
        bad(torch)
    with pytest.raises(want.type):
        bad(nnlite)
