"""numba kernels on plain arrays, and the one loader the op layer reaches them through.

A kernel module imports numba (``nnlite.kernels._jit``) and compiles on first call, so nothing
imports one at module level: ops call ``load("elementwise")`` when a kernel is first needed
(``import nnlite`` loads no numba; a test checks). This package imports nothing from nnlite.
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
