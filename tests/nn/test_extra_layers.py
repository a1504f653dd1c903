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
