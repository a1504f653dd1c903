"""Max-pool double backward as torch records it: the node names
(MaxPool2DWithIndicesBackwardBackward0, ...), the pooled input as the node's second input
(so a first-order gradient requires grad as in torch), and second-order values."""

import numpy as np
import pytest

import nnlite

torch = pytest.importorskip("torch")

CASES = [
    ("max_pool2d", (2, 3, 5, 6), {"kernel_size": 2}),
    ("max_pool2d", (3, 5, 6), {"kernel_size": 3, "stride": 2, "padding": 1}),
    ("max_pool3d", (1, 2, 4, 5, 4), {"kernel_size": 2}),
    ("adaptive_max_pool2d", (2, 2, 7, 5), {"output_size": (3, 2)}),
    ("adaptive_max_pool3d", (1, 2, 5, 4, 6), {"output_size": 2}),
    ("fractional_max_pool2d", (1, 2, 7, 7), {"kernel_size": 2, "output_size": 3}),
]


def _run(lib, name, x_np, w_np, kw):
    lib.manual_seed(0)
    x = lib.tensor(x_np, requires_grad=True)
    y = getattr(lib.nn.functional, name)(x, **kw)
    (g,) = lib.autograd.grad((y * y).sum(), x, create_graph=True)
    (g1,) = lib.autograd.grad(y.sum(), x, create_graph=True)
    names = [type(g.grad_fn).__name__] + [type(f).__name__ if f is not None else None
                                          for f, _ in g.grad_fn.next_functions]
    (g * lib.tensor(w_np)).sum().backward()
    return names, g1.requires_grad, g.detach().numpy(), x.grad.numpy()


@pytest.mark.parametrize("name,shape,kw", CASES)
def test_double_backward_like_torch(name, shape, kw):
    rng = np.random.default_rng(3)
    x = rng.standard_normal(shape)
    w = rng.standard_normal(shape)
    n_names, n_req, n_g, n_gg = _run(nnlite, name, x, w, kw)
    t_names, t_req, t_g, t_gg = _run(torch, name, x, w, kw)
    assert n_names == t_names
    assert n_req == t_req is True
    np.testing.assert_allclose(n_g, t_g, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(n_gg, t_gg, rtol=1e-12, atol=1e-12)


def test_second_order_is_a_finite_difference():
    # d/dx of sum(w * dL/dx) for L = sum(maxpool(x)^2) is 2 w at the argmax positions
    rng = np.random.default_rng(4)
    x = nnlite.tensor(rng.standard_normal((1, 1, 4, 4)), requires_grad=True)
    assert nnlite.autograd.gradgradcheck(
        lambda v: nnlite.nn.functional.max_pool2d(v, 2).pow(2).sum(), (x,))
