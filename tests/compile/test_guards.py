"""Guards: a changed signature or module state records a new plan (or runs eagerly), never
replays a stale one; autograd semantics around a compiled call stay those of eager."""

from __future__ import annotations

import numpy as np
import pytest

import nnlite
from nnlite import nn, optim
from nnlite.nn import functional as F
from tests.compile.harness import assert_same


def _pair(make, seed=0):
    nnlite.manual_seed(seed)
    eager = make()
    nnlite.manual_seed(seed)
    comp = nnlite.compile(make())
    return eager, comp


def _mlp():
    return nn.Sequential(nn.Linear(6, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 3))


def _orig(m):
    return getattr(m, "_orig_mod", m)


def _same_call(eager, comp, x, y=None, backward=True):
    outs = []
    for m in (eager, comp):
        for p in m.parameters():
            p.grad = None
        out = m(x)
        if backward and out.requires_grad:
            loss = F.cross_entropy(out, y) if y is not None else out.sum()
            loss.backward()
        outs.append((out.detach().numpy().copy(),
                     [None if p.grad is None else p.grad.numpy().copy() for p in m.parameters()],
                     [b.numpy().copy() for b in m.buffers()]))
    assert_same(outs[0][0], outs[1][0], "output")
    for a, b in zip(outs[0][1], outs[1][1]):
        assert_same(a, b, "grad")
    for a, b in zip(outs[0][2], outs[1][2]):
        assert_same(a, b, "buffer")


def test_shape_change_records_a_new_plan():
    eager, comp = _pair(_mlp)
    for n in (5, 5, 7, 7, 5):
        x = nnlite.randn(n, 6)
        _same_call(eager, comp, x, nnlite.randint(0, 3, (n,)))
    st = comp.compile_stats
    assert (st.records, st.replays) == (2, 3), st


def test_eval_and_train_switch_plans():
    eager, comp = _pair(_mlp)
    x = nnlite.randn(5, 6)
    for mode in ("train", "train", "eval", "eval", "train", "eval"):
        for m in (eager, comp):
            getattr(m, mode)()
        _same_call(eager, comp, x, nnlite.randint(0, 3, (5,)))
    st = comp.compile_stats
    assert (st.records, st.replays) == (2, 4), st


def test_no_grad_plan_is_separate():
    eager, comp = _pair(_mlp)
    x = nnlite.randn(5, 6)
    for grad in (True, False, False, True):
        with nnlite.set_grad_enabled(grad):
            _same_call(eager, comp, x, nnlite.randint(0, 3, (5,)))
    with nnlite.no_grad():
        out = comp(x)
    assert not out.requires_grad and out.grad_fn is None
    assert comp.compile_stats.records == 2


def test_requires_grad_flip_rerecords_and_skips_frozen():
    eager, comp = _pair(_mlp)
    x = nnlite.randn(5, 6)
    y = nnlite.randint(0, 3, (5,))
    _same_call(eager, comp, x, y)
    _same_call(eager, comp, x, y)
    for m in (eager, comp):
        _orig(m)[0].weight.requires_grad_(False)
    _same_call(eager, comp, x, y)
    assert comp._orig_mod[0].weight.grad is None
    _same_call(eager, comp, x, y)
    assert comp.compile_stats.records == 2


def test_attribute_change_and_replaced_layer():
    eager, comp = _pair(_mlp)
    x = nnlite.randn(5, 6)
    y = nnlite.randint(0, 3, (5,))
    _same_call(eager, comp, x, y)
    _same_call(eager, comp, x, y)
    for m in (eager, comp):
        _orig(m)[1].momentum = 0.5
    _same_call(eager, comp, x, y)
    nnlite.manual_seed(3)
    new = nn.Linear(8, 3)
    nnlite.manual_seed(3)
    eager[3] = nn.Linear(8, 3)
    comp._orig_mod[3] = new
    _same_call(eager, comp, x, y)
    assert comp.compile_stats.records == 3


def test_input_requires_grad_and_input_grad():
    eager, comp = _pair(_mlp)
    for _ in range(3):
        xs = [nnlite.randn(5, 6, requires_grad=True)]
        xs.append(xs[0].detach().clone().requires_grad_(True))
        outs = [m(x).sum() for m, x in zip((eager, comp), xs)]
        for o in outs:
            o.backward()
        assert_same(xs[0].grad.numpy(), xs[1].grad.numpy(), "input grad")


def test_module_hooks_run_eagerly():
    eager, comp = _pair(_mlp)
    seen = []
    h = comp._orig_mod[2].register_forward_hook(lambda m, i, o: seen.append(o.shape))
    x = nnlite.randn(5, 6)
    for _ in range(3):
        _same_call(eager, comp, x)
    assert len(seen) == 3 and comp.compile_stats.replays == 0
    h.remove()
    for _ in range(3):
        _same_call(eager, comp, x)
    assert len(seen) == 3 and comp.compile_stats.replays == 2


def test_parameter_hooks_and_retain_graph_work_on_replays():
    eager, comp = _pair(_mlp)
    x = nnlite.randn(5, 6)
    for m in (eager, comp):
        m(x).sum().backward()
    seen = {0: [], 1: []}
    for k, m in enumerate((eager, comp)):
        _orig(m)[0].weight.register_hook(lambda g, k=k: seen[k].append(g.numpy().copy()))
        out = m(x).sum()
        out.backward(retain_graph=True)
        out.backward()
    assert len(seen[1]) == 2
    for a, b in zip(seen[0], seen[1]):
        assert_same(a, b)
    assert_same(eager[0].weight.grad.numpy(), comp._orig_mod[0].weight.grad.numpy())


def test_backward_twice_and_inplace_change_raise_as_eager():
    _, comp = _pair(_mlp)
    x = nnlite.randn(5, 6)
    comp(x)
    out = comp(x).sum()
    out.backward()
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        out.backward()
    out = comp(x)
    with nnlite.no_grad():
        comp._orig_mod[3].weight.add_(1.0)  # saved by the last Linear for grad_input
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        out.sum().backward()


def test_two_forwards_before_backward():
    """A second forward before the first backward takes another buffer set."""
    eager, comp = _pair(_mlp)
    xa, xb = nnlite.randn(5, 6), nnlite.randn(5, 6)
    comp(xa)
    grads = []
    for m in (eager, comp):
        (m(xa).sum() + 2 * m(xb).sum()).backward()
        grads.append([p.grad.numpy().copy() for p in m.parameters()])
    for a, b in zip(*grads):
        assert_same(a, b)


def test_results_are_fresh_arrays():
    _, comp = _pair(_mlp)
    x = nnlite.randn(5, 6)
    a = comp(x)
    b = comp(x)
    keep = b.detach().numpy().copy()
    c = comp(x * 2)
    assert not np.shares_memory(b.numpy() if not b.requires_grad else b.detach().numpy(),
                                c.detach().numpy())
    assert_same(b.detach().numpy(), keep)
    del a


def test_create_graph_differentiates_eager_graph():
    """create_graph=True through a replayed call gives eager's higher-order gradients."""
    def make():
        return nn.Sequential(nn.Linear(4, 5), nn.Tanh(), nn.Linear(5, 5), nn.GELU(),
                             nn.Linear(5, 1))

    eager, comp = _pair(make)
    res = []
    for m in (eager, comp):
        m = m.double()
        x = nnlite.randn(3, 4, dtype=nnlite.float64, generator=None, requires_grad=True) \
            if False else nnlite.arange(12, dtype=nnlite.float64).reshape(3, 4).requires_grad_()
        for _ in range(2):
            out = m(x).sum()
            (gx,) = nnlite.autograd.grad(out, x, create_graph=True)
            (ggx,) = nnlite.autograd.grad(gx.pow(2).sum(), x)
        res.append((gx.detach().numpy().copy(), ggx.numpy().copy()))
    assert_same(res[0][0], res[1][0])
    assert_same(res[0][1], res[1][1])


def test_uncapturable_op_runs_eagerly_with_same_result():
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(4, 4)

        def forward(self, x):
            return (self.fc(x) * 2).sum(1)  # mul and sum have no lowering

    eager, comp = _pair(Net)
    x = nnlite.randn(3, 4)
    for _ in range(3):
        _same_call(eager, comp, x)
    st = comp.compile_stats
    assert st.replays == 0 and st.eager == 2 and any("did not compute" in r
                                                      for r in st.reasons), st
    with pytest.raises(RuntimeError, match="fullgraph=True"):
        nnlite.compile(Net(), fullgraph=True)(x)


def test_state_dict_keys_and_options_as_torch():
    comp = nnlite.compile(_mlp())
    assert next(iter(comp.state_dict())) == "_orig_mod.0.weight"
    assert comp.__len__() == 4  # attributes fall through to the compiled module, as torch
    assert nnlite.compile(_mlp(), disable=True).__class__ is nn.Sequential
    with pytest.raises(RuntimeError, match="Unrecognized mode"):
        nnlite.compile(_mlp(), mode="fastest")
    deco = nnlite.compile(mode="max-autotune")
    assert callable(deco(lambda x: x))


def test_compiled_function_runs_its_python_every_call():
    model = _mlp()
    opt = optim.SGD(model.parameters(), lr=0.1)
    calls = []

    @nnlite.compile
    def step(x, y):
        calls.append(1)
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss

    x, y = nnlite.randn(5, 6), nnlite.randint(0, 3, (5,))
    for _ in range(4):
        step(x, y)
    assert len(calls) == 4
    (c,) = step.compilers()
    assert (c.stats.records, c.stats.replays) == (1, 3)
