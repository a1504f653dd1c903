"""Module backward hooks (``register_full_backward_hook`` / ``_pre_hook``).

As PyTorch's ``BackwardHook`` does, the module's tensor inputs and outputs pass through identity
Functions: the one on the outputs sees ``grad_output`` (and runs the pre-hooks, which may replace
it); the one on the inputs sees ``grad_input`` and runs the hooks, which may replace it. When no
input needs a gradient the hooks run from the output side with ``grad_input`` all ``None``.
"""

from __future__ import annotations

from types import SimpleNamespace

from nnlite._tensor import Tensor
from nnlite.autograd.function import Function
from nnlite.autograd.grad_mode import is_grad_enabled


def _run_hooks(state, grad_input):
    module = state.module
    for hook in list(module._backward_hooks.values()):
        res = hook(module, grad_input, state.grad_output)
        if res is not None:
            res = tuple(res) if isinstance(res, (tuple, list)) else (res,)
            if len(res) != len(grad_input):
                raise RuntimeError(
                    f"Backward hook returned an invalid number of grad_input, got {len(res)}, "
                    f"but expected {len(grad_input)}"
                )
            grad_input = res
    return grad_input


class BackwardHookFunctionBackward(Function):
    @staticmethod
    def forward(ctx, state, is_output, *tensors):
        ctx.state, ctx.is_output = state, is_output
        return tuple(t.clone() for t in tensors)

    @staticmethod
    def backward(ctx, *grads):
        state = ctx.state
        if ctx.is_output:
            module = state.module
            for hook in list(module._backward_pre_hooks.values()):
                res = hook(module, grads)
                if res is not None:
                    grads = tuple(res) if isinstance(res, (tuple, list)) else (res,)
            state.grad_output = grads
            if not state.input_idx:
                _run_hooks(state, (None,) * state.n_inputs)
            return (None, None) + tuple(grads)
        grad_input = [None] * state.n_inputs
        for i, g in zip(state.input_idx, grads):
            grad_input[i] = g
        grad_input = _run_hooks(state, tuple(grad_input))
        return (None, None) + tuple(grad_input[i] for i in state.input_idx)


def wrap_inputs(module, args: tuple):
    """``args`` with the tensors that need a gradient routed through the input hook node."""
    state = SimpleNamespace(module=module, grad_output=None, n_inputs=len(args), input_idx=[])
    if not is_grad_enabled():
        return args, state
    idx = [i for i, a in enumerate(args) if isinstance(a, Tensor) and a.requires_grad]
    state.input_idx = idx
    if idx and module._backward_hooks:
        outs = BackwardHookFunctionBackward.apply(state, False, *[args[i] for i in idx])
        args = list(args)
        for i, t in zip(idx, outs):
            args[i] = t
        args = tuple(args)
    return args, state


def wrap_outputs(state, result):
    """``result`` (a tensor or a tuple of them) routed through the output hook node."""
    if not is_grad_enabled():
        return result
    single = isinstance(result, Tensor)
    items = [result] if single else list(result) if isinstance(result, (tuple, list)) else None
    if items is None:
        return result
    idx = [i for i, t in enumerate(items) if isinstance(t, Tensor) and t.requires_grad]
    if not idx:
        return result
    outs = BackwardHookFunctionBackward.apply(state, True, *[items[i] for i in idx])
    for i, t in zip(idx, outs):
        items[i] = t
    return items[0] if single else type(result)(items)
