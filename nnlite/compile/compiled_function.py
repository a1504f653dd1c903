"""``nnlite.compile(fn)`` on a plain function: its Python runs on every call (as with
``torch.compile(fullgraph=False)`` breaking the graph around whatever it cannot trace), and each
top-level module call inside it runs as a captured plan of that module."""

from __future__ import annotations

import functools
import weakref

from nnlite.autograd.grad_mode import _CaptureState
from nnlite.compile.compiled_module import ModuleCompiler


class CompiledFunction:
    """The callable ``nnlite.compile`` returns for a function."""

    def __init__(self, fn, fullgraph: bool = False):
        self._fn = fn
        self._fullgraph = fullgraph
        self._compilers = weakref.WeakKeyDictionary()
        functools.update_wrapper(self, fn)

    def __call__(self, *args, **kwargs):
        prev = _CaptureState.auto
        _CaptureState.auto = self
        try:
            return self._fn(*args, **kwargs)
        finally:
            _CaptureState.auto = prev

    def __get__(self, obj, objtype=None):
        if obj is None:
            return self
        return functools.partial(self.__call__, obj)

    def call_module(self, module, args, kwargs):
        """Called by ``Module.__call__`` for a module called directly inside the function."""
        c = self._compilers.get(module)
        if c is None:
            c = self._compilers[module] = ModuleCompiler(module, fullgraph=self._fullgraph)
        return c(args, kwargs)

    def compilers(self):
        return list(self._compilers.values())
