"""jacobian, hessian, vjp, jvp, hvp against closed forms."""

import numpy as np

import nnlite as torch
from nnlite.autograd.functional import hessian, hvp, jacobian, jvp, vjp


def f(x):
    return x**3 + x.sin()


def test_jacobian_elementwise_is_diagonal():
    x = torch.tensor([0.5, -1.0, 2.0], dtype=torch.float64)
    j = jacobian(f, x)
    xs = x.numpy()
    np.testing.assert_allclose(j.numpy(), np.diag(3 * xs**2 + np.cos(xs)), rtol=1e-12)


def test_jacobian_of_two_inputs():
    a = torch.tensor([1.0, 2.0], dtype=torch.float64)
    b = torch.tensor([3.0, 4.0], dtype=torch.float64)
    ja, jb = jacobian(lambda u, v: u * v, (a, b))
    np.testing.assert_allclose(ja.numpy(), np.diag([3.0, 4.0]))
    np.testing.assert_allclose(jb.numpy(), np.diag([1.0, 2.0]))


def test_hessian_of_quadratic_form():
    A = np.array([[2.0, 1.0], [1.0, 3.0]])
    At = torch.tensor(A)
    h = hessian(lambda x: (x @ At @ x) / 2, torch.tensor([0.3, -0.7], dtype=torch.float64))
    np.testing.assert_allclose(h.numpy(), A, rtol=1e-12)


def test_vjp_jvp_hvp():
    x = torch.tensor([0.5, -1.0], dtype=torch.float64)
    v = torch.tensor([1.0, 2.0], dtype=torch.float64)
    xs, vs = x.numpy(), v.numpy()
    d = 3 * xs**2 + np.cos(xs)
    out, g = vjp(f, x, v)
    np.testing.assert_allclose(out.numpy(), xs**3 + np.sin(xs))
    np.testing.assert_allclose(g.numpy(), d * vs)
    _, jv = jvp(f, x, v)
    np.testing.assert_allclose(jv.numpy(), d * vs)
    _, hv = hvp(lambda t: (t**4).sum(), x, v)
    np.testing.assert_allclose(hv.numpy(), 12 * xs**2 * vs)
