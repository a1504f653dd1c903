"""The loss joins the captured step: ``F.cross_entropy(compiled(x), y)`` replays a consumer plan
whose node runs the loss's and the module's backward (one node, gradients handed straight into
``.grad``) when nothing else can reach the module's result -- and keeps eager's graph shape (an
edge to the module's node) when something can. Every program here is compared bit for bit with
the same program run eagerly."""

from __future__ import annotations

import numpy as np
import pytest

import nnlite
from nnlite import autograd, nn, optim
from nnlite.autograd.function import AccumulateGrad
from nnlite.compile.plan import CompiledFunctionBackward, TailBackward
from nnlite.nn import functional as F
from tests.compile.harness import assert_same, batches_for


def _mlp():
    return nn.Sequential(nn.Linear(6, 16), nn.BatchNorm1d(16), nn.ReLU(), nn.Linear(16, 4))


def _run(program, mode, steps=4, make=_mlp, opt=None, fused=True):
    """``program(net, model, x, y) -> loss`` trained ``steps`` steps; returns every number left
    behind (losses, parameters, grads, buffers, optimizer state) and the net."""
    nnlite.manual_seed(0)
    model = make()
    if opt is None:
        opt = lambda ps: optim.SGD(ps, lr=0.05, momentum=0.9, fused=fused)
    o = opt(model.parameters())
    net = nnlite.compile(model) if mode == "compiled" else model
    out = {}
    for i, (x, y) in enumerate(batches_for(6, 4, 12, count=2) * (steps // 2 + 1)):
        if i == steps:
            break
        o.zero_grad()
        loss = program(net, model, x, y)
        out[f"loss{i}"] = loss.detach().numpy().copy()
        o.step()
    for name, p in model.named_parameters():
        out["p." + name] = p.detach().numpy().copy()
        out["g." + name] = None if p.grad is None else p.grad.numpy().copy()
    for name, b in model.named_buffers():
        out["b." + name] = b.numpy().copy()
    for k, st in o.state_dict()["state"].items():
        for n, v in st.items():
            out[f"s.{k}.{n}"] = np.array(v.numpy())
    return out, net


def _same(program, **kw):
    ref, _ = _run(program, "eager", **kw)
    got, net = _run(program, "compiled", **kw)
    assert_same(ref, got, "eager vs compiled")
    return net


def _plain(net, model, x, y):
    loss = F.cross_entropy(net(x), y)
    loss.backward()
    return loss


def test_plain_step_is_one_node_and_bit_identical():
    net = _same(_plain)
    plan = net._compiler.plans()[0]
    assert len(plan.tails) == 1 and not isinstance(next(iter(plan.tails.values())), str)
    x, y = batches_for(6, 4, 12)[0]
    loss = F.cross_entropy(net(x), y)
    fn = loss.grad_fn
    assert isinstance(fn, TailBackward) and fn.name() == "NllLossBackward0"
    # the module's result is gone: the loss's node took over the module's edges
    assert all(type(n) is AccumulateGrad for n, _ in fn.next_functions)
    assert fn.fused
    loss.backward()


@pytest.mark.parametrize("opt", ["sgd", "adam", "sgd-plain"])
@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_optimizers_and_reductions(opt, reduction):
    make_opt = {
        "sgd": lambda ps: optim.SGD(ps, lr=0.05, momentum=0.9, fused=True),
        "adam": lambda ps: optim.Adam(ps, lr=1e-2, fused=True),
        "sgd-plain": lambda ps: optim.SGD(ps, lr=0.05, momentum=0.9),
    }[opt]

    def program(net, model, x, y):
        loss = F.cross_entropy(net(x), y, reduction=reduction)
        loss.backward()
        return loss

    _same(program, opt=make_opt)


def test_result_kept_keeps_the_edge_and_retain_grad_works():
    def program(net, model, x, y):
        out = net(x)
        loss = F.cross_entropy(out, y)
        out.retain_grad()  # after the loss was computed: still honoured
        loss.backward()
        assert out.grad is not None
        return loss + out.grad.sum() * 0 + float(out.grad.numpy().sum())

    net = _same(program)
    x, y = batches_for(6, 4, 12)[0]
    out = net(x)
    loss = F.cross_entropy(out, y)
    edges = loss.grad_fn.next_functions
    assert len(edges) == 1 and type(edges[0][0]) is CompiledFunctionBackward


def test_grad_wrt_the_module_result():
    def program(net, model, x, y):
        out = net(x)
        loss = F.cross_entropy(out, y)
        (g,) = autograd.grad(loss, out, retain_graph=True)
        loss.backward()
        return loss + float(np.abs(g.numpy()).sum())

    _same(program)


def test_second_consumer_of_the_result():
    def program(net, model, x, y):
        out = net(x)
        loss = F.cross_entropy(out, y) + (out * out).mean() * 0.1
        del out
        loss.backward()
        return loss

    _same(program)


def test_parameter_used_three_times():
    """A weight that gets gradients from the plan and two other nodes: the engine sums them in
    its order (the plan does not hand its part over directly)."""

    def program(net, model, x, y):
        w = model[0].weight
        loss = F.cross_entropy(net(x), y) + (w * w).sum() * 0.01 + w.abs().sum() * 0.001
        loss.backward()
        return loss

    _same(program)


def test_hooks_on_parameters_run():
    seen = []

    def program(net, model, x, y):
        if not model[0].weight._hooks:  # once per run (eager, then compiled)
            model[0].weight.register_hook(lambda g: seen.append(1) or g * 2)
            model[3].bias.register_post_accumulate_grad_hook(lambda p: seen.append(2))
        loss = F.cross_entropy(net(x), y)
        loss.backward()
        return loss

    _same(program)
    assert seen.count(1) == 8 and seen.count(2) == 8  # 4 steps in each mode


@pytest.mark.parametrize("hold", [False, True])
def test_create_graph_double_backward(hold):
    # (tanh: with ReLU a compiled module's double backward differs from eager's by an ulp,
    # with or without the loss captured -- a known gap of the ReLU lowering's eager re-run)
    def make():
        return nn.Sequential(nn.Linear(6, 16), nn.Tanh(), nn.Linear(16, 4))

    def program(net, model, x, y):
        out = net(x)
        if hold:
            loss = F.cross_entropy(out, y)
        else:
            loss = F.cross_entropy(out, y)
            del out
        loss = F.cross_entropy(net(x), y)
        params = [p for p in model.parameters()]
        gs = autograd.grad(loss, params, create_graph=True)
        pen = sum((g * g).sum() for g in gs)
        (loss + pen).backward()
        return loss

    _same(program, make=make)


def test_retain_graph_and_second_backward():
    def program(net, model, x, y):
        loss = F.cross_entropy(net(x), y)
        loss.backward(retain_graph=True)
        loss.backward()
        with pytest.raises(RuntimeError, match="second time"):
            loss.backward()
        return loss

    _same(program)


def test_in_place_change_of_the_result_raises_as_eager():
    for mode in ("eager", "compiled"):
        nnlite.manual_seed(0)
        model = _mlp()
        net = nnlite.compile(model) if mode == "compiled" else model
        for x, y in batches_for(6, 4, 12, count=3):
            out = net(x)
            loss = F.cross_entropy(out, y)
            with nnlite.no_grad():
                out.mul_(2.0)
            with pytest.raises(RuntimeError, match="modified by an inplace operation"):
                loss.backward()


def test_label_smoothing_and_class_weights_and_ignore_index():
    w = nnlite.tensor([1.0, 2.0, 0.5, 1.5])

    def program(net, model, x, y):
        out = net(x)
        y2 = y.clone()
        y2._data[:2] = 1
        loss = (F.cross_entropy(out, y2, weight=w, ignore_index=1)
                + F.cross_entropy(out, y, label_smoothing=0.1))
        loss.backward()
        return loss

    _same(program)


def test_target_shape_change_records_again():
    def program(net, model, x, y):
        loss = F.cross_entropy(net(x[:7]), y[:7]) if int(y[0]) % 2 else F.cross_entropy(net(x), y)
        loss.backward()
        return loss

    _same(program, steps=6)


def test_no_grad_evaluation_and_eval_mode():
    def program(net, model, x, y):
        loss = F.cross_entropy(net(x), y)
        loss.backward()
        with nnlite.no_grad():
            model.eval()
            ev = F.cross_entropy(net(x), y)
            model.train()
        return loss + ev

    _same(program)


def test_zero_grad_to_zeros_accumulates():
    def program(net, model, x, y):
        for p in model.parameters():
            if p.grad is not None:
                p.grad.zero_()
        loss = F.cross_entropy(net(x), y)
        loss.backward()
        F.cross_entropy(net(x), y).backward()  # a second step's gradients add up
        return loss

    _same(program)


def test_tail_detection_fails_on_a_wrong_program():
    """The comparison above would catch a wrong loss: a compiled run with another target."""
    ref, _ = _run(_plain, "eager")

    def wrong(net, model, x, y):
        loss = F.cross_entropy(net(x), (y + 1) % 4)
        loss.backward()
        return loss

    got, _ = _run(wrong, "compiled")
    with pytest.raises(AssertionError):
        assert_same(ref, got)


def _tail_sources(net):
    return [t.forward_source + t.backward_source
            for p in net._compiler.plans() for t in p.tails.values() if t.__class__ is not str]


@pytest.mark.parametrize("reduction", ["none", "sum", "mean"])
@pytest.mark.parametrize("target", ["int64", "uint8", "strided", "all_ignored"])
def test_loss_kernels_direct_and_through_the_wrappers(reduction, target):
    """int64 contiguous targets run the loss kernels straight on the plan's buffers; other
    targets (uint8, a strided view) go through the eager wrappers: both bit-identical."""
    w = nnlite.tensor([1.0, 2.0, 0.5, 1.5])

    def program(net, model, x, y):
        if target == "uint8":
            y = y.to(nnlite.uint8)
        elif target == "strided":
            y = nnlite.stack([y, y], 1)[:, 0]
        elif target == "all_ignored":
            y = nnlite.full_like(y, 3)
        loss = F.cross_entropy(net(x), y, weight=w, ignore_index=3, reduction=reduction)
        (loss.sum() if reduction == "none" else loss).backward()
        return loss

    net = _same(program)
    srcs = _tail_sources(net)
    assert srcs
    direct = target in ("int64", "all_ignored")
    assert all(("ce_fwd" in s) is direct for s in srcs), srcs


def test_out_of_range_target_raises_on_replay_as_eager():
    model = nnlite.compile(_mlp())
    x = nnlite.randn(12, 6)
    y = nnlite.tensor([0, 1, 2, 3] * 3)
    for _ in range(3):
        F.cross_entropy(model(x), y).backward()
    assert "ce_fwd" in _tail_sources(model)[0]
    bad = y.clone()
    bad._data[5] = 7
    with pytest.raises(IndexError, match="Target 7 is out of bounds."):
        F.cross_entropy(model(x), bad)
    with pytest.raises(IndexError, match="Target 7 is out of bounds."):
        F.cross_entropy(model._orig_mod(x), bad)
    F.cross_entropy(model(x), y).backward()  # the plan still replays after the error


def test_create_graph_without_retain_frees_the_module_node():
    """``autograd.grad(loss, params, create_graph=True, retain_graph=False)`` on a step whose
    loss took over the module's node frees both nodes, as eager frees its graph: the plan's
    buffer set is free again while ``loss`` is alive, and a second pass raises."""
    model = nnlite.compile(_mlp())
    x, y = batches_for(6, 4, 12, count=1)[0]
    params = list(model.parameters())
    for _ in range(2):
        F.cross_entropy(model(x), y).backward()  # recorded, then replayed
    losses = []
    for _ in range(6):  # more steps than buffer sets: each must come back
        loss = F.cross_entropy(model(x), y)
        assert isinstance(loss.grad_fn, TailBackward)
        gs = autograd.grad(loss, params, create_graph=True, retain_graph=False)
        assert all(g.requires_grad for g in gs)
        parent = loss.grad_fn.next_functions[0][0]
        assert isinstance(parent, CompiledFunctionBackward) and parent._freed
        with pytest.raises(RuntimeError, match="second time"):
            loss.backward()
        losses.append(loss)  # kept alive: the buffer set must not be
    (plan,) = model._compiler.plans()
    assert len(plan._sets) == 1
    assert model.compile_stats.eager == 0, model.compile_stats
