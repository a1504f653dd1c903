"""ConvTranspose1d/2d and F.conv_transpose1d/2d against PyTorch, finite differences and double
backward."""

import numpy as np
import pytest

import nnlite as nl
import nnlite.nn.functional as F
from nnlite import nn
from nnlite.autograd import gradcheck, gradgradcheck

torch = pytest.importorskip("torch")
TF = torch.nn.functional

TOL = {"rtol": 1e-6, "atol": 1e-6}


def arr(*shape, seed=1):
    return np.random.default_rng(seed).standard_normal(shape)


def pair(a, requires_grad=True):
    return (nl.tensor(a, dtype=nl.float64, requires_grad=requires_grad),
            torch.tensor(a, dtype=torch.float64, requires_grad=requires_grad))


def close(a, b):
    np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), **TOL)


# (x shape, w shape, stride, padding, output_padding, groups, dilation)
GRID_2D = [
    ((2, 3, 5, 4), (3, 4, 3, 3), 1, 0, 0, 1, 1),
    ((2, 3, 5, 4), (3, 4, 3, 3), 2, 1, 1, 1, 1),
    ((2, 3, 5, 4), (3, 2, 4, 2), (2, 3), (1, 0), (1, 2), 1, 1),
    ((1, 4, 4, 5), (4, 3, 3, 3), 3, 1, 2, 2, (2, 1)),
    ((2, 4, 3, 3), (4, 1, 3, 3), 1, 1, 0, 4, 1),  # depthwise
    ((2, 3, 4, 4), (3, 5, 1, 1), 1, 0, 0, 1, 1),  # 1x1
    ((2, 3, 4, 4), (3, 5, 2, 2), 2, 0, 0, 1, 1),  # the usual 2x upsampler
]


@pytest.mark.parametrize("case", GRID_2D)
@pytest.mark.parametrize("bias", [True, False])
def test_conv_transpose2d_matches_torch(case, bias):
    xs, ws, s, p, op, g, d = case
    xn, xt = pair(arr(*xs))
    wn, wt = pair(arr(*ws, seed=2))
    bn, bt = pair(arr(ws[1] * g, seed=3)) if bias else (None, None)
    yn = F.conv_transpose2d(xn, wn, bn, s, p, op, g, d)
    yt = TF.conv_transpose2d(xt, wt, bt, s, p, op, g, d)
    assert yn.shape == yt.shape
    close(yn, yt)
    w = arr(*yt.shape, seed=4)
    (yn * nl.tensor(w)).sum().backward()
    (yt * torch.tensor(w)).sum().backward()
    close(xn.grad, xt.grad)
    close(wn.grad, wt.grad)
    if bias:
        close(bn.grad, bt.grad)


def test_output_padding_not_below_stride_is_refused_cleanly():
    with pytest.raises(NotImplementedError):
        F.conv_transpose2d(nl.zeros(1, 2, 3, 3), nl.zeros(2, 2, 3, 3), output_padding=1,
                           dilation=2)


@pytest.mark.parametrize("case", [GRID_2D[1], GRID_2D[3], GRID_2D[4]])
def test_gradcheck_gradgradcheck(case):
    xs, ws, s, p, op, g, d = case
    xs = (1,) + xs[1:]
    xn, _ = pair(arr(*xs) * 0.5)
    wn, _ = pair(arr(*ws, seed=2) * 0.5)
    bn, _ = pair(arr(ws[1] * g, seed=3))
    fn = lambda x, w, b: F.conv_transpose2d(x, w, b, s, p, op, g, d)
    assert gradcheck(fn, (xn, wn, bn))
    assert gradgradcheck(fn, (xn, wn, bn))


@pytest.mark.parametrize("kw", [{}, {"stride": 2, "padding": 1, "output_padding": 1},
                                {"stride": 3, "groups": 2, "dilation": 2, "bias": False}])
def test_conv_transpose1d_matches_torch(kw):
    nl.manual_seed(0)
    ours = nn.ConvTranspose1d(4, 6, 3, **kw).double()
    torch.manual_seed(0)
    theirs = torch.nn.ConvTranspose1d(4, 6, 3, **kw).double()
    assert repr(ours) == repr(theirs)
    for shape in [(2, 4, 7), (4, 7)]:
        xn, xt = pair(arr(*shape))
        yn, yt = ours(xn), theirs(xt)
        close(yn, yt)
        yn.sin().sum().backward()
        yt.sin().sum().backward()
        close(xn.grad, xt.grad)
        close(ours.weight.grad, theirs.weight.grad)


@pytest.mark.parametrize("kw", [{}, {"stride": 2, "padding": 1, "output_padding": 1},
                                {"stride": (2, 1), "groups": 2, "dilation": (1, 2),
                                 "bias": False}])
def test_module_init_repr_keys_and_unbatched(kw):
    nl.manual_seed(5)
    ours = nn.ConvTranspose2d(4, 6, (3, 2), **kw)
    torch.manual_seed(5)
    theirs = torch.nn.ConvTranspose2d(4, 6, (3, 2), **kw)
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    for (k, a), (_, b) in zip(ours.state_dict().items(), theirs.state_dict().items()):
        np.testing.assert_array_equal(a.numpy(), b.numpy(), err_msg=k)
    ours.double()
    theirs.double()
    for shape in [(2, 4, 5, 6), (4, 5, 6)]:
        xn, xt = pair(arr(*shape))
        close(ours(xn), theirs(xt))


def test_output_size_argument():
    nl.manual_seed(0)
    ours = nn.ConvTranspose2d(3, 2, 3, stride=2, padding=1).double()
    torch.manual_seed(0)
    theirs = torch.nn.ConvTranspose2d(3, 2, 3, stride=2, padding=1).double()
    xn, xt = pair(arr(1, 3, 4, 4))
    for size in [(8, 8), (7, 8), [1, 2, 8, 7]]:
        close(ours(xn, output_size=size), theirs(xt, output_size=size))
    with pytest.raises(ValueError, match="valid sizes range from"):
        ours(xn, output_size=(9, 9))


def test_errors_match_torch():
    def err(fn):
        try:
            fn()
        except Exception as e:  # noqa: BLE001
            return type(e), str(e)
        return None

    cases = [
        lambda f, z: f.conv_transpose2d(z(2, 5, 7, 7), z(4, 3, 3, 3)),
        lambda f, z: f.conv_transpose2d(z(2, 4, 7, 7), z(4, 3, 3, 3), output_padding=2,
                                        stride=2),
        lambda f, z: f.conv_transpose2d(z(2, 4, 7, 7), z(4, 3, 3, 3), groups=3),
        lambda f, z: f.conv_transpose2d(z(4, 7), z(4, 3, 3, 3)),
        lambda f, z: f.conv_transpose2d(z(2, 4, 7, 7), z(4, 3, 3, 3), z(4)),
    ]
    for k, case in enumerate(cases):
        assert err(lambda c=case: c(F, nl.zeros)) == err(lambda c=case: c(TF, torch.zeros)), k
    with pytest.raises(ValueError, match='Only "zeros" padding mode'):
        nn.ConvTranspose2d(4, 3, 3, padding_mode="reflect")


def test_autoencoder_trains_like_torch():
    def build(nnmod, lib):
        lib.manual_seed(0)
        return nnmod.Sequential(nnmod.Conv2d(1, 4, 3, stride=2, padding=1), nnmod.ReLU(),
                                nnmod.ConvTranspose2d(4, 1, 3, stride=2, padding=1,
                                                      output_padding=1))

    ours, theirs = build(nn, nl), build(torch.nn, torch)
    x = arr(4, 1, 8, 8)
    opt_n = nl.optim.SGD(ours.parameters(), lr=0.1)
    opt_t = torch.optim.SGD(theirs.parameters(), lr=0.1)
    ln, lt = [], []
    for _ in range(4):
        for model, opt, lib, losses in ((ours, opt_n, nl, ln), (theirs, opt_t, torch, lt)):
            opt.zero_grad()
            xx = lib.tensor(x, dtype=lib.float32)
            loss = ((model(xx) - xx) ** 2).mean()
            loss.backward()
            opt.step()
            losses.append(loss.item())
    np.testing.assert_allclose(ln, lt, rtol=1e-5)
