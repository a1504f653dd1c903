"""MultiLabelMarginLoss / F.multilabel_margin_loss and TripletMarginWithDistanceLoss /
F.triplet_margin_with_distance_loss against PyTorch: float32 bits, gradients, errors, module
attributes, repr and state_dict keys."""

import numpy as np
import pytest

import nnlite

torch = pytest.importorskip("torch")


def _targets(rng, n, c):
    t = rng.integers(-1, c, (n, c))
    t[rng.random(n) < 0.2, 0] = -1  # some rows with no target at all
    return t


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_multilabel_margin_values_and_grads_equal_torchs(reduction, dtype):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((40, 7)).astype(dtype)
    t = _targets(rng, 40, 7)
    res = []
    for T in (torch, nnlite):
        xt = T.tensor(x, requires_grad=True)
        loss = T.nn.MultiLabelMarginLoss(reduction=reduction)(xt, T.tensor(t))
        (loss * T.arange(loss.numel(), dtype=loss.dtype).reshape(loss.shape)
         if reduction == "none" else loss).sum().backward()
        res.append((loss.detach().numpy(), xt.grad.numpy(), type(loss.grad_fn).__name__))
    np.testing.assert_array_equal(res[1][0], res[0][0])  # torch's bits
    np.testing.assert_allclose(res[1][1], res[0][1], rtol=1e-6, atol=1e-7)
    assert res[1][2] == res[0][2] == "MultilabelMarginLossBackward0"


def test_multilabel_margin_unbatched_scalar_and_legacy_args():
    for args in [((4,), [3, 0, -1, 1]), ((), 0), ((1,), 0)]:
        x = np.random.default_rng(1).standard_normal(args[0])
        outs = [T.nn.functional.multilabel_margin_loss(T.tensor(x), T.tensor(args[1]),
                                                       reduction="none") for T in (torch, nnlite)]
        assert tuple(outs[0].shape) == tuple(outs[1].shape)
        np.testing.assert_array_equal(outs[1].numpy(), outs[0].numpy())
    x = np.random.default_rng(2).standard_normal((3, 4))
    t = np.array([[1, -1, 0, 0], [2, 3, -1, 1], [0, 1, 2, 3]])
    outs = [T.nn.functional.multilabel_margin_loss(T.tensor(x), T.tensor(t), size_average=False)
            for T in (torch, nnlite)]
    np.testing.assert_array_equal(outs[1].numpy(), outs[0].numpy())


def test_multilabel_margin_create_graph_gradient_as_torchs():
    x = np.random.default_rng(3).standard_normal((3, 5))
    t = np.array([[1, 4, -1, 0, 0], [2, -1, 0, 0, 0], [0, 1, 2, 3, -1]])
    res = []
    for T in (torch, nnlite):
        xt = T.tensor(x, requires_grad=True)
        (g,) = T.autograd.grad(T.nn.functional.multilabel_margin_loss(xt, T.tensor(t)), xt,
                               create_graph=True)
        res.append(g.detach().numpy())
    np.testing.assert_allclose(res[1], res[0], rtol=1e-12)
    assert np.abs(res[0]).sum() > 0


def _mlm_errors(T):
    F = T.nn.functional
    x = T.randn(3, 4)
    y = T.tensor([[3, 0, -1, 1], [0, 1, 2, 3], [-1, 0, 0, 0]])
    calls = [lambda: F.multilabel_margin_loss(x, y[:2]),
             lambda: F.multilabel_margin_loss(x, y.float()),
             lambda: F.multilabel_margin_loss(x, y.int()),
             lambda: F.multilabel_margin_loss(x, y + 2),
             lambda: F.multilabel_margin_loss(x, y - 1),
             lambda: F.multilabel_margin_loss(x.unsqueeze(0), y.unsqueeze(0)),
             lambda: F.multilabel_margin_loss(x, y, reduction="bad"),
             lambda: F.multilabel_margin_loss(x[:, :0], y[:, :0]),
             lambda: F.multilabel_margin_loss(x[0], y[:1])]
    out = []
    for c in calls:
        try:
            c()
            out.append(None)
        except Exception as e:  # noqa: BLE001 - type and message are compared with torch's
            out.append((type(e).__name__, str(e)))
    return out


def test_multilabel_margin_errors_as_torchs():
    mine, theirs = _mlm_errors(nnlite), _mlm_errors(torch)
    assert all(m is not None for m in mine)
    assert mine == theirs


def _triplet_case(T, fn_kind, swap, reduction, seed=0):
    rng = np.random.default_rng(seed)
    a, p, n = (T.tensor(rng.standard_normal((6, 5)).astype(np.float32), requires_grad=True)
               for _ in range(3))
    if fn_kind == "default":
        dist = None
    elif fn_kind == "cosine":
        def dist(u, v):
            return 1.0 - T.nn.functional.cosine_similarity(u, v)
    else:
        dist = T.nn.PairwiseDistance(p=1.0)
    loss = T.nn.TripletMarginWithDistanceLoss(distance_function=dist, margin=1.5, swap=swap,
                                              reduction=reduction)
    out = loss(a, p, n)
    out.sum().backward()
    return out.detach().numpy(), [t.grad.numpy() for t in (a, p, n)], type(out.grad_fn).__name__


@pytest.mark.parametrize("fn_kind", ["default", "cosine", "module"])
@pytest.mark.parametrize("swap", [False, True])
@pytest.mark.parametrize("reduction", ["mean", "none"])
def test_triplet_with_distance_equals_torch(fn_kind, swap, reduction):
    (tv, tg, tn), (nv, ng, nn_) = (_triplet_case(T, fn_kind, swap, reduction)
                                   for T in (torch, nnlite))
    np.testing.assert_allclose(nv, tv, rtol=1e-6, atol=1e-6)
    for a, b in zip(ng, tg):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    assert nn_ == tn


def _triplet_errors(T):
    F = T.nn.functional
    a, b, c = T.randn(2, 3), T.randn(2, 3), T.randn(2, 3)
    calls = [lambda: T.nn.TripletMarginWithDistanceLoss(margin=0.0),
             lambda: F.triplet_margin_with_distance_loss(a, b, c, margin=-1.0),
             lambda: F.triplet_margin_with_distance_loss(a, T.randn(3), c),
             lambda: F.triplet_margin_with_distance_loss(a, b, c, reduction="avg"),
             lambda: F.triplet_margin_with_distance_loss(a, b, c, 1.0)]
    errs = []
    for call in calls:
        try:
            call()
            errs.append(None)
        except Exception as e:  # noqa: BLE001 - type and message are compared
            errs.append((type(e).__name__, str(e)))
    return errs


def test_triplet_with_distance_module_layout_and_errors():
    outs = []
    for T in (torch, nnlite):
        m = T.nn.TripletMarginWithDistanceLoss(distance_function=T.nn.Bilinear(2, 2, 1))
        outs.append([repr(T.nn.TripletMarginWithDistanceLoss()), list(m.state_dict()),
                     m.swap, m.reduction, m.margin, _triplet_errors(T)])
    assert outs[1][-1][-1][0] == "TypeError"  # the keyword-only arguments
    outs[0][-1][-1] = outs[1][-1][-1] = None  # (the TypeError's wording is Python's)
    assert all(e is not None for e in outs[1][-1][:-1])
    assert outs[0] == outs[1]
