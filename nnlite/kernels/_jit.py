"""The one place kernels get their decorator.

`njit` compiles lazily (on first call), caches to disk when it can (``cache=True``) and uses
``error_model='numpy'`` so divisions do not block vectorization (see docs/kernels.md). If no cache
directory is writable, numba raises at decoration time; we fall back to an uncached kernel.
"""

from __future__ import annotations

import numba


def njit(fn=None, **kwargs):
    """``numba.njit(cache=True, error_model='numpy')`` with a fallback to ``cache=False``."""
    opts = {"cache": True, "error_model": "numpy", "nogil": True}
    opts.update(kwargs)

    def wrap(f):
        try:
            return numba.njit(**opts)(f)
        except Exception:  # unwritable cache locations: compile without a disk cache
            opts2 = dict(opts, cache=False)
            return numba.njit(**opts2)(f)

    return wrap(fn) if fn is not None else wrap
