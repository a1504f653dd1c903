"""Ops that are one node with their own backward formula (torch's grad_fn, next_functions and
first/second-order gradients), on the inputs the op table avoids: zeros in cumprod, NaN in
nansum, ties in aminmax/cummax, norms of other orders, broadcast ``input`` of addmm & co,
``beta=0``, one unused result of a two-result op."""

import numpy as np
import pytest

import nnlite

torch = pytest.importorskip("torch")


def _graph(y):
    fn = y.grad_fn
    return type(fn).__name__, tuple(None if f is None else type(f).__name__
                                    for f, _ in fn.next_functions)


def check(fn, *arrays, second=True):
    """``fn(T, *xs)`` in torch and nnlite (float64): same values, grad_fn and next_functions,
    same first-order gradients and (``second``) the same gradient of ``sum(grad * w)``."""
    tx = [torch.tensor(a, requires_grad=True) for a in arrays]
    nx = [nnlite.tensor(a, requires_grad=True) for a in arrays]
    ty, ny = fn(torch, *tx), fn(nnlite, *nx)
    np.testing.assert_allclose(ny.detach().numpy(), ty.detach().numpy(), rtol=1e-7, atol=1e-9)
    assert _graph(ny) == _graph(ty)
    v = np.random.default_rng(1).standard_normal(tuple(ty.shape))
    tg = torch.autograd.grad(ty, tx, torch.tensor(v), create_graph=True, allow_unused=True)
    ng = nnlite.autograd.grad(ny, nx, nnlite.tensor(v), create_graph=True, allow_unused=True)
    for a, b in zip(tg, ng):
        if a is None:
            assert b is None or not np.any(b.detach().numpy())
            continue
        np.testing.assert_allclose(b.detach().numpy(), a.detach().numpy(force=True), rtol=1e-7,
                                   atol=1e-9)
    if not second:
        return
    pairs = [(a, b) for a, b in zip(tg, ng) if a is not None and a.requires_grad]
    if not pairs:
        return  # torch's gradient is constant (piecewise-linear op)
    w = [np.random.default_rng(2).standard_normal(tuple(a.shape)) for a, _ in pairs]
    ts = sum((a * torch.tensor(wi)).sum() for (a, _), wi in zip(pairs, w))
    ns = sum((b * nnlite.tensor(wi)).sum() for (_, b), wi in zip(pairs, w))
    tgg = torch.autograd.grad(ts, tx, allow_unused=True)
    ngg = nnlite.autograd.grad(ns, nx, allow_unused=True)
    for a, b in zip(tgg, ngg):
        a = np.zeros(1) if a is None else a.numpy(force=True)
        b = np.zeros(1) if b is None else b.numpy()
        np.testing.assert_allclose(np.broadcast_to(b, a.shape), np.broadcast_to(a, b.shape),
                                   rtol=1e-7, atol=1e-9)


def test_check_fails_on_a_wrong_gradient():
    class Wrong(nnlite.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x.cumprod(0)

        @staticmethod
        def backward(ctx, g):
            return g * 1.01

    with pytest.raises(AssertionError):
        check(lambda T, x: x.cumprod(0) if T is torch else Wrong.apply(x), np.arange(1.0, 4.0),
              second=False)


R = np.random.default_rng(0)
A34 = R.standard_normal((3, 4))


@pytest.mark.parametrize("zeros", [[(0, 1)], [(0, 1), (0, 3)], [(1, 0), (2, 2)]])
def test_cumprod_with_zeros(zeros):
    a = A34.copy()
    for i, j in zeros:
        a[i, j] = 0.0
    check(lambda T, x: T.cumprod(x, 1), a)
    check(lambda T, x: T.cumprod(x, 0), a)


@pytest.mark.parametrize("p", [1, 3, 0.5, 1.5, float("inf"), float("-inf"), 0])
def test_norm_orders(p):
    a = A34.copy()
    a[1, 1] = -a[1, 2]  # a tie in |x| for the inf norms
    check(lambda T, x: x.norm(p=p, dim=1), a)
    check(lambda T, x: T.norm(x, p), a)


def test_norm_at_zero_is_zero_gradient():
    check(lambda T, x: x.norm(dim=1), np.array([[0.0, 0.0], [3.0, 4.0]]), second=False)


def test_nansum_nanmean_with_nan():
    a = A34.copy()
    a[0, 2] = a[2, 1] = np.nan
    check(lambda T, x: T.nansum(x, 1), a)
    check(lambda T, x: T.nanmean(x, 0), a)
    check(lambda T, x: T.nansum(x), a)


def _min2_plus_max(r):
    return r.min * 2 + r.max


def test_aminmax_ties_and_one_result():
    a = np.array([[1.0, 3.0, 3.0], [2.0, -1.0, -1.0]])
    check(lambda T, x: T.aminmax(x, dim=1).max, a)
    check(lambda T, x: T.aminmax(x).min, a)
    check(lambda T, x: _min2_plus_max(T.aminmax(x, dim=0, keepdim=True)), a)


def test_std_var_mean_one_result_each():
    check(lambda T, x: T.std_mean(x, 1)[0], A34)
    check(lambda T, x: T.std_mean(x, 1)[1], A34)
    check(lambda T, x: sum(T.var_mean(x, 0, keepdim=True)), A34)


def test_cummax_cummin_ties():
    a = np.array([[1.0, 3.0, 3.0, 2.0], [2.0, -1.0, -1.0, 5.0]])
    check(lambda T, x: T.cummax(x, 1).values, a)
    check(lambda T, x: T.cummin(x, 0).values, a)


def test_max_min_all_elements():
    a = np.array([[1.0, 3.0, 3.0], [2.0, -1.0, -1.0]])
    check(lambda T, x: x.max(), a)
    check(lambda T, x: T.min(x), a)


@pytest.mark.parametrize("beta,alpha", [(1, 1), (0.5, 2.0), (0, 1.5)])
def test_add_product_family_broadcast_input(beta, alpha):
    kw = {"beta": beta, "alpha": alpha}
    check(lambda T, c, a, b: T.addmm(c, a, b, **kw), R.standard_normal(5),
          R.standard_normal((3, 4)), R.standard_normal((4, 5)))
    check(lambda T, c, a, b: T.addmv(c, a, b, **kw), R.standard_normal(1),
          R.standard_normal((3, 4)), R.standard_normal(4))
    check(lambda T, c, a, b: T.addr(c, a, b, **kw), R.standard_normal((3, 1)),
          R.standard_normal(3), R.standard_normal(4))
    check(lambda T, c, a, b: T.baddbmm(c, a, b, **kw), R.standard_normal((3, 2)),
          R.standard_normal((2, 3, 4)), R.standard_normal((2, 4, 2)))
    check(lambda T, c, a, b: T.addbmm(c, a, b, **kw), R.standard_normal(2),
          R.standard_normal((2, 3, 4)), R.standard_normal((2, 4, 2)))


def test_addmm_beta_zero_ignores_nan_input():
    c = np.full((3, 5), np.nan)
    check(lambda T, c, a, b: T.addmm(c, a, b, beta=0), c, R.standard_normal((3, 4)),
          R.standard_normal((4, 5)))


def test_addmm_wrong_input_shape_is_a_runtime_error():
    a, b = nnlite.ones(3, 4), nnlite.ones(4, 5)
    with pytest.raises(RuntimeError):
        torch.addmm(torch.ones(4), torch.ones(3, 4), torch.ones(4, 5))
    with pytest.raises(RuntimeError, match="cannot be broadcast"):
        nnlite.addmm(nnlite.ones(4), a, b)


@pytest.mark.parametrize("p", [2, 1, 3, float("inf")])
def test_dist_cdist_orders_and_broadcast(p):
    check(lambda T, x, y: T.dist(x, y, p), A34, R.standard_normal(4))
    check(lambda T, x, y: T.cdist(x, y, p), R.standard_normal((2, 3, 4)),
          R.standard_normal((1, 2, 4)), second=False)  # torch has no cdist double backward


def test_cross_broadcast_and_dim():
    check(lambda T, a, b: T.cross(a, b, dim=1), R.standard_normal((2, 3, 2)),
          R.standard_normal((1, 3, 1)))
    check(lambda T, a, b: T.cross(a, b), R.standard_normal((4, 3)), R.standard_normal((1, 3)))


def test_vdot_kron_cov_weights_logdet_negative():
    check(lambda T, a, b: T.vdot(a, b), R.standard_normal(4), R.standard_normal(4))
    check(lambda T, a, b: T.kron(a, b), R.standard_normal((2, 3)), R.standard_normal((2, 1, 2)))
    fw, aw = np.array([1, 2, 1, 3, 1]), np.array([0.5, 1.0, 2.0, 1.5, 0.7])
    check(lambda T, x: T.cov(x, fweights=T.tensor(fw), aweights=T.tensor(aw)),
          R.standard_normal((3, 5)))
    check(lambda T, x: T.cov(x, correction=0), R.standard_normal(5))
    m = np.array([[1.0, 2.0], [3.0, 1.0]])  # det < 0: nan, as torch
    t, n = torch.logdet(torch.tensor(m)), nnlite.logdet(nnlite.tensor(m))
    assert np.isnan(t.item()) and np.isnan(n.item())


def test_shape_ops_one_node():
    check(lambda T, a, b, c: T.block_diag(a, b, c), R.standard_normal((2, 3)),
          R.standard_normal(2), np.array(1.5))
    mask = np.array([[True], [False], [True]])  # broadcast over x's columns
    check(lambda T, x: T.masked_select(x, T.tensor(mask)), R.standard_normal(4))
    check(lambda T, x: T.take_along_dim(x, T.tensor([[0], [2]]), dim=1),
          R.standard_normal((1, 3)))
    check(lambda T, x: x.unfold(1, 3, 2), R.standard_normal((2, 7)))
    check(lambda T, x: x.unfold(0, 2, 1), R.standard_normal((4, 2)))
    check(lambda T, x: T.diag(x, 1), R.standard_normal((3, 4)))
    check(lambda T, x: T.diag(x, -1), R.standard_normal(3))
    check(lambda T, x: T.combinations(x, 3, with_replacement=True), R.standard_normal(3))
    check(lambda T, x: T.triu(x, 1) + T.tril(x, -1), R.standard_normal((3, 4)))


def test_special_and_decomposition_nodes():
    pos = np.abs(A34) + 1.5
    check(lambda T, x: T.digamma(x), pos)
    check(lambda T, x: T.mvlgamma(x, 3), pos)
    check(lambda T, x: T.sgn(x) * x, A34)
    spd = A34[:, :3].T @ A34[:, :3] + 3 * np.eye(3)
    check(lambda T, x: T.cholesky(x, upper=True), spd)
    check(lambda T, x: T.pinverse(x), R.standard_normal((3, 5)))  # wide: m <= n
    check(lambda T, x: T.pinverse(x), R.standard_normal((5, 3)))  # tall
    check(lambda T, x: T.linalg.pinv(x), R.standard_normal((2, 4, 3)))


def test_mvlgamma_domain_error():
    with pytest.raises(RuntimeError, match="greater than"):
        nnlite.mvlgamma(nnlite.tensor([0.2, 3.0]), 2)


@pytest.mark.parametrize("accumulate", [False, True])
def test_index_put_one_node(accumulate):
    idx = (np.array([0, 2, 0]), np.array([1, 3, 1]))

    def f(T, x, v):
        return x.index_put(tuple(T.tensor(i) for i in idx), v, accumulate=accumulate)

    check(f, A34, R.standard_normal(3))


def test_quantile_graph_keepdim():
    check(lambda T, x: T.quantile(x, T.tensor([0.25, 0.5], dtype=T.float64), dim=0,
                                           keepdim=True), A34)
    check(lambda T, x: T.nanquantile(x, 0.3, keepdim=True), A34)


@pytest.mark.parametrize("key", [
    (slice(1, None), slice(None, None, 2)), (1, slice(1, 3)), (None, slice(1, 2)),
    (slice(1, None), slice(None, None, 2), [0, 2]), ([0, 2], slice(1, None)), (1, 2),
    (slice(None), None, 1), (slice(1, None), slice(0, 4)), (1, slice(None), [0, 2]),
    ([0, 1], 1, [0, 2]), (Ellipsis, 1, [0, 2]), ([0, 1], slice(None), [1, 2]),
    (-1, Ellipsis, None),
], ids=str)
def test_getitem_steps_as_torch(key):
    """A key of several items is one node per step, in torch's order (int -> select first,
    index arrays last), with torch's result shape (``x[1, :, [0, 2]]`` is (4, 2) in torch,
    (2, 4) in numpy)."""
    check(lambda T, x: x[key], R.standard_normal((3, 4, 5)))


def test_norm_matrix_order_names_the_way_out():
    with pytest.raises(RuntimeError, match="matrix_norm"):
        nnlite.ones(2, 2).norm(p="nuc")


def test_cumprod_dtype():
    check(lambda T, x: T.cumprod(x, 0, dtype=T.float64), A34)
