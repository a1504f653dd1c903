"""nn.init formulas, nn.utils (clipping, vectors, freeze/unfreeze)."""

import math

import numpy as np
import pytest

import nnlite as nl
from nnlite import nn
from nnlite.nn import init
from nnlite.nn.utils import (
    clip_grad_norm_,
    clip_grad_value_,
    freeze,
    frozen_parameters,
    parameters_to_vector,
    unfreeze,
    vector_to_parameters,
)


def test_calculate_gain_matches_torch():
    torch = pytest.importorskip("torch")
    for name, param in [("linear", None), ("sigmoid", None), ("tanh", None), ("relu", None),
                        ("leaky_relu", None), ("leaky_relu", 0.2), ("selu", None),
                        ("conv2d", None)]:
        assert init.calculate_gain(name, param) == pytest.approx(
            torch.nn.init.calculate_gain(name, param))
    with pytest.raises(ValueError, match="Unsupported nonlinearity foo"):
        init.calculate_gain("foo")


def test_init_bounds_and_statistics():
    nl.manual_seed(0)
    w = nl.empty(200, 100)
    init.xavier_uniform_(w)
    a = math.sqrt(6 / 300)
    assert np.abs(w.numpy()).max() <= a and np.abs(w.numpy()).max() > 0.95 * a
    init.xavier_normal_(w, gain=2.0)
    assert w.numpy().std() == pytest.approx(2 * math.sqrt(2 / 300), rel=0.03)
    init.kaiming_uniform_(w, nonlinearity="relu")
    assert np.abs(w.numpy()).max() <= math.sqrt(6 / 100)
    init.kaiming_normal_(w, mode="fan_out", nonlinearity="relu")
    assert w.numpy().std() == pytest.approx(math.sqrt(2 / 200), rel=0.03)
    init.uniform_(w, -0.5, 0.25)
    assert w.numpy().min() >= -0.5 and w.numpy().max() <= 0.25
    init.normal_(w, 3.0, 0.5)
    assert w.numpy().mean() == pytest.approx(3.0, abs=0.01)
    init.trunc_normal_(w, 0.0, 1.0, -1.0, 1.0)
    assert np.abs(w.numpy()).max() <= 1.0
    init.constant_(w, 0.3)
    assert np.all(w.numpy() == np.float32(0.3))
    init.zeros_(w)
    init.ones_(w)
    assert w.numpy().sum() == w.numel()
    assert w.dtype == nl.float32


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("args", [dict(std=0.3, a=-0.5, b=0.5), dict(),
                                  dict(mean=0.0, std=1.0, a=1.5, b=3.0),
                                  dict(std=2.0, a=-0.1, b=0.2)])
def test_trunc_normal_draws_as_torch(args, dtype):
    # torch 2.13 redraws normals (mass > 0.3) or rejection-samples uniforms (narrow window);
    # both paths must consume the generator as torch does: same values, same next draw
    torch = pytest.importorskip("torch")
    out = []
    for T in (torch, nl):
        T.manual_seed(3)
        w = T.empty(7, 5, dtype=getattr(T, dtype))
        T.nn.init.trunc_normal_(w, **args)
        out.append((w.detach().numpy().copy(), T.rand(1).item()))
    np.testing.assert_array_equal(out[1][0], out[0][0])
    assert out[1][1] == out[0][1]


def test_init_is_seeded_and_works_on_parameters_without_graph():
    fc = nn.Linear(3, 3)
    nl.manual_seed(5)
    init.normal_(fc.weight)
    first = fc.weight.detach().numpy().copy()
    nl.manual_seed(5)
    init.normal_(fc.weight)
    assert np.array_equal(first, fc.weight.detach().numpy())
    assert fc.weight.grad_fn is None and fc.weight.requires_grad
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        init.xavier_uniform_(nl.empty(3))
    with pytest.raises(ValueError, match="Mode fan_mid not supported"):
        init.kaiming_uniform_(nl.empty(3, 3), mode="fan_mid")


def _params_with_grads(seed=0):
    rng = np.random.default_rng(seed)
    ps = [nn.Parameter(nl.tensor(rng.standard_normal(s))) for s in [(3, 2), (4,), (2, 2)]]
    for p in ps:
        p.grad = nl.tensor(rng.standard_normal(p.shape) * 3)
    return ps


@pytest.mark.parametrize("norm_type", [2.0, 1.0, math.inf])
def test_clip_grad_norm_matches_torch(norm_type):
    torch = pytest.importorskip("torch")
    ours = _params_with_grads()
    theirs = [torch.nn.Parameter(torch.from_numpy(p.detach().numpy().copy())) for p in ours]
    for p, q in zip(ours, theirs):
        q.grad = torch.from_numpy(p.grad.numpy().copy())
    n_o = clip_grad_norm_(ours, 1.5, norm_type=norm_type)
    n_t = torch.nn.utils.clip_grad_norm_(theirs, 1.5, norm_type=norm_type)
    assert n_o.item() == pytest.approx(n_t.item(), rel=1e-6)
    for p, q in zip(ours, theirs):
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-5, atol=1e-7)


def test_clip_grad_norm_closed_form_and_errors():
    p = nn.Parameter(nl.zeros(2))
    p.grad = nl.tensor([3.0, 4.0])
    total = clip_grad_norm_([p], 1.0)
    assert total.item() == pytest.approx(5.0)
    np.testing.assert_allclose(p.grad.numpy(), [0.6, 0.8], rtol=1e-5)
    small = nn.Parameter(nl.zeros(2))
    small.grad = nl.tensor([0.3, 0.4])
    clip_grad_norm_(small, 1.0)
    np.testing.assert_allclose(small.grad.numpy(), [0.3, 0.4], rtol=1e-6)
    assert clip_grad_norm_([nn.Parameter(nl.zeros(1))], 1.0).item() == 0.0
    bad = nn.Parameter(nl.zeros(1))
    bad.grad = nl.tensor([float("inf")])
    with pytest.raises(RuntimeError, match="The total norm of order 2.0 for gradients"):
        clip_grad_norm_(bad, 1.0, error_if_nonfinite=True)


def test_clip_grad_value():
    p = nn.Parameter(nl.zeros(3))
    p.grad = nl.tensor([-5.0, 0.1, 2.0])
    clip_grad_value_(p, 1.0)
    np.testing.assert_allclose(p.grad.numpy(), [-1.0, 0.1, 1.0])


def test_parameters_vector_round_trip():
    fc = nn.Linear(3, 2)
    v = parameters_to_vector(fc.parameters())
    assert v.shape == (8,)
    np.testing.assert_array_equal(v.detach().numpy()[:6], fc.weight.detach().numpy().ravel())
    vector_to_parameters(nl.arange(8.0), fc.parameters())
    assert fc.weight.detach().numpy().ravel().tolist() == [0, 1, 2, 3, 4, 5]
    assert fc.bias.tolist() == [6.0, 7.0]
    with pytest.raises(TypeError, match="expected torch.Tensor, but got: list"):
        vector_to_parameters([1.0], fc.parameters())
    v.sum().backward()  # differentiable
    assert fc.weight.grad is not None


class Backbone(nn.Module):
    def __init__(self):
        super().__init__()
        self.backbone = nn.Sequential(nn.Linear(4, 4), nn.BatchNorm1d(4), nn.ReLU())
        self.head = nn.Linear(4, 2)

    def forward(self, x):
        return self.head(self.backbone(x))


def test_freeze_patterns_and_bn_eval_survives_train():
    m = Backbone()
    names = freeze(m, "backbone.*")
    assert names == ["backbone.0.weight", "backbone.0.bias", "backbone.1.weight",
                     "backbone.1.bias"]
    assert frozen_parameters(m) == names
    bn = m.backbone[1]
    assert not bn.training
    m.train()
    assert not bn.training and m.head.training and m.backbone[0].training
    stats = bn.running_mean.numpy().copy()
    out = m(nl.randn(8, 4) * 5 + 2)
    assert np.array_equal(stats, bn.running_mean.numpy()) and bn.num_batches_tracked.item() == 0
    out.sum().backward()
    assert all(p.grad is None for p in m.backbone.parameters())
    assert m.head.weight.grad is not None
    unfreeze(m)
    assert frozen_parameters(m) == [] and bn.training
    m(nl.randn(8, 4))
    assert bn.num_batches_tracked.item() == 1


def test_freeze_by_module_name_index_patterns_and_no_bn_eval():
    m = nn.MLP(4, [6, 5], 2)
    freeze(m, ["0.*", "1.*"])
    assert frozen_parameters(m) == ["0.weight", "0.bias", "1.weight", "1.bias"]
    assert not m[1].training and m[4].training
    unfreeze(m, "1.*")
    assert m[1].training and frozen_parameters(m) == ["0.weight", "0.bias"]
    m2 = Backbone()
    freeze(m2, "backbone", bn_eval=False)
    assert len(frozen_parameters(m2)) == 4 and m2.backbone[1].training
    freeze(m2)
    assert len(frozen_parameters(m2)) == 6
    with pytest.raises(ValueError, match="no parameter or module name matches"):
        freeze(Backbone(), "bakbone.*")


def test_frozen_batchnorm_with_eval_keeps_running_stats_under_sgd():
    # regression: BatchNorm in eval while frozen, trained head only
    nl.manual_seed(0)
    m = Backbone()
    freeze(m, "backbone")
    before = {k: v.numpy().copy() for k, v in m.state_dict().items() if k.startswith("backbone")}
    for _ in range(3):
        m.train()
        loss = nn.functional.cross_entropy(m(nl.randn(6, 4)), nl.randint(0, 2, (6,)))
        m.zero_grad()
        loss.backward()
        with nl.no_grad():
            for p in m.parameters():
                if p.grad is not None:
                    p -= 0.1 * p.grad
    after = {k: v.numpy() for k, v in m.state_dict().items() if k.startswith("backbone")}
    assert all(np.array_equal(before[k], after[k]) for k in before)
