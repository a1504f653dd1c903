"""torch.quantile / nanquantile (and the Tensor methods) against torch: every interpolation,
dim/keepdim, scalar and 1-D q, NaN handling, errors; gradients by gradcheck."""

import numpy as np
import pytest

import nnlite
from nnlite.autograd import gradcheck, gradgradcheck

torch = pytest.importorskip("torch")


def _data():
    a = np.random.default_rng(0).standard_normal((5, 7))
    a[1, 3] = np.nan
    a[2, :] = np.nan
    return a


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("fn", ["quantile", "nanquantile"])
@pytest.mark.parametrize("interp", ["linear", "lower", "higher", "midpoint", "nearest"])
def test_values_as_torch(fn, interp, dtype):
    a = _data().astype(dtype)
    eps = np.finfo(dtype).eps
    for q in (0.3, [0.0, 0.25, 0.5, 1.0], 0.5, [0.7]):
        for dim, keepdim in ((None, False), (None, True), (0, False), (1, True), (-1, False)):
            res = []
            for lib in (torch, nnlite):
                qq = lib.tensor(np.array(q, dtype)) if isinstance(q, list) else q
                out = getattr(lib, fn)(lib.tensor(a), qq, dim=dim, keepdim=keepdim,
                                       interpolation=interp)
                res.append((out.numpy(), str(out.dtype)))
            (t, tdt), (n, ndt) = res
            assert t.shape == n.shape and tdt == ndt
            # ulp-level: nnlite's lerp rounds in another order than ATen's
            np.testing.assert_allclose(n, t, rtol=4 * eps, atol=8 * eps,
                                       err_msg=str((q, dim, keepdim)))
    x = nnlite.tensor(a)
    np.testing.assert_array_equal(getattr(x, fn)(0.5, dim=1).numpy(),
                                  getattr(nnlite, fn)(x, 0.5, dim=1).numpy())


def test_closed_forms():
    x = nnlite.tensor([4.0, 1.0, 3.0, 2.0], dtype=nnlite.float64)
    assert nnlite.quantile(x, 0.5).item() == 2.5  # rank 1.5 between 2 and 3
    assert nnlite.quantile(x, 0.5, interpolation="lower").item() == 2.0
    assert nnlite.quantile(x, 0.5, interpolation="higher").item() == 3.0
    assert nnlite.quantile(x, 1 / 3, interpolation="nearest").item() == 2.0
    y = nnlite.tensor([1.0, float("nan"), 3.0], dtype=nnlite.float64)
    assert np.isnan(nnlite.quantile(y, 0.5).item()) and nnlite.nanquantile(y, 0.5).item() == 2.0


def test_gradients():
    x = nnlite.tensor(np.random.default_rng(1).standard_normal((3, 5)), requires_grad=True)
    q = nnlite.tensor([0.1, 0.5, 0.95], dtype=nnlite.float64)
    for interp in ("linear", "midpoint", "nearest"):
        assert gradcheck(lambda t, i=interp: nnlite.quantile(t, q, dim=1, interpolation=i), (x,))
        assert gradgradcheck(lambda t, i=interp: nnlite.nanquantile(t, 0.3, interpolation=i), (x,))
    assert type(nnlite.quantile(x, 0.3, dim=0).grad_fn).__name__ == "SqueezeBackward4"
    # same gradient as torch
    tx = torch.tensor(x.detach().numpy(), requires_grad=True)
    torch.quantile(tx, torch.tensor([0.2, 0.8], dtype=torch.float64), dim=0).sum().backward()
    nnlite.quantile(x, nnlite.tensor([0.2, 0.8], dtype=nnlite.float64), dim=0).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-14)


def test_errors_as_torch():
    cases = [
        (lambda T, x: T.quantile(x.long(), 0.5), RuntimeError, "float or double dtype"),
        (lambda T, x: T.quantile(x, 1.5), RuntimeError, r"q must be in the range \[0, 1\] but"),
        (lambda T, x: T.quantile(x, T.tensor([0.5, 1.5])), RuntimeError, "q values must be"),
        (lambda T, x: T.quantile(x, T.tensor([[0.5]])), RuntimeError, "scalar or 1D tensor"),
        (lambda T, x: T.quantile(x, T.tensor([0.5], dtype=T.float64)), RuntimeError,
         "same dtype as the input"),
        (lambda T, x: T.quantile(x, 0.5, interpolation="foo"), RuntimeError,
         "interpolation must be one of"),
        (lambda T, x: T.quantile(T.empty(0), 0.5), RuntimeError, "must be non-empty"),
        (lambda T, x: T.quantile(x, 0.5, dim=4), IndexError, "Dimension out of range"),
        (lambda T, x: T.nanquantile(x, -0.1), RuntimeError, "q must be in the range"),
    ]
    for f, exc, msg in cases:
        for lib in (torch, nnlite):
            with pytest.raises(exc, match=msg):
                f(lib, lib.zeros(3, 4))
