"""The engine: accumulation, retain_graph, pruning, hooks, long chains, diamonds, errors."""

import numpy as np
import pytest

import nnlite as torch


def test_leaf_grad_accumulates_across_backward_calls():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    (x * 3).sum().backward()
    (x * x).sum().backward()
    assert x.grad.tolist() == [3 + 2, 3 + 4]


def test_nonleaf_grad_is_none_unless_retained():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    z = y * y
    y.retain_grad()
    w = x + 1
    (z.sum() + w.sum()).backward()
    assert y.grad.tolist() == [4.0, 8.0]  # dz/dy = 2y
    assert w.grad is None
    assert x.grad.tolist() == [2 * 4.0 + 1, 2 * 8.0 + 1]


def test_chain_of_10000_ops_no_recursion():
    x = torch.tensor(1.0, requires_grad=True)
    y = x
    for _ in range(10000):
        y = y * 1.0001
    y.backward()
    assert abs(x.grad.item() - 1.0001**10000) < 1e-3 * 1.0001**10000


def test_diamond_reuse_sums_both_paths():
    x = torch.tensor(3.0, requires_grad=True)
    a = x * x  # da/dx = 2x
    b = a + a  # uses a twice
    c = b * a  # c = 2a * a = 2a^2, dc/dx = 4a * 2x = 8x^3
    c.backward()
    assert x.grad.item() == pytest.approx(8 * 27)


def test_backward_twice_without_retain_graph_raises():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    y = (x.exp() * 2).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="a second time.*retain_graph=True"):
        y.backward()


def test_retain_graph_allows_second_backward():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    y = (x.exp()).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * np.exp([1.0, 2.0]), rtol=1e-6)


def test_non_scalar_backward_needs_gradient():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="grad can be implicitly created only for scalar"):
        (x * 2).backward()


def test_backward_on_tensor_without_grad_raises():
    x = torch.tensor([1.0, 2.0])
    with pytest.raises(RuntimeError, match="does not require grad"):
        x.sum().backward()


def test_gradient_shape_mismatch_raises():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="Mismatch in shape"):
        (x * 2).backward(torch.tensor([1.0, 1.0, 1.0]))


def test_matmul_shape_error_message():
    with pytest.raises(RuntimeError, match=r"mat1 and mat2 shapes cannot be multiplied \(3x4 and 5x2\)"):
        torch.randn(3, 4) @ torch.randn(5, 2)


def test_int_tensor_cannot_require_grad():
    with pytest.raises(RuntimeError, match="floating point"):
        torch.tensor([1, 2], requires_grad=True)
    with pytest.raises(RuntimeError, match="floating point"):
        torch.tensor([1, 2]).requires_grad_()


def test_requires_grad_flows_and_no_grad_stops_it():
    x = torch.tensor([1.0], requires_grad=True)
    c = torch.tensor([2.0])
    assert (x * c).requires_grad and not (c * c).requires_grad
    with torch.no_grad():
        y = x * 2
    assert not y.requires_grad and y.grad_fn is None
    with torch.set_grad_enabled(False):
        assert not torch.is_grad_enabled()
        with torch.enable_grad():
            assert (x * 2).requires_grad
    assert torch.is_grad_enabled()

    @torch.no_grad()
    def f(t):
        return t * 2

    assert not f(x).requires_grad


def test_autograd_grad_returns_and_does_not_accumulate():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    y = (x**3).sum()
    (g,) = torch.autograd.grad(y, x, create_graph=True)
    assert x.grad is None
    assert g.tolist() == [3.0, 12.0]
    (gg,) = torch.autograd.grad(g.sum(), x)
    assert gg.tolist() == [6.0, 12.0]


def test_grad_unused_input():
    x = torch.tensor([1.0], requires_grad=True)
    z = torch.tensor([1.0], requires_grad=True)
    y = (x * 2).sum()
    with pytest.raises(RuntimeError, match="allow_unused=True"):
        torch.autograd.grad(y, [x, z], retain_graph=True)
    gx, gz = torch.autograd.grad(y, [x, z], allow_unused=True)
    assert gx.tolist() == [2.0] and gz is None


def test_grad_wrt_intermediate_tensor():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    h = x * 3
    y = (h * h).sum()
    (gh,) = torch.autograd.grad(y, h)
    assert gh.tolist() == [6.0, 12.0]


def test_pruning_skips_branches_that_lead_nowhere():
    calls = []

    class Spy(torch.autograd.Function):
        @staticmethod
        def forward(ctx, a):
            return a * 1

        @staticmethod
        def backward(ctx, g):
            calls.append(1)
            return g

    x = torch.tensor([1.0], requires_grad=True)
    w = torch.tensor([1.0], requires_grad=True)
    y = (x * 2 + Spy.apply(w)).sum()
    torch.autograd.grad(y, x)
    assert calls == []  # w's branch was not run
    y2 = (x * 2 + Spy.apply(w)).sum()
    y2.backward()
    assert calls == [1]


def test_hooks_on_leaf_and_nonleaf():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    seen = []
    x.register_hook(lambda g: seen.append(g.tolist()))
    y = x * 2
    y.register_hook(lambda g: g * 10)  # replaces the gradient flowing on
    y.sum().backward()
    assert seen == [[20.0, 20.0]]
    assert x.grad.tolist() == [20.0, 20.0]


def test_hook_handle_remove():
    x = torch.tensor([1.0], requires_grad=True)
    h = x.register_hook(lambda g: g * 0)
    h.remove()
    (x * 3).sum().backward()
    assert x.grad.tolist() == [3.0]


def test_frozen_leaf_gets_no_grad_and_is_not_in_graph():
    w = torch.tensor([1.0, 2.0], requires_grad=False)
    x = torch.tensor([3.0, 4.0], requires_grad=True)
    y = (w * x).sum()
    (n, _), (m, _) = y.grad_fn.next_functions[0][0].next_functions
    assert n is None and type(m).__name__ == "AccumulateGrad"
    y.backward()
    assert w.grad is None and x.grad.tolist() == [1.0, 2.0]


def test_detach_shares_data_and_cuts_graph():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    d = x.detach()
    assert not d.requires_grad and d.grad_fn is None
    with torch.no_grad():
        x[0] = 5.0
    assert d[0].item() == 5.0


def test_backward_accumulates_into_inputs_only():
    x = torch.tensor([1.0], requires_grad=True)
    z = torch.tensor([1.0], requires_grad=True)
    (x * z).sum().backward(inputs=[x])
    assert x.grad.tolist() == [1.0] and z.grad is None


def test_double_backward_through_backward_with_create_graph():
    x = torch.tensor(2.0, requires_grad=True)
    y = x**4
    y.backward(create_graph=True)
    g = x.grad  # 4x^3 = 32, with a graph
    assert g.item() == 32.0 and g.requires_grad
    x.grad = None
    g.backward()
    assert x.grad.item() == 12 * 4.0  # 12x^2


def test_gradient_cast_back_to_the_dtype_of_a_mixed_precision_result():
    x32 = torch.randn(2, 3, requires_grad=True)
    w64 = torch.randn(3, 4, dtype=torch.float64)
    h = x32 @ torch.randn(3, 3)  # float32 node fed a float64 gradient below
    (h * w64[:, :3].sum(1)).sum().backward()
    assert x32.grad.dtype == torch.float32
    (g,) = torch.autograd.grad((x32.exp() * w64[:2, :3]).sum(), x32, create_graph=True)
    assert g.dtype == torch.float32


def test_weight_gradient_through_tbackward_is_adopted_not_copied():
    """AccumulateGrad takes the first gradient's array as ``.grad`` when nothing else holds it,
    also when it comes through Linear's TBackward0: a copy would double the backward's peak
    memory (and cost a full pass over the weight every step)."""
    import tracemalloc

    lin = torch.nn.Linear(1000, 1000)
    loss = lin(torch.randn(1, 1000)).sum()
    w_bytes = lin.weight.numel() * 4
    tracemalloc.start()
    try:
        loss.backward()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert lin.weight.grad is not None
    assert peak < 1.5 * w_bytes, f"backward peaked at {peak} bytes for a {w_bytes}-byte weight"
