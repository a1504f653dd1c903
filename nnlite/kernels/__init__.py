"""numba kernels on plain arrays, and the one loader the op layer reaches them through.

A kernel module imports numba (``nnlite.kernels._jit``) and compiles on first call, so nothing
imports one at module level (``import nnlite`` loads no numba; a test checks). A module that
calls kernels binds a handle once, at its top::

    _norm_kernels = lazy("norm")          # nothing imported yet
    ...
    y = _norm_kernels.layernorm_forward(x, w, b, eps)   # first use imports nnlite.kernels.norm

The first attribute read imports the kernel module and makes the module's own namespace the
handle's attribute dict, so every later read is a plain attribute lookup: no function call per
op on the hot path, and it sees what the module holds now (a test's monkeypatch included).
``load(name)`` is the same import, returning the module. This package imports nothing from
nnlite.
"""

from __future__ import annotations

import importlib

_LOADED: dict = {}


def load(name: str):
    """The kernel module ``nnlite.kernels.<name>``, imported on first use (then a dict lookup)."""
    mod = _LOADED.get(name)
    if mod is None:
        mod = _LOADED[name] = importlib.import_module(f"{__name__}.{name}")
    return mod


class LazyKernels:
    """Handle on the kernel module ``nnlite.kernels.<name>`` that imports it on first use.

    Until then its only attribute is the module's name; ``__getattr__`` (called by Python only
    for a name missing from the instance dict) imports the module and swaps the instance dict
    for the module's ``__dict__``, after which attribute reads never call Python code again.
    """

    def __init__(self, name: str):
        self._kernel_module = name

    def __getattr__(self, attr: str):
        d = self.__dict__
        name = d.get("_kernel_module")
        if name is None:  # already loaded: the module has no such attribute
            raise AttributeError(f"module {d.get('__name__')!r} has no attribute {attr!r}")
        mod = load(name)
        self.__dict__ = mod.__dict__
        return getattr(mod, attr)

    def __repr__(self) -> str:
        d = self.__dict__
        if "_kernel_module" in d:
            return f"<kernels {__name__}.{d['_kernel_module']} (not loaded yet)>"
        return f"<kernels {d['__name__']}>"


def lazy(name: str) -> LazyKernels:
    """A handle on ``nnlite.kernels.<name>``, imported at its first attribute read."""
    return LazyKernels(name)
