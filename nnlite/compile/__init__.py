"""Captured training steps: ``nnlite.compile`` (``torch.compile``'s name and signature).

``model = nnlite.compile(model)`` returns an :class:`OptimizedModule`. Its first call for a given
signature -- input shapes, dtypes, ``requires_grad`` and layout, the grad mode, the module tree's
structure and scalar attributes (``training``, ``momentum``, ...), which parameters require grad
-- runs eagerly while a recorder notes every op; the ops and the backward they imply become a
*plan*: one generated Python function for the forward and one for the backward, calling the same
array kernels in the same order as eager, over preallocated buffers. Later calls with that
signature replay the plan: no Tensor or graph node per op, no engine walk inside the module; the
result carries one ``CompiledFunctionBackward`` node, so ``loss.backward()`` (and
``autograd.grad``) work as usual and fill ``.grad`` through the parameters' own
``AccumulateGrad`` (their hooks run). Results are bit-identical to eager nnlite.

The loss joins the captured step: an op that consumes a replayed result (``F.cross_entropy``)
asks the result's node to run it as a continuation plan (``CompiledFunctionBackward.consume``,
recorded on its first call per signature like a module). The loss's node (named as eager's,
``NllLossBackward0``) leads to the module's node; when nothing else can reach that node (the
module's result is gone, no hooks), it takes over its edges at ``backward()`` and runs both
backwards itself -- one node for the whole step -- handing each parameter's gradient straight
to ``.grad`` where the engine would adopt it as is.

Anything a plan cannot reproduce runs eagerly instead: an op without a lowering (see
:mod:`nnlite.compile.lowering`), module hooks, keyword or non-tensor arguments, in-place changes
inside the forward, hooks on intermediate results. ``create_graph=True`` differentiates an eager
re-run of the same ops (exact, no side effects). ``compile_stats`` on the returned module counts
replays, recordings and eager calls with their reasons.

``@nnlite.compile`` on a function (e.g. a training step that calls ``opt.step()``) runs the
function's Python every call and replays a plan for each module it calls.

Example:
    >>> model = nnlite.compile(nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2)))
    >>> loss = F.cross_entropy(model(x), y)   # first call: recorded; later calls: replayed
    >>> loss.backward()
"""

from __future__ import annotations

import sys as _sys
import types as _types

from nnlite.compile.compiled_function import CompiledFunction
from nnlite.compile.compiled_module import CompileStats, ModuleCompiler, OptimizedModule
from nnlite.compile.recorder import CaptureFailed
from nnlite.nn.module import Module

__all__ = ["CaptureFailed", "CompileStats", "CompiledFunction", "ModuleCompiler",
           "OptimizedModule", "compile"]

_MODES = ("default", "reduce-overhead", "max-autotune", "max-autotune-no-cudagraphs")


def compile(model=None, *, fullgraph: bool = False, dynamic=None, backend="inductor",
            mode=None, options=None, disable: bool = False):
    """Capture ``model`` (a Module or a function) into replayable plans, as ``torch.compile``.

    Args:
        model: a ``Module`` (returns an :class:`OptimizedModule`) or a callable (returns a
            :class:`CompiledFunction`); None returns a decorator.
        fullgraph: raise instead of running eagerly when a module call cannot be captured
            (functions always run their own Python; each module call in them is captured).
        dynamic: accepted for compatibility; plans are specialised per input shape.
        backend: accepted for compatibility (``"inductor"``, ``"eager"``, ... all capture the
            same way); ``mode``/``options`` likewise, ``mode`` checked as torch checks it.
        disable: return ``model`` unchanged.

    Example:
        >>> model = nnlite.compile(model)
        >>> @nnlite.compile
        ... def train_step(x, y):
        ...     opt.zero_grad(); loss = F.cross_entropy(model(x), y); loss.backward()
        ...     opt.step(); return loss
    """
    if mode is not None and options is not None:
        raise RuntimeError("Either mode or options can be specified, but both can't be specified"
                           " at the same time.")
    if mode is not None and mode not in _MODES:
        raise RuntimeError(f"Unrecognized mode={mode}, should be one of: {', '.join(_MODES)}")
    if model is None:
        def decorator(fn):
            return compile(fn, fullgraph=fullgraph, dynamic=dynamic, backend=backend, mode=mode,
                           options=options, disable=disable)

        return decorator
    if disable:
        return model
    if isinstance(model, Module):
        return OptimizedModule(model, fullgraph=fullgraph, backend=backend, mode=mode)
    if not callable(model):
        raise TypeError(f"nnlite.compile expects a Module or a callable, got "
                           f"{type(model).__name__}")
    return CompiledFunction(model, fullgraph=fullgraph)


class _CallableModule(_types.ModuleType):
    """``nnlite.compile`` is this package and, called, the :func:`compile` function (torch has
    the function ``torch.compile``; here the package of the same name must answer both)."""

    def __call__(self, *args, **kwargs):
        return compile(*args, **kwargs)


_sys.modules[__name__].__class__ = _CallableModule
