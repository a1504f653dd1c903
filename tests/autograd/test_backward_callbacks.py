"""Post-accumulate-grad hooks and end-of-backward callbacks, against PyTorch's event order."""

import numpy as np
import pytest

import nnlite
from nnlite.autograd import Variable


def _events(torch, Variable=Variable):
    """Run one program and return what the hooks and callbacks saw, in order."""
    events = []
    a = torch.nn.Parameter(torch.tensor([1.0, 2.0], dtype=torch.float64))
    b = torch.nn.Parameter(torch.tensor([3.0], dtype=torch.float64))
    queued = []

    def final():
        # by the end of backward every leaf's .grad is written
        events.append(("final", a.grad.tolist(), b.grad.tolist()))

    def hook_a(p):
        events.append(("a", p.grad.tolist()))
        if not queued:
            queued.append(1)
            Variable._execution_engine.queue_callback(final)
            Variable._execution_engine.queue_callback(lambda: events.append(("second",)))

    ha = a.register_post_accumulate_grad_hook(hook_a)
    b.register_post_accumulate_grad_hook(lambda p: events.append(("b", p.grad.tolist())))
    for k in (1.0, 2.0):
        queued.clear()
        loss = (a * a).sum() * k + (a * b).sum() + b.sum() * 0
        loss.backward()
    ha.remove()
    (a.sum() * 3).backward()  # a's hook is gone; b gets no gradient: no event
    events.append(("end", a.grad.tolist()))
    return events


def test_hooks_and_callbacks_match_torch_order():
    torch = pytest.importorskip("torch")
    from torch.autograd import Variable as TV

    mine = _events(nnlite)
    ref = _events(torch, TV)
    assert mine == ref
    # the accumulated gradient, not the incoming one: 2a + b = [5, 7], then + 4a + b = [12, 18]
    assert ("a", [12.0, 18.0]) in mine


def test_hooks_closed_form_without_torch():
    ev = _events(nnlite)
    assert ev[0] == ("b", [3.0]) or ev[0] == ("a", [5.0, 7.0])
    assert ("final", [5.0, 7.0], [3.0]) in ev
    assert ev[-1] == ("end", [15.0, 21.0])
    assert ev.count(("second",)) == 2


def test_queue_callback_outside_backward_raises():
    with pytest.raises(RuntimeError, match="only be installed during backward"):
        Variable._execution_engine.queue_callback(lambda: None)


def test_post_accumulate_hook_needs_a_leaf_that_requires_grad():
    x = nnlite.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="non-leaf"):
        (x * 2).register_post_accumulate_grad_hook(lambda t: None)
    with pytest.raises(RuntimeError, match="doesn't require gradient"):
        nnlite.ones(2).register_post_accumulate_grad_hook(lambda t: None)


def test_hook_runs_for_backward_inputs_and_may_edit_grad():
    x = nnlite.tensor(np.array([1.0, 2.0]), requires_grad=True)
    y = nnlite.tensor(np.array([5.0]), requires_grad=True)
    x.register_post_accumulate_grad_hook(lambda t: t.grad.mul_(10))
    (x * y).sum().backward(inputs=[x])
    assert x.grad.tolist() == [50.0, 50.0] and y.grad is None


def test_failed_backward_runs_no_callback():
    ran = []
    x = nnlite.ones(2, requires_grad=True)

    def bad(t):
        Variable._execution_engine.queue_callback(lambda: ran.append(1))
        raise ValueError("boom")

    x.register_post_accumulate_grad_hook(bad)
    with pytest.raises(ValueError):
        (x * 2).sum().backward()
    assert ran == []
    # the engine is not left inside a pass
    with pytest.raises(RuntimeError):
        Variable._execution_engine.queue_callback(lambda: None)
