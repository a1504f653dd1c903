"""Custom autograd.Function: ctx API, node naming, errors, once_differentiable."""

import numpy as np
import pytest

import nnlite as torch
from nnlite.autograd import Function, gradcheck, gradgradcheck, once_differentiable


class Cube(Function):
    @staticmethod
    def forward(ctx, x, scale):
        ctx.save_for_backward(x)
        ctx.scale = scale
        return x**3 * scale

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * 3 * x**2 * ctx.scale, None


def test_custom_function_forward_backward_and_name():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    y = Cube.apply(x, 2.0)
    assert type(y.grad_fn).__name__ == "CubeBackward"
    assert y.grad_fn.next_functions[0][0].variable is x
    y.sum().backward()
    assert x.grad.tolist() == [6.0, 24.0]


def test_custom_function_double_backward_and_gradchecks():
    x = torch.tensor([0.5, -1.5], dtype=torch.float64, requires_grad=True)
    assert gradcheck(lambda t: Cube.apply(t, 1.5), (x,))
    assert gradgradcheck(lambda t: Cube.apply(t, 1.5), (x,))


def test_needs_input_grad_and_non_differentiable_output():
    seen = {}

    class SortFn(Function):
        @staticmethod
        def forward(ctx, a, b):
            seen["needs"] = ctx.needs_input_grad
            idx = torch.from_numpy(np.argsort(a.detach().numpy()))
            ctx.mark_non_differentiable(idx)
            return a * b, idx

        @staticmethod
        def backward(ctx, g, g_idx):
            return g * 2, None

    a = torch.tensor([3.0, 1.0], requires_grad=True)
    b = torch.tensor([1.0, 1.0])
    out, idx = SortFn.apply(a, b)
    assert seen["needs"] == (True, False)
    assert out.requires_grad and not idx.requires_grad
    out.sum().backward()
    assert a.grad.tolist() == [2.0, 2.0]


def test_wrong_number_of_gradients_is_a_clear_error():
    class Bad(Function):
        @staticmethod
        def forward(ctx, a, b):
            return a + b

        @staticmethod
        def backward(ctx, g):
            return (g,)

    a = torch.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="incorrect number of gradients"):
        Bad.apply(a, a).sum().backward()


def test_wrong_gradient_shape_is_a_clear_error():
    class BadShape(Function):
        @staticmethod
        def forward(ctx, a):
            return a * 2

        @staticmethod
        def backward(ctx, g):
            return torch.ones(5)

    a = torch.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="invalid gradient at index 0"):
        BadShape.apply(a).sum().backward()


def test_once_differentiable_blocks_double_backward():
    class Sq(Function):
        @staticmethod
        def forward(ctx, a):
            ctx.save_for_backward(a)
            return a * a

        @staticmethod
        @once_differentiable
        def backward(ctx, g):
            (a,) = ctx.saved_tensors
            return g * 2 * a

    a = torch.tensor([3.0], requires_grad=True)
    y = Sq.apply(a)
    (g,) = torch.autograd.grad((y * y).sum(), a, create_graph=True)
    assert g.tolist() == [108.0] and g.requires_grad
    with pytest.raises(RuntimeError, match="once_differentiable"):
        g.sum().backward()


def test_function_forward_runs_without_graph():
    class Probe(Function):
        @staticmethod
        def forward(ctx, a):
            ctx.inner_requires_grad = (a * 2).requires_grad
            return a.clone()

        @staticmethod
        def backward(ctx, g):
            return g

    a = torch.ones(1, requires_grad=True)
    y = Probe.apply(a)
    assert y.grad_fn.inner_requires_grad is False


def test_setup_context_style_function_gradchecks():
    """torch 2's split style: forward(*args) without ctx, setup_context saves."""
    import nnlite as nl

    class Cube(nl.autograd.Function):
        @staticmethod
        def forward(x):
            return x ** 3

        @staticmethod
        def setup_context(ctx, inputs, output):
            (x,) = inputs
            ctx.save_for_backward(x)

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return 3 * x * x * g

    x = nl.randn(4, dtype=nl.float64, requires_grad=True)
    assert nl.autograd.gradcheck(Cube.apply, (x,))
    assert nl.autograd.gradgradcheck(Cube.apply, (x,))
    assert type(Cube.apply(x).grad_fn).__name__ == "CubeBackward"
