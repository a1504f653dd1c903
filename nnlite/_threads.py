"""Thread settings: BLAS (through threadpoolctl when available) and numba share the cores.

nnlite's numba kernels are serial; only BLAS (numpy's matmul) runs threads, plus the optional
split of the fused optimizer's runs (``nnlite.optim.flat.SPLIT_MIN``, off by default). The
count comes from, in order: ``nnlite.set_num_threads(n)``; the ``NNLITE_NUM_THREADS``
environment variable (applied to BLAS at ``import nnlite``); else BLAS keeps its own default
(all cores) and :func:`get_num_threads` reports ``OMP_NUM_THREADS`` or the CPU count. Configs
say ``threads: auto`` (:func:`resolve_threads`: the cores this process may use).

Why two threads used to make small steps slower, and what fixed it (issue 12; 2-vCPU AMD EPYC
VM, OpenBLAS 0.3.31 pthreads build):

* An OpenBLAS worker thread *spins* on its core for 2^28 cycles (~0.1 s) after every
  multi-threaded call before it sleeps: measured 0.10 s of process CPU time after one 2-thread
  256x512x512 product on an idle machine. ``openblas_set_num_threads(1)`` does not stop it.
  OpenBLAS splits every product past m*n*k = 262144 (0.5 MFLOP), so a step of the small MLPs
  (64x128x128 products, 2 MFLOP) woke the worker at every step and kept the second core busy
  all the time; where anything else wanted that core (another process, another benchmark
  worker), every split product waited milliseconds at its barrier. Under load
  ``configs/mlp.yaml`` took 88 s wall / 34 s CPU at 2 threads vs 20 s / 6.5 s at 1.
* The cure (``nnlite._blas``): products whose shape class has at most ``SMALL_FLOPS``
  (4.2 MFLOP; 16.8 at first, which also pinned batch 16's 16x784x512 products, where a second
  thread pays) always run on one OpenBLAS thread, untimed; the switch (set to 1, call, set
  back) costs ~1 us through the library handle. A step made only of such products -- the small
  benchmark, ``configs/mlp.yaml`` -- never wakes the worker: with 2 threads in
  force it runs the very code of 1 thread (bit-identical, same CPU time; measured under load:
  ``configs/mlp.yaml`` at 2 threads 6.7-7.8 s CPU, 30-33 s wall vs 8.1 s, 34 s at 1). Larger
  products (mid: 256x784x512, 205 MFLOP) keep the per-class autotune, now by paired rounds
  (median of per-round ratios), which one lucky round cannot win as it could best-of. Their
  bits depend on the thread count (OpenBLAS 0.3.31 at 2 threads differs from 1 in the last
  bits on 256x784x512 and larger), as with any BLAS; eager and captured steps still agree bit
  for bit, because both take the same path per shape.
* The benchmark's own artefact: ``bench/bench_train.py`` ran all 1-thread passes before the
  2-thread ones and left 20 ms between worker processes -- less than the ~0.1 s the previous
  worker's OpenBLAS thread went on spinning, so a 2-thread measurement could share a core with
  another process's spinner (the numpy MLP, which leaves every split to OpenBLAS, measured
  slower at 2 threads on small too: 2055 -> 1541 steps/s). It now interleaves thread counts
  round by round and stops OpenBLAS's threads after each measurement.

Why no ``parallel=True`` kernels (optimizer updates, BatchNorm, softmax/cross-entropy): numba's
thread pool (workqueue/OpenMP) would be a second pool next to OpenBLAS's, and both spin after
use -- on two cores one spins while the other works. The memory-bound kernels of the
benchmarks are small (the small MLP's optimizer touches 0.7 MB per step, a BatchNorm of 64x128
32 KB), where a hand-off costs more than the halved work; the one place where a split can pay
(the fused optimizer over 0.5-5 M parameters) already has it as an opt-in on the same serial,
GIL-releasing kernels (``NNLITE_OPTIM_SPLIT``, bit-identical), measured by the benchmark as
``nnlite-compiled-split``; it stays off until a quiet run shows it faster on a workload.
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
