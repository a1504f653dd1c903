"""torch.linalg.svd / torch.svd / torch.linalg.svdvals: values, named results, grad_fn and
gradients against PyTorch (float64, losses that do not depend on LAPACK's sign choices) and
against finite differences."""

import numpy as np
import pytest

import nnlite

torch = pytest.importorskip("torch")

SHAPES = [(4, 3), (3, 4), (3, 3), (2, 5, 3), (2, 3, 5)]


def _loss(m, U, S, V, vh):
    # invariant under the sign flip u_i -> -u_i, v_i -> -v_i that LAPACK may choose
    Vm = V if not vh else V.transpose(-2, -1)
    rec = (U * S.unsqueeze(-2)) @ Vm.transpose(-2, -1)
    proj = U @ U.transpose(-2, -1)
    return (S ** 3).sum() + (rec * rec).sum() + (proj * m.arange(proj.shape[-1],
                                                                dtype=m.float64)).sum() \
        + ((Vm @ Vm.transpose(-2, -1)) ** 2 * 0.5).sum() + (U.abs() * Vm.abs().sum()).sum()


@pytest.mark.parametrize("full", [False, True])
@pytest.mark.parametrize("shape", SHAPES)
def test_linalg_svd_values_and_gradients_match_torch(shape, full):
    out = {}
    for m in (torch, nnlite):
        g = np.random.default_rng(1)
        a = m.tensor(g.normal(size=shape), dtype=m.float64, requires_grad=True)
        res = m.linalg.svd(a, full_matrices=full)
        k = min(shape[-2:])
        U, S, Vh = res.U[..., :k], res.S, res.Vh[..., :k, :]
        _loss(m, U, S, Vh, True).backward()
        out[m] = (type(res.S.grad_fn).__name__, res.U.shape, res.Vh.shape, S.detach().numpy(),
                  np.abs(U.detach().numpy()), a.grad.numpy())
    for x, y in zip(out[nnlite], out[torch]):
        if isinstance(x, np.ndarray):
            np.testing.assert_allclose(x, y, rtol=1e-9, atol=1e-10)
        else:
            assert tuple(x) == tuple(y) if not isinstance(x, str) else x == y


@pytest.mark.parametrize("some", [True, False])
def test_torch_svd_returns_v_and_matches_torch(some):
    out = {}
    for m in (torch, nnlite):
        a = m.tensor(np.random.default_rng(2).normal(size=(5, 3)), dtype=m.float64,
                     requires_grad=True)
        U, S, V = m.svd(a, some=some)
        (S.sum() + (U[:, :3] * S) @ V[:, :3].t()).sum().backward()
        out[m] = (U.shape, V.shape, S.detach().numpy(), a.grad.numpy(),
                  np.abs(V.detach().numpy()))
    assert tuple(out[nnlite][0]) == tuple(out[torch][0])
    assert tuple(out[nnlite][1]) == tuple(out[torch][1])
    for x, y in zip(out[nnlite][2:], out[torch][2:]):
        np.testing.assert_allclose(x, y, rtol=1e-9, atol=1e-10)


def test_svdvals_and_method_and_reconstruction():
    a = nnlite.randn(4, 6, dtype=nnlite.float64, requires_grad=True)
    s = nnlite.linalg.svdvals(a)
    np.testing.assert_allclose(s.detach().numpy(),
                               np.linalg.svd(a.detach().numpy(), compute_uv=False))
    U, S, V = a.svd()
    np.testing.assert_allclose(((U * S) @ V.t()).detach().numpy(), a.detach().numpy(),
                               atol=1e-12)
    s.sum().backward()  # d sum(s) / dA = U Vh (thin)
    u, _, vh = np.linalg.svd(a.detach().numpy(), full_matrices=False)
    np.testing.assert_allclose(a.grad.numpy(), u @ vh, atol=1e-12)


def test_svd_gradcheck_and_gradgradcheck():
    a = nnlite.tensor(np.random.default_rng(3).normal(size=(4, 3)), dtype=nnlite.float64,
                      requires_grad=True)

    def f(x):
        U, S, Vh = nnlite.linalg.svd(x, full_matrices=False)
        return (S ** 2).sum() + ((U * S) @ Vh).pow(2).sum() + (U @ U.t()).pow(3).sum()

    assert nnlite.autograd.gradcheck(f, (a,))
    assert nnlite.autograd.gradgradcheck(f, (a,))
