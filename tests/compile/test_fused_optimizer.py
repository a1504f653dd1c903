"""``fused=True`` / ``foreach=True`` optimizers over flat buffers (nnlite.optim.flat): the same
numbers as the per-parameter path, frozen parameters untouched, ``state_dict`` unchanged, one
kernel call per step when a compiled plan writes the gradients into their slots."""

from __future__ import annotations

import numpy as np
import pytest

import nnlite
import nnlite.kernels.optim as K
from nnlite import nn, optim
from tests.compile.harness import assert_same, batches_for, train

OPTS = {
    "sgd": lambda ps, **kw: optim.SGD(ps, lr=0.1, momentum=0.9, weight_decay=1e-2, **kw),
    "sgd_plain": lambda ps, **kw: optim.SGD(ps, lr=0.1, **kw),
    "adam": lambda ps, **kw: optim.Adam(ps, lr=1e-2, amsgrad=True, **kw),
    "adamw": lambda ps, **kw: optim.AdamW(ps, lr=1e-2, **kw),
}


def _model(frozen=False):
    m = nn.MLP(12, (16, 8), 3, norm="batchnorm")
    if frozen:
        for p in m[0].parameters():
            p.requires_grad_(False)
        m[1].weight.requires_grad_(False)
    return m


@pytest.mark.parametrize("mode", ["eager", "module", "function"])
@pytest.mark.parametrize("frozen", [False, True])
@pytest.mark.parametrize("opt", sorted(OPTS))
def test_fused_matches_per_parameter(opt, frozen, mode):
    b = batches_for(12, 3, 10)
    flag = {"fused": True} if opt != "adamw" else {"foreach": True}
    la, sa, _ = train(lambda: _model(frozen), OPTS[opt], b, 4, "eager")
    lb, sb, _ = train(lambda: _model(frozen), lambda ps: OPTS[opt](ps, **flag), b, 4, mode)
    assert_same(la, lb)
    assert_same(sa, sb)


def test_frozen_parameters_untouched_and_one_kernel_call(monkeypatch):
    nnlite.manual_seed(0)
    model = _model(frozen=True)
    before = {n: p.detach().numpy().copy() for n, p in model.named_parameters()
              if not p.requires_grad}
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=0.1, fused=True)
    net = nnlite.compile(model)
    calls = []
    real = K.sgd_step_
    monkeypatch.setattr(K, "sgd_step_", lambda *a, **k: (calls.append(a[0].size), real(*a, **k)))
    x, y = batches_for(12, 3, 10)[0]
    for _ in range(4):
        calls.clear()
        opt.zero_grad()
        nnlite.nn.functional.cross_entropy(net(x), y).backward()
        opt.step()
    for n, p in model.named_parameters():
        if n in before:
            assert_same(before[n], p.detach().numpy(), n)
            assert p.grad is None and p not in opt.state
    # the trainable parameters are consecutive after the frozen ones: one call for all
    n_train = sum(p.numel() for p in model.parameters() if p.requires_grad)
    assert calls == [n_train], calls


def test_state_dict_unchanged_and_loadable():
    b = batches_for(12, 3, 10)
    nnlite.manual_seed(0)
    m1, m2 = _model(), _model()
    m2.load_state_dict(m1.state_dict())
    o1 = OPTS["adam"](m1.parameters())
    o2 = OPTS["adam"](m2.parameters(), fused=True)
    x, y = b[0]
    for m, o in ((m1, o1), (m2, o2)):
        for _ in range(2):
            o.zero_grad()
            nnlite.nn.functional.cross_entropy(m(x), y).backward()
            o.step()
    s1, s2 = o1.state_dict(), o2.state_dict()
    assert s1["param_groups"][0].keys() == s2["param_groups"][0].keys()
    for k in s1["state"]:
        assert list(s1["state"][k]) == list(s2["state"][k])
        for n in s1["state"][k]:
            assert_same(s1["state"][k][n].numpy(), s2["state"][k][n].numpy())
    # a loaded state is copied into the slots and training continues identically
    o3 = OPTS["adam"](m2.parameters(), fused=True)
    o3.load_state_dict(s1)
    for m, o in ((m1, o1), (m2, o3)):
        o.zero_grad()
        nnlite.nn.functional.cross_entropy(m(x), y).backward()
        o.step()
    for p, q in zip(m1.parameters(), m2.parameters()):
        assert_same(p.detach().numpy(), q.detach().numpy())


def test_a_held_gradient_is_never_overwritten():
    nnlite.manual_seed(0)
    model = _model()
    opt = optim.SGD(model.parameters(), lr=0.1, fused=True)
    net = nnlite.compile(model)
    (x, y), (x2, y2) = batches_for(12, 3, 10, count=2)
    held = []
    for xb, yb in ((x, y), (x, y), (x2, y2), (x, y)):
        opt.zero_grad()
        nnlite.nn.functional.cross_entropy(net(xb), yb).backward()
        opt.step()
        g = model[0].weight.grad
        held.append((g, g.numpy().copy()))
    for g, copy in held:
        assert_same(g.numpy(), copy)
    assert not np.shares_memory(held[-2][0].numpy(), held[-1][0].numpy())


@pytest.mark.parametrize("opt", ["sgd", "adam"])
def test_whole_buffer_one_call_with_a_scheduler(opt, monkeypatch):
    """Every parameter in its slot: one flat-kernel call over the whole buffer per step (no
    per-run calls), the learning rate a scheduler sets is the one used, and the numbers are
    eager's bit for bit."""
    flat_name = {"sgd": "sgd_step_flat_", "adam": "adam_step_flat_"}[opt]
    calls = []
    real = getattr(K, flat_name)

    def counting(*a, **k):
        calls.append((a[0].size, k["lr"]))
        return real(*a, **k)

    b = batches_for(12, 3, 10)

    def run(mode):
        nnlite.manual_seed(0)
        model = _model()
        o = (optim.SGD(model.parameters(), lr=0.1, momentum=0.9, fused=True) if opt == "sgd"
             else optim.Adam(model.parameters(), lr=1e-2, fused=True))
        sched = optim.lr_scheduler.StepLR(o, step_size=2, gamma=0.5)
        net = nnlite.compile(model) if mode == "module" else model
        for i in range(6):
            o.zero_grad()
            nnlite.nn.functional.cross_entropy(net(b[i % 3][0]), b[i % 3][1]).backward()
            o.step()
            sched.step()
        return [p.detach().numpy().copy() for p in model.parameters()], model

    ref, _ = run("eager")
    monkeypatch.setattr(K, flat_name, counting)
    got, model = run("module")
    for a, c in zip(ref, got):
        assert_same(a, c)
    n = sum(p.numel() for p in model.parameters())
    lr0 = 0.1 if opt == "sgd" else 1e-2
    # steps 1-2 record the plans (eager gradients, per-parameter path); then one call each
    assert calls and all(size == n for size, _ in calls), calls
    assert [lr for _, lr in calls] == [lr0 * 0.5 ** (i // 2) for i in range(6 - len(calls), 6)]
