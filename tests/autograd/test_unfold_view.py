"""``Tensor.unfold`` is a view as torch's: same values and strides, shares the input's memory
(writes either way show through), ``_base`` is the input (or the input's base), the grad_fn is
UnfoldBackward0 with correct first and second derivatives, and an in-place op on the windows
rewrites the input's history (CopySlices)."""

import numpy as np
import pytest

import nnlite as nl
from nnlite.autograd import gradcheck, gradgradcheck


def _cases():
    out = []
    for seed in range(40):
        r = np.random.default_rng(seed)
        shape = tuple(int(n) for n in r.integers(1, 6, size=int(r.integers(1, 4))))
        d = int(r.integers(-len(shape), len(shape)))
        size = int(r.integers(0, shape[d] + 1))
        step = int(r.integers(1, 4))
        out.append((shape, d, size, step))
    return out + [((), 0, 1, 1), ((), 0, 0, 2), ((5,), 0, 5, 1), ((4, 6), 1, 2, 2)]


@pytest.mark.parametrize("shape,dim,size,step", _cases())
def test_unfold_view_matches_torch(shape, dim, size, step):
    torch = pytest.importorskip("torch")
    a = np.random.default_rng(0).standard_normal(shape)
    tx, nx = torch.tensor(a), nl.tensor(a)
    tu, nu = tx.unfold(dim, size, step), nx.unfold(dim, size, step)
    assert tuple(nu.shape) == tuple(tu.shape)
    np.testing.assert_array_equal(nu.numpy(), tu.numpy())
    if tu.numel() > 1:
        assert nu.stride() == tu.stride()
    assert nu._base is nx and tu._base is tx
    if nu.numel():  # a write through the view reaches the input, and back
        idx = (0,) * nu.dim()
        nu[idx] = 7.0
        tu[idx] = 7.0
        np.testing.assert_array_equal(nx.numpy(), tx.numpy())
        nx.mul_(2)
        tx.mul_(2)
        np.testing.assert_array_equal(nu.numpy(), tu.numpy())
    # gradients through the view
    xt = torch.tensor(a, requires_grad=True)
    xn = nl.tensor(a, requires_grad=True)
    w = np.random.default_rng(1).standard_normal(tuple(tu.shape))
    (xt.unfold(dim, size, step) ** 2 * torch.tensor(w)).sum().backward()
    yn = xn.unfold(dim, size, step)
    assert type(yn.grad_fn).__name__ == "UnfoldBackward0"
    (yn ** 2 * nl.tensor(w)).sum().backward()
    np.testing.assert_allclose(xn.grad.numpy(), xt.grad.numpy(), rtol=1e-12, atol=1e-12)


def test_unfold_first_and_second_derivatives():
    x = nl.tensor(np.random.default_rng(2).standard_normal((3, 7)), requires_grad=True)
    for args in ((1, 3, 2), (1, 2, 3), (0, 2, 1)):
        assert gradcheck(lambda t, a=args: t.unfold(*a) ** 2, (x,))
        assert gradgradcheck(lambda t, a=args: t.unfold(*a) ** 2, (x,))


def test_inplace_on_unfold_view_rewrites_history():
    torch = pytest.importorskip("torch")
    res = []
    for lib in (torch, nl):
        x = lib.tensor(np.arange(10.0), requires_grad=True)
        y = x * 1
        u = y.unfold(0, 3, 3)
        u.mul_(2)
        (y * lib.tensor(np.arange(10.0))).sum().backward()
        res.append((type(y.grad_fn).__name__, y.detach().numpy(), x.grad.numpy()))
    assert res[0][0] == res[1][0] == "CopySlices"
    np.testing.assert_array_equal(res[0][1], res[1][1])
    np.testing.assert_array_equal(res[0][2], res[1][2])


def test_unfold_errors_match_torch():
    torch = pytest.importorskip("torch")
    for args in ((0, 6, 1), (0, 2, 0), (2, 1, 1)):
        with pytest.raises(Exception) as te:
            torch.zeros(5).unfold(*args)
        with pytest.raises(Exception) as ne:
            nl.zeros(5).unfold(*args)
        assert type(ne.value) is type(te.value), args
