"""Upsample / F.interpolate, PixelShuffle/Unshuffle and adaptive pools against PyTorch."""

import numpy as np
import pytest

import nnlite as nl
import nnlite.nn.functional as F
from nnlite import nn
from nnlite.autograd import gradcheck, gradgradcheck

torch = pytest.importorskip("torch")
TF = torch.nn.functional


def arr(*shape, seed=1, dtype=np.float64):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def check(fn_n, fn_t, x, tol=1e-6):
    """Forward and input gradient (random upstream weights) equal to torch's."""
    a = nl.tensor(x, requires_grad=True)
    b = torch.tensor(x, requires_grad=True)
    ya, yb = fn_n(a), fn_t(b)
    assert tuple(ya.shape) == tuple(yb.shape)
    np.testing.assert_allclose(ya.detach().numpy(), yb.detach().numpy(), rtol=tol, atol=tol)
    w = arr(*yb.shape, seed=9, dtype=x.dtype)
    (ya * nl.tensor(w)).sum().backward()
    (yb * torch.tensor(w)).sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=tol, atol=tol)


INTERP_4D = [
    {"scale_factor": 2},
    {"size": (7, 11)},
    {"size": 3},
    {"scale_factor": 1.7},
    {"scale_factor": (0.5, 2.3)},
    {"scale_factor": 1.3, "recompute_scale_factor": True},
    {"size": (3, 9), "mode": "nearest-exact"},
    {"scale_factor": 2, "mode": "bilinear"},
    {"scale_factor": 2, "mode": "bilinear", "align_corners": True},
    {"size": (8, 3), "mode": "bilinear", "align_corners": True},
    {"size": (8, 3), "mode": "bilinear", "align_corners": False},
    {"scale_factor": 1.3, "mode": "bilinear"},
    {"scale_factor": (0.6, 1.5), "mode": "bilinear", "recompute_scale_factor": True},
    {"size": (1, 1), "mode": "bilinear", "align_corners": True},
    {"size": (5, 7), "mode": "bilinear"},
    {"size": (3, 4), "mode": "area"},
    {"scale_factor": 0.5, "mode": "area"},
]


@pytest.mark.parametrize("kw", INTERP_4D)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_interpolate_4d_matches_torch(kw, dtype):
    tol = 1e-6 if dtype == np.float64 else 2e-6
    check(lambda t: F.interpolate(t, **kw), lambda t: TF.interpolate(t, **kw),
          arr(2, 3, 5, 7, dtype=dtype), tol)


@pytest.mark.parametrize("kw", [{"scale_factor": 2.5}, {"size": 4}, {"size": 9, "mode": "linear"},
                                {"scale_factor": 3, "mode": "linear", "align_corners": True},
                                {"scale_factor": 0.7, "mode": "nearest-exact"},
                                {"size": 4, "mode": "area"}])
def test_interpolate_3d_matches_torch(kw):
    check(lambda t: F.interpolate(t, **kw), lambda t: TF.interpolate(t, **kw), arr(2, 3, 6))


def test_interpolate_5d_nearest():
    kw = {"scale_factor": (2, 1.5, 0.5)}
    check(lambda t: F.interpolate(t, **kw), lambda t: TF.interpolate(t, **kw), arr(1, 2, 3, 4, 4))


def test_interpolate_gradgradcheck():
    x = nl.tensor(arr(1, 2, 3, 4), requires_grad=True)
    for kw in [{"scale_factor": 2, "mode": "bilinear"}, {"size": (5, 3)}]:
        assert gradcheck(lambda t, kw=kw: F.interpolate(t, **kw), (x,))
        assert gradgradcheck(lambda t, kw=kw: F.interpolate(t, **kw), (x,))


def test_interpolate_errors_match_torch():
    def err(fn):
        try:
            fn()
        except Exception as e:  # noqa: BLE001
            return type(e), str(e)
        return None

    cases = [
        lambda f, z: f.interpolate(z(1, 2, 3, 3), scale_factor=2, align_corners=True),
        lambda f, z: f.interpolate(z(1, 2, 3, 3), size=4, scale_factor=2),
        lambda f, z: f.interpolate(z(1, 2, 3, 3)),
        lambda f, z: f.interpolate(z(1, 2, 3, 3), size=(4, 4, 4)),
        lambda f, z: f.interpolate(z(1, 2, 3, 3), scale_factor=(2, 2, 2)),
        lambda f, z: f.interpolate(z(1, 2, 3, 3), size=4, recompute_scale_factor=True),
        lambda f, z: f.interpolate(z(1, 2, 3), size=4, mode="bilinear"),
        lambda f, z: f.interpolate(z(1, 2, 3, 3), size=(4, 4.5)),
    ]
    for k, case in enumerate(cases):
        assert err(lambda c=case: c(F, nl.zeros)) == err(lambda c=case: c(TF, torch.zeros)), k


@pytest.mark.parametrize("args,kw", [((), {"scale_factor": 2}),
                                     ((), {"size": (4, 5), "mode": "bilinear"}),
                                     ((), {"scale_factor": (2, 3), "mode": "bilinear",
                                           "align_corners": True})])
def test_upsample_modules(args, kw):
    ours, theirs = nn.Upsample(*args, **kw), torch.nn.Upsample(*args, **kw)
    assert repr(ours) == repr(theirs)
    check(ours, theirs, arr(2, 3, 4, 3))
    for cls in ("UpsamplingNearest2d", "UpsamplingBilinear2d"):
        ours, theirs = getattr(nn, cls)(scale_factor=2), getattr(torch.nn, cls)(scale_factor=2)
        assert repr(ours) == repr(theirs)
        check(ours, theirs, arr(2, 3, 4, 3))


@pytest.mark.parametrize("shape,r", [((2, 8, 3, 4), 2), ((9, 2, 3), 3), ((2, 3, 4, 4, 2, 2), 1)])
def test_pixel_shuffle_and_unshuffle(shape, r):
    ours, theirs = nn.PixelShuffle(r), torch.nn.PixelShuffle(r)
    assert repr(ours) == repr(theirs)
    check(ours, theirs, arr(*shape))
    down = shape[:-3] + (shape[-3] // (r * r), shape[-2] * r, shape[-1] * r)
    ours, theirs = nn.PixelUnshuffle(r), torch.nn.PixelUnshuffle(r)
    assert repr(ours) == repr(theirs)
    check(ours, theirs, arr(*down))
    with pytest.raises(RuntimeError, match="divisible by the square"):
        F.pixel_shuffle(nl.zeros(1, 3, 2, 2), 2)


@pytest.mark.parametrize("shape,size", [((2, 3, 5, 7), (2, 3)), ((2, 3, 5, 7), 4),
                                        ((3, 5, 7), (None, 3)), ((1, 2, 4, 4), (2, 2)),
                                        ((1, 2, 3, 3), (5, 4))])
def test_adaptive_max_pool2d(shape, size):
    ours, theirs = nn.AdaptiveMaxPool2d(size), torch.nn.AdaptiveMaxPool2d(size)
    assert repr(ours) == repr(theirs)
    check(ours, theirs, arr(*shape))
    _, idx_n = F.adaptive_max_pool2d(nl.tensor(arr(*shape)), size, return_indices=True)
    _, idx_t = TF.adaptive_max_pool2d(torch.tensor(arr(*shape)), size, return_indices=True)
    np.testing.assert_array_equal(idx_n.numpy(), idx_t.numpy())
    x = nl.tensor(arr(*shape), requires_grad=True)
    assert gradgradcheck(lambda t: F.adaptive_max_pool2d(t, size), (x,))


@pytest.mark.parametrize("shape,size", [((2, 3, 7), 3), ((3, 7), 7), ((2, 3, 5), 8)])
def test_adaptive_pools_1d(shape, size):
    for cls in ("AdaptiveAvgPool1d", "AdaptiveMaxPool1d"):
        ours, theirs = getattr(nn, cls)(size), getattr(torch.nn, cls)(size)
        assert repr(ours) == repr(theirs)
        check(ours, theirs, arr(*shape))
    x = nl.tensor(arr(*shape), requires_grad=True)
    assert gradgradcheck(lambda t: F.adaptive_avg_pool1d(t, size), (x,))
