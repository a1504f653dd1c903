"""torch.func transforms (grad, grad_and_value, vjp, jvp, jacrev, jacfwd, hessian, vmap,
functional_call) and nn.utils.stateless against torch, closed forms and finite differences."""

import warnings

import numpy as np
import pytest

import nnlite

torch = pytest.importorskip("torch")

X = np.array([0.5, -1.0, 2.0, 0.3])


def _both(fn):
    """fn(lib) for torch and nnlite, results as nested numpy."""
    def conv(v):
        if isinstance(v, (tuple, list)):
            return type(v)(conv(x) for x in v)
        if isinstance(v, dict):
            return {k: conv(x) for k, x in v.items()}
        if hasattr(v, "detach"):
            return v.detach().numpy()
        return v
    return conv(fn(torch)), conv(fn(nnlite))


def _close(a, b, rtol=1e-12, atol=1e-14):
    if isinstance(a, (tuple, list)):
        assert type(a) is type(b) and len(a) == len(b)
        for x, y in zip(a, b):
            _close(x, y, rtol, atol)
    elif isinstance(a, dict):
        assert a.keys() == b.keys()
        for k in a:
            _close(a[k], b[k], rtol, atol)
    elif isinstance(a, np.ndarray):
        assert a.shape == b.shape and a.dtype == b.dtype
        np.testing.assert_allclose(b, a, rtol=rtol, atol=atol)
    else:
        assert a == b


def _f(lib):
    return lambda x, y: (x.sin() * y).sum() + (x**2).prod()


CASES = {
    "grad": lambda T: T.func.grad(_f(T))(T.tensor(X), T.tensor(X[::-1].copy())),
    "grad_argnums": lambda T: T.func.grad(_f(T), argnums=(0, 1))(T.tensor(X), T.tensor(X)),
    "grad_aux": lambda T: T.func.grad(lambda x: ((x**3).sum(), x.cos()), has_aux=True)(
        T.tensor(X)),
    "grad_and_value": lambda T: T.func.grad_and_value(_f(T), argnums=1)(T.tensor(X),
                                                                        T.tensor(X)),
    "grad_of_grad": lambda T: T.func.grad(lambda x: T.func.grad(
        lambda z: (z.sin() * z).sum())(x).sum())(T.tensor(X)),
    "grad_dict": lambda T: T.func.grad(lambda p, x: (p["w"] * x).tanh().sum() + p["b"] ** 2)(
        {"w": T.tensor(X), "b": T.tensor(0.7, dtype=T.float64)}, T.tensor(X)),
    "grad_unused": lambda T: T.func.grad(lambda x, y: (x**2).sum(), argnums=(0, 1))(
        T.tensor(X), T.tensor(X)),
    "vjp": lambda T: T.func.vjp(lambda x, y: (x.exp() * y, x * y.sum()), T.tensor(X),
                                T.tensor(X))[1]((T.ones(4, dtype=T.float64),
                                                 T.tensor(X).flip(0))),
    "vjp_value": lambda T: T.func.vjp(lambda x: x.exp() * x[0], T.tensor(X))[0],
    "jvp": lambda T: T.func.jvp(lambda x, y: (x.exp() * y).cumsum(0), (T.tensor(X), T.tensor(X)),
                                (T.ones(4, dtype=T.float64), T.tensor(X))),
    "jacrev": lambda T: T.func.jacrev(lambda x: x.outer(x).sin())(T.tensor(X)),
    "jacrev_argnums": lambda T: T.func.jacrev(lambda x, y: x * y.sum(), argnums=(0, 1))(
        T.tensor(X), T.tensor(X[:3].copy())),
    "jacrev_tuple_out": lambda T: T.func.jacrev(lambda x: (x.exp(), x.sum()))(T.tensor(X)),
    "jacfwd": lambda T: T.func.jacfwd(lambda x: x.softmax(0))(T.tensor(X)),
    "hessian": lambda T: T.func.hessian(lambda x: (x.sin() * x.roll(1)).sum())(T.tensor(X)),
    "vmap": lambda T: T.func.vmap(lambda a, b: (a * b).sum(), in_dims=(0, None))(
        T.arange(12.0).reshape(3, 4), T.arange(4.0)),
    "vmap_dims": lambda T: T.vmap(lambda a: (a.sum(0), a * 2), in_dims=1, out_dims=(0, 1))(
        T.arange(24.0).reshape(2, 3, 4)),
    "vmap_nested": lambda T: T.vmap(T.vmap(lambda a, b: a * b))(T.ones(2, 3), T.arange(6.0)
                                                                .reshape(2, 3)),
    "vmap_out_none": lambda T: T.vmap(lambda a, c: (a + c, c), in_dims=(0, None),
                                      out_dims=(0, None))(T.ones(3, 2), T.zeros(2)),
    "vmap_chunk": lambda T: T.vmap(lambda a: a.norm(), chunk_size=2)(T.arange(15.0)
                                                                     .reshape(5, 3)),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_transform_matches_torch(name):
    a, b = _both(CASES[name])
    _close(a, b)


def test_per_sample_gradients_with_functional_call():
    out = {}
    for lib in (torch, nnlite):
        lib.manual_seed(0)
        model = lib.nn.Sequential(lib.nn.Linear(3, 4), lib.nn.Tanh(), lib.nn.Linear(4, 1))
        model = model.double()
        params = {k: v.detach() for k, v in model.named_parameters()}
        xs = lib.tensor(np.linspace(-1, 1, 15).reshape(5, 3))
        ys = lib.tensor(np.linspace(0, 1, 5).reshape(5, 1))

        def loss(p, x, y, model=model, lib=lib):
            pred = lib.func.functional_call(model, p, (x.unsqueeze(0),))
            return lib.nn.functional.mse_loss(pred, y.unsqueeze(0))

        per = lib.func.vmap(lib.func.grad(loss), in_dims=(None, 0, 0))(params, xs, ys)
        out[lib.__name__] = {k: v.detach().numpy() for k, v in per.items()}
        # the batch mean of per-sample grads is the ordinary gradient of the mean loss
        model.zero_grad()
        lib.nn.functional.mse_loss(model(xs), ys).backward()
        for k, p in model.named_parameters():
            np.testing.assert_allclose(out[lib.__name__][k].mean(0), p.grad.numpy(),
                                       rtol=1e-12)
        assert all(v.grad is None for v in params.values())
    _close(out["torch"], out["nnlite"])


def test_hessian_closed_form_and_gradcheck_of_grad():
    a = nnlite.tensor([[2.0, 1.0, 0.0], [1.0, 3.0, 0.5], [0.0, 0.5, 1.0]], dtype=nnlite.float64)
    x = nnlite.tensor([0.1, -0.4, 0.9], dtype=nnlite.float64)
    h = nnlite.func.hessian(lambda v: 0.5 * v @ a @ v)(x)
    np.testing.assert_allclose(h.numpy(), a.numpy(), rtol=1e-14)
    g = nnlite.func.grad(lambda v: (v.exp() * v).sum())
    xr = x.clone().requires_grad_()
    assert nnlite.autograd.gradcheck(g, (xr,))  # the transform's output is differentiable
    assert g(x).grad_fn is None and not g(x).requires_grad  # outermost: no graph, as torch


def test_functional_call_restores_and_reaches_the_given_tensors():
    for lib in (torch, nnlite):
        m = lib.nn.Linear(2, 1)
        w0 = m.weight
        w = lib.ones(1, 2, requires_grad=True)
        out = lib.func.functional_call(m, {"weight": w}, lib.tensor([[1.0, 2.0]]))
        out.sum().backward()
        assert m.weight is w0 and w0.grad is None
        np.testing.assert_allclose(w.grad.numpy(), [[1.0, 2.0]])
        np.testing.assert_allclose(out.detach().numpy().ravel(), 3.0 + m.bias.detach().numpy())
        with pytest.raises(RuntimeError, match="Missing key"):
            lib.func.functional_call(m, {"weight": w}, lib.zeros(1, 2), strict=True)
        assert m.weight is w0
        with pytest.raises(ValueError, match="appeared in multiple dictionaries"):
            lib.func.functional_call(m, ({"weight": w}, {"weight": w}), lib.zeros(1, 2))
        with warnings.catch_warnings(record=True) as rec:
            warnings.simplefilter("always")
            lib.nn.utils.stateless.functional_call(m, {"weight": w}, (lib.zeros(1, 2),))
        assert any(issubclass(r.category, FutureWarning) for r in rec)


def test_errors_as_torch():
    cases = [
        (lambda T: T.func.grad(lambda x: x * 2)(T.ones(3)), RuntimeError, "scalar Tensor"),
        (lambda T: T.func.grad(lambda x: x.sum(), argnums=2)(T.ones(3)), RuntimeError,
         "Got argnum=2, but only 1 positional inputs"),
        (lambda T: T.func.grad(lambda x: x.sum(), has_aux=True)(T.ones(3)), RuntimeError,
         "tuple"),
        (lambda T: T.vmap(lambda a, b: a + b)(T.ones(3), T.ones(4)), ValueError,
         "same size in the mapped dimension"),
        (lambda T: T.vmap(lambda a: a, in_dims=2)(T.ones(3)), ValueError, "in_dim"),
        (lambda T: T.vmap(lambda a: a)(), ValueError, "no inputs"),
        (lambda T: T.vmap(lambda a: a, randomness="bogus")(T.ones(3)), RuntimeError,
         "randomness"),
        (lambda T: T.func.vjp(lambda x: x * 2, T.ones(3))[1](T.ones(4)), RuntimeError,
         "shape"),
        (lambda T: T.func.jvp(lambda x: x, [T.ones(3)], (T.ones(3),)), RuntimeError,
         "primals to be a tuple"),
    ]
    for fn, exc, msg in cases:
        for lib in (torch, nnlite):
            with pytest.raises(exc, match=msg):
                fn(lib)
