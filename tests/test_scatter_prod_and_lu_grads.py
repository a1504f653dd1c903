"""Two backward formulas against torch: ``scatter_reduce(..., "prod")`` where ``input`` and
``src`` hold zeros (torch's exact formula: the product of the other factors), and
``linalg.lu_factor`` / ``linalg.lu`` of wide and tall matrices."""

import numpy as np
import pytest

import nnlite

torch = pytest.importorskip("torch")


def _grads(T, fn, arrays, weight_seed=5):
    xs = [T.tensor(a, requires_grad=True) for a in arrays]
    y = fn(T, *xs)
    w = np.random.default_rng(weight_seed).standard_normal(tuple(y.shape))
    (y * T.tensor(w)).sum().backward()
    return [y.detach().numpy()] + [x.grad.numpy() for x in xs]


@pytest.mark.parametrize("include_self", [True, False])
def test_scatter_reduce_prod_gradient_through_zeros_is_torchs(include_self):
    rng = np.random.default_rng(0)
    for _ in range(40):
        x = rng.integers(-2, 3, (4, 3)).astype(np.float64)  # many zeros, some places 2+
        s = rng.integers(-2, 3, (5, 3)).astype(np.float64)
        idx = rng.integers(0, 4, (5, 3))

        def fn(T, a, b, idx=idx):
            return a.scatter_reduce(0, T.tensor(idx), b, "prod", include_self=include_self)

        for mine, theirs in zip(_grads(nnlite, fn, [x, s]), _grads(torch, fn, [x, s])):
            np.testing.assert_array_equal(mine, theirs)


def test_scatter_reduce_prod_single_zero_gets_the_product_of_the_rest():
    # closed form: out[0] = x0 * s0 * s1 with s0 == 0: d/ds0 = x0 * s1, d/ds1 = 0, d/dx0 = 0
    x = nnlite.tensor([3.0], requires_grad=True)
    s = nnlite.tensor([0.0, 5.0], requires_grad=True)
    x.scatter_reduce(0, nnlite.tensor([0, 0]), s, "prod").sum().backward()
    assert s.grad.tolist() == [15.0, 0.0] and x.grad.tolist() == [0.0]


SHAPES = [(3, 3), (3, 5), (5, 3), (2, 4, 2), (2, 2, 4), (1, 4), (4, 1)]


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("which", ["lu_factor", "lu_L", "lu_U", "lu_both"])
def test_lu_gradients_of_non_square_matrices_are_torchs(shape, which):
    a = np.random.default_rng(1).standard_normal(shape)

    def fn(T, x):
        if which == "lu_factor":
            return T.linalg.lu_factor(x).LU
        _, Lm, U = T.linalg.lu(x)
        return {"lu_L": Lm, "lu_U": U}.get(which, None) if which != "lu_both" else (
            Lm.sum(-1, keepdim=True) * 1.3 + U.sum(-2, keepdim=True).mT.sum(-2, keepdim=True))

    mine, theirs = _grads(nnlite, fn, [a]), _grads(torch, fn, [a])
    for m, t in zip(mine, theirs):
        np.testing.assert_allclose(m, t, rtol=1e-10, atol=1e-12)
