"""Layers, losses, containers and Module hooks added after the first release, against PyTorch."""

import numpy as np
import pytest

import nnlite
from nnlite.autograd import gradcheck, gradgradcheck

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(7)


def rnd(*shape):
    return RNG.standard_normal(shape)


def both(fn, *arrays, grad=True, rtol=1e-7, atol=1e-9):
    """``fn(T, *tensors)`` in nnlite and torch: same values and input gradients."""
    res = []
    for T in (nnlite, torch):
        xs = [T.tensor(a, requires_grad=grad and a.dtype.kind == "f") for a in arrays]
        y = fn(T, *xs)
        gs = []
        if grad and y.requires_grad:
            leaves = [x for x in xs if x.requires_grad]
            gs = T.autograd.grad((y * T.tensor(np.linspace(0.5, 1.5, y.numel()))
                                  .reshape(y.shape)).sum(), leaves, allow_unused=True)
        res.append((y, gs))
    (ny, ng), (ty, tg) = res
    assert tuple(ny.shape) == tuple(ty.shape) and str(ny.dtype) == str(ty.dtype)
    np.testing.assert_allclose(ny.detach().numpy(), ty.detach().numpy(), rtol=rtol, atol=atol)
    for a, b in zip(ng, tg):
        if a is None or b is None:
            if a is not None or b is not None:
                assert not np.any((b if a is None else a).numpy())
            continue
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-6, atol=1e-9)


# ---- activations ----------------------------------------------------------------------------


@pytest.mark.parametrize("make", [
    lambda nn: nn.Threshold(0.1, 20.0), lambda nn: nn.Hardshrink(), lambda nn: nn.Hardshrink(1.2),
    lambda nn: nn.Softshrink(), lambda nn: nn.Softshrink(0.3), lambda nn: nn.Tanhshrink(),
    lambda nn: nn.LogSigmoid(), lambda nn: nn.Softmax2d(),
])
def test_activation_modules(make):
    both(lambda T, x: make(T.nn)(x), rnd(2, 3, 4, 2))
    assert repr(make(nnlite.nn)) == repr(make(torch.nn))


def test_functional_activations_and_errors():
    x = rnd(3, 5)
    both(lambda T, a: T.nn.functional.threshold(a, -0.2, 1.5), x)
    both(lambda T, a: T.nn.functional.hardshrink(a, 0.4), x)
    both(lambda T, a: T.nn.functional.softshrink(a, 0.4), x)
    with pytest.raises(RuntimeError):
        nnlite.nn.functional.softshrink(nnlite.ones(2), -1.0)
    with pytest.raises(ValueError):
        nnlite.nn.Softmax2d()(nnlite.ones(2, 2))
    t = nnlite.tensor([-1.0, 0.5, 2.0])
    assert nnlite.nn.functional.threshold_(t, 0.6, 0.0) is t and t.tolist() == [0.0, 0.0, 2.0]
    assert repr(nnlite.nn.Threshold(0.1, 2, inplace=True)) == repr(
        torch.nn.Threshold(0.1, 2, inplace=True))
    v = nnlite.tensor([-1.0, 0.2, 0.7, -0.6], dtype=nnlite.float64, requires_grad=True)
    for f in (nnlite.nn.functional.hardshrink, nnlite.nn.functional.softshrink):
        assert gradcheck(f, [v]) and gradgradcheck(f, [v])


# ---- layers ---------------------------------------------------------------------------------


def test_bilinear_init_forward_backward_and_repr():
    res = []
    for T in (nnlite, torch):
        T.manual_seed(3)
        m = T.nn.Bilinear(3, 4, 2)
        x1, x2 = T.tensor(rnd(5, 3) if T is nnlite else res[0][4]), None
        x2 = T.tensor(rnd(5, 4) if T is nnlite else res[0][5])
        y = m(x1.float(), x2.float())
        y.sum().backward()
        res.append([m.weight.detach().numpy().copy(), m.bias.detach().numpy().copy(),
                    y.detach().numpy(), m.weight.grad.numpy(), x1.numpy(), x2.numpy(), repr(m)])
    for a, b in zip(res[0][:4], res[1][:4]):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    assert res[0][6] == res[1][6]
    both(lambda T, a, b, w: T.nn.functional.bilinear(a, b, w), rnd(2, 3, 2), rnd(2, 3, 4),
         rnd(5, 2, 4))
    m = nnlite.nn.Bilinear(2, 2, 1, bias=False)
    assert m.bias is None and [n for n, _ in m.named_parameters()] == ["weight"]


@pytest.mark.parametrize("name,shape", [("Dropout1d", (4, 6, 5)), ("Dropout1d", (6, 5)),
                                        ("Dropout2d", (3, 8, 2, 2)), ("Dropout3d", (2, 4, 2, 2, 2)),
                                        ("Dropout3d", (4, 2, 2, 2))])
def test_channel_dropout_same_masks_as_torch(name, shape):
    x = np.abs(rnd(*shape)).astype(np.float32) + 0.1
    outs = []
    for T in (nnlite, torch):
        T.manual_seed(11)
        m = getattr(T.nn, name)(p=0.4)
        y = m(T.tensor(x))
        m.eval()
        assert np.array_equal(m(T.tensor(x)).numpy(), x)
        outs.append(y.numpy())
    np.testing.assert_allclose(outs[0], outs[1], rtol=1e-6)
    assert repr(getattr(nnlite.nn, name)(0.2)) == repr(getattr(torch.nn, name)(0.2))


def test_dropout2d_3d_input_warns_and_p_one():
    with pytest.warns(UserWarning):
        nnlite.nn.functional.dropout2d(nnlite.ones(2, 3, 4))
    y = nnlite.nn.functional.dropout2d(nnlite.ones(2, 3, 4, 4), p=1.0)
    assert not y.numpy().any()
    with pytest.raises(ValueError):
        nnlite.nn.Dropout2d(p=1.5)


def test_pdist():
    both(lambda T, a: T.nn.functional.pdist(a), rnd(5, 3))
    both(lambda T, a: T.nn.functional.pdist(a, p=1), rnd(4, 2))


# ---- losses ---------------------------------------------------------------------------------


REDUCTIONS = ["mean", "sum", "none"]


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_margin_hinge_softmargin_losses(reduction):
    y = np.sign(rnd(6)).astype(np.float64)
    both(lambda T, a, b, t: T.nn.MarginRankingLoss(margin=0.3, reduction=reduction)(a, b, t),
         rnd(6), rnd(6), y)
    both(lambda T, a, t: T.nn.HingeEmbeddingLoss(margin=0.7, reduction=reduction)(a, t),
         rnd(2, 3), y.reshape(2, 3))
    both(lambda T, a: T.nn.SoftMarginLoss(reduction=reduction)(a, T.tensor(y.reshape(2, 3))),
         rnd(2, 3))
    with pytest.raises(RuntimeError, match="not differentiable with respect to argument"):
        nnlite.nn.functional.soft_margin_loss(nnlite.ones(2), nnlite.ones(2, requires_grad=True))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_embedding_and_multilabel_losses(reduction):
    y = np.array([1.0, -1.0, 1.0, -1.0])
    both(lambda T, a, b, t: T.nn.CosineEmbeddingLoss(0.1, reduction=reduction)(a, b, t),
         rnd(4, 5), rnd(4, 5), y)
    both(lambda T, a, b: T.nn.functional.cosine_embedding_loss(a, b, T.tensor(-1.0)),
         rnd(5), rnd(5))
    t = (rnd(3, 4) > 0).astype(np.float64)
    both(lambda T, a, t: T.nn.MultiLabelSoftMarginLoss(reduction=reduction)(a, t), rnd(3, 4), t)
    w = np.abs(rnd(4))
    both(lambda T, a, t, w: T.nn.MultiLabelSoftMarginLoss(weight=w, reduction=reduction)(a, t),
         rnd(3, 4), t, w)
    labels = np.array([2, 0, 3])
    for p in (1, 2):
        both(lambda T, a: T.nn.MultiMarginLoss(p=p, margin=0.8, reduction=reduction)(
            a, T.tensor(labels)), rnd(3, 4))
    w = np.abs(rnd(4))
    both(lambda T, a: T.nn.functional.multi_margin_loss(a, T.tensor(labels), weight=T.tensor(w),
                                                        reduction=reduction), rnd(3, 4))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_likelihood_losses(reduction):
    target = np.abs(rnd(3, 4)) * 3
    target[0, 0] = 0.0
    for log_input in (True, False):
        for full in (False, True):
            x = rnd(3, 4) if log_input else np.abs(rnd(3, 4)) + 0.1
            both(lambda T, a, t: T.nn.PoissonNLLLoss(log_input=log_input, full=full,
                                                     reduction=reduction)(a, t), x, target)
    var = np.abs(rnd(3, 4)) + 0.1
    var[1, 1] = 1e-9  # clamped to eps
    for full in (False, True):
        both(lambda T, a, t, v: T.nn.GaussianNLLLoss(full=full, reduction=reduction)(a, t, v),
             rnd(3, 4), rnd(3, 4), var)
    both(lambda T, a, t, v: T.nn.functional.gaussian_nll_loss(a, t, v, reduction=reduction),
         rnd(3, 4), rnd(3, 4), np.abs(rnd(3)) + 0.1)
    both(lambda T, a, t, v: T.nn.functional.gaussian_nll_loss(a, t, v, reduction=reduction),
         rnd(3, 4), rnd(3, 4), np.abs(rnd(3, 1)) + 0.1)


def test_gaussian_nll_errors():
    F = nnlite.nn.functional
    with pytest.raises(ValueError, match="incorrect size"):
        F.gaussian_nll_loss(nnlite.ones(3, 4), nnlite.ones(3, 4), nnlite.ones(2))
    with pytest.raises(ValueError, match="negative"):
        F.gaussian_nll_loss(nnlite.ones(3), nnlite.ones(3), -nnlite.ones(3))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_triplet_margin_loss(reduction):
    for swap in (False, True):
        for p in (1, 2):
            both(lambda T, a, b, c: T.nn.TripletMarginLoss(margin=0.5, p=p, swap=swap,
                                                           reduction=reduction)(a, b, c),
                 rnd(4, 3), rnd(4, 3), rnd(4, 3))
    with pytest.raises(ValueError):
        nnlite.nn.TripletMarginLoss(margin=0.0)


def test_loss_reprs_and_legacy_args():
    for name in ("MarginRankingLoss", "HingeEmbeddingLoss", "CosineEmbeddingLoss",
                 "SoftMarginLoss", "MultiLabelSoftMarginLoss", "MultiMarginLoss",
                 "PoissonNLLLoss", "GaussianNLLLoss", "TripletMarginLoss"):
        assert repr(getattr(nnlite.nn, name)()) == repr(getattr(torch.nn, name)())
    assert nnlite.nn.MarginRankingLoss(size_average=False).reduction == "sum"


# ---- containers ---------------------------------------------------------------------------


def test_parameter_list():
    for T in (nnlite, torch):
        pl = T.nn.ParameterList([T.nn.Parameter(T.ones(2, 3)), T.zeros(4)])
        pl.append(T.ones(1))
        pl += [T.ones(2)]
        assert isinstance(pl[1], T.nn.Parameter) and len(pl) == 4 and len(pl[1:3]) == 2
        assert [n for n, _ in pl.named_parameters()] == ["0", "1", "2", "3"]
        pl[0] = T.zeros(5)
        assert tuple(pl[-4].shape) == (5,)
    n = nnlite.nn.ParameterList([nnlite.ones(2, 3), nnlite.zeros(4)])
    t = torch.nn.ParameterList([torch.ones(2, 3), torch.zeros(4)])
    assert repr(n) == repr(t)
    with pytest.raises(IndexError):
        n[2]


def test_parameter_dict_and_training():
    n = nnlite.nn.ParameterDict({"b": nnlite.ones(2), "a": nnlite.zeros(1)})
    t = torch.nn.ParameterDict({"b": torch.ones(2), "a": torch.zeros(1)})
    assert repr(n) == repr(t) and list(n.keys()) == list(t.keys())
    n["c"] = nnlite.ones(3)
    assert "c" in n and len(n) == 3 and n.get("zz") is None
    assert isinstance(n.pop("c"), nnlite.nn.Parameter) and "c" not in n
    n.update([("d", nnlite.ones(1))])
    assert list(n) == ["a", "b", "d"]

    class Model(nnlite.nn.Module):
        def __init__(self):
            super().__init__()
            self.scales = nnlite.nn.ParameterList([nnlite.ones(3) for _ in range(2)])
            self.biases = nnlite.nn.ParameterDict({"x": nnlite.zeros(3)})

        def forward(self, x):
            for s in self.scales:
                x = x * s
            return x + self.biases["x"]

    m = Model()
    assert list(m.state_dict()) == ["scales.0", "scales.1", "biases.x"]
    opt = nnlite.optim.SGD(m.parameters(), lr=0.1)
    m(nnlite.ones(3)).sum().backward()
    opt.step()
    np.testing.assert_allclose(m.biases["x"].detach().numpy(), -0.1, rtol=1e-6)
    m2 = Model()
    m2.load_state_dict(m.state_dict())
    assert m2.biases["x"].tolist() == m.biases["x"].tolist()


# ---- Module hooks and helpers --------------------------------------------------------------


def _hook_run(T, with_input_grad):
    T.manual_seed(0)
    net = T.nn.Sequential(T.nn.Linear(3, 4), T.nn.Tanh(), T.nn.Linear(4, 2))
    seen = []

    def hook(mod, gin, gout):
        seen.append(([None if g is None else g.detach().numpy().copy() for g in gin],
                     [g.detach().numpy().copy() for g in gout]))

    def double_input_grad(mod, gin, gout):
        return tuple(None if g is None else g * 2 for g in gin)

    h = net[2].register_full_backward_hook(hook)
    net[1].register_full_backward_hook(double_input_grad)
    net[0].register_full_backward_hook(hook)
    net[2].register_full_backward_pre_hook(lambda mod, gout: tuple(g * 3 for g in gout))
    x = T.tensor(np.linspace(-1, 1, 6).reshape(2, 3).astype(np.float32),
                 requires_grad=with_input_grad)
    net(x).sum().backward()
    h.remove()
    net(x).sum().backward()
    grads = [p.grad.numpy().copy() for p in net.parameters()]
    return seen, grads, (x.grad.numpy().copy() if with_input_grad else None)


@pytest.mark.parametrize("with_input_grad", [False, True])
def test_full_backward_hooks_as_torch(with_input_grad):
    ns, ng, nx = _hook_run(nnlite, with_input_grad)
    ts, tg, tx = _hook_run(torch, with_input_grad)
    assert len(ns) == len(ts)
    for (a_in, a_out), (b_in, b_out) in zip(ns, ts):
        assert [u is None for u in a_in] == [v is None for v in b_in]
        for u, v in zip(a_in + a_out, b_in + b_out):
            if u is not None:
                np.testing.assert_allclose(u, v, rtol=1e-5, atol=1e-6)
    for u, v in zip(ng, tg):
        np.testing.assert_allclose(u, v, rtol=1e-5, atol=1e-6)
    if with_input_grad:
        np.testing.assert_allclose(nx, tx, rtol=1e-5, atol=1e-6)


def test_module_helpers():
    net = nnlite.nn.Sequential(nnlite.nn.Linear(2, 2), nnlite.nn.ReLU())
    assert net.share_memory() is net
    net.set_submodule("1", nnlite.nn.Tanh())
    assert isinstance(net[1], nnlite.nn.Tanh)
    with pytest.raises(AttributeError):
        net.set_submodule("5", nnlite.nn.Tanh(), strict=True)
    assert net.compile() is None
    assert net.get_parameter("0.weight") is net[0].weight
