"""Ops that were silent aliases of others now behave as their PyTorch namesakes: fmax/fmin ignore
NaN, fmod has its own grad_fn and a gradient for a tensor divisor, ``inplace=True`` activations
write into their input."""

import numpy as np
import pytest

import nnlite as nl
import nnlite.nn.functional as F
from nnlite.autograd import gradcheck, gradgradcheck

NAN = float("nan")


def test_fmax_fmin_ignore_nan_maximum_propagates_it():
    a, b = nl.tensor([NAN, 1.0, NAN, 2.0]), nl.tensor([1.0, NAN, NAN, 3.0])
    np.testing.assert_array_equal(nl.fmax(a, b).numpy(), [1.0, 1.0, NAN, 3.0])
    np.testing.assert_array_equal(nl.fmin(a, b).numpy(), [1.0, 1.0, NAN, 2.0])
    np.testing.assert_array_equal(nl.maximum(a, b).numpy(), [NAN, NAN, NAN, 3.0])
    np.testing.assert_array_equal(a.fmax(b).numpy(), [1.0, 1.0, NAN, 3.0])


def _pairs(name):
    if name in ("fmax", "fmin"):
        return (np.array([NAN, 1.0, 2.0, 3.0, NAN, 2.0]),
                np.array([1.0, NAN, 2.0, 1.0, NAN, 5.0]))
    return (np.array([1.2, 2.5, -3.1, 3.0, 4.4, -2.0]),
            np.array([1.5, -2.0, 0.7, 3.5, -1.0, 2.0]))


@pytest.mark.parametrize("name", ["fmax", "fmin", "fmod", "remainder"])
def test_values_grads_and_grad_fn_match_torch(name):
    torch = pytest.importorskip("torch")
    x0, y0 = _pairs(name)
    res = []
    for T in (torch, nl):
        a, b = T.tensor(x0, requires_grad=True), T.tensor(y0, requires_grad=True)
        y = getattr(T, name)(a, b)
        ga, gb = T.autograd.grad(y, (a, b), T.ones_like(y))
        names = [type(y.grad_fn).__name__]
        if name in ("fmod", "remainder"):
            names.append(type(getattr(T, name)(a, 2.5).grad_fn).__name__)
        res.append((y.detach().numpy(), ga.numpy(), gb.numpy(), names))
    for u, v in zip(res[0][:3], res[1][:3]):
        np.testing.assert_array_equal(v, u)
    assert res[1][3] == res[0][3]


@pytest.mark.parametrize("name", ["fmax", "fmin", "fmod", "remainder"])
def test_gradchecks(name):
    rng = np.random.default_rng(0)
    a = nl.tensor(rng.uniform(0.5, 3, (3, 4)), requires_grad=True)
    b = nl.tensor(rng.uniform(0.6, 2, (4,)) * np.array([1, -1, 1, -1]), requires_grad=True)
    fn = getattr(nl, name)
    assert gradcheck(fn, (a, b))
    assert gradgradcheck(lambda u, v: fn(u * u, v), (a, b))


ACTIVATIONS = [("relu", ()), ("leaky_relu", (0.1,)), ("elu", (0.7,)), ("silu", ()),
               ("relu6", ()), ("hardtanh", (-0.5, 0.5)), ("mish", ()), ("hardswish", ()),
               ("hardsigmoid", ()), ("selu", ()), ("celu", (0.8,))]


@pytest.mark.parametrize("name,args", ACTIVATIONS)
def test_inplace_activation_writes_input_bumps_version(name, args):
    x0 = np.linspace(-4, 4, 9)
    w = nl.tensor(x0, requires_grad=True)
    expected = getattr(F, name)(w, *args)
    (g_expected,) = nl.autograd.grad(expected.sum(), w)
    x = w * 1.0
    v0 = x._version
    y = getattr(F, name)(x, *args, inplace=True)
    assert y is x and x._version == v0 + 1
    np.testing.assert_allclose(x.detach().numpy(), expected.detach().numpy(), rtol=1e-15)
    (g,) = nl.autograd.grad(y.sum(), w)
    # the in-place forms differentiate from their result, as torch's EluBackward1/CeluBackward1
    # do (the input is overwritten): the same value up to float64 rounding
    np.testing.assert_allclose(g.numpy(), g_expected.numpy(), rtol=1e-13)
    leaf = nl.tensor(x0, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        getattr(F, name)(leaf, *args, inplace=True)
    plain = nl.tensor(x0)
    assert getattr(F, name)(plain, *args, inplace=True) is plain
    np.testing.assert_allclose(plain.numpy(), expected.detach().numpy(), rtol=1e-15)


def test_inplace_module_and_dropout_match_torch():
    torch = pytest.importorskip("torch")
    x0 = np.linspace(-2, 2, 7)
    for T in (torch, nl):
        x = T.tensor(x0)
        T.nn.ReLU(inplace=True)(x)
        np.testing.assert_array_equal(x.numpy(), np.maximum(x0, 0))
    x = nl.ones(1000)
    y = F.dropout(x, 0.5, inplace=True)
    assert y is x and set(np.unique(x.numpy())) == {0.0, 2.0}
