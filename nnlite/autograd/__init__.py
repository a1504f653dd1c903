"""Automatic differentiation: ``backward``, ``grad``, ``Function``, gradcheck, functional."""

from __future__ import annotations

from nnlite.autograd.engine import queue_callback, run_backward
from nnlite.autograd.function import Function, FunctionCtx, Node, once_differentiable
from nnlite.autograd.grad_mode import (
    enable_grad,
    inference_mode,
    is_grad_enabled,
    no_grad,
    set_grad_enabled,
)


def _seq(x):
    from nnlite._tensor import Tensor

    if x is None:
        return None
    return [x] if isinstance(x, Tensor) else list(x)


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None):
    """Accumulate gradients of ``tensors`` into the leaves (``torch.autograd.backward``)."""
    tensors = _seq(tensors)
    grads = _seq(grad_tensors) or [None] * len(tensors)
    run_backward(tensors, grads, retain_graph, create_graph, inputs=_seq(inputs))


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         only_inputs=True, allow_unused=None, is_grads_batched=False, materialize_grads=False):
    """Gradients of ``outputs`` w.r.t. ``inputs``, returned (not accumulated into ``.grad``)."""
    outputs = _seq(outputs)
    inputs_l = _seq(inputs)
    go = _seq(grad_outputs) or [None] * len(outputs)
    if allow_unused is None:
        allow_unused = materialize_grads
    res = run_backward(outputs, go, retain_graph, create_graph, inputs=inputs_l,
                       allow_unused=allow_unused, accumulate=False)
    if materialize_grads:
        from nnlite.ops.elementwise import zeros_like

        res = tuple(zeros_like(i) if g is None else g for g, i in zip(res, inputs_l))
    return res


class _VariableMeta(type):
    def __instancecheck__(cls, obj) -> bool:
        from nnlite._tensor import Tensor

        return isinstance(obj, Tensor)


class Variable(metaclass=_VariableMeta):
    """Legacy ``torch.autograd.Variable``: calling it returns the tensor itself (with
    requires_grad); every tensor is an instance, so ``isinstance(p, Variable)`` checks pass."""

    def __new__(cls, data, requires_grad=False, volatile=False):
        if requires_grad:
            data.requires_grad_(True)
        return data


class _ExecutionEngine:
    """``torch.autograd.Variable._execution_engine``: the engine's ``queue_callback``."""

    @staticmethod
    def queue_callback(callback) -> None:
        queue_callback(callback)


Variable._execution_engine = _ExecutionEngine()


from nnlite.autograd import functional  # noqa: E402
from nnlite.autograd import graph  # noqa: E402  (torch.autograd.graph; draws the graph)
from nnlite.autograd.gradcheck import gradcheck, gradgradcheck  # noqa: E402

__all__ = [
    "Function", "FunctionCtx", "Node", "backward", "grad", "no_grad", "enable_grad",
    "set_grad_enabled", "is_grad_enabled", "inference_mode", "once_differentiable",
    "gradcheck", "gradgradcheck", "functional",
]


def __getattr__(name):
    # torch.autograd.profiler without an explicit import, as torch offers it
    if name == "profiler":
        import importlib

        return importlib.import_module("nnlite.autograd.profiler")
    raise AttributeError(f"module 'nnlite.autograd' has no attribute '{name}'")
