"""Thread settings: BLAS (through threadpoolctl when available) and numba share the cores.

nnlite's numba kernels are serial; only BLAS (numpy's matmul) runs threads. The count comes
from, in order: ``nnlite.set_num_threads(n)``; the ``NNLITE_NUM_THREADS`` environment variable
(applied to BLAS at ``import nnlite``); else BLAS keeps its own default (all cores) and
:func:`get_num_threads` reports ``OMP_NUM_THREADS`` or the CPU count.

Measured on the project's 2-vCPU VM (2026-11-25, OpenBLAS 0.3.31, load average ~2 from other
jobs), nnlite training steps, wall time, 1 vs 2 BLAS threads: tiny-batch (batch 16) 1.8 ms vs
103 ms, small (batch 64) 0.85 ms vs 72 ms, mid (batch 256) 12 ms vs 104 ms median: a 2-thread
OpenBLAS call waits for a core the other jobs hold. On a quiet machine 2 threads were faster
(batch 16: 0.9 ms vs 1.2 ms, docs/kernels.md). Switching OpenBLAS's thread count costs ~1.5 us
through the library handle (measured: set to 1 and back, 3 us), so ``nnlite._blas.matmul``
chooses it per shape class: the first product of a class times OpenBLAS at the count set here
and on one thread and keeps the faster (see ``nnlite._blas``). On a shared machine
``NNLITE_NUM_THREADS=1`` is still the steadiest setting; configs say ``threads: auto``
(:func:`resolve_threads`).

Why a second thread does not help the small and tiny-batch steps (reasoning and counts, issue
12): a training step of the small MLP (64-128-128-10, batch 64) makes 8 GEMMs (3 forward products,
3 weight gradients, 2 input gradients) and 3 gemv (bias column sums), the largest 64x128x128
(2 MFLOP, ~20 us on one core). OpenBLAS splits a GEMM over its threads once m*n*k exceeds its
SMP threshold (65536 x GEMM_MULTITHREAD_THRESHOLD 4 = 262144): 5 of the 8 (m*n*k 0.5-1 M) are
split; each split wakes the sleeping worker (a futex wake-up) and ends in a barrier,
a fixed cost per call of the same order as the halved work. For tiny-batch (batch 16) the
products are 16x784x512 and alike: with m = 16 the split leaves each thread 8 rows, less than
one register tile of the AVX-512 sgemm kernel (16 rows), so each thread runs at half efficiency
and the sync cost is pure loss. The cure is per shape class, not global (``nnlite._blas``):
``bench/bench_train.py --threads 1,2`` prints every GEMM shape's time at 1 and 2 threads per
library (the "GEMM ..." table), the measurement behind each choice. nnlite's numba kernels are
serial (no ``parallel=True`` anywhere), so no numba thread pool competes with BLAS's.
"""

from __future__ import annotations

import os
import sys

_threads = None


def _env_threads() -> int | None:
    v = os.environ.get("NNLITE_NUM_THREADS", "").strip()
    if not v:
        return None
    try:
        n = int(v)
    except ValueError:
        raise ValueError(f"NNLITE_NUM_THREADS must be a positive integer, got {v!r}") from None
    if n < 1:
        raise ValueError(f"NNLITE_NUM_THREADS must be a positive integer, got {v!r}")
    return n


def get_num_threads() -> int:
    if _threads is not None:
        return _threads
    n = _env_threads()
    if n is not None:
        return n
    return int(os.environ.get("OMP_NUM_THREADS", os.cpu_count() or 1))


def available_cores() -> int:
    """The cores this process may run on (its CPU affinity; the CPU count without one)."""
    try:
        return max(len(os.sched_getaffinity(0)), 1)
    except (AttributeError, OSError):  # not on Linux
        return os.cpu_count() or 1


def resolve_threads(value) -> int | None:
    """A config's ``threads``: an integer as is, ``"auto"`` -> ``NNLITE_NUM_THREADS`` if set,
    else :func:`available_cores`; None stays None (leave the thread count as it is)."""
    if value == "auto":
        n = _env_threads()
        return n if n is not None else available_cores()
    return value


def set_num_threads(n: int) -> None:
    """Set the thread count for BLAS matmul (numba kernels here are serial)."""
    global _threads
    n = int(n)
    if n < 1:
        raise ValueError(f"set_num_threads expects a positive integer, got {n}")
    _threads = n
    blas = sys.modules.get("nnlite._blas")
    if blas is not None:  # the per-shape choices carry the thread count; MKL gets it too
        blas.threads_changed(n)
    try:
        from threadpoolctl import threadpool_limits

        threadpool_limits(limits=n, user_api="blas")
    except ImportError:  # threadpoolctl ships with scikit-learn; without it, leave BLAS as is
        pass


def apply_env() -> None:
    """At import: honour ``NNLITE_NUM_THREADS`` (nothing to do, and nothing imported, without it)."""
    n = _env_threads()
    if n is not None:
        set_num_threads(n)
