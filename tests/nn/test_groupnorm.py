"""GroupNorm / InstanceNorm1d/2d/3d and F.group_norm / F.instance_norm against PyTorch."""

import warnings

import numpy as np
import pytest

import nnlite as nl
import nnlite.nn.functional as F
from nnlite import nn
from nnlite.autograd import gradcheck, gradgradcheck

torch = pytest.importorskip("torch")

TOL = {"rtol": 1e-6, "atol": 1e-6}


def arr(*shape, seed=1):
    return np.random.default_rng(seed).standard_normal(shape)


def pair(a, requires_grad=True):
    return (nl.tensor(a, dtype=nl.float64, requires_grad=requires_grad),
            torch.tensor(a, dtype=torch.float64, requires_grad=requires_grad))


def close(a, b):
    np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), **TOL)


def run_both(ours, theirs, x_np):
    xn, xt = pair(x_np)
    yn, yt = ours(xn), theirs(xt)
    close(yn, yt)
    w = arr(*yt.shape, seed=7)
    (yn * nl.tensor(w)).sum().backward()
    (yt * torch.tensor(w)).sum().backward()
    close(xn.grad, xt.grad)
    for (k, p), (_, q) in zip(ours.named_parameters(), theirs.named_parameters()):
        close(p.grad, q.grad)
    for (k, a), (_, b) in zip(ours.state_dict().items(), theirs.state_dict().items()):
        np.testing.assert_allclose(a.numpy(), b.numpy(), **TOL, err_msg=k)


@pytest.mark.parametrize("shape,groups", [((2, 6, 5), 3), ((3, 4, 3, 5), 2), ((2, 4), 4),
                                          ((2, 6, 2, 2, 3), 1), ((1, 6, 4), 6)])
@pytest.mark.parametrize("affine", [True, False])
def test_group_norm_matches_torch(shape, groups, affine):
    ours = nn.GroupNorm(groups, shape[1], affine=affine).double()
    theirs = torch.nn.GroupNorm(groups, shape[1], affine=affine).double()
    if affine:  # non-trivial affine
        for m in (ours, theirs):
            m.weight.data.copy_(type(m.weight.data)(arr(shape[1], seed=3)) if m is theirs else
                                nl.tensor(arr(shape[1], seed=3)))
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    run_both(ours, theirs, arr(*shape) * 3 + 1)


def test_group_norm_functional_and_bias_false():
    ours = nn.GroupNorm(2, 4, bias=False, eps=1e-3)
    theirs = torch.nn.GroupNorm(2, 4, bias=False, eps=1e-3)
    assert repr(ours) == repr(theirs)
    xn, xt = pair(arr(3, 4, 5))
    wn, wt = pair(arr(4, seed=2))
    bn, bt = pair(arr(4, seed=3))
    close(F.group_norm(xn, 2, wn, bn, 1e-3), torch.nn.functional.group_norm(xt, 2, wt, bt, 1e-3))
    assert gradcheck(lambda x, w, b: F.group_norm(x, 2, w, b), (xn, wn, bn))
    assert gradgradcheck(lambda x, w, b: F.group_norm(x, 2, w, b), (xn, wn, bn))


@pytest.mark.parametrize("cls,shape", [("InstanceNorm1d", (2, 3, 5)), ("InstanceNorm1d", (3, 5)),
                                       ("InstanceNorm2d", (2, 3, 4, 5)),
                                       ("InstanceNorm2d", (3, 4, 5)),
                                       ("InstanceNorm3d", (2, 3, 2, 3, 2))])
@pytest.mark.parametrize("kw", [{}, {"affine": True}, {"track_running_stats": True},
                                {"affine": True, "track_running_stats": True, "momentum": None},
                                {"affine": True, "track_running_stats": True, "momentum": 0.3}])
def test_instance_norm_matches_torch(cls, shape, kw):
    ours = getattr(nn, cls)(3, **kw).double()
    theirs = getattr(torch.nn, cls)(3, **kw).double()
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    if kw.get("affine"):
        ours.weight.data.copy_(nl.tensor(arr(3, seed=3)))
        theirs.weight.data.copy_(torch.tensor(arr(3, seed=3)))
    for step in range(2):
        run_both(ours, theirs, arr(*shape, seed=step) * 2 + 0.5)
    ours.eval()
    theirs.eval()
    run_both(ours, theirs, arr(*shape, seed=5))


def test_instance_norm_functional_gradgradcheck():
    xn, _ = pair(arr(2, 3, 4))
    wn, _ = pair(arr(3, seed=2))
    bn, _ = pair(arr(3, seed=3))
    fn = lambda x, w, b: F.instance_norm(x, weight=w, bias=b)
    assert gradcheck(fn, (xn, wn, bn))
    assert gradgradcheck(fn, (xn, wn, bn))


def test_errors_match_torch():
    def err(fn):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                fn()
        except Exception as e:  # noqa: BLE001
            return type(e), str(e)
        return None

    cases = [
        lambda m, f: m.GroupNorm(3, 4),
        lambda m, f: m.GroupNorm(2, 4)(f(2, 5, 3)),
        lambda m, f: m.GroupNorm(2, 4)(f(4)),
        lambda m, f: m.GroupNorm(2, 2)(f(1, 2)),
        lambda m, f: m.InstanceNorm1d(3)(f(2, 3, 4, 5)),
        lambda m, f: m.InstanceNorm2d(3)(f(2, 3)),
        lambda m, f: m.InstanceNorm1d(3, affine=True)(f(2, 4, 5)),
        lambda m, f: m.InstanceNorm1d(3)(f(2, 3, 1)),
    ]
    for k, case in enumerate(cases):
        assert err(lambda c=case: c(nn, nl.zeros)) == err(lambda c=case: c(torch.nn,
                                                                               torch.zeros)), k
    with pytest.warns(UserWarning, match="does not match num_features"):
        nn.InstanceNorm1d(3)(nl.zeros(2, 4, 5))
