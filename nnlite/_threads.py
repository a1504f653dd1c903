"""Thread settings: BLAS (through threadpoolctl when available) and numba share the 2 cores."""

from __future__ import annotations

import os

_threads = None


def get_num_threads() -> int:
    if _threads is not None:
        return _threads
    return int(os.environ.get("OMP_NUM_THREADS", os.cpu_count() or 1))


def set_num_threads(n: int) -> None:
    """Set the thread count for BLAS matmul (numba kernels here are serial)."""
    global _threads
    n = int(n)
    if n < 1:
        raise ValueError(f"set_num_threads expects a positive integer, got {n}")
    _threads = n
    try:
        from threadpoolctl import threadpool_limits

        threadpool_limits(limits=n, user_api="blas")
    except ImportError:  # threadpoolctl ships with scikit-learn; without it, leave BLAS as is
        pass
