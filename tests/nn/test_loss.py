"""Losses against closed forms, finite differences (float64) and PyTorch."""

import math

import numpy as np
import pytest

import nnlite as nl
from nnlite import nn
from nnlite.autograd import gradcheck, gradgradcheck
from nnlite.nn import functional as F

TOL = {"rtol": 1e-6, "atol": 1e-6}


def rnd(*shape, seed=0, scale=1.0, requires_grad=True):
    arr = np.random.default_rng(seed).standard_normal(shape) * scale
    return nl.tensor(arr, dtype=nl.float64, requires_grad=requires_grad)


def to_torch(t):
    torch = pytest.importorskip("torch")
    out = torch.from_numpy(np.array(t.detach().numpy(), copy=True))
    if t.requires_grad:
        out.requires_grad_(True)
    return out


def close(a, b):
    np.testing.assert_allclose(np.asarray(a.detach().numpy(), np.float64),
                               np.asarray(b.detach().numpy(), np.float64), **TOL)


def both(fn_ours, fn_theirs, inputs, kwargs_ours=None, kwargs_theirs=None, grad_of=(0,)):
    """Forward and backward of a loss in nnlite and torch on the same inputs."""
    ours_in = list(inputs)
    theirs_in = [to_torch(t) if isinstance(t, nl.Tensor) else t for t in inputs]
    lo = fn_ours(*ours_in, **(kwargs_ours or {}))
    lt = fn_theirs(*theirs_in, **(kwargs_theirs or kwargs_ours or {}))
    close(lo, lt)
    g = rnd(*lo.shape, seed=5, requires_grad=False)
    lo.backward(g)
    lt.backward(to_torch(g))
    for i in grad_of:
        close(ours_in[i].grad, theirs_in[i].grad)
    return lo


CE_CASES = [
    {},
    {"reduction": "sum"},
    {"reduction": "none"},
    {"label_smoothing": 0.2},
    {"ignore_index": 1},
    {"weight": True},
    {"weight": True, "label_smoothing": 0.1},
    {"weight": True, "ignore_index": 2, "label_smoothing": 0.3},
    {"weight": True, "ignore_index": 2, "reduction": "none"},
]


def _ce_kwargs(case, torch=None):
    kw = dict(case)
    if kw.pop("weight", False):
        w = nl.tensor([0.5, 2.0, 1.0, 3.0], dtype=nl.float64)
        kw["weight"] = to_torch(w) if torch else w
    return kw


@pytest.mark.parametrize("case", CE_CASES)
@pytest.mark.parametrize("shape", [(5, 4), (3, 4, 2)])
def test_cross_entropy_indices_matches_torch(case, shape):
    torch = pytest.importorskip("torch")
    x = rnd(*shape, scale=2.0)
    tshape = (shape[0],) + shape[2:]
    t = nl.tensor(np.random.default_rng(1).integers(0, 4, tshape))
    t.view(-1)[0] = 1  # make sure ignore_index=1 hits a row
    both(F.cross_entropy, torch.nn.functional.cross_entropy, [x, t],
         _ce_kwargs(case), _ce_kwargs(case, torch))


def test_cross_entropy_probabilities_matches_torch():
    torch = pytest.importorskip("torch")
    x = rnd(5, 4)
    p = nl.tensor(np.random.default_rng(2).dirichlet(np.ones(4), 5), dtype=nl.float64)
    for case in ({}, {"label_smoothing": 0.1}, {"weight": True}, {"reduction": "none"},
                 {"reduction": "sum", "weight": True}):
        x.grad = None
        both(F.cross_entropy, torch.nn.functional.cross_entropy, [x, p],
             _ce_kwargs(case), _ce_kwargs(case, torch))


def test_cross_entropy_1d_input_and_module():
    torch = pytest.importorskip("torch")
    x = rnd(4)
    both(F.cross_entropy, torch.nn.functional.cross_entropy, [x, nl.tensor(2)])
    w = nl.tensor([1.0, 2.0, 3.0, 4.0], dtype=nl.float64)
    m = nn.CrossEntropyLoss(weight=w, label_smoothing=0.1)
    assert list(m.state_dict()) == ["weight"]
    x2, t2 = rnd(3, 4), nl.tensor([0, 3, 1])
    mt = torch.nn.CrossEntropyLoss(weight=to_torch(w), label_smoothing=0.1)
    close(m(x2, t2), mt(to_torch(x2), to_torch(t2)))


def test_cross_entropy_closed_form_and_stable_for_huge_logits():
    x = nl.tensor([[1e4, 0.0, -1e4], [0.0, 0.0, 0.0]], requires_grad=True)
    t = nl.tensor([1, 2])
    loss = F.cross_entropy(x, t, reduction="none")
    np.testing.assert_allclose(loss.detach().numpy(), [1e4, math.log(3)], rtol=1e-6)
    F.cross_entropy(x, t).backward()
    g = x.grad.numpy()
    assert np.isfinite(g).all()
    np.testing.assert_allclose(g, [[0.5, -0.5, 0.0], [1 / 6, 1 / 6, -1 / 3]], atol=1e-6)
    # all rows ignored: mean is 0/0 = nan, as in PyTorch
    assert math.isnan(F.cross_entropy(x, nl.tensor([-100, -100])).item())


def test_cross_entropy_float32_fused_path():
    x = nl.randn(8, 5, requires_grad=True)
    t = nl.randint(0, 5, (8,))
    loss = F.cross_entropy(x, t)
    assert loss.dtype == nl.float32 and loss.grad_fn.name() == "NllLossBackward0"
    ref = -(F.log_softmax(x.double(), 1).gather(1, t.view(-1, 1))).mean()
    assert abs(loss.item() - ref.item()) < 1e-5
    loss.backward()
    assert x.grad.dtype == nl.float32


@pytest.mark.parametrize("kw", [{}, {"label_smoothing": 0.2, "ignore_index": 0},
                                {"weight": True, "reduction": "sum"},
                                {"weight": True, "reduction": "none", "label_smoothing": 0.1}])
def test_cross_entropy_gradgradcheck(kw):
    kw = _ce_kwargs(kw)
    t = nl.tensor([0, 2, 1])
    fn = lambda x: F.cross_entropy(x, t, **kw)
    x = rnd(3, 4)
    assert gradcheck(fn, (x,))
    assert gradgradcheck(fn, (x,))
    t3 = nl.tensor([[0, 2], [1, 3]])
    assert gradgradcheck(lambda x: F.cross_entropy(x, t3, **kw), (rnd(2, 4, 2),))


def test_cross_entropy_errors():
    torch = pytest.importorskip("torch")
    x = nl.randn(3, 4)
    with pytest.raises(IndexError, match="Target 7 is out of bounds."):
        F.cross_entropy(x, nl.tensor([0, 7, 1]))
    with pytest.raises(ValueError) as ours:
        F.cross_entropy(x, nl.tensor([0, 1]))
    with pytest.raises(ValueError) as theirs:
        torch.nn.functional.cross_entropy(torch.randn(3, 4), torch.tensor([0, 1]))
    assert str(ours.value) == str(theirs.value)
    with pytest.raises(ValueError, match="mean2 is not a valid value for reduction"):
        F.cross_entropy(x, nl.tensor([0, 1, 2]), reduction="mean2")
    for bad in ([0.0, 1.0, 2.0], [True, False, True]):  # class indices must be Long or Byte
        with pytest.raises(RuntimeError) as ours:
            F.cross_entropy(x, nl.tensor(bad))
        with pytest.raises(RuntimeError) as theirs:
            torch.nn.functional.cross_entropy(torch.randn(3, 4), torch.tensor(bad))
        assert str(ours.value) == str(theirs.value)
    for dt in ("int32", "int16"):
        with pytest.raises(RuntimeError) as ours:
            F.nll_loss(x, nl.tensor([0, 1, 2], dtype=getattr(nl, dt)))
        with pytest.raises(RuntimeError) as theirs:
            torch.nn.functional.nll_loss(torch.randn(3, 4), torch.tensor([0, 1, 2],
                                                                      dtype=getattr(torch, dt)))
        assert str(ours.value) == str(theirs.value)
    with pytest.raises(ValueError, match="label_smoothing must be between 0.0 and 1.0"):
        F.cross_entropy(x, nl.tensor([0, 1, 2]), label_smoothing=1.5)


@pytest.mark.parametrize("kw", [{}, {"reduction": "sum"}, {"reduction": "none"},
                                {"weight": True, "ignore_index": 1}])
def test_nll_loss_matches_torch(kw):
    torch = pytest.importorskip("torch")
    x = F.log_softmax(rnd(5, 4), 1).detach().requires_grad_(True)
    t = nl.tensor([0, 1, 3, 1, 2])
    both(F.nll_loss, torch.nn.functional.nll_loss, [x, t], _ce_kwargs(kw),
         _ce_kwargs(kw, torch))
    assert gradgradcheck(lambda x: F.nll_loss(x, t, **_ce_kwargs(kw)), (rnd(5, 4),))


@pytest.mark.parametrize("fn", ["nll_loss", "cross_entropy"])
@pytest.mark.parametrize("target,weight", [([1, 1], None), ([1, 0], [0.0, 2.0, 1.0])])
def test_mean_loss_over_zero_total_weight_is_nan_with_torch_grads(fn, target, weight):
    # every row ignored (or of zero weight): the mean is 0/0 = nan; torch still gives ignored
    # rows a zero gradient (a shuffled batch of ignored labels must not poison the weights)
    torch = pytest.importorskip("torch")
    out = []
    for T in (torch, nl):
        x = T.tensor([[0.5, -1.0, 2.0], [0.1, 0.2, 0.3]], requires_grad=True)
        inp = x.log_softmax(1) if fn == "nll_loss" else x
        w = None if weight is None else T.tensor(weight)
        loss = getattr(T.nn.functional, fn)(inp, T.tensor(target), weight=w, ignore_index=1)
        loss.backward()
        out.append((loss.item(), x.grad.numpy().copy()))
    assert math.isnan(out[1][0]) and math.isnan(out[0][0])
    np.testing.assert_array_equal(out[1][1], out[0][1])


@pytest.mark.parametrize("pos_weight", [None, [3.0, 0.5]])
def test_bce_with_logits_gradient_at_zero_logit(pos_weight):
    # a zero logit (zero-initialised head, dead ReLU inputs) is common: the gradient there is
    # sigmoid(0) - y (times weights), not what a |x| / clamp composite's subgradients give
    torch = pytest.importorskip("torch")
    out = []
    for T in (torch, nl):
        x = T.tensor([[0.0, 0.0], [0.5, -1.0], [-30.0, 40.0]], dtype=T.float64,
                     requires_grad=True)
        pw = None if pos_weight is None else T.tensor(pos_weight, dtype=T.float64)
        loss = T.nn.functional.binary_cross_entropy_with_logits(
            x, T.tensor([[0.0, 1.0], [0.0, 0.0], [1.0, 0.0]], dtype=T.float64),
            weight=T.tensor([1.0, 2.0], dtype=T.float64), pos_weight=pw, reduction="sum")
        loss.backward()
        out.append((loss.item(), x.grad.numpy().copy()))
    assert out[1][0] == pytest.approx(out[0][0], rel=1e-12)
    np.testing.assert_allclose(out[1][1], out[0][1], rtol=1e-12, atol=1e-15)
    x = nl.tensor([0.0, 0.7, -2.0], dtype=nl.float64, requires_grad=True)
    assert gradgradcheck(lambda x: F.logsigmoid(x), (x,))


REGRESSION = [
    ("mse_loss", {}), ("mse_loss", {"reduction": "sum"}), ("l1_loss", {}),
    ("l1_loss", {"reduction": "none"}), ("smooth_l1_loss", {}),
    ("smooth_l1_loss", {"beta": 0.5}), ("huber_loss", {}), ("huber_loss", {"delta": 0.3}),
]


@pytest.mark.parametrize("name,kw", REGRESSION)
def test_regression_losses_match_torch(name, kw):
    torch = pytest.importorskip("torch")
    x, y = rnd(4, 3), rnd(4, 3, seed=1, requires_grad=False)
    both(getattr(F, name), getattr(torch.nn.functional, name), [x, y], kw)
    assert gradcheck(lambda x: getattr(F, name)(x, y, **kw), (x.detach().requires_grad_(),))


def test_regression_loss_modules_and_closed_forms():
    x = nl.tensor([1.0, 2.0, 4.0])
    y = nl.tensor([1.0, 0.0, 0.0])
    assert nn.MSELoss()(x, y).item() == pytest.approx((0 + 4 + 16) / 3)
    assert nn.L1Loss(reduction="sum")(x, y).item() == pytest.approx(6.0)
    assert nn.SmoothL1Loss()(x, y).item() == pytest.approx((0 + 1.5 + 3.5) / 3)
    assert nn.HuberLoss(delta=2.0)(x, y).item() == pytest.approx((0 + 2 + 2 * 3) / 3)
    with pytest.warns(UserWarning, match="Using a target size"):
        F.mse_loss(nl.randn(3, 1), nl.randn(3))


@pytest.mark.parametrize("kw", [{}, {"weight": True}, {"reduction": "none"},
                                {"reduction": "sum"}])
def test_bce_matches_torch(kw):
    torch = pytest.importorskip("torch")
    p = rnd(4, 3).sigmoid().detach().requires_grad_(True)
    y = nl.tensor(np.random.default_rng(3).integers(0, 2, (4, 3)), dtype=nl.float64)
    kw_o, kw_t = dict(kw), dict(kw)
    if kw.get("weight"):
        kw_o["weight"] = rnd(3, seed=9, requires_grad=False).abs()
        kw_t["weight"] = to_torch(kw_o["weight"])
    both(F.binary_cross_entropy, torch.nn.functional.binary_cross_entropy, [p, y], kw_o, kw_t)


@pytest.mark.parametrize("kw", [{}, {"pos_weight": True}, {"weight": True},
                                {"pos_weight": True, "reduction": "none"}])
def test_bce_with_logits_matches_torch_and_is_stable(kw):
    torch = pytest.importorskip("torch")
    x = rnd(4, 3, scale=3.0)
    with nl.no_grad():
        x[0, 0], x[0, 1] = 1e4, -1e4
    y = nl.tensor(np.random.default_rng(3).integers(0, 2, (4, 3)), dtype=nl.float64)
    kw_o, kw_t = dict(kw), dict(kw)
    for k in ("weight", "pos_weight"):
        if kw.get(k):
            kw_o[k] = rnd(3, seed=11, requires_grad=False).abs() + 0.5
            kw_t[k] = to_torch(kw_o[k])
    lo = both(F.binary_cross_entropy_with_logits,
              torch.nn.functional.binary_cross_entropy_with_logits, [x, y], kw_o, kw_t)
    assert np.isfinite(lo.detach().numpy()).all() and np.isfinite(x.grad.numpy()).all()
    xs = rnd(3, 3, seed=4)
    assert gradgradcheck(lambda x: F.binary_cross_entropy_with_logits(
        x, y[:3], **{k: v for k, v in kw_o.items()}), (xs,))


def test_bce_errors_and_modules():
    with pytest.raises(ValueError, match="Using a target size .* is deprecated"):
        F.binary_cross_entropy(nl.rand(3, 1), nl.rand(3))
    with pytest.raises(ValueError, match=r"Target size \(torch.Size\(\[3\]\)\) must be the same"):
        F.binary_cross_entropy_with_logits(nl.rand(3, 1), nl.rand(3))
    with pytest.raises(RuntimeError, match="all elements of input should be between 0 and 1"):
        F.binary_cross_entropy(nl.tensor([1.5]), nl.tensor([1.0]))
    assert nn.BCELoss()(nl.tensor([0.0, 1.0]), nl.tensor([1.0, 1.0])).item() == pytest.approx(50)
    m = nn.BCEWithLogitsLoss(pos_weight=nl.tensor([2.0]))
    assert list(m.state_dict()) == ["pos_weight"]
    assert m(nl.tensor([0.0]), nl.tensor([1.0])).item() == pytest.approx(2 * math.log(2))


def test_nll_loss_grad_fn_name_as_torch():
    import nnlite as nl

    lp = nl.randn(4, 3).log_softmax(1).requires_grad_()
    y = nl.tensor([0, 1, 2, 1])
    for red in ("mean", "sum", "none"):
        assert nl.nn.functional.nll_loss(lp, y, reduction=red).grad_fn.name() == "NllLossBackward0"
