"""The compiled backward's gradient patterns and gradient slots: a pattern generated after a
buffer set exists still finds its globals, and the slots looked up once per backward
(``nnlite.optim.flat.grad_slots``) are exactly those ``grad_slot`` gives one by one."""

from __future__ import annotations

import weakref

import numpy as np

import nnlite
from nnlite import nn, optim
from nnlite.nn import functional as F
from nnlite.optim import flat
from tests.compile.harness import assert_same


class _TwoHeads(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Linear(5, 6)
        self.bn = nn.BatchNorm1d(6)
        self.b = nn.Linear(6, 3)
        self.c = nn.Linear(6, 2)

    def forward(self, x):
        h = F.relu(self.bn(self.a(x)))
        return self.b(h), self.c(h)


def _grads(m):
    return [None if p.grad is None else p.grad.numpy().copy() for p in m.parameters()]


def test_new_gradient_pattern_on_an_existing_buffer_set_matches_eager():
    nnlite.manual_seed(0)
    eager = _TwoHeads()
    nnlite.manual_seed(0)
    comp = nnlite.compile(_TwoHeads())
    x = nnlite.randn(8, 5)
    # first both heads, then only the second one, then only the first: three patterns, the
    # later two generated after the plan's buffer set was made
    for use in ((0, 1), (1,), (0,), (0, 1)):
        got = []
        for m in (eager, comp):
            for p in m.parameters():
                p.grad = None
            outs = m(x)
            loss = sum((outs[i] * (i + 1.5)).sum() for i in use)
            loss.backward()
            got.append(([o.detach().numpy().copy() for o in outs], _grads(m)))
        for a, b in zip(got[0][0], got[1][0]):
            assert_same(a, b, f"output {use}")
        for a, b in zip(got[0][1], got[1][1]):
            assert_same(a, b, f"grad {use}")
    stats = comp.compile_stats
    assert stats.replays == 3 and stats.eager == 0, stats


def test_grad_slots_equal_grad_slot_one_by_one():
    nnlite.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 3), nn.Linear(3, 2))
    free = nn.Parameter(nnlite.randn(3))  # in no arena: no slot
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9, fused=True)
    F.cross_entropy(model(nnlite.randn(5, 4)), nnlite.tensor([0, 1, 0, 1, 1])).backward()
    opt.step()  # builds the arena: every parameter has a slot now
    ps = list(model.parameters())
    # states: .grad set (no slot), .grad None (slot), handed-out gradient still alive (no slot)
    ps[0].grad = None
    ps[1].grad = None
    ps[2].grad = None  # ps[3] keeps its .grad
    held = ps[1].__dict__["_grad_slot"]
    keep = nnlite.zeros(2)
    held[1] = weakref.ref(keep)
    expected = [flat.grad_slot(p) for p in ps + [free]]
    got = flat.grad_slots(*ps, free)
    assert [e is None for e in expected] == [g is None for g in got]
    assert [e is None for e in expected] == [False, True, False, True, True]
    for e, g in zip(expected, got):
        assert e is None or e is g
    assert isinstance(got[0], np.ndarray)
