"""F.affine_grid and F.grid_sample against PyTorch, 2-D and 3-D: every mode x padding mode x
align_corners, values, grad_fn names and the gradients to the input, the grid and theta;
float64 gradcheck/gradgradcheck; torch's warnings and errors."""

import warnings

import numpy as np
import pytest

import nnlite as nl
from nnlite.autograd import gradcheck, gradgradcheck

torch = pytest.importorskip("torch")
F = nl.nn.functional
TF = torch.nn.functional


def close(a, b, tol=1e-9):
    np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=tol, atol=tol)


def both(a, grad=True):
    return (nl.tensor(a, requires_grad=grad), torch.tensor(a, requires_grad=grad))


@pytest.mark.parametrize("mode", ["bilinear", "nearest"])
@pytest.mark.parametrize("padding_mode", ["zeros", "border", "reflection"])
@pytest.mark.parametrize("align", [False, True])
@pytest.mark.parametrize("nd", [2, 3])
def test_grid_sample_matches_torch(mode, padding_mode, align, nd):
    rng = np.random.default_rng(nd)
    shape = (2, 3, 4, 5) if nd == 2 else (2, 2, 3, 4, 5)
    out_sp = (3, 6) if nd == 2 else (2, 3, 4)
    xn, xt = both(rng.standard_normal(shape))
    # well outside [-1, 1] too, so every padding mode and reflection branch is used
    gn, gt = both(rng.uniform(-1.7, 1.7, (2, *out_sp, nd)))
    yn = F.grid_sample(xn, gn, mode=mode, padding_mode=padding_mode, align_corners=align)
    yt = TF.grid_sample(xt, gt, mode=mode, padding_mode=padding_mode, align_corners=align)
    close(yn, yt)
    assert type(yn.grad_fn).__name__ == type(yt.grad_fn).__name__
    w = rng.standard_normal(tuple(yt.shape))
    (yn * nl.tensor(w)).sum().backward()
    (yt * torch.tensor(w)).sum().backward()
    close(xn.grad, xt.grad)
    close(gn.grad, gt.grad)


@pytest.mark.parametrize("align", [False, True])
@pytest.mark.parametrize("size", [(2, 3, 4, 5), (2, 1, 3, 4, 2), (1, 1, 1, 3)])
def test_affine_grid_matches_torch(align, size):
    rng = np.random.default_rng(1)
    theta = rng.standard_normal((size[0], len(size) - 2, len(size) - 1))
    tn, tt = both(theta)
    gn, gt = F.affine_grid(tn, size, align_corners=align), TF.affine_grid(
        tt, size, align_corners=align)
    close(gn, gt)
    assert type(gn.grad_fn).__name__ == type(gt.grad_fn).__name__
    w = rng.standard_normal(tuple(gt.shape))
    (gn * nl.tensor(w)).sum().backward()
    (gt * torch.tensor(w)).sum().backward()
    close(tn.grad, tt.grad)


def test_spatial_transformer_step_gradients_match_torch():
    rng = np.random.default_rng(5)
    xn, xt = both(rng.standard_normal((2, 1, 6, 6)))
    tn, tt = both(np.array([[[0.9, 0.1, 0.05], [-0.2, 1.1, 0.0]]] * 2))
    yn = F.grid_sample(xn, F.affine_grid(tn, xn.size(), align_corners=False),
                       align_corners=False)
    yt = TF.grid_sample(xt, TF.affine_grid(tt, xt.size(), align_corners=False),
                        align_corners=False)
    close(yn, yt)
    (yn ** 2).sum().backward()
    (yt ** 2).sum().backward()
    close(tn.grad, tt.grad)
    close(xn.grad, xt.grad)


@pytest.mark.parametrize("mode", ["bilinear", "nearest"])
def test_gradcheck_float64(mode):
    rng = np.random.default_rng(7)
    x = nl.tensor(rng.standard_normal((1, 2, 3, 4)), requires_grad=True)
    g = nl.tensor(rng.uniform(-1.2, 1.2, (1, 2, 3, 2)), requires_grad=True)

    def f(x, g):
        return F.grid_sample(x, g, mode=mode, padding_mode="reflection", align_corners=False)

    assert gradcheck(f, (x, g), eps=1e-6, atol=1e-5)
    if mode == "bilinear":
        assert gradgradcheck(f, (x, g), eps=1e-6, atol=1e-4)
    theta = nl.tensor(rng.standard_normal((2, 2, 3)), requires_grad=True)
    assert gradcheck(lambda t: F.affine_grid(t, (2, 1, 3, 4), align_corners=True), (theta,))


def test_warnings_and_errors_are_torchs():
    x, g = nl.zeros(2, 3, 4, 5), nl.zeros(2, 4, 5, 2)
    with pytest.warns(UserWarning, match="align_corners=False since 1.3.0"):
        F.grid_sample(x, g)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        F.grid_sample(x, g, align_corners=False)
    with pytest.raises(ValueError, match="expected mode to be 'bilinear', 'nearest' or"):
        F.grid_sample(x, g, mode="foo", align_corners=False)
    with pytest.raises(ValueError, match="expected padding_mode to be 'zeros'"):
        F.grid_sample(x, g, padding_mode="foo", align_corners=False)
    with pytest.raises(RuntimeError, match="same batch size"):
        F.grid_sample(x, g[:1], align_corners=False)
    with pytest.raises(NotImplementedError, match="only supports 4D and 5D sizes"):
        F.affine_grid(nl.zeros(2, 2, 3), (2, 3, 4), align_corners=False)
    with pytest.raises(ValueError, match="Nx2x3"):
        F.affine_grid(nl.zeros(2, 3, 4), (2, 3, 4, 5), align_corners=False)
