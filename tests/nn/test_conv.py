"""Conv1d/Conv2d against PyTorch (same weights), finite differences and double backward."""

import re

import numpy as np
import pytest

import nnlite as nl
from nnlite.autograd import gradcheck, gradgradcheck
from nnlite.nn.conv import Conv1d, Conv2d
from nnlite.ops.nn import conv as _conv

TOL = {"rtol": 1e-6, "atol": 1e-6}


def rnd(*shape, seed=0, requires_grad=True):
    arr = np.random.default_rng(seed).standard_normal(shape)
    return nl.tensor(arr, dtype=nl.float64, requires_grad=requires_grad)


def to_torch(t, requires_grad=None):
    torch = pytest.importorskip("torch")
    out = torch.from_numpy(np.array(t.detach().numpy(), copy=True))
    if requires_grad if requires_grad is not None else t.requires_grad:
        out.requires_grad_(True)
    return out


def close(ours, theirs, **kw):
    a = ours.detach().numpy()
    b = theirs.detach().numpy()
    np.testing.assert_allclose(np.asarray(a, np.float64), np.asarray(b, np.float64), **(kw or TOL))


def conv2d(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):
    return _conv.conv(2, x, w, b, stride, padding, dilation, groups)


def conv1d(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):
    return _conv.conv(1, x, w, b, stride, padding, dilation, groups)


# (x shape, w shape, stride, padding, dilation, groups)
GRID_2D = [
    ((2, 3, 7, 6), (4, 3, 3, 3), 1, 0, 1, 1),
    ((2, 3, 7, 6), (4, 3, 3, 3), 1, 1, 1, 1),
    ((2, 3, 7, 6), (4, 3, 3, 2), 2, (1, 0), 1, 1),
    ((1, 4, 9, 8), (6, 2, 3, 3), (2, 1), 2, (2, 1), 2),
    ((2, 4, 5, 5), (4, 1, 3, 3), 1, 1, 1, 4),  # depthwise
    ((2, 3, 5, 6), (5, 3, 1, 1), 1, 0, 1, 1),  # 1x1 (no im2col)
    ((2, 3, 5, 6), (5, 3, 1, 1), 2, 0, 1, 1),
    ((2, 2, 6, 7), (3, 2, 4, 2), 1, "same", 1, 1),  # even kernel: asymmetric padding
    ((2, 2, 6, 7), (3, 2, 3, 3), 1, "same", 2, 1),
    ((2, 2, 6, 7), (3, 2, 3, 3), 3, "valid", 1, 1),
    ((2, 3, 4, 4), (2, 3, 4, 4), 1, 0, 1, 1),  # kernel = input
    ((2, 3, 8, 8), (4, 3, 5, 5), 3, 2, 1, 1),
]


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("xs,ws,stride,padding,dilation,groups", GRID_2D)
def test_conv2d_matches_torch(xs, ws, stride, padding, dilation, groups, bias):
    torch = pytest.importorskip("torch")
    x, w = rnd(*xs), rnd(*ws, seed=1)
    b = rnd(ws[0], seed=2) if bias else None
    y = conv2d(x, w, b, stride, padding, dilation, groups)
    xt, wt = to_torch(x), to_torch(w)
    bt = to_torch(b) if bias else None
    yt = torch.nn.functional.conv2d(xt, wt, bt, stride, padding, dilation, groups)
    assert y.shape == tuple(yt.shape)
    close(y, yt)
    g = rnd(*y.shape, seed=3, requires_grad=False)
    y.backward(g)
    yt.backward(to_torch(g))
    close(x.grad, xt.grad)
    close(w.grad, wt.grad)
    if bias:
        close(b.grad, bt.grad)
    assert y.grad_fn.name() == "ConvolutionBackward0"


GRID_1D = [
    ((2, 3, 9), (4, 3, 3), 1, 0, 1, 1),
    ((2, 4, 9), (6, 2, 3), 2, 1, 2, 2),
    ((2, 3, 8), (4, 3, 4), 1, "same", 1, 1),
    ((3, 9), (4, 3, 3), 1, 1, 1, 1),  # unbatched
]


@pytest.mark.parametrize("xs,ws,stride,padding,dilation,groups", GRID_1D)
def test_conv1d_matches_torch(xs, ws, stride, padding, dilation, groups):
    torch = pytest.importorskip("torch")
    x, w, b = rnd(*xs), rnd(*ws, seed=1), rnd(ws[0], seed=2)
    y = conv1d(x, w, b, stride, padding, dilation, groups)
    xt, wt, bt = to_torch(x), to_torch(w), to_torch(b)
    yt = torch.nn.functional.conv1d(xt, wt, bt, stride, padding, dilation, groups)
    close(y, yt)
    g = rnd(*y.shape, seed=3, requires_grad=False)
    y.backward(g)
    yt.backward(to_torch(g))
    for ours, theirs in ((x, xt), (w, wt), (b, bt)):
        close(ours.grad, theirs.grad)


def test_conv2d_unbatched_and_float32():
    torch = pytest.importorskip("torch")
    conv = Conv2d(3, 4, 3, padding=1)
    tconv = torch.nn.Conv2d(3, 4, 3, padding=1)
    tconv.load_state_dict({k: torch.from_numpy(v.numpy().copy())
                           for k, v in conv.state_dict().items()})
    x = nl.randn(3, 5, 6)
    y = conv(x)
    assert y.dtype == nl.float32 and y.shape == (4, 5, 6)
    np.testing.assert_allclose(y.detach().numpy(), tconv(torch.from_numpy(x.numpy())).detach(),
                               rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("xs,ws,stride,padding,dilation,groups", [
    ((1, 2, 4, 5), (2, 2, 2, 3), 1, 1, 1, 1),
    ((2, 2, 5, 4), (2, 1, 2, 2), (2, 1), (0, 1), (1, 2), 2),
    ((1, 2, 4, 4), (3, 2, 2, 2), 1, "same", 1, 1),
])
def test_conv2d_gradcheck_gradgradcheck(xs, ws, stride, padding, dilation, groups):
    x, w, b = rnd(*xs), rnd(*ws, seed=1), rnd(ws[0], seed=2)

    def f(x, w, b):
        return conv2d(x, w, b, stride, padding, dilation, groups)

    assert gradcheck(f, (x, w, b))
    assert gradgradcheck(f, (x, w, b))


def test_conv1d_gradgradcheck():
    x, w = rnd(2, 2, 5), rnd(2, 2, 3, seed=1)
    assert gradcheck(lambda x, w: conv1d(x, w, stride=2, padding=1), (x, w))
    assert gradgradcheck(lambda x, w: conv1d(x, w, stride=2, padding=1), (x, w))


def test_conv_triple_backward_matches_torch():
    """Third derivative through the transposed-conv and weight-grad nodes."""
    torch = pytest.importorskip("torch")
    x, w = rnd(1, 2, 5, 5), rnd(3, 2, 3, 3, seed=1)
    xt, wt = to_torch(x), to_torch(w)
    outs = []
    for xx, ww, F, grad in ((x, w, None, nl.autograd.grad), (xt, wt, torch, torch.autograd.grad)):
        y = conv2d(xx, ww, stride=2, padding=1) if F is None else \
            torch.nn.functional.conv2d(xx, ww, stride=2, padding=1)
        (gx,) = grad((y * y).sum(), [xx], create_graph=True)
        (gw,) = grad((gx * gx).sum(), [ww], create_graph=True)
        (gx2,) = grad((gw ** 2).sum(), [xx])
        outs.append((gx, gw, gx2))
    for a, b in zip(*outs):
        close(a, b)


# ---- modules ------------------------------------------------------------------------------


@pytest.mark.parametrize("args,kw", [
    ((3, 8, 3), {"padding": 1}),
    ((3, 8, (3, 5)), {"padding": "same", "bias": False, "dilation": 2,
                      "padding_mode": "reflect"}),
    ((4, 8, 3), {"stride": 2, "groups": 2}),
    ((4, 8, 2), {"padding": "valid", "padding_mode": "circular"}),
    ((4, 8, 3), {"padding": 2, "padding_mode": "replicate"}),
])
@pytest.mark.parametrize("nd", [1, 2])
def test_conv_module_matches_torch(nd, args, kw):
    torch = pytest.importorskip("torch")
    if nd == 1 and isinstance(args[2], tuple):
        args = args[:2] + (args[2][1],)
    ours = (Conv1d if nd == 1 else Conv2d)(*args, **kw).double()
    theirs = (torch.nn.Conv1d if nd == 1 else torch.nn.Conv2d)(*args, **kw).double()
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert ours.weight.shape == tuple(theirs.weight.shape)
    assert ours._reversed_padding_repeated_twice == theirs._reversed_padding_repeated_twice
    theirs.load_state_dict({k: to_torch(v, False) for k, v in ours.state_dict().items()})
    x = rnd(2, args[0], *([9] if nd == 1 else [7, 8]))
    xt = to_torch(x)
    y, yt = ours(x), theirs(xt)
    close(y, yt)
    y.sum().backward()
    yt.sum().backward()
    close(x.grad, xt.grad)
    close(ours.weight.grad, theirs.weight.grad)


def test_conv_init_matches_torch_for_same_seed():
    torch = pytest.importorskip("torch")
    nl.manual_seed(3)
    torch.manual_seed(3)
    ours, theirs = Conv2d(3, 8, 3), torch.nn.Conv2d(3, 8, 3)
    close(ours.weight, theirs.weight, rtol=0, atol=0)
    close(ours.bias, theirs.bias, rtol=0, atol=0)
    assert ours.weight.dtype == nl.float32


# ---- errors ---------------------------------------------------------------------------------


def _torch_error(fn_t):
    try:
        fn_t()
    except Exception as e:  # noqa: BLE001
        return type(e), str(e)
    raise AssertionError("torch did not raise")


@pytest.mark.parametrize("case", [
    lambda m, X: m.conv2d(X(2, 3), X(8, 3, 3, 3)),
    lambda m, X: m.conv2d(X(2, 4, 5, 5), X(8, 3, 3, 3)),
    lambda m, X: m.conv2d(X(2, 3, 2, 2), X(8, 3, 3, 3)),
    lambda m, X: m.conv2d(X(2, 3, 5, 5), X(8, 3, 3, 3), X(7)),
    lambda m, X: m.conv2d(X(2, 6, 5, 5), X(8, 3, 3, 3), groups=3),
    lambda m, X: m.conv2d(X(2, 6, 5, 5), X(8, 3, 3, 3), stride=2, padding="same"),
    lambda m, X: m.conv2d(X(2, 3, 5, 5), X(8, 3, 3, 3), padding="foo"),
    lambda m, X: m.conv2d(X(2, 3, 5, 5), X(8, 3, 3, 3), stride=0),
    lambda m, X: m.conv2d(X(2, 3, 5, 5), X(8, 3, 3, 3), padding=-1),
    lambda m, X: m.conv1d(X(2, 3, 5, 5), X(8, 3, 3)),
    lambda m, X: m.conv1d(X(2, 4, 5), X(8, 3, 3)),
    lambda m, X: m.conv2d(X(2, 3, 5, 5), X(8, 3, 3, 3).double()),
    lambda m, X: m.conv2d(X(2, 3, 5, 5).double(), X(8, 3, 3, 3)),
    lambda m, X: m.conv2d(X(2, 3, 5, 5), X(8, 3, 3, 3), X(8).double()),
])
def test_functional_errors_match_torch(case):
    torch = pytest.importorskip("torch")
    ns = type("ns", (), {"conv1d": staticmethod(conv1d), "conv2d": staticmethod(conv2d)})
    typ, msg = _torch_error(lambda: case(torch.nn.functional, torch.randn))
    with pytest.raises(typ) as info:
        case(ns, lambda *s: nl.randn(*s))
    assert str(info.value) == msg


@pytest.mark.parametrize("kw", [{"groups": 2, "in_channels": 3}, {"groups": 2, "out_channels": 9},
                                {"groups": 0}, {"padding_mode": "foo"},
                                {"padding": "same", "stride": 2}, {"padding": "foo"}])
def test_module_errors_match_torch(kw):
    torch = pytest.importorskip("torch")
    args = {"in_channels": 4, "out_channels": 8, "kernel_size": 3, **kw}
    typ, msg = _torch_error(lambda: torch.nn.Conv2d(**args))
    with pytest.raises(typ) as info:
        Conv2d(**args)
    # the messages print a set: compare its members, not their (hash-seed dependent) order
    def norm(m):
        return re.sub(r"\{[^}]*\}", lambda g: str(sorted(g.group(0)[1:-1].split(", "))), m)

    assert norm(str(info.value)) == norm(msg)


# ---- a small CNN trained next to PyTorch ------------------------------------------------------


def _cnn(nn_mod, conv, pool):
    return nn_mod.Sequential(
        conv(1, 4, 3, padding=1), nn_mod.BatchNorm2d(4), nn_mod.ReLU(), pool(2),
        conv(4, 6, 3, stride=1, groups=2), nn_mod.ReLU(), nn_mod.Flatten(), nn_mod.Linear(24, 3),
    )


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_small_cnn_trains_like_torch(dtype):
    torch = pytest.importorskip("torch")
    from nnlite import nn
    from nnlite.nn.pooling import MaxPool2d

    ours = _cnn(nn, Conv2d, MaxPool2d).to(getattr(nl, dtype))
    theirs = _cnn(torch.nn, torch.nn.Conv2d, torch.nn.MaxPool2d).to(getattr(torch, dtype))
    assert list(ours.state_dict()) == list(theirs.state_dict())
    theirs.load_state_dict({k: torch.from_numpy(v.numpy().copy())
                            for k, v in ours.state_dict().items()})
    opt = nl.optim.SGD(ours.parameters(), lr=0.1, momentum=0.9)
    opt_t = torch.optim.SGD(theirs.parameters(), lr=0.1, momentum=0.9)
    rng = np.random.default_rng(0)
    tol = 1e-6 if dtype == "float64" else 1e-4
    for step in range(5):
        x = rng.standard_normal((8, 1, 8, 8)).astype(dtype)
        y = rng.integers(0, 3, 8)
        loss = nl.nn.functional.cross_entropy(ours(nl.tensor(x)), nl.tensor(y))
        loss_t = torch.nn.functional.cross_entropy(theirs(torch.from_numpy(x)),
                                                   torch.from_numpy(y))
        np.testing.assert_allclose(loss.item(), loss_t.item(), rtol=tol, atol=tol)
        opt.zero_grad()
        opt_t.zero_grad()
        loss.backward()
        loss_t.backward()
        opt.step()
        opt_t.step()
    for k, v in ours.state_dict().items():
        np.testing.assert_allclose(v.numpy(), theirs.state_dict()[k].numpy(), rtol=tol * 10,
                                   atol=tol * 10, err_msg=k)
