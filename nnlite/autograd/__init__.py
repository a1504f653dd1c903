"""Automatic differentiation: ``backward``, ``grad``, ``Function``, gradcheck, functional."""

from __future__ import annotations

import importlib as _importlib

from nnlite._tensor import Tensor as _Tensor
from nnlite.autograd import graph  # noqa: F401  (torch.autograd.graph; draws the graph)
from nnlite.autograd.anomaly_mode import detect_anomaly, set_detect_anomaly
from nnlite.autograd.engine import backward, grad, queue_callback
from nnlite.autograd.function import Function, FunctionCtx, Node, once_differentiable
from nnlite.autograd.grad_mode import (
    enable_grad,
    inference_mode,
    is_grad_enabled,
    no_grad,
    set_grad_enabled,
)
from nnlite.autograd.gradcheck import gradcheck, gradgradcheck

# Submodules built on the op layer, which is above this package (ops record their nodes with
# nnlite.autograd.function): they load on first attribute access, as torch.autograd offers them.
_LAZY_SUBMODULES = ("functional", "profiler")


class _VariableMeta(type):
    def __instancecheck__(cls, obj) -> bool:
        return isinstance(obj, _Tensor)


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


__all__ = [
    "Function", "FunctionCtx", "Node", "backward", "grad", "no_grad", "enable_grad",
    "set_grad_enabled", "is_grad_enabled", "inference_mode", "once_differentiable",
    "gradcheck", "gradgradcheck", "functional", "detect_anomaly", "set_detect_anomaly",
]


def __getattr__(name):
    if name in _LAZY_SUBMODULES:
        return _importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module 'nnlite.autograd' has no attribute '{name}'")
