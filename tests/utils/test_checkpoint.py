"""torch.utils.checkpoint against PyTorch: both variants give torch's values, gradients (inputs
and parameters) and grad_fn; dropout inside a checkpoint draws the same mask in the
recomputation (preserve_rng_state) so gradients equal an unchecked run; checkpoint_sequential;
torch's warnings and errors. The recomputation is observed: the function runs twice."""

import warnings

import numpy as np
import pytest

import nnlite as nl
from nnlite import nn
from nnlite.utils import checkpoint as C

torch = pytest.importorskip("torch")
TC = torch.utils.checkpoint


def close(a, b):
    np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-6, atol=1e-6)


def blocks(T, seed=0):
    T.manual_seed(seed)
    return T.nn.Sequential(T.nn.Linear(4, 6), T.nn.Tanh(), T.nn.Dropout(0.3),
                           T.nn.Linear(6, 6), T.nn.ReLU(), T.nn.Linear(6, 3))


@pytest.mark.parametrize("reentrant", [True, False])
def test_checkpoint_values_grads_and_grad_fn_match_torch(reentrant):
    a = np.random.default_rng(0).standard_normal((5, 4)).astype(np.float32)
    res = []
    for T, ck in ((nl, C), (torch, TC)):
        net = blocks(T)
        net[0].load_state_dict({k: T.tensor(v.detach().numpy()) for k, v in
                                blocks(torch)[0].state_dict().items()})
        x = T.tensor(a, requires_grad=True)
        T.manual_seed(1)
        y = ck.checkpoint(net, x, use_reentrant=reentrant)
        y.pow(2).sum().backward()
        res.append((y, x.grad, [p.grad for p in net.parameters()], type(y.grad_fn).__name__))
    (yn, gn, pn, nn_), (yt, gt, pt, tn) = res
    close(yn, yt)
    close(gn, gt)
    for p, q in zip(pn, pt):
        close(p, q)
    assert nn_ == tn


def test_recomputation_restores_the_rng_state_and_runs_twice():
    net = blocks(nl, seed=3)
    x = nl.randn(5, 4, requires_grad=True)
    calls = []

    def fn(v):
        calls.append(1)
        return net(v)

    nl.manual_seed(7)
    plain = net(x)
    plain.sum().backward()
    g_plain = x.grad.clone()
    x.grad = None
    nl.manual_seed(7)
    y = C.checkpoint(fn, x, use_reentrant=True)
    after_forward = nl.get_rng_state()
    y.sum().backward()
    assert len(calls) == 2
    close(y, plain)
    close(x.grad, g_plain)
    # the backward's replay leaves the generator where the forward left it
    assert (nl.get_rng_state().numpy() == after_forward.numpy()).all()
    nl.manual_seed(7)
    y = C.checkpoint(fn, x, use_reentrant=True, preserve_rng_state=False)
    x.grad = None
    y.sum().backward()
    assert not np.allclose(x.grad.numpy(), g_plain.numpy())


def test_checkpoint_sequential_matches_torch():
    a = np.random.default_rng(1).standard_normal((3, 4)).astype(np.float32)
    out = []
    for T, ck in ((nl, C), (torch, TC)):
        T.manual_seed(0)
        net = T.nn.Sequential(*[T.nn.Linear(4, 4) for _ in range(5)])
        x = T.tensor(a, requires_grad=True)
        y = ck.checkpoint_sequential(net, 2, x, use_reentrant=True)
        y.sum().backward()
        out.append((y, x.grad, net[0].weight.grad))
    for u, v in zip(*out):
        close(u, v)


def test_warnings_and_errors_are_torchs():
    lin = nn.Linear(4, 4)
    x = nl.randn(2, 4, requires_grad=True)
    with pytest.warns(UserWarning, match="use_reentrant parameter should be passed"):
        y = C.checkpoint(lin, x)
    assert type(y.grad_fn).__name__ == "CheckpointFunctionBackward"
    with pytest.warns(UserWarning, match="None of the inputs have requires_grad=True"):
        y = C.checkpoint(lin, x.detach(), use_reentrant=True)
    assert not y.requires_grad
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert C.checkpoint(lin, x.detach(), use_reentrant=False).requires_grad
    with pytest.raises(ValueError, match="Unexpected keyword arguments: foo"):
        C.checkpoint(lin, x, use_reentrant=True, foo=1)
