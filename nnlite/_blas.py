"""The BLAS a matrix product runs on: numpy's (OpenBLAS) or, with the ``mkl`` extra installed,
MKL's CBLAS, chosen per shape class.

numpy's OpenBLAS and MKL differ by shape: on Intel CPUs MKL was 1.3-1.8x faster on the skinny
products of small batches (16x784 @ 784x512) and OpenBLAS faster on tiny 64x64 ones (issue 12).
:func:`matmul` times both once per *shape class* (each of m, n, k rounded up to a power of
two, per dtype and thread count) the first time it meets one, keeps the faster, and caches the
choice per machine in the user's cache dir (``~/.cache/nnlite/blas.json``, or
``$XDG_CACHE_HOME``), so later processes do not time again. ``NNLITE_BLAS=openblas`` or
``NNLITE_BLAS=mkl`` forces one. Numerics stay float32/float64 (MKL's ``cblas_sgemm`` /
``cblas_dgemm``; no reduced-precision modes). The two libraries round differently, so a
product is bit-identical to numpy's only on the OpenBLAS path: whichever is chosen, the same
shape always takes the same path within a process, which keeps a compiled step equal to eager.

Without MKL (the default install) :func:`matmul` is ``np.matmul`` and nothing is timed.
"""

from __future__ import annotations

import ctypes
import glob
import json
import os
import platform
import sys
import time

import numpy as np

from nnlite._threads import get_num_threads

_ROW_MAJOR, _NO_TRANS, _TRANS = 101, 111, 112
_lib = None  # the loaded MKL runtime (False: looked for it, absent)
_choice: dict = {}  # shape class -> "openblas" | "mkl"
_loaded_cache = False


def _find_mkl():
    """``libmkl_rt`` from the ``mkl`` wheel (or the system), loaded, or None."""
    names = []
    for base in {sys.prefix, sys.base_prefix, os.path.dirname(os.path.dirname(sys.executable))}:
        names += sorted(glob.glob(os.path.join(base, "lib", "libmkl_rt.so*")))
    names += ["libmkl_rt.so.2", "libmkl_rt.so"]
    for name in names:
        try:
            lib = ctypes.CDLL(name)
        except OSError:
            continue
        for fn, ct in (("cblas_sgemm", ctypes.c_float), ("cblas_dgemm", ctypes.c_double)):
            f = getattr(lib, fn)
            f.restype = None
            f.argtypes = [ctypes.c_int] * 6 + [ct, ctypes.c_void_p, ctypes.c_int,
                                               ctypes.c_void_p, ctypes.c_int, ct,
                                               ctypes.c_void_p, ctypes.c_int]
        return lib
    return None


def mkl():
    """The MKL runtime if importable (and not disabled by ``NNLITE_BLAS=openblas``), else None."""
    global _lib
    if _lib is None:
        _lib = False if os.environ.get("NNLITE_BLAS", "").lower() == "openblas" else (
            _find_mkl() or False)
    return _lib or None


def mkl_matmul(a: np.ndarray, b: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """``a @ b`` for 2-D float32/float64 arrays (C-contiguous or transposed views of them)
    through MKL's CBLAS."""
    lib = mkl()
    m, k = a.shape
    n = b.shape[1]
    if out is None:
        out = np.empty((m, n), a.dtype)
    ta, lda = (_NO_TRANS, a.strides[0] // a.itemsize) if a.flags.c_contiguous else (
        _TRANS, a.strides[1] // a.itemsize)
    tb, ldb = (_NO_TRANS, b.strides[0] // b.itemsize) if b.flags.c_contiguous else (
        _TRANS, b.strides[1] // b.itemsize)
    f = lib.cblas_sgemm if a.dtype == np.float32 else lib.cblas_dgemm
    f(_ROW_MAJOR, ta, tb, m, n, k, 1.0, a.ctypes.data, max(lda, 1), b.ctypes.data, max(ldb, 1),
      0.0, out.ctypes.data, max(n, 1))
    return out


def _pow2(v: int) -> int:
    return 1 << max(int(v) - 1, 0).bit_length()


def shape_class(m: int, k: int, n: int, dtype, threads: int) -> str:
    return f"{_pow2(m)}x{_pow2(k)}x{_pow2(n)}:{np.dtype(dtype).name}:t{threads}"


def _cache_path() -> str:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "nnlite", "blas.json")


def _cpu_id() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _load_cache() -> None:
    global _loaded_cache
    _loaded_cache = True
    try:
        with open(_cache_path()) as f:
            data = json.load(f)
        if data.get("cpu") == _cpu_id() and isinstance(data.get("choice"), dict):
            _choice.update({k: v for k, v in data["choice"].items()
                            if v in ("openblas", "mkl")})
    except (OSError, ValueError):
        pass


def _save_cache() -> None:
    path = _cache_path()
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        tmp = f"{path}.{os.getpid()}.tmp"
        with open(tmp, "w") as f:
            json.dump({"cpu": _cpu_id(), "choice": _choice}, f, indent=0, sort_keys=True)
        os.replace(tmp, path)  # atomic: a reader never sees half a file
    except OSError:
        pass  # an unwritable cache only means timing again next time


def _time(fn, reps=5) -> float:
    best = float("inf")
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def choose(m: int, k: int, n: int, dtype, threads: int | None = None) -> str:
    """``"openblas"`` or ``"mkl"`` for an (m, k) @ (k, n) product (autotuned once per class)."""
    forced = os.environ.get("NNLITE_BLAS", "").lower()
    if forced in ("openblas", "mkl"):
        return forced if (forced == "openblas" or mkl() is not None) else "openblas"
    if mkl() is None or np.dtype(dtype) not in (np.float32, np.float64):
        return "openblas"
    if threads is None:
        threads = get_num_threads()
    key = shape_class(m, k, n, dtype, threads)
    if not _loaded_cache:
        _load_cache()
    c = _choice.get(key)
    if c is None:
        rng = np.random.default_rng(0)
        a = rng.standard_normal((_pow2(m), _pow2(k))).astype(dtype)
        b = rng.standard_normal((_pow2(k), _pow2(n))).astype(dtype)
        out = np.empty((a.shape[0], b.shape[1]), dtype)
        for _ in range(2):  # warm both
            np.matmul(a, b, out=out)
            mkl_matmul(a, b, out)
        t_open = _time(lambda: np.matmul(a, b, out=out))
        t_mkl = _time(lambda: mkl_matmul(a, b, out))
        c = _choice[key] = "mkl" if t_mkl < t_open else "openblas"
        _save_cache()
    return c


def matmul(a: np.ndarray, b: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """``a @ b`` on the faster BLAS for its shape class (``np.matmul`` without MKL)."""
    if _lib is False or a.ndim != 2 or b.ndim != 2 or a.dtype != b.dtype:
        return np.matmul(a, b, out=out) if out is not None else a @ b
    if choose(a.shape[0], a.shape[1], b.shape[1], a.dtype) == "mkl" and _mkl_layout(a, b, out):
        return mkl_matmul(a, b, out)
    return np.matmul(a, b, out=out) if out is not None else a @ b


def _mkl_layout(a, b, out) -> bool:
    for x in (a, b):
        if not (x.flags.c_contiguous or x.flags.f_contiguous):
            return False
    return out is None or out.flags.c_contiguous


def describe() -> str:
    """One line: numpy's BLAS (via threadpoolctl when installed) and whether MKL is available."""
    parts = []
    try:
        from threadpoolctl import threadpool_info

        for d in threadpool_info():
            if d.get("user_api") == "blas":
                parts.append(f"{d.get('internal_api')} {d.get('version')} "
                             f"({d.get('architecture') or '?'}, {d.get('num_threads')} threads)")
    except ImportError:
        parts.append("numpy BLAS (threadpoolctl not installed)")
    parts.append("MKL CBLAS available" if mkl() is not None else "no MKL")
    forced = os.environ.get("NNLITE_BLAS")
    if forced:
        parts.append(f"NNLITE_BLAS={forced}")
    return "; ".join(parts)
