"""The one place kernels get their decorator.

`njit` compiles lazily (on first call), caches to disk when it can (``cache=True``) and uses
``error_model='numpy'`` so divisions do not block vectorization (see docs/kernels.md). If no cache
directory is writable, numba raises at decoration time; we fall back to an uncached kernel.

Importing this module imports numba, and with it numba's array-math registry
(``numba.np.arraymath``), without the import of ``scipy.linalg`` that module would make:

At import, ``numba.np.arraymath`` asks ``numba.np.linalg.ensure_blas()`` whether SciPy's BLAS is
there (for ``np.dot`` & co. inside jitted code), and ``ensure_blas`` answers by importing
``scipy.linalg.cython_blas`` -- which runs ``scipy/linalg/__init__`` (~0.3 s of CPU, a quarter
of what numba costs the default ``configs/mlp.yaml`` run, whose kernels call no BLAS). The
answer is the same when the extension file is merely located, so that is the check arraymath
runs while it is imported here. ``ensure_blas`` itself is restored at once: jitted code that
does use BLAS still imports SciPy, and gets numba's full check, when it compiles.
"""

from __future__ import annotations

import glob
import os
import sys

import numba
from numba.np import linalg as _nb_linalg


def _blas_located() -> None:
    """``ensure_blas``'s answer (raise ImportError if SciPy's cython_blas is missing) from the
    file system: numba imported ``scipy`` itself (for its version check) when it is there."""
    roots = list(getattr(sys.modules.get("scipy"), "__path__", None) or [])
    if not any(glob.glob(os.path.join(r, "linalg", "cython_blas.*")) for r in roots):
        raise ImportError("scipy 0.16+ is required for linear algebra")


_real_ensure_blas = getattr(_nb_linalg, "ensure_blas", None)
if _real_ensure_blas is not None and "numba.np.arraymath" not in sys.modules:
    _nb_linalg.ensure_blas = _blas_located  # what arraymath binds and calls at its import
try:
    from numba.np import arraymath as _nb_arraymath
finally:
    if _real_ensure_blas is not None:
        _nb_linalg.ensure_blas = _real_ensure_blas
if getattr(_nb_arraymath, "ensure_blas", None) is _blas_located:
    _nb_arraymath.ensure_blas = _real_ensure_blas


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
