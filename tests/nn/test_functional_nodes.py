"""nn.functional ops with their own nodes, against PyTorch over more arguments than the op table's
one sample each: values, dtypes, grad_fn names (and the node their gradient's graph starts with,
for the linear maps whose double backward is their adjoint's node), first-order gradients, and
gradgradcheck in float64."""

import warnings

import numpy as np
import pytest

import nnlite
import nnlite.nn.functional as NF
from nnlite.autograd import gradgradcheck

torch = pytest.importorskip("torch")
TF = torch.nn.functional


def _names(fn):
    """Every node name reachable from ``fn``, depth first (None for an empty edge)."""
    out, stack = [], [fn]
    while stack:
        f = stack.pop()
        out.append(None if f is None else type(f).__name__)
        if f is not None:
            stack.extend(g for g, _ in f.next_functions)
    return out


def _compare(call, arrs, kwargs=(), double_node=False, tol64=1e-10):
    """``call(F, *tensors, **kw)`` in both, float64 and float32."""
    rng = np.random.default_rng(1)
    for dt, tol in ((np.float64, tol64), (np.float32, 1e-5)):
        xs = [a.astype(dt) for a in arrs]
        tx = [torch.tensor(a, requires_grad=True) for a in xs]
        nx = [nnlite.tensor(a, requires_grad=True) for a in xs]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ty = call(TF, torch, *tx)
        ny = call(NF, nnlite, *nx)
        assert str(ny.dtype) == str(ty.dtype)
        np.testing.assert_allclose(ny.detach().numpy(), ty.detach().numpy(), rtol=tol, atol=tol)
        assert type(ny.grad_fn).__name__ == type(ty.grad_fn).__name__
        g = rng.standard_normal(tuple(ty.shape)).astype(dt)
        tg = torch.autograd.grad(ty, tx, torch.tensor(g, requires_grad=True), create_graph=True)
        ng = nnlite.autograd.grad(ny, nx, nnlite.tensor(g, requires_grad=True),
                                  create_graph=True)
        for a, b in zip(tg, ng):
            np.testing.assert_allclose(b.detach().numpy(), a.detach().numpy(), rtol=10 * tol,
                                       atol=10 * tol)
        if double_node:
            assert type(ng[0].grad_fn).__name__ == type(tg[0].grad_fn).__name__
    n64 = [nnlite.tensor(a.astype(np.float64), requires_grad=True) for a in arrs]
    assert gradgradcheck(lambda *ts: call(NF, nnlite, *ts), n64, eps=1e-6, atol=1e-4)


R = np.random.default_rng(0)


@pytest.mark.parametrize("shape, kw", [
    ((1, 2, 5), {"scale_factor": 2, "mode": "linear"}),
    ((1, 2, 5), {"size": 3, "mode": "linear", "align_corners": True}),
    ((2, 2, 3, 4), {"scale_factor": (1.5, 2.3), "mode": "bilinear"}),
    ((2, 1, 3, 4), {"size": (5, 7), "mode": "bilinear", "align_corners": True}),
    ((1, 2, 2, 3, 2), {"scale_factor": 2, "mode": "trilinear"}),
    ((1, 1, 2, 3), {"size": (4, 5)}),
    ((1, 1, 5, 7), {"size": (3, 4), "mode": "nearest-exact"}),
    ((1, 2, 6), {"scale_factor": 0.5}),
    ((1, 2, 3, 2, 2), {"scale_factor": (2, 1, 3)}),
])
def test_interpolate(shape, kw):
    _compare(lambda F, T, x: F.interpolate(x, **kw), [R.standard_normal(shape)],
             double_node=True)


@pytest.mark.parametrize("shape, pad, mode", [
    ((1, 2, 4), (2, 1), "reflect"), ((2, 3, 4, 5), (1, 2, 3, 1), "reflect"),
    ((2, 1, 4, 5), (1, 2, 3, 1), "replicate"), ((1, 2, 3), (2, 3), "replicate"),
    ((1, 1, 3, 4, 5), (1, 1, 2, 2, 1, 0), "replicate"),
])
def test_pad_modes(shape, pad, mode):
    _compare(lambda F, T, x: F.pad(x, pad, mode=mode), [R.standard_normal(shape)],
             double_node=True)


@pytest.mark.parametrize("p", [2.0, 1.0, 3.0, float("inf"), 0.5])
def test_pdist_and_pairwise_distance(p):
    a, b = R.standard_normal((5, 4)), R.standard_normal((5, 4))
    _compare(lambda F, T, x: F.pdist(x, p=p), [a])
    _compare(lambda F, T, x, y: F.pairwise_distance(x, y, p=p), [a, b])


def test_cosine_similarity_broadcast_and_dim():
    _compare(lambda F, T, x, y: F.cosine_similarity(x, y, dim=1),
             [R.standard_normal((1, 4)), R.standard_normal((5, 4))])
    _compare(lambda F, T, x, y: F.cosine_similarity(x, y, dim=0),
             [R.standard_normal((3, 2, 4)), R.standard_normal((3, 2, 4))])


@pytest.mark.parametrize("p", [1, 2])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("weighted", [False, True])
def test_multi_margin_loss(p, reduction, weighted):
    t, w = R.integers(0, 5, 4), R.uniform(0.5, 2, 5)

    def call(F, T, x):
        wt = T.tensor(w, dtype=x.dtype) if weighted else None
        return F.multi_margin_loss(x, T.tensor(t), p=p, margin=0.7, weight=wt,
                                   reduction=reduction)

    _compare(call, [R.standard_normal((4, 5))])


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("weighted", [False, True])
def test_label_smoothed_cross_entropy_ignore_index(reduction, weighted):
    t, w = np.array([1, -100, 3, 0]), R.uniform(0.5, 2, 5)

    def call(F, T, x):
        wt = T.tensor(w, dtype=x.dtype) if weighted else None
        return F.cross_entropy(x, T.tensor(t), weight=wt, reduction=reduction,
                               label_smoothing=0.2)

    _compare(call, [R.standard_normal((4, 5))])


@pytest.mark.parametrize("shape, groups", [((2, 4, 3), 2), ((3, 6, 2, 2), 3), ((2, 4), 2)])
def test_group_norm(shape, groups):
    _compare(lambda F, T, x, w, b: F.group_norm(x, groups, w, b),
             [R.standard_normal(shape), R.standard_normal(shape[1]),
              R.standard_normal(shape[1])], tol64=1e-9)
    _compare(lambda F, T, x: F.group_norm(x, groups), [R.standard_normal(shape)], tol64=1e-9)


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
@pytest.mark.parametrize("padding_idx", [None, 4])
def test_embedding_bag(mode, padding_idx):
    idx, off = np.array([1, 2, 4, 5, 4, 3, 2, 0]), np.array([0, 3, 3, 6])

    def call(F, T, w):
        return F.embedding_bag(T.tensor(idx), w, T.tensor(off), mode=mode,
                               padding_idx=padding_idx)

    _compare(call, [R.standard_normal((6, 3))])
    if mode == "sum":
        _compare(lambda F, T, w, psw: F.embedding_bag(
            T.tensor(idx), w, T.tensor(off), mode="sum", padding_idx=padding_idx,
            per_sample_weights=psw), [R.standard_normal((6, 3)), R.standard_normal(8)])


@pytest.mark.parametrize("shapes, kw", [
    ([(1, 2, 3, 4)] * 3, {"is_causal": True}),
    ([(2, 2, 3, 4), (2, 2, 5, 4), (2, 2, 5, 4)], {}),
    ([(1, 2, 3, 4)] * 3, {"mask": True, "scale": 0.7}),
    ([(2, 3, 4)] * 3, {}),
    ([(1, 2, 3, 4), (1, 2, 5, 4), (1, 2, 5, 6)], {}),
])
def test_scaled_dot_product_attention(shapes, kw):
    kw = dict(kw)
    mask = np.tril(np.ones((3, 3), bool)) | (R.random((3, 3)) > 0.5) if kw.pop("mask", 0) \
        else None

    def call(F, T, q, k, v):
        m = None if mask is None else T.tensor(mask)
        return F.scaled_dot_product_attention(q, k, v, attn_mask=m, **kw)

    _compare(call, [R.standard_normal(s) for s in shapes])


@pytest.mark.parametrize("shapes", [[(2, 3), (3, 4)], [(2, 3), (3, 4), (4, 2)],
                                    [(5, 2), (2, 6), (6, 3), (3, 1)],
                                    [(10, 30), (30, 5), (5, 20)]])
def test_chain_matmul_whole_graph(shapes):
    arrs = [R.standard_normal(s) for s in shapes]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ty = torch.chain_matmul(*[torch.tensor(a, requires_grad=True) for a in arrs])
    ny = nnlite.chain_matmul(*[nnlite.tensor(a, requires_grad=True) for a in arrs])
    np.testing.assert_allclose(ny.detach().numpy(), ty.detach().numpy(), rtol=1e-12)
    assert _names(ny.grad_fn) == _names(ty.grad_fn)


def test_graph_walk_helper_sees_a_different_graph():
    """The whole-graph comparison above can fail: a different order of products differs."""
    a, b, c = (nnlite.tensor(R.standard_normal(s), requires_grad=True)
               for s in ((2, 3), (3, 4), (4, 2)))
    assert _names(nnlite.mm(nnlite.mm(a, b), c).grad_fn) != _names(
        nnlite.mm(a, nnlite.mm(b, c)).view(2, 2).grad_fn)
