"""The one place kernels get their decorator, and how their cached machine code is loaded.

`njit` compiles lazily (on first call), caches to disk when it can (``cache=True``) and uses
``error_model='numpy'`` so divisions do not block vectorization (see docs/kernels.md). If no cache
directory is writable, the kernel compiles without a disk cache.

Loading a cached kernel without the compiler's set-up (``_KernelCache``): numba's own cache load
first *refreshes* its target context, which imports and installs every typing and lowering
registry numba has (``numba.np.*``, ``numba.cpython.*``, typed containers, jitclass, ...), and the
first dispatch scans the installed distributions for numba extensions. That is ~0.3-0.8 s of CPU
once per process, a fifth of the default ``configs/mlp.yaml`` run, and only a compile needs it:
a cached kernel is machine code that links against numba's runtime (NRT), numba's C helpers
and libm, which the target context and ``rtsys.initialize`` register without the registries.
So a kernel's cache load initializes the NRT alone, and a cache miss -- a compile follows --
does the full set-up first (``_prepare_compile``), the same one numba would have done. This
uses numba internals (0.68's): if one is missing, or the quick load raises, numba's own cache
path runs instead; ``NNLITE_NUMBA_QUICK_LOAD=0`` selects it too.

The full set-up imports ``numba.np.arraymath``, whose import asks ``numba.np.linalg.ensure_blas()``
whether SciPy's BLAS is there (for ``np.dot`` & co. inside jitted code); ``ensure_blas`` answers
by importing ``scipy.linalg.cython_blas``, which runs ``scipy/linalg/__init__`` (~0.3 s of CPU;
nnlite's kernels call no BLAS). The answer is the same when the extension file is merely
located, so that is the check arraymath runs while ``_prepare_compile`` imports it; jitted code
that does use BLAS still imports SciPy, and gets numba's full check, when it compiles.
"""

from __future__ import annotations

import glob
import os
import sys

import numba

try:  # numba internals the quick load uses (see _quick_load_available)
    from numba.core import entrypoints
    from numba.core.caching import FunctionCache
    from numba.core.dispatcher import Dispatcher
    from numba.core.runtime import rtsys
except ImportError:  # another numba layout: numba's own cache path
    FunctionCache = None

# What the quick load needs of numba (0.68 has them all); missing -> numba's plain cache path
_REQUIRED = (("FunctionCache", "_load_overload"),
             ("FunctionCache", "_guard_against_spurious_io_errors"),
             ("Dispatcher", "_compilation_chain_init_hook"),
             ("rtsys", "initialize"), ("entrypoints", "init_all"))


def _quick_load_available() -> bool:
    """Whether cached kernels load through ``_KernelCache``: numba has what it uses, and
    ``NNLITE_NUMBA_QUICK_LOAD`` is not ``0`` (the switch back to numba's own path)."""
    if FunctionCache is None or os.environ.get("NNLITE_NUMBA_QUICK_LOAD", "1") == "0":
        return False
    names = globals()
    return all(hasattr(names.get(owner), attr) for owner, attr in _REQUIRED)


def _blas_located() -> None:
    """``ensure_blas``'s answer (raise ImportError if SciPy's cython_blas is missing) from the
    file system: numba imported ``scipy`` itself (for its version check) when it is there."""
    roots = list(getattr(sys.modules.get("scipy"), "__path__", None) or [])
    if not any(glob.glob(os.path.join(r, "linalg", "cython_blas.*")) for r in roots):
        raise ImportError("scipy 0.16+ is required for linear algebra")


_prepared = []  # the target contexts _prepare_compile has set up (one, numba's CPU target)


def _prepare_compile(target_context) -> None:
    """What numba does before its first compile or cache load (load the numba extensions,
    refresh the target context: all registries), with arraymath's BLAS probe answered from the
    file system if arraymath is imported now; numba's plain refresh if that fails."""
    if target_context in _prepared:
        return
    _prepared.append(target_context)
    try:
        _refresh_without_scipy(target_context)
    except Exception:  # noqa: BLE001 (numba internals changed: numba's own set-up)
        target_context.refresh()


def _refresh_without_scipy(target_context) -> None:
    entrypoints.init_all()
    from numba.np import linalg as nb_linalg

    real = getattr(nb_linalg, "ensure_blas", None)
    probe = real is not None and "numba.np.arraymath" not in sys.modules
    if probe:
        nb_linalg.ensure_blas = _blas_located  # what arraymath binds and calls at its import
    try:
        target_context.refresh()
    finally:
        if probe:
            nb_linalg.ensure_blas = real
            arraymath = sys.modules.get("numba.np.arraymath")
            if getattr(arraymath, "ensure_blas", None) is _blas_located:
                arraymath.ensure_blas = real


def _quick_load(cache, sig, target_context):
    """A cached kernel (or None) with the NRT initialized instead of the whole target context
    refreshed (see the module doc)."""
    rtsys.initialize(target_context)
    with cache._guard_against_spurious_io_errors():
        return cache._load_overload(sig, target_context)


if FunctionCache is not None:

    class _KernelCache(FunctionCache):
        """numba's per-function disk cache (same files, same keys) with ``_quick_load``; if
        that raises, numba's own load (full set-up first) runs instead."""

        def load_overload(self, sig, target_context):
            try:
                data = _quick_load(self, sig, target_context)
            except Exception:  # noqa: BLE001 (numba internals changed: numba's own path)
                _prepare_compile(target_context)
                return super().load_overload(sig, target_context)
            if data is None:  # not in the cache: numba compiles next, needs the full set-up
                _prepare_compile(target_context)
            return data


def _no_extension_scan() -> None:
    """A kernel's first dispatch skips numba's scan for extensions (its arguments are numpy
    arrays and numbers); ``_prepare_compile`` runs it before any compile."""


def njit(fn=None, **kwargs):
    """``numba.njit(cache=True, error_model='numpy', nogil=True)``; cached kernels load without
    numba's compiler set-up (``_KernelCache``); no writable cache location: no disk cache."""
    opts = {"cache": True, "error_model": "numpy", "nogil": True}
    opts.update(kwargs)
    cache = opts.pop("cache")

    def wrap(f):
        if not (cache and _quick_load_available()):
            return _plain_njit(f, opts, cache)
        disp = numba.njit(**opts)(f)
        if isinstance(disp, Dispatcher):  # not under NUMBA_DISABLE_JIT
            try:
                disp._cache = _KernelCache(f)
            except Exception:  # noqa: BLE001 (numba's RuntimeError: no writable cache location)
                return disp
            disp._compilation_chain_init_hook = _no_extension_scan
        return disp

    return wrap(fn) if fn is not None else wrap


def _plain_njit(f, opts, cache):
    """numba's own ``njit``, with ``cache=True`` where a cache location is writable."""
    try:
        return numba.njit(cache=cache, **opts)(f)
    except Exception:  # noqa: BLE001 (unwritable cache locations: compile without a cache)
        return numba.njit(**opts)(f)
