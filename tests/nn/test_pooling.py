"""MaxPool/AvgPool/AdaptiveAvgPool against PyTorch, finite differences and double backward."""

import numpy as np
import pytest

import nnlite as nl
from nnlite.autograd import gradcheck, gradgradcheck
from nnlite.nn.pooling import AdaptiveAvgPool2d, AvgPool1d, AvgPool2d, MaxPool1d, MaxPool2d
from nnlite.ops.nn import pool as _pool

TOL = {"rtol": 1e-6, "atol": 1e-6}


def rnd(*shape, seed=0, requires_grad=True):
    arr = np.random.default_rng(seed).standard_normal(shape)
    return nl.tensor(arr, dtype=nl.float64, requires_grad=requires_grad)


def to_torch(t):
    torch = pytest.importorskip("torch")
    out = torch.from_numpy(np.array(t.detach().numpy(), copy=True))
    return out.requires_grad_(t.requires_grad)


def close(ours, theirs, **kw):
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), **(kw or TOL))


def check_vs_torch(ours_fn, torch_fn, x, n_out=1):
    torch = pytest.importorskip("torch")
    xt = to_torch(x)
    y, yt = ours_fn(x), torch_fn(xt)
    if n_out == 2:
        (y, idx), (yt, idxt) = y, yt
        np.testing.assert_array_equal(idx.numpy(), idxt.numpy())
        assert idx.dtype == nl.int64
    assert y.shape == tuple(yt.shape)
    close(y, yt)
    g = rnd(*y.shape, seed=5, requires_grad=False)
    y.backward(g)
    yt.backward(torch.from_numpy(g.numpy().copy()))
    close(x.grad, xt.grad)
    return y


MAX_GRID = [  # (x shape, kernel, stride, padding, dilation, ceil_mode)
    ((2, 3, 8, 8), 2, None, 0, 1, False),
    ((2, 3, 7, 9), 3, 2, 1, 1, False),
    ((2, 3, 7, 9), 3, 2, 1, 1, True),
    ((1, 2, 9, 8), (3, 2), (2, 1), (1, 0), (2, 1), False),
    ((1, 2, 10, 10), 3, 3, 1, 2, True),
    ((3, 5, 6), 2, 1, 0, 1, False),  # unbatched
]


@pytest.mark.parametrize("xs,k,s,p,d,ceil", MAX_GRID)
def test_max_pool2d_matches_torch(xs, k, s, p, d, ceil):
    torch = pytest.importorskip("torch")
    x = rnd(*xs)

    def ours(x):
        return _pool.max_pool(2, x, k, s, p, d, ceil, True)

    def theirs(x):
        return torch.nn.functional.max_pool2d(x, k, s, p, d, ceil, True)

    y = check_vs_torch(ours, theirs, x, n_out=2)
    assert y.grad_fn.name() == "MaxPool2DWithIndicesBackward0" or len(xs) == 3


def test_max_pool_ties_and_nan_follow_torch():
    torch = pytest.importorskip("torch")
    arr = np.zeros((1, 1, 4, 4))
    arr[0, 0, 0, 1] = np.nan
    x = nl.tensor(arr, requires_grad=True)
    check_vs_torch(lambda x: _pool.max_pool(2, x, 2, return_indices=True),
                   lambda x: torch.nn.functional.max_pool2d(x, 2, return_indices=True), x, 2)


AVG_GRID = [  # (x shape, kernel, stride, padding, ceil_mode, count_include_pad, divisor)
    ((2, 3, 8, 8), 2, None, 0, False, True, None),
    ((2, 3, 7, 9), 3, 2, 1, False, True, None),
    ((2, 3, 7, 9), 3, 2, 1, False, False, None),
    ((2, 3, 7, 9), 3, 2, 1, True, True, None),
    ((2, 3, 7, 9), 3, 2, 1, True, False, None),
    ((1, 2, 9, 8), (3, 2), (2, 1), (1, 0), False, True, 5),
    ((3, 5, 6), 2, 1, 0, False, True, None),
]


@pytest.mark.parametrize("xs,k,s,p,ceil,cip,div", AVG_GRID)
def test_avg_pool2d_matches_torch(xs, k, s, p, ceil, cip, div):
    torch = pytest.importorskip("torch")
    y = check_vs_torch(lambda x: _pool.avg_pool(2, x, k, s, p, ceil, cip, div),
                       lambda x: torch.nn.functional.avg_pool2d(x, k, s, p, ceil, cip, div),
                       rnd(*xs))
    assert y.grad_fn.name() == "AvgPool2DBackward0" or len(xs) == 3


@pytest.mark.parametrize("xs,out", [((2, 3, 8, 8), 1), ((2, 3, 8, 8), (1, 1)), ((2, 3, 8, 6), 2),
                                    ((2, 3, 7, 9), (3, 4)), ((3, 5, 7), (2, None)),
                                    ((2, 3, 5, 5), 7)])
def test_adaptive_avg_pool2d_matches_torch(xs, out):
    torch = pytest.importorskip("torch")
    check_vs_torch(lambda x: _pool.adaptive_avg_pool2d(x, out),
                   lambda x: torch.nn.functional.adaptive_avg_pool2d(x, out), rnd(*xs))


@pytest.mark.parametrize("xs,k,s,p", [((2, 3, 9), 2, None, 0), ((2, 3, 9), 3, 2, 1),
                                      ((3, 9), 3, 1, 1)])
def test_pool1d_matches_torch(xs, k, s, p):
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    check_vs_torch(lambda x: _pool.max_pool(1, x, k, s, p, 1, False, True),
                   lambda x: F.max_pool1d(x, k, s, p, 1, False, True), rnd(*xs), 2)
    check_vs_torch(lambda x: _pool.avg_pool(1, x, k, s, p),
                   lambda x: F.avg_pool1d(x, k, s, p), rnd(*xs))


def test_pool_gradcheck_gradgradcheck():
    x = rnd(1, 2, 5, 5)
    for f in (lambda x: _pool.max_pool(2, x, 3, 2, 1),
              lambda x: _pool.avg_pool(2, x, 3, 2, 1, True, False),
              lambda x: _pool.adaptive_avg_pool2d(x, (2, 3)),
              lambda x: _pool.max_pool(1, x[0], 2, 1)):
        assert gradcheck(f, (x,))
        assert gradgradcheck(f, (x,))


def test_modules_repr_and_output_match_torch():
    torch = pytest.importorskip("torch")
    pairs = [
        (MaxPool2d(2), torch.nn.MaxPool2d(2)),
        (MaxPool2d((2, 3), 1, 1), torch.nn.MaxPool2d((2, 3), 1, 1)),
        (MaxPool2d(3, 2, 1, ceil_mode=True), torch.nn.MaxPool2d(3, 2, 1, ceil_mode=True)),
        (AvgPool2d(2), torch.nn.AvgPool2d(2)),
        (AvgPool2d(3, 2, 1, True, False), torch.nn.AvgPool2d(3, 2, 1, True, False)),
        (AdaptiveAvgPool2d((1, 1)), torch.nn.AdaptiveAvgPool2d((1, 1))),
        (AdaptiveAvgPool2d(3), torch.nn.AdaptiveAvgPool2d(3)),
        (MaxPool1d(3), torch.nn.MaxPool1d(3)),
        (AvgPool1d(3), torch.nn.AvgPool1d(3)),
    ]
    for ours, theirs in pairs:
        assert repr(ours) == repr(theirs)
        assert list(ours.state_dict()) == list(theirs.state_dict()) == []
        x = rnd(2, 3, 9, 9) if "1d" not in repr(ours) else rnd(2, 3, 9)
        close(ours(x), theirs(to_torch(x)))
    _y, idx = MaxPool2d(2, return_indices=True)(rnd(1, 1, 4, 4))
    assert idx.shape == (1, 1, 2, 2)


def test_float32_stays_float32():
    x = nl.randn(2, 3, 6, 6)
    for y in (_pool.max_pool(2, x, 2), _pool.avg_pool(2, x, 2),
              _pool.adaptive_avg_pool2d(x, 3)):
        assert y.dtype == nl.float32


@pytest.mark.parametrize("case", [
    lambda m, X: m.max_pool2d(X(3, 4), 2),
    lambda m, X: m.max_pool2d(X(1, 3, 4, 4), 3, padding=2),
    lambda m, X: m.max_pool2d(X(1, 3, 2, 2), 3),
    lambda m, X: m.avg_pool2d(X(1, 3, 4, 4), 3, padding=2),
    lambda m, X: m.avg_pool2d(X(1, 3, 2, 2), 3),
    lambda m, X: m.adaptive_avg_pool2d(X(3, 4), 2),
    lambda m, X: m.max_pool1d(X(3, 4, 5, 6), 2),
])
def test_errors_match_torch(case):
    torch = pytest.importorskip("torch")
    ns = type("ns", (), {
        "max_pool2d": staticmethod(lambda x, *a, **k: _pool.max_pool(2, x, *a, **k)),
        "max_pool1d": staticmethod(lambda x, *a, **k: _pool.max_pool(1, x, *a, **k)),
        "avg_pool2d": staticmethod(lambda x, *a, **k: _pool.avg_pool(2, x, *a, **k)),
        "adaptive_avg_pool2d": staticmethod(_pool.adaptive_avg_pool2d),
    })
    try:
        case(torch.nn.functional, torch.randn)
    except Exception as e:  # noqa: BLE001
        typ, msg = type(e), str(e)
    with pytest.raises(typ) as info:
        case(ns, lambda *s: nl.randn(*s))
    assert str(info.value) == msg
