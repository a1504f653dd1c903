"""pad, distances, extra activations, KL divergence: against torch, gradcheck, gradgradcheck."""

import numpy as np
import pytest

import nnlite
import nnlite.nn.functional as F
from nnlite.autograd import gradcheck, gradgradcheck

CASES = {
    "pad_constant": (lambda F, x: F.pad(x, (1, 2), value=0.5), (2, 3, 4)),
    "pad_constant_2d": (lambda F, x: F.pad(x, (1, 0, 2, 1)), (2, 3, 4)),
    "pad_negative": (lambda F, x: F.pad(x, (-1, 1)), (2, 3, 4)),
    "pad_reflect": (lambda F, x: F.pad(x, (2, 1), mode="reflect"), (2, 3, 4)),
    "pad_reflect_2d": (lambda F, x: F.pad(x, (1, 1, 2, 1), mode="reflect"), (1, 2, 4, 4)),
    "pad_replicate": (lambda F, x: F.pad(x, (2, 3), mode="replicate"), (2, 3, 4)),
    "pad_circular": (lambda F, x: F.pad(x, (1, 2), mode="circular"), (2, 3, 4)),
    "cosine": (lambda F, x: F.cosine_similarity(x, x.flip(0) + 0.5, dim=1), (4, 5)),
    "pairwise": (lambda F, x: F.pairwise_distance(x, x.flip(0)), (4, 5)),
    "mish": (lambda F, x: F.mish(x), (3, 4)),
    "hardswish": (lambda F, x: F.hardswish(x * 3), (3, 4)),
    "hardsigmoid": (lambda F, x: F.hardsigmoid(x * 3), (3, 4)),
    "softsign": (lambda F, x: F.softsign(x), (3, 4)),
    "selu": (lambda F, x: F.selu(x), (3, 4)),
    "celu": (lambda F, x: F.celu(x, 0.7), (3, 4)),
    "glu": (lambda F, x: F.glu(x, dim=1), (3, 4)),
    "softmin": (lambda F, x: F.softmin(x, dim=1), (3, 4)),
    "kl_div": (lambda F, x: F.kl_div(F.log_softmax(x, 1), F.softmax(x.flip(0), 1),
                                     reduction="batchmean"), (3, 4)),
    "kl_div_log_target": (lambda F, x: F.kl_div(F.log_softmax(x, 1), F.log_softmax(x * 2, 1),
                                                reduction="sum", log_target=True), (3, 4)),
}


def _x(shape, seed=0):
    a = np.random.default_rng(seed).standard_normal(shape)
    return np.where(np.abs(a) < 0.05, a + 0.11, a)  # away from kinks


@pytest.mark.parametrize("name", sorted(CASES))
def test_extra_against_torch(name):
    torch = pytest.importorskip("torch")
    fn, shape = CASES[name]
    a = _x(shape)
    tx, nx = torch.tensor(a, requires_grad=True), nnlite.tensor(a, requires_grad=True)
    ty, ny = fn(torch.nn.functional, tx), fn(F, nx)
    np.testing.assert_allclose(ny.detach().numpy(), ty.detach().numpy(), rtol=1e-7, atol=1e-9)
    v = np.random.default_rng(1).standard_normal(tuple(ty.shape))
    (tg,) = torch.autograd.grad(ty, tx, torch.tensor(v))
    (ng,) = nnlite.autograd.grad(ny, nx, nnlite.tensor(v))
    np.testing.assert_allclose(ng.numpy(), tg.numpy(), rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("name", sorted(CASES))
def test_extra_gradchecks(name):
    fn, shape = CASES[name]
    x = nnlite.tensor(_x(shape, 2), requires_grad=True)
    assert gradcheck(lambda t: fn(F, t), (x,))
    assert gradgradcheck(lambda t: fn(F, t), (x,), atol=1e-4)


def test_modules_repr_and_prelu_matches_torch():
    torch = pytest.importorskip("torch")
    for make in (lambda nn: nn.PReLU(3), lambda nn: nn.GLU(), lambda nn: nn.Mish(),
                 lambda nn: nn.ZeroPad2d(2), lambda nn: nn.ReflectionPad1d((1, 2)),
                 lambda nn: nn.ConstantPad1d(1, 0.5), lambda nn: nn.ReplicationPad2d(1),
                 lambda nn: nn.CosineSimilarity(), lambda nn: nn.KLDivLoss(reduction="batchmean"),
                 lambda nn: nn.CELU(0.5), lambda nn: nn.Softmin(1)):
        assert repr(make(nnlite.nn)) == repr(make(torch.nn))
    a = _x((2, 3, 4))
    tp, npr = torch.nn.PReLU(3).double(), nnlite.nn.PReLU(3).double()
    ty = tp(torch.tensor(a)).sum()
    ny = npr(nnlite.tensor(a)).sum()
    ty.backward()
    ny.backward()
    assert np.allclose(ny.item(), ty.item())
    np.testing.assert_allclose(npr.weight.grad.numpy(), tp.weight.grad.numpy())
    assert list(npr.state_dict()) == list(tp.state_dict())


KINKS = [0.0, -0.0, 1.0, -1.0, 3.0, -3.0, 6.0, -6.0, 20.0, -20.0, 0.5, 0.75, 30.0, -30.0]
KINK_MODULES = ["ReLU()", "LeakyReLU(0.2)", "ELU(0.5)", "CELU(2.0)", "SELU()", "Hardtanh()",
                "Hardtanh(-0.5, 0.75)", "ReLU6()", "Hardsigmoid()", "Hardswish()", "Mish()",
                "PReLU()", "Softplus(2.0, 1.0)", "LogSigmoid()", "Softsign()"]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("module", KINK_MODULES)
def test_activation_gradient_at_kinks_matches_torch(module, dtype):
    # exact kink inputs (0 from dead ReLUs or zero init, clamp bounds) are common in training:
    # torch's kernels take one side's derivative; a clamp composite used to add both sides
    torch = pytest.importorskip("torch")
    res = []
    for T in (torch, nnlite):
        dt = getattr(T, dtype)
        x = T.tensor(KINKS, dtype=dt, requires_grad=True)
        y = eval("T.nn." + module).to(dt)(x)
        y.backward(T.linspace(-1, 1, len(KINKS), dtype=dt))
        res.append((y.detach().numpy(), x.grad.numpy(), type(y.grad_fn).__name__))
    tol = 1e-12 if dtype == "float64" else 1e-6
    np.testing.assert_allclose(res[1][0], res[0][0], rtol=tol, atol=tol)
    np.testing.assert_allclose(res[1][1], res[0][1], rtol=tol, atol=tol)
    assert res[1][2] == res[0][2]


@pytest.mark.parametrize("fn", [lambda x: F.hardtanh(x, -0.5, 0.75), F.relu6, F.hardsigmoid,
                                F.hardswish, lambda x: F.celu(x, 2.0), F.selu, F.mish])
def test_kink_activations_gradgradcheck(fn):
    x = nnlite.tensor([-3.5, -1.2, -0.3, 0.2, 0.6, 2.5, 4.0], dtype=nnlite.float64,
                      requires_grad=True)
    assert gradcheck(fn, (x,)) and gradgradcheck(fn, (x,))


def test_prelu_channel_weight_grads_and_double_backward_match_torch():
    torch = pytest.importorskip("torch")
    x0 = np.random.default_rng(0).standard_normal((3, 4, 2))
    res = []
    for T in (torch, nnlite):
        x = T.tensor(x0, requires_grad=True)
        w = T.tensor([0.1, 0.2, -0.3, 0.4], dtype=T.float64, requires_grad=True)
        y = T.nn.functional.prelu(x, w)
        gx, gw = T.autograd.grad((y * y).sum(), (x, w), create_graph=True)
        (gx.sum() + gw.sum()).backward()
        res.append([a.detach().numpy().copy() for a in (y, gx, gw, x.grad, w.grad)])
    for a, b in zip(res[0], res[1]):
        np.testing.assert_allclose(b, a, rtol=1e-12, atol=1e-14)
