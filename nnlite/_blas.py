"""The BLAS a matrix product runs on -- numpy's (OpenBLAS) or, with the ``mkl`` extra installed,
MKL's CBLAS -- and how many threads it uses, chosen per shape class.

Every 2-D matrix product of nnlite's matmul-heavy paths (``linear`` forward and backward,
``mm``/``matmul`` of two matrices, the captured plans' GEMMs) goes through :func:`matmul`.

Why per shape: OpenBLAS and MKL differ by shape and CPU. On an Intel Xeon MKL was 1.3-1.8x
faster on the skinny products of small batches (16x784 @ 784x512) and OpenBLAS faster on tiny
64x64 ones; on the AMD EPYC VMs of this project the ``mkl`` wheel lost on every shape of the
benchmarks (e.g. 256x784x512: 3.4 ms vs OpenBLAS 3.1 ms, one thread). And a second BLAS thread
costs a wake-up and a barrier per call, which can exceed the halved work of a small product.

So, with ``NNLITE_BLAS`` unset (or ``auto``), the first product of a *shape class* -- m, k and n
each rounded up to a power of two, the operands' transposition, the dtype, and the thread count
in force -- times the candidates (OpenBLAS at the thread count in force, OpenBLAS on one thread,
MKL likewise when it is installed) on arrays of the class's size, and keeps the fastest. The
timing is paired: many short rounds, each running every candidate once (rotating who goes
first), and a candidate's figure is the median over rounds of its time relative to the
default's in the same round, so a burst of load hits both sides of each ratio alike; an
alternative to plain OpenBLAS must win by ``MARGIN`` (5 %) so that noise does not move a
product off numpy.

Products of a class of at most ``SMALL_FLOPS`` (2*m*k*n of the class's sizes, 4.2 MFLOP, e.g.
64x256x128: ~50 us on one core) run on one thread whatever the count in force (their class
key says one thread, so every count shares one choice), without timing when MKL is absent: OpenBLAS splits any
product past m*n*k = 262144 over its threads, and for these the split saves at most a few tens
of microseconds while each split wakes OpenBLAS's worker thread, which then spins on a core
for ~0.1 s after the call (2^28 cycles, measured: 0.10 s of CPU time after one 2-thread call).
A training step made only of such products (the small MLPs, ``configs/mlp.yaml``)
therefore never wakes the worker: with two threads in force it runs exactly as with one --
same speed, same CPU time, bit-identical results -- instead of burning the second core and, on
a machine where other work holds that core, waiting milliseconds for it at every barrier
(measured under load: ``configs/mlp.yaml`` 88 s wall / 34 s CPU at 2 threads vs 20 s / 6.5 s
at 1 before this rule). The bound was 16.8 MFLOP at first; that also pinned the skinny
products of batch 16 (16x784 @ 784x512, ~0.2 ms on one core) to one thread, where the numpy MLP
gained ~1.4x from the second core (tiny-batch, 2 threads: nnlite 0.96x numpy): those classes are
timed again, one thread against two. The choices are cached per machine in the user's
cache dir (``$XDG_CACHE_HOME/nnlite/blas.json``, default ``~/.cache/nnlite/blas.json``, keyed by
the CPU model, core count and library versions), so later processes do not time again; a
missing, unreadable or corrupt cache file only means timing again (``NNLITE_BLAS_CACHE=PATH``
puts the file elsewhere; delete it to time again, e.g. after a run on a busy machine).

``NNLITE_BLAS=openblas`` makes every product numpy's own ``np.matmul`` (no timing, no thread
switching: bit-identical to numpy); ``NNLITE_BLAS=mkl`` sends every 2-D float product MKL can
take to MKL (``openblas`` when MKL is absent).

Numerics stay in the operands' dtype: float32 stays float32 (``cblas_sgemm``; no bf16 or TF32
modes). The two libraries round differently, so a product is bit-identical to numpy's only on
the OpenBLAS path; whichever is chosen, the same shape always takes the same path within a
process, which keeps a compiled step bit-identical to eager.

Without MKL and with one thread, :func:`matmul` is ``np.matmul`` after one dictionary look-up.
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

from nnlite import _threads

_ROW_MAJOR, _NO_TRANS, _TRANS = 101, 111, 112
MARGIN = 1.05  # an alternative to OpenBLAS at the thread count in force must be this much faster
SMALL_FLOPS = 1 << 22  # classes of at most this many FLOPs (2*m*k*n) run on one thread
_CACHE_VERSION = 3  # 3: paired timing, one thread under SMALL_FLOPS
_MODES = ("auto", "openblas", "mkl")

_lib = None  # the loaded MKL runtime (False: looked for it, absent or disabled)
_ob = None  # (set_num_threads, get_num_threads) of numpy's OpenBLAS (False: not found)
_choice: dict = {}  # shape class -> [library, threads]
_loaded_cache = False
_fast: dict = {}  # exact call signature -> (use_mkl, threads to switch to or 0)
_blas_threads = None  # numpy's BLAS thread count in force (None: not read yet)
# Inside a product scope (``enter_scope``/``exit_scope``, around a captured plan's functions)
# OpenBLAS stays at the thread count the last product switched it to (``_held``; None: at
# ``_blas_threads``) instead of switching back after each product: a small MLP's products all
# want one thread at two, and one switch pair per plan function replaces one per product. The
# count only decides how OpenBLAS splits the output among threads, never the sums (the same
# bits either way); every product still runs at the count chosen for it.
_scope = 0
_held = None


# ---- the environment -------------------------------------------------------------------------


def mode() -> str:
    """``NNLITE_BLAS`` as one of ``auto``, ``openblas``, ``mkl`` (ValueError on anything else)."""
    v = os.environ.get("NNLITE_BLAS", "").strip().lower() or "auto"
    if v not in _MODES:
        raise ValueError(f"NNLITE_BLAS must be one of openblas, mkl, auto (or unset), got "
                         f"{os.environ['NNLITE_BLAS']!r}")
    return v


def _find_mkl():
    """``libmkl_rt`` from the ``mkl`` wheel (or the system), loaded, or None."""
    names = []
    for base in {sys.prefix, sys.base_prefix, os.path.dirname(os.path.dirname(sys.executable))}:
        names += sorted(glob.glob(os.path.join(base, "lib", "libmkl_rt.so*")))
    names += ["libmkl_rt.so.2", "libmkl_rt.so"]
    # MKL's OpenMP threads would spin after each product while OpenBLAS's run the next one:
    # let them sleep at once (read when MKL's runtime starts; a user's setting wins)
    os.environ.setdefault("KMP_BLOCKTIME", "0")
    for name in names:
        try:
            lib = ctypes.CDLL(name)
        except OSError:
            continue
        try:
            for fn, ct in (("cblas_sgemm", ctypes.c_float), ("cblas_dgemm", ctypes.c_double)):
                f = getattr(lib, fn)
                f.restype = None
                f.argtypes = [ctypes.c_int] * 6 + [ct, ctypes.c_void_p, ctypes.c_int,
                                                   ctypes.c_void_p, ctypes.c_int, ct,
                                                   ctypes.c_void_p, ctypes.c_int]
            lib.MKL_Set_Num_Threads.argtypes = [ctypes.c_int]
            lib.MKL_Set_Num_Threads.restype = None
            lib.MKL_Get_Max_Threads.restype = ctypes.c_int
        except AttributeError:
            continue
        lib.MKL_Set_Num_Threads(blas_threads())  # the thread count nnlite runs with
        return lib
    return None


def mkl():
    """The MKL runtime if importable (and not disabled by ``NNLITE_BLAS=openblas``), else None."""
    global _lib
    if _lib is None:
        _lib = False if mode() == "openblas" else (_find_mkl() or False)
    return _lib or None


def _openblas():
    """ctypes ``(set_num_threads, get_num_threads)`` of numpy's OpenBLAS, or None."""
    global _ob
    if _ob is None:
        _ob = False
        # numpy's wheels bundle it in numpy.libs (no threadpoolctl scan needed, ~30 ms)
        here = os.path.dirname(os.path.dirname(os.path.abspath(np.__file__)))
        paths = sorted(glob.glob(os.path.join(here, "numpy.libs", "lib*openblas*.so*")))
        if not paths:
            try:
                from threadpoolctl import threadpool_info

                paths = [d["filepath"] for d in threadpool_info()
                         if d.get("internal_api") == "openblas"]
            except ImportError:  # threadpoolctl ships with scikit-learn
                pass
        for path in paths:
            try:
                lib = ctypes.CDLL(path)
            except OSError:
                continue
            for pre, suf in (("scipy_openblas", "64_"), ("scipy_openblas", ""),
                             ("openblas", "64_"), ("openblas", "")):
                s = getattr(lib, f"{pre}_set_num_threads{suf}", None)
                g = getattr(lib, f"{pre}_get_num_threads{suf}", None)
                if s is not None and g is not None:
                    s.argtypes, s.restype, g.restype = [ctypes.c_int], None, ctypes.c_int
                    _ob = (s, g)
                    break
            if _ob:
                break
    return _ob or None


def blas_threads() -> int:
    """The thread count numpy's BLAS runs with (nnlite's setting, else the library's own)."""
    global _blas_threads
    if _blas_threads is None:
        n = _threads._threads or _threads._env_threads()
        if n is None:
            ob = _openblas()
            n = ob[1]() if ob is not None else _threads.get_num_threads()
        _blas_threads = max(int(n), 1)
    return _blas_threads


def threads_changed(n: int) -> None:
    """Called by ``nnlite.set_num_threads``: the choices per call signature start again (the
    shape classes carry the thread count) and MKL gets the same count."""
    global _blas_threads, _held
    _blas_threads = int(n)
    _held = None  # (nnlite.set_num_threads sets OpenBLAS itself)
    _fast.clear()
    if _lib:
        _lib.MKL_Set_Num_Threads(int(n))


# ---- the products ----------------------------------------------------------------------------


def mkl_matmul(a: np.ndarray, b: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """``a @ b`` for 2-D float32/float64 arrays (C-contiguous or transposed views of them)
    through MKL's CBLAS, in their dtype."""
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
    f(_ROW_MAJOR, ta, tb, m, n, k, 1.0, a.ctypes.data, max(lda, k if ta == _NO_TRANS else m, 1),
      b.ctypes.data, max(ldb, n if tb == _NO_TRANS else k, 1), 0.0, out.ctypes.data, max(n, 1))
    return out


def _mkl_layout(a, b, out) -> bool:
    for x in (a, b):
        if not (x.flags.c_contiguous or x.flags.f_contiguous) or x.size == 0:
            return False
    return out is None or (out.flags.c_contiguous and out.flags.writeable
                           and out.dtype == a.dtype and out.shape == (a.shape[0], b.shape[1]))


def matmul(a: np.ndarray, b: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """``a @ b`` (``np.matmul``'s semantics) on the BLAS and thread count chosen for its shape
    class; anything but a product of two 2-D float32/float64 matrices of one dtype is
    ``np.matmul`` itself.

    Args:
        a, b: the operands (numpy arrays).
        out: optional result array, as for ``np.matmul``.

    Returns:
        The product (``out`` when given).
    """
    global _held
    key = (a.shape, b.shape, a.strides, b.strides, a.dtype, out is None)
    how = _fast.get(key)
    if how is None:
        how = _decide(a, b, out, key)
    if how is _NUMPY:
        if _held is not None:  # in a scope, OpenBLAS left at another count: back to ours
            _release()
        return np.matmul(a, b) if out is None else np.matmul(a, b, out=out)
    use_mkl, nt = how
    if use_mkl and _mkl_layout(a, b, out):
        if not nt:
            return mkl_matmul(a, b, out)
        _lib.MKL_Set_Num_Threads(nt)
        try:
            return mkl_matmul(a, b, out)
        finally:
            _lib.MKL_Set_Num_Threads(_blas_threads)
    if nt and _ob:
        if _scope:  # (see _scope) switch only if not there yet, and stay
            if _held != nt:
                _ob[0](nt)
                _held = nt
            return np.matmul(a, b) if out is None else np.matmul(a, b, out=out)
        s = _ob[0]
        s(nt)
        try:
            return np.matmul(a, b) if out is None else np.matmul(a, b, out=out)
        finally:
            s(_blas_threads)
    return np.matmul(a, b) if out is None else np.matmul(a, b, out=out)


def _release() -> None:
    global _held
    _held = None
    _ob[0](_blas_threads)


def enter_scope() -> None:
    """Start a product scope (see ``_scope``); scopes nest; each needs its ``exit_scope``."""
    global _scope
    _scope += 1


def exit_scope() -> None:
    """End a product scope: the outermost puts OpenBLAS back to the thread count in force."""
    global _scope, _held
    _scope -= 1
    if _scope == 0 and _held is not None:  # (_release, inline: once per plan function)
        _held = None
        _ob[0](_blas_threads)


_NUMPY = (False, 0)


def _decide(a, b, out, key):
    m = mode()
    if (a.ndim != 2 or b.ndim != 2 or a.dtype != b.dtype or a.dtype.char not in "fd"
            or m == "openblas"):
        how = _NUMPY
    elif m == "mkl":
        how = (mkl() is not None, 0)
    else:
        lib, nt = choose(a.shape[0], a.shape[1], b.shape[1], a.dtype,
                         trans=_trans(a) + _trans(b))
        if lib == "mkl" and mkl() is None:
            lib = "openblas"
        if lib == "openblas" and (nt == blas_threads() or _openblas() is None):
            how = _NUMPY
        else:
            how = (lib == "mkl", 0 if nt == blas_threads() else nt)
    if len(_fast) > 4096:
        _fast.clear()
    _fast[key] = how
    return how


def _trans(x) -> str:
    return "t" if (not x.flags.c_contiguous and x.flags.f_contiguous) else "n"


# ---- the choice per shape class ---------------------------------------------------------------


def _pow2(v: int) -> int:
    return 1 << max(int(v) - 1, 0).bit_length()


def shape_class(m: int, k: int, n: int, dtype, threads: int, trans: str = "nn") -> str:
    return f"{_pow2(m)}x{_pow2(k)}x{_pow2(n)}:{trans}:{np.dtype(dtype).name}:t{threads}"


def cache_path() -> str:
    """Where the choices are cached: ``$NNLITE_BLAS_CACHE`` if set, else
    ``$XDG_CACHE_HOME/nnlite/blas.json`` (``~/.cache/nnlite/blas.json``)."""
    if os.environ.get("NNLITE_BLAS_CACHE"):
        return os.environ["NNLITE_BLAS_CACHE"]
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


def _machine() -> dict:
    """What the cached choices are valid for."""
    lib = mkl()
    mv = None
    if lib is not None:
        try:
            buf = ctypes.create_string_buffer(256)
            lib.MKL_Get_Version_String(buf, 256)
            mv = buf.value.decode(errors="replace")
        except AttributeError:
            mv = "?"
    return {"version": _CACHE_VERSION, "cpu": _cpu_id(), "cores": os.cpu_count(),
            "numpy": np.__version__, "mkl": mv}


def _valid(entry) -> bool:
    return (isinstance(entry, list) and len(entry) == 2 and entry[0] in ("openblas", "mkl")
            and isinstance(entry[1], int) and not isinstance(entry[1], bool) and entry[1] >= 1)


def _read_cache() -> dict:
    try:
        with open(cache_path()) as f:
            data = json.load(f)
    except (OSError, ValueError, UnicodeDecodeError):
        return {}
    if not isinstance(data, dict) or not isinstance(data.get("choice"), dict):
        return {}
    if any(data.get(k) != v for k, v in _machine().items()):
        return {}
    return {k: v for k, v in data["choice"].items() if isinstance(k, str) and _valid(v)}


def _load_cache() -> None:
    global _loaded_cache
    _loaded_cache = True
    for k, v in _read_cache().items():
        _choice.setdefault(k, v)


def _save_cache() -> None:
    path = cache_path()
    try:
        merged = _read_cache()  # another process may have added classes meanwhile
        merged.update(_choice)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        tmp = f"{path}.{os.getpid()}.tmp"
        with open(tmp, "w") as f:
            json.dump(dict(_machine(), choice=merged), f, indent=0, sort_keys=True)
        os.replace(tmp, path)  # atomic: a reader never sees half a file
    except OSError:
        pass  # an unwritable cache only means timing again next time


def _candidates(threads: int, small: bool = False) -> list[tuple[str, int]]:
    """What to time, the default first: plain OpenBLAS at the thread count in force, or on one
    thread for a ``small`` class (:func:`is_small`)."""
    if small and _openblas() is not None:
        threads = 1
    c = [("openblas", threads)]
    if threads > 1 and _openblas() is not None:
        c.append(("openblas", 1))
    if mkl() is not None:
        c.append(("mkl", threads))
        if threads > 1:
            c.append(("mkl", 1))
    return c


def _time_candidates(cands, m, k, n, dtype, trans) -> dict:
    """Seconds per candidate on arrays of the class's size, paired: rounds that run every
    candidate once (rotating the order); each candidate's figure is the median over rounds of
    its time over the first candidate's (the default's) in the same round, times the default's
    median -- a burst of load that hits a round hits both sides of its ratios."""
    rng = np.random.default_rng(0)
    a = rng.standard_normal((k, m) if trans[0] == "t" else (m, k)).astype(dtype)
    b = rng.standard_normal((n, k) if trans[1] == "t" else (k, n)).astype(dtype)
    a = a.T if trans[0] == "t" else a
    b = b.T if trans[1] == "t" else b
    out = np.empty((m, n), dtype)
    ob = _openblas()
    cur = blas_threads()

    def run(lib, nt):
        if lib == "mkl":
            if nt != cur:
                _lib.MKL_Set_Num_Threads(nt)
            t = time.perf_counter()
            mkl_matmul(a, b, out)
            t = time.perf_counter() - t
            if nt != cur:
                _lib.MKL_Set_Num_Threads(cur)
            return t
        if nt != cur:
            ob[0](nt)
        t = time.perf_counter()
        np.matmul(a, b, out=out)
        t = time.perf_counter() - t
        if nt != cur:
            ob[0](cur)
        return t

    for c in cands:  # warm each (page faults, thread start-up)
        run(*c)
    rounds = 15 if 2.0 * m * k * n < 5e7 else 5
    seen = {c: [] for c in cands}
    for r in range(rounds):
        order = cands[r % len(cands):] + cands[:r % len(cands)]
        for c in order:
            seen[c].append(run(*c))
    return paired(seen, cands[0])


def paired(seen: dict, default) -> dict:
    """``{candidate: [seconds per round]}`` -> one figure per candidate: the default's median
    times the median over rounds of the candidate's time over the default's in that round."""
    base = seen[default]
    med = _median(base)
    return {c: med * _median([t / max(b0, 1e-12) for t, b0 in zip(ts, base)])
            for c, ts in seen.items()}


def _median(xs):
    xs = sorted(xs)
    h = len(xs) // 2
    return xs[h] if len(xs) % 2 else 0.5 * (xs[h - 1] + xs[h])


def pick(times: dict, default) -> tuple:
    """The fastest candidate, or ``default`` unless another beats it by ``MARGIN``."""
    best = min(times, key=times.get)
    return default if times[default] <= MARGIN * times[best] else best


def is_small(m: int, k: int, n: int) -> bool:
    """Whether an (m, k) @ (k, n) product's class (its power-of-two sizes) has at most
    ``SMALL_FLOPS`` (then it runs on one thread)."""
    return 2 * _pow2(m) * _pow2(k) * _pow2(n) <= SMALL_FLOPS


def choose(m: int, k: int, n: int, dtype, threads: int | None = None,
           trans: str = "nn") -> tuple[str, int]:
    """``(library, threads)`` for an (m, k) @ (k, n) product: ``library`` ``"openblas"`` or
    ``"mkl"`` (autotuned once per shape class and cached; see the module docstring)."""
    m_ = mode()
    if threads is None:
        threads = blas_threads()
    if m_ == "openblas":
        return "openblas", threads
    if m_ == "mkl":
        return ("mkl" if mkl() is not None else "openblas"), threads
    if np.dtype(dtype) not in (np.float32, np.float64):
        return "openblas", threads
    small = is_small(m, k, n)
    # a small class runs on one thread whatever the count: one choice for every count, so a
    # run at 2 threads takes the same path (same bits) as at 1, MKL installed or not
    key = shape_class(m, k, n, dtype, 1 if small else threads, trans)
    if not _loaded_cache:
        _load_cache()
    c = _choice.get(key)
    if c is None:
        cands = _candidates(threads, small)
        if len(cands) == 1:
            c = list(cands[0])  # nothing to choose from: no timing, no cache entry
            _choice[key] = c
            return tuple(c)
        times = _time_candidates(cands, _pow2(m), _pow2(k), _pow2(n), dtype, trans)
        c = _choice[key] = list(pick(times, cands[0]))
        _save_cache()
    return c[0], c[1]


def choices() -> dict:
    """The shape classes chosen so far in this process (and read from the cache)."""
    return {k: tuple(v) for k, v in _choice.items()}


def describe() -> str:
    """One line: numpy's BLAS (via threadpoolctl when installed), MKL, and the mode."""
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
    try:
        parts.append(f"NNLITE_BLAS={mode()}")
    except ValueError as e:
        parts.append(str(e))
    return "; ".join(parts)
