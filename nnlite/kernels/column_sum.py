"""Dim-0 sums in torch's order with numpy array ops: ``nnlite.kernels.summation.sum_outer``'s
bits without numba, for up to 4095 rows (a bias gradient over a batch).

``summation`` documents the order: the columns of torch's blocks of 4 vectors get a *cascade*
over the rows (level 0 sums 2**p rows at a time, each such sum is added into level 1, every
2**(2p) rows level 1 into level 2, ...), the remaining columns an *ilp* sum (four interleaved
cascades). The order is the same for every column, so each step here is one numpy operation
over all columns at once: a reduction over a non-contiguous axis adds its slices one after
another, in order, starting from ``initial`` (+0, as the kernel's accumulators do) -- when the
rows have at least two elements (numpy sums a lone column pairwise): the ilp sum runs as one
cascade over rows of 4 x width elements. Below 4096
rows only levels 0-2 are ever used, which is what bounds this module's use.

Why: it states the kernel's order in array operations a reader can follow, and the tests
compare it with the kernel bit for bit (a second, independent statement of torch's order). It
is not on the training path: per call it costs ~8x the kernel at batch sizes (64 x 128 float32:
~17 us vs ~2 us), paid three times per step, while the kernel's compile is paid once per clone.
Imports numpy only.
"""

from __future__ import annotations

import os

import numpy as np

MAX_ROWS = 4095  # up to here no cascade reaches level 3
_LEVELS = 4


def vector_bytes() -> int:
    """Width of torch's ``Vectorized`` on this CPU: 64 bytes under its AVX-512 capability, else
    32 (AVX2, the default build, NEON). ``ATEN_CPU_CAPABILITY`` overrides, as it does torch's."""
    cap = os.environ.get("ATEN_CPU_CAPABILITY", "").lower()
    if cap:
        return 64 if cap == "avx512" else 32
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("flags"):
                    flags = set(line.split(":", 1)[1].split())
                    need = {"avx512f", "avx512bw", "avx512vl", "avx512dq"}
                    return 64 if need <= flags else 32
    except OSError:
        pass
    return 32


def level_power(n: int) -> int:
    """``max(4, CeilLog2(n) / 4)`` as torch's ``multi_row_sum`` computes it."""
    cl = 1 if n <= 2 else int(n - 1).bit_length()
    return max(4, cl // _LEVELS)


def fits(x: np.ndarray) -> bool:
    """Whether ``sum_outer`` below takes ``x``: a C-contiguous float32/float64 (N, C) array with
    1 <= N <= 4095 rows and C >= 2 columns (one column is a contiguous sum: the kernel's)."""
    return (x.ndim == 2 and 1 <= x.shape[0] <= MAX_ROWS and x.shape[1] >= 2
            and x.dtype in (np.float32, np.float64) and x.flags.c_contiguous)


def _cascade(x: np.ndarray, lp: int) -> np.ndarray:
    """The cascade over the rows of ``x`` (n, w >= 2), every column at once (n < 2**(3 lp))."""
    n, w = x.shape
    step = 1 << lp
    chunks = n // step
    s = np.add.reduce(x[chunks * step:], axis=0, initial=0)  # the tail, into level 0
    if chunks:
        level0 = np.add.reduce(x[: chunks * step].reshape(chunks, step, w), axis=1, initial=0)
        groups = chunks // step  # level 1 goes into level 2 after every `step` chunks
        s += np.add.reduce(level0[groups * step:], axis=0, initial=0)  # + level 1
        if groups:
            level1 = np.add.reduce(level0[: groups * step].reshape(groups, step, w), axis=1,
                                   initial=0)
            s += np.add.reduce(level1, axis=0, initial=0)  # + level 2
    s += 0  # + levels 2 and 3 when they are +0 (as the kernel adds them: -0 becomes +0)
    return s


def _ilp(x: np.ndarray, lp: int) -> np.ndarray:
    """torch's ``row_sum`` over the rows of ``x`` (n, w): rows k, k+4, ... cascaded for
    k = 0..3, the rows past the last group of 4 added to partial 0, then partials 1, 2, 3."""
    n, w = x.shape
    m = n // 4
    # row i of the (m, 4w) view holds rows 4i..4i+3: its cascade is the 4 partials at once
    parts = _cascade(np.ascontiguousarray(x[: 4 * m]).reshape(m, 4 * w), lp).reshape(4, w)
    s = parts[0].copy()
    for i in range(4 * m, n):
        s += x[i]
    for k in range(1, 4):
        s += parts[k]
    return s


def sum_outer(x: np.ndarray, lanes: int, out: np.ndarray) -> np.ndarray:
    """``out[c] = sum over rows of x[:, c]`` in torch's order (``x`` as ``fits`` requires;
    ``lanes``: elements per vector of torch's build, ``summation.vector_bytes() // itemsize``).
    """
    n, cols = x.shape
    block = 4 * lanes if cols >= lanes else 4
    split = (cols // block) * block
    if split:
        out[:split] = _cascade(x[:, :split], level_power(n))
    if split < cols:
        out[split:] = _ilp(x[:, split:], level_power(n // 4))
    return out
