"""Layers against closed forms, finite differences (float64) and PyTorch (same weights)."""

import math

import numpy as np
import pytest

import nnlite as nl
from nnlite import nn
from nnlite.autograd import gradcheck, gradgradcheck
from nnlite.nn import functional as F
from nnlite.ops import special as _special
from nnlite.ops.nn import linear as _linear_ops

TOL = {"rtol": 1e-6, "atol": 1e-6}


def rnd(*shape, seed=0, scale=1.0, requires_grad=True):
    arr = np.random.default_rng(seed).standard_normal(shape) * scale
    return nl.tensor(arr, dtype=nl.float64, requires_grad=requires_grad)


def to_torch(t, requires_grad=None):
    torch = pytest.importorskip("torch")
    out = torch.from_numpy(np.array(t.detach().numpy(), copy=True))
    if requires_grad if requires_grad is not None else t.requires_grad:
        out.requires_grad_(True)
    return out


def close(ours, theirs, **kw):
    a = ours.detach().numpy() if hasattr(ours, "detach") and not hasattr(ours, "cpu_") else ours
    b = theirs.detach().numpy() if hasattr(theirs, "detach") else np.asarray(theirs)
    np.testing.assert_allclose(np.asarray(a, np.float64), np.asarray(b, np.float64),
                               **(kw or TOL))


def copy_to_torch(ours, theirs):
    theirs.load_state_dict({k: to_torch(v, False) for k, v in ours.state_dict().items()})


# ---- Linear -----------------------------------------------------------------------------------


@pytest.mark.parametrize("shape", [(5, 4), (4,), (2, 3, 4)])
@pytest.mark.parametrize("bias", [True, False])
def test_linear_matches_torch(shape, bias):
    torch = pytest.importorskip("torch")
    ours = nn.Linear(4, 3, bias=bias).double()
    theirs = torch.nn.Linear(4, 3, bias=bias).double()
    copy_to_torch(ours, theirs)
    x = rnd(*shape)
    xt = to_torch(x)
    y, yt = ours(x), theirs(xt)
    close(y, yt)
    g = rnd(*y.shape, seed=1, requires_grad=False)
    y.backward(g)
    yt.backward(to_torch(g))
    close(x.grad, xt.grad)
    close(ours.weight.grad, theirs.weight.grad)
    if bias:
        close(ours.bias.grad, theirs.bias.grad)
    assert y.dtype == nl.float64


def test_linear_float32_default_and_grad_fn():
    fc = nn.Linear(3, 2)
    assert fc.weight.dtype == nl.float32
    y = fc(nl.randn(4, 3))
    assert y.dtype == nl.float32 and y.grad_fn.name() == "AddmmBackward0"  # as PyTorch names it
    assert nn.Linear(3, 2, bias=False)(nl.randn(4, 3)).grad_fn.name() == "MmBackward0"


def test_linear_gradcheck_and_gradgradcheck():
    x, w, b = rnd(3, 4), rnd(2, 4, seed=1), rnd(2, seed=2)
    assert gradcheck(F.linear, (x, w, b))
    assert gradgradcheck(F.linear, (x, w, b))
    assert gradgradcheck(lambda x, w: F.linear(x, w), (rnd(2, 3, 4, seed=3), w))


def test_frozen_linear_never_computes_weight_gradient(monkeypatch):
    calls = []
    real = _linear_ops._weight_grad
    monkeypatch.setattr(_linear_ops, "_weight_grad", lambda g, x: calls.append(1) or real(g, x))
    fc = nn.Linear(4, 3)
    fc.weight.requires_grad_(False)
    x = nl.randn(5, 4, requires_grad=True)
    fc(x).sum().backward()
    assert calls == [] and fc.weight.grad is None
    assert fc.bias.grad is not None and x.grad is not None
    node = fc(x).grad_fn
    assert node._saved[0] is None  # the input is not even kept alive for a frozen weight
    fc.requires_grad_(False)
    x.grad = None
    fc(x).sum().backward()
    assert calls == [] and x.grad.shape == (5, 4) and fc.bias.grad.shape == (3,)
    fc.requires_grad_(True)
    fc(x).sum().backward()
    assert calls == [1] and fc.weight.grad is not None


def test_linear_errors_match_torch():
    torch = pytest.importorskip("torch")
    fc = nn.Linear(4, 3)
    with pytest.raises(RuntimeError) as ours:
        fc(nl.randn(2, 5))
    with pytest.raises(RuntimeError) as theirs:
        torch.nn.Linear(4, 3)(torch.randn(2, 5))
    assert str(ours.value) == str(theirs.value)
    with pytest.raises(RuntimeError) as ours:
        fc(nl.randn(2, 4, dtype=nl.float64))
    with pytest.raises(RuntimeError) as theirs:
        torch.nn.Linear(4, 3)(torch.randn(2, 4, dtype=torch.float64))
    assert str(ours.value) == str(theirs.value)


def test_linear_default_init_formula_and_seed():
    nl.manual_seed(3)
    a = nn.Linear(50, 40)
    nl.manual_seed(3)
    b = nn.Linear(50, 40)
    assert np.array_equal(a.weight.detach().numpy(), b.weight.detach().numpy())
    bound = 1 / math.sqrt(50)  # kaiming_uniform_(a=sqrt(5)) on fan_in=50
    w = a.weight.detach().numpy()
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.9 * bound
    assert abs(w.std() - bound / math.sqrt(3)) < 0.05 * bound
    assert np.abs(a.bias.detach().numpy()).max() <= bound


# ---- BatchNorm -------------------------------------------------------------------------------


@pytest.mark.parametrize("shape", [(6, 3), (4, 3, 5)])
@pytest.mark.parametrize("momentum", [0.1, None])
def test_batchnorm1d_matches_torch_train_and_eval(shape, momentum):
    torch = pytest.importorskip("torch")
    ours = nn.BatchNorm1d(3, momentum=momentum).double()
    theirs = torch.nn.BatchNorm1d(3, momentum=momentum).double()
    with nl.no_grad():
        ours.weight.copy_(rnd(3, seed=7, requires_grad=False))
        ours.bias.copy_(rnd(3, seed=8, requires_grad=False))
    copy_to_torch(ours, theirs)
    for step in range(3):
        x = rnd(*shape, seed=step, scale=2.0)
        xt = to_torch(x)
        y, yt = ours(x), theirs(xt)
        close(y, yt)
        g = rnd(*shape, seed=10 + step, requires_grad=False)
        y.backward(g)
        yt.backward(to_torch(g))
        close(x.grad, xt.grad)
    close(ours.weight.grad, theirs.weight.grad)
    close(ours.bias.grad, theirs.bias.grad)
    close(ours.running_mean, theirs.running_mean)
    close(ours.running_var, theirs.running_var)
    assert ours.num_batches_tracked.item() == theirs.num_batches_tracked.item() == 3
    assert list(ours.state_dict()) == list(theirs.state_dict())
    ours.eval()
    theirs.eval()
    x = rnd(*shape, seed=99)
    xt = to_torch(x)
    y, yt = ours(x), theirs(xt)
    close(y, yt)
    y.sum().backward()
    yt.sum().backward()
    close(x.grad, xt.grad)
    close(ours.weight.grad, theirs.weight.grad)
    assert ours.num_batches_tracked.item() == 3  # eval does not count


def test_batchnorm2d_matches_torch():
    torch = pytest.importorskip("torch")
    ours = nn.BatchNorm2d(2).double()
    theirs = torch.nn.BatchNorm2d(2).double()
    x = rnd(3, 2, 2, 3)
    xt = to_torch(x)
    y, yt = ours(x), theirs(xt)
    close(y, yt)
    (y * y).sum().backward()
    (yt * yt).sum().backward()
    close(x.grad, xt.grad)
    close(ours.running_var, theirs.running_var)


def test_batchnorm_without_affine_or_running_stats_matches_torch():
    torch = pytest.importorskip("torch")
    for kw in ({"affine": False}, {"track_running_stats": False}, {"bias": False}):
        ours, theirs = nn.BatchNorm1d(3, **kw).double(), torch.nn.BatchNorm1d(3, **kw).double()
        x = rnd(5, 3)
        xt = to_torch(x)
        y, yt = ours(x), theirs(xt)
        close(y, yt)
        (y * y).sum().backward()
        (yt * yt).sum().backward()
        close(x.grad, xt.grad)
        assert list(ours.state_dict()) == list(theirs.state_dict())
        ours.eval()
        theirs.eval()
        close(ours(x), theirs(xt))  # without running stats, eval still uses batch stats


def test_batchnorm_batch_size_one_error_matches_torch():
    torch = pytest.importorskip("torch")
    with pytest.raises(ValueError) as ours:
        nn.BatchNorm1d(4)(nl.randn(1, 4))
    with pytest.raises(ValueError) as theirs:
        torch.nn.BatchNorm1d(4)(torch.randn(1, 4))
    assert str(ours.value) == str(theirs.value) == (
        "Expected more than 1 value per channel when training, got input size "
        "torch.Size([1, 4])"
    )
    bn = nn.BatchNorm1d(4).eval()
    assert bn(nl.randn(1, 4)).shape == (1, 4)  # eval mode works with one sample
    with pytest.raises(ValueError, match=r"expected 2D or 3D input \(got 4D input\)"):
        nn.BatchNorm1d(4)(nl.randn(2, 4, 1, 1))
    with pytest.raises(ValueError, match=r"expected 4D input \(got 2D input\)"):
        nn.BatchNorm2d(4)(nl.randn(2, 4))


def test_batchnorm_closed_form_float32():
    x = nl.tensor([[1.0, 2.0], [3.0, 6.0]])
    bn = nn.BatchNorm1d(2)
    y = bn(x)
    eps = 1e-5
    expect = np.array([[-1, -1], [1, 1]]) / np.sqrt(1 + eps / np.array([1.0, 4.0]))
    np.testing.assert_allclose(y.detach().numpy(), expect, rtol=1e-5)
    np.testing.assert_allclose(bn.running_mean.numpy(), [0.2, 0.4], rtol=1e-6)
    # unbiased variance into running_var: var([1,3]) = 2, var([2,6]) = 8
    np.testing.assert_allclose(bn.running_var.numpy(), [0.9 + 0.2, 0.9 + 0.8], rtol=1e-6)


@pytest.mark.parametrize("shape", [(4, 3), (3, 2, 2)])
def test_batchnorm_gradcheck_and_gradgradcheck(shape):
    x, w, b = rnd(*shape), rnd(shape[1], seed=1), rnd(shape[1], seed=2)
    train = lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True)
    assert gradcheck(train, (x, w, b))
    assert gradgradcheck(train, (x, w, b))
    rm = rnd(shape[1], seed=3, requires_grad=False)
    rv = rnd(shape[1], seed=4, requires_grad=False).abs() + 0.5
    ev = lambda x, w, b: F.batch_norm(x, rm, rv, w, b, training=False)
    assert gradcheck(ev, (x, w, b))
    assert gradgradcheck(ev, (x, w, b))
    assert gradgradcheck(lambda x: F.batch_norm(x, None, None, training=True), (x,))


def test_frozen_batchnorm_still_tracks_stats_in_train_and_not_in_eval():
    bn = nn.BatchNorm1d(3)
    bn.requires_grad_(False)
    x = nl.randn(8, 3) * 3 + 1
    bn(x)
    assert bn.num_batches_tracked.item() == 1 and float(bn.running_mean.abs().sum()) > 0
    assert bn.weight.grad is None
    before = bn.running_mean.numpy().copy()
    bn.eval()
    bn(x)
    assert np.array_equal(before, bn.running_mean.numpy()) and bn.num_batches_tracked.item() == 1


# ---- LayerNorm ------------------------------------------------------------------------------


@pytest.mark.parametrize("nshape", [(4,), (3, 4)])
def test_layernorm_matches_torch(nshape):
    torch = pytest.importorskip("torch")
    ours, theirs = nn.LayerNorm(nshape).double(), torch.nn.LayerNorm(nshape).double()
    with nl.no_grad():
        ours.weight.copy_(rnd(*nshape, seed=5, requires_grad=False))
        ours.bias.copy_(rnd(*nshape, seed=6, requires_grad=False))
    copy_to_torch(ours, theirs)
    x = rnd(2, 3, 4)
    xt = to_torch(x)
    y, yt = ours(x), theirs(xt)
    close(y, yt)
    g = rnd(2, 3, 4, seed=2, requires_grad=False)
    y.backward(g)
    yt.backward(to_torch(g))
    close(x.grad, xt.grad)
    close(ours.weight.grad, theirs.weight.grad)
    close(ours.bias.grad, theirs.bias.grad)


def test_layernorm_gradgradcheck_and_error():
    x, w, b = rnd(3, 4), rnd(4, seed=1), rnd(4, seed=2)
    fn = lambda x, w, b: F.layer_norm(x, (4,), w, b)
    assert gradcheck(fn, (x, w, b))
    assert gradgradcheck(fn, (x, w, b))
    assert gradgradcheck(lambda x: F.layer_norm(x, (4,)), (x,))
    torch = pytest.importorskip("torch")
    with pytest.raises(RuntimeError) as ours:
        nn.LayerNorm(4)(nl.randn(2, 3))
    with pytest.raises(RuntimeError) as theirs:
        torch.nn.LayerNorm(4)(torch.randn(2, 3))
    assert str(ours.value) == str(theirs.value)


# ---- activations ----------------------------------------------------------------------------

ACTS = [
    ("ReLU", (), {}), ("LeakyReLU", (0.2,), {}), ("ELU", (0.7,), {}), ("GELU", (), {}),
    ("GELU", (), {"approximate": "tanh"}), ("SiLU", (), {}), ("Sigmoid", (), {}),
    ("Tanh", (), {}), ("Softplus", (), {}), ("Softplus", (2.0, 3.0), {}),
    ("Softmax", (1,), {}), ("LogSoftmax", (1,), {}), ("Identity", (), {}),
]


@pytest.mark.parametrize("name,args,kw", ACTS)
def test_activations_match_torch(name, args, kw):
    torch = pytest.importorskip("torch")
    x = rnd(4, 5, scale=3.0)
    with nl.no_grad():
        x[0, 0] = 1000.0  # overflow guards: ELU/softplus/SiLU must stay finite
        x[0, 1] = -1000.0
        x[0, 2] = 25.0
    xt = to_torch(x)
    y = getattr(nn, name)(*args, **kw)(x)
    yt = getattr(torch.nn, name)(*args, **kw)(xt)
    close(y, yt)
    g = rnd(4, 5, seed=1, requires_grad=False)
    y.backward(g)
    yt.backward(to_torch(g))
    close(x.grad, xt.grad)
    assert np.isfinite(x.grad.numpy()).all()


@pytest.mark.parametrize("fn", [
    F.relu, lambda x: F.leaky_relu(x, 0.1), lambda x: F.elu(x, 1.3), F.gelu,
    lambda x: F.gelu(x, approximate="tanh"), F.silu, lambda x: F.softplus(x, 2.0, 1.5),
    F.sigmoid, F.tanh, lambda x: F.softmax(x, 1), lambda x: F.log_softmax(x, -1),
])
def test_activation_gradgradcheck(fn):
    x = rnd(3, 4, scale=1.5)
    with nl.no_grad():  # keep finite differences away from the kinks at 0 / threshold
        x.copy_(nl.where(x.abs() < 0.05, x + 0.2, x))
    assert gradcheck(fn, (x,))
    assert gradgradcheck(fn, (x,))


def test_erf_is_accurate_to_float64_precision():
    xs = np.concatenate([np.linspace(-7, 7, 2001), [0.0, -0.0, 1.0, -1.0, 8.0, 30.0, -30.0]])
    ours = _special.erf_np(xs)
    ref = np.array([math.erf(v) for v in xs])
    assert np.max(np.abs(ours - ref)) < 2e-16 * 4
    assert np.isnan(_special.erf_np(np.array([np.nan])))[0]
    assert _special.erf_np(np.array([0.5], np.float32)).dtype == np.float32


def test_gelu_closed_form():
    x = nl.tensor([-1.0, 0.0, 2.0], dtype=nl.float64)
    expect = [0.5 * v * (1 + math.erf(v / math.sqrt(2))) for v in (-1.0, 0.0, 2.0)]
    np.testing.assert_allclose(F.gelu(x).numpy(), expect, rtol=1e-15)
    with pytest.raises(RuntimeError, match="approximate argument must be either none or tanh"):
        F.gelu(x, approximate="fast")


# ---- dropout, flatten, MLP ---------------------------------------------------------------------


def test_dropout_seeded_scaled_and_identity_in_eval():
    d = nn.Dropout(0.25)
    x = nl.ones(200, 50, requires_grad=True)
    nl.manual_seed(1)
    y1 = d(x)
    nl.manual_seed(1)
    y2 = d(x)
    assert np.array_equal(y1.detach().numpy(), y2.detach().numpy())
    vals = np.unique(y1.detach().numpy())
    np.testing.assert_allclose(vals, [0.0, 1 / 0.75], rtol=1e-6)
    kept = (y1.detach().numpy() != 0).mean()
    assert abs(kept - 0.75) < 0.02
    y1.sum().backward()
    assert np.array_equal(x.grad.numpy(), y1.detach().numpy())  # gradient = mask * scale
    d.eval()
    assert d(x) is x
    assert F.dropout(x, 1.0).detach().numpy().sum() == 0
    assert F.dropout(x, 0.0) is x
    for bad in (-0.1, 1.5):
        with pytest.raises(ValueError, match="dropout probability has to be between 0 and 1"):
            nn.Dropout(bad)
        with pytest.raises(ValueError, match=f"but got {bad}"):
            F.dropout(x, bad)

    def seeded_dropout(t):
        nl.manual_seed(0)  # the same mask on every call, so finite differences see one function
        return F.dropout(t, 0.5) * t

    assert gradgradcheck(seeded_dropout, (rnd(3, 3),))


def test_flatten_unflatten():
    x = nl.randn(2, 3, 4)
    assert nn.Flatten()(x).shape == (2, 12)
    assert nn.Flatten(0, 1)(x).shape == (6, 4)
    assert nn.Unflatten(1, (3, 1))(nl.randn(2, 3)).shape == (2, 3, 1)
    with pytest.raises(TypeError, match="unflattened_size must be tuple of ints"):
        nn.Unflatten(1, 3)


def test_mlp_builder_structure_and_parity():
    torch = pytest.importorskip("torch")
    m = nn.MLP(4, [8, 6], 3, norm="batchnorm", activation="relu", dropout=0.1)
    assert isinstance(m, nn.Sequential)
    assert [type(x).__name__ for x in m] == [
        "Linear", "BatchNorm1d", "ReLU", "Dropout", "Linear", "BatchNorm1d", "ReLU", "Dropout",
        "Linear",
    ]
    assert all(x.bias is not None for x in m if isinstance(x, nn.Linear))
    ln = nn.MLP(4, [8], 2, norm="layernorm", activation="gelu")
    assert [type(x).__name__ for x in ln] == ["Linear", "LayerNorm", "GELU", "Linear"]
    assert [type(x).__name__ for x in nn.MLP(4, [], 2, norm=None)] == ["Linear"]
    with pytest.raises(ValueError, match="unknown activation 'rleu' \\(did you mean 'relu'\\?\\)"):
        nn.MLP(4, [8], 2, activation="rleu")
    with pytest.raises(ValueError, match="unknown norm 'batch'"):
        nn.MLP(4, [8], 2, norm="batch")
    ours = nn.MLP(4, [8], 3).double()
    theirs = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.BatchNorm1d(8),
                                 torch.nn.ReLU(), torch.nn.Linear(8, 3)).double()
    copy_to_torch(ours, theirs)
    x = rnd(5, 4)
    close(ours(x), theirs(to_torch(x)))


def test_default_init_and_dropout_mask_match_torch_for_the_same_seed():
    torch = pytest.importorskip("torch")
    torch.manual_seed(7)
    nl.manual_seed(7)
    theirs = torch.nn.Linear(30, 5)
    ours = nn.Linear(30, 5)
    assert np.array_equal(ours.weight.detach().numpy(), theirs.weight.detach().numpy())
    assert np.array_equal(ours.bias.detach().numpy(), theirs.bias.detach().numpy())
    for fn in ("xavier_uniform_", "xavier_normal_", "kaiming_uniform_", "kaiming_normal_"):
        a, b = torch.empty(6, 4), nl.empty(6, 4)
        getattr(torch.nn.init, fn)(a)
        getattr(nn.init, fn)(b)
        assert np.array_equal(a.numpy(), b.numpy()), fn
    torch.manual_seed(1)
    probe = torch.empty(64).bernoulli_(0.5).numpy()
    nl.manual_seed(1)
    if not np.array_equal(probe, nl.empty(64).bernoulli_(0.5).numpy()):
        pytest.skip("this torch build draws bernoulli from MKL's stream (Intel CPU)")
    x = np.random.default_rng(0).standard_normal((5, 7)).astype(np.float32)
    torch.manual_seed(3)
    nl.manual_seed(3)
    expect = torch.nn.functional.dropout(torch.from_numpy(x), 0.3).numpy()
    assert np.array_equal(F.dropout(nl.from_numpy(x), 0.3).numpy(), expect)
