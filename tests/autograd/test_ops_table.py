"""Table tests over every op in op_table.OPS: gradcheck, gradgradcheck, PyTorch parity,
non-contiguous inputs."""

import numpy as np
import pytest

import nnlite
from nnlite.autograd import gradcheck, gradgradcheck

from .op_table import OPS

NAMES = sorted(OPS)


def make_inputs(shapes, domain, seed=0, transposed=False):
    rng = np.random.default_rng(seed)
    arrs = []
    for s in shapes:
        a = rng.standard_normal(s)
        if domain == "positive":
            a = np.abs(a) + 0.5
        elif domain == "unit":
            a = np.tanh(a) * 0.9
        arrs.append(a)
    # keep values away from kinks (relu/abs/clamp/max ties) for finite differences
    # (shift by a constant so distinct values stay distinct: no ties for max/min/sort)
    for kink in (0.0, 0.5, -0.5, 0.7, 0.1):
        arrs = [np.where(np.abs(a - kink) < 0.05, a + 0.11, a) for a in arrs]
    if len(arrs) == 2 and arrs[0].shape == arrs[1].shape:
        # no ties between the two inputs (maximum/minimum/where)
        arrs[1] = np.where(np.abs(arrs[0] - arrs[1]) < 0.05, arrs[1] + 0.2, arrs[1])
    if transposed:
        # same values, non-contiguous memory: a transposed copy's transpose
        arrs = [np.ascontiguousarray(a.T).T if a.ndim >= 2 else a[::1] for a in arrs]
    return arrs


def nl_inputs(arrs):
    return [nnlite.tensor(a, dtype=nnlite.float64, requires_grad=True) for a in arrs]


@pytest.mark.parametrize("name", NAMES)
def test_gradcheck(name):
    fn, shapes, domain = OPS[name]
    xs = nl_inputs(make_inputs(shapes, domain))
    assert gradcheck(lambda *a: fn(nnlite, *a), xs, eps=1e-6, atol=1e-5)


@pytest.mark.parametrize("name", NAMES)
def test_gradgradcheck(name):
    fn, shapes, domain = OPS[name]
    xs = nl_inputs(make_inputs(shapes, domain, seed=1))
    assert gradgradcheck(lambda *a: fn(nnlite, *a), xs, eps=1e-6, atol=1e-4)


@pytest.mark.parametrize("name", NAMES)
def test_non_contiguous_inputs_same_values_and_grads(name):
    fn, shapes, domain = OPS[name]
    arrs = make_inputs(shapes, domain, seed=2)
    a = nl_inputs(arrs)
    b = [nnlite.from_numpy(x).requires_grad_(True)
         for x in make_inputs(shapes, domain, seed=2, transposed=True)]
    if any(len(s) >= 2 and sorted(s)[-2] > 1 for s in shapes):
        assert any(not t.is_contiguous() for t in b)
    if name == "view" and not b[0].is_contiguous():
        with pytest.raises(RuntimeError, match="view size is not compatible"):
            fn(nnlite, *b)
        return
    ya, yb = fn(nnlite, *a), fn(nnlite, *b)
    np.testing.assert_allclose(ya.detach().numpy(), yb.detach().numpy(), rtol=1e-12)
    ga = nnlite.autograd.grad(ya.sum(), a)
    gb = nnlite.autograd.grad(yb.sum(), b)
    for u, v in zip(ga, gb):
        np.testing.assert_allclose(u.numpy(), v.numpy(), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", NAMES)
def test_parity_with_torch(name):
    torch = pytest.importorskip("torch")
    fn, shapes, domain = OPS[name]
    arrs = make_inputs(shapes, domain, seed=3)
    tx = [torch.tensor(a, requires_grad=True) for a in arrs]
    nx = nl_inputs(arrs)
    ty, ny = fn(torch, *tx), fn(nnlite, *nx)
    assert tuple(ny.shape) == tuple(ty.shape)
    np.testing.assert_allclose(ny.detach().numpy(), ty.detach().numpy(), rtol=1e-6, atol=1e-6)
    rng = np.random.default_rng(4)
    v = rng.standard_normal(tuple(ty.shape))
    tg = torch.autograd.grad(ty, tx, torch.tensor(v), create_graph=True)
    ng = nnlite.autograd.grad(ny, nx, nnlite.tensor(v), create_graph=True)
    for a, b in zip(tg, ng):
        np.testing.assert_allclose(b.detach().numpy(), a.detach().numpy(), rtol=1e-6, atol=1e-6)
    # second order: d/dx of sum(grad * w)
    w = [rng.standard_normal(tuple(g.shape)) for g in tg]
    t_s = sum((g * torch.tensor(wi)).sum() for g, wi in zip(tg, w))
    n_s = sum((g * nnlite.tensor(wi)).sum() for g, wi in zip(ng, w))
    if not t_s.requires_grad:
        return  # piecewise-linear op: no second derivative in either
    tgg = torch.autograd.grad(t_s, tx, allow_unused=True)
    ngg = nnlite.autograd.grad(n_s, nx, allow_unused=True) if n_s.requires_grad else [None] * len(nx)
    for a, b in zip(tgg, ngg):
        a = np.zeros(1) if a is None else a.numpy(force=True)
        b = np.zeros(1) if b is None else b.numpy()
        np.testing.assert_allclose(np.broadcast_to(b, a.shape) if b.size == 1 else b,
                                   a, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("name", NAMES)
def test_float32_stays_float32(name):
    fn, shapes, domain = OPS[name]
    xs = [nnlite.tensor(a, dtype=nnlite.float32, requires_grad=True)
          for a in make_inputs(shapes, domain)]
    y = fn(nnlite, *xs)
    assert y.dtype == nnlite.float32
    gs = nnlite.autograd.grad(y.sum(), xs)
    assert all(g.dtype == nnlite.float32 for g in gs)
