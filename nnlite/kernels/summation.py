"""Float sums added in the order of PyTorch's CPU sum kernel, so float32 sums round as torch's.

numpy sums pairwise along a contiguous axis and row by row along an outer one; PyTorch's CPU
kernel (ATen ``SumKernel.cpp``) adds in its own *cascade* order, in float32 for float32 inputs.
The two differ by a few ulps per sum, and a training loop compounds that (bias gradients are a
dim-0 sum every step). These kernels reproduce torch's order exactly:

- ``cascade(seq)`` (torch's ``multi_row_sum`` for one lane): four accumulator levels; after every
  ``2**p`` items level 0 is added into level 1, after ``2**(2p)`` level 1 into 2, and so on, with
  ``p = max(4, ceil_log2(n) // 4)``; the tail goes into level 0, then levels 1..3 are added to it.
- ``ilp_sum(seq)`` (``row_sum``): items ``k, k+4, k+8, ...`` for k = 0..3 each cascaded; the
  items past the last full group of 4 are added to partial 0, then partials 1, 2, 3 in turn.
- a contiguous (inner) reduction of n items: with n >= W (the lanes of torch's
  ``Vectorized<T>``: 32 bytes, 64 under AVX-512) the first ``W * (n // W)`` items are W lanes
  (lane l holds items l, l+W, ...), each lane ``ilp_sum``-ed; the result is
  ``0 + tail items + lane 0 + ... + lane W-1``, left to right. With n < W: ``ilp_sum``.
- an outer reduction (dim 0 of an [N, C] array): columns in blocks of 4W are cascaded, then
  blocks of W are ``ilp_sum``-ed, the last C mod W columns too; with C < W, blocks of 4 columns
  are cascaded and the rest ``ilp_sum``-ed.

The kernels run each level as a loop over a run of contiguous columns, so they vectorize like
numpy's own sums. ``*_ref`` functions are plain numpy statements of the same order, for tests.
"""

from __future__ import annotations

import numpy as np

from nnlite.kernels._jit import njit
from nnlite.kernels.column_sum import level_power, vector_bytes  # noqa: F401 (also the API here)

_LEVELS = 4


# ---- numba kernels ------------------------------------------------------------------------


@njit
def _cascade_cols(x, r0, rstep, n, c0, c1, lp, acc, out):
    """out[c0:c1] = cascade over rows r0, r0+rstep, ... (n rows) of x[:, c0:c1]."""
    w = c1 - c0
    for lv in range(_LEVELS):
        a = acc[lv]
        for c in range(w):
            a[c] = 0
    a0, a1, a2, a3 = acc[0], acc[1], acc[2], acc[3]
    step = 1 << lp
    mask = step - 1
    i = 0
    while i + step <= n:
        for _ in range(step):
            r = r0 + i * rstep
            for c in range(w):
                a0[c] += x[r, c0 + c]
            i += 1
        for c in range(w):
            a1[c] += a0[c]
            a0[c] = 0
        if (i & (mask << lp)) == 0:
            for c in range(w):
                a2[c] += a1[c]
                a1[c] = 0
            if (i & (mask << (2 * lp))) == 0:
                for c in range(w):
                    a3[c] += a2[c]
                    a2[c] = 0
    while i < n:
        r = r0 + i * rstep
        for c in range(w):
            a0[c] += x[r, c0 + c]
        i += 1
    o = out[c0:c1]
    for c in range(w):
        s = a0[c]
        s += a1[c]
        s += a2[c]
        s += a3[c]
        o[c] = s


@njit
def _ilp_cols(x, n, c0, c1, lp, acc, part, out):
    """out[c0:c1] = torch's ``row_sum`` (4 interleaved cascades) over the n rows of x."""
    m = n // 4
    for k in range(4):
        _cascade_cols(x, k, 4, m, c0, c1, lp, acc, part[k])
    p0 = part[0, c0:c1]
    for i in range(4 * m, n):
        xi = x[i, c0:c1]
        for c in range(c1 - c0):
            p0[c] += xi[c]
    o = out[c0:c1]
    for c in range(c1 - c0):
        s = p0[c]
        s += part[1, c0 + c]
        s += part[2, c0 + c]
        s += part[3, c0 + c]
        o[c] = s


@njit
def sum_outer(x, lanes, out):
    """out[c] = sum over rows of the C-contiguous 2-D ``x`` (a dim-0 sum), in torch's order."""
    n, cols = x.shape
    if cols == 1:  # torch drops the size-1 dim: a contiguous reduction
        sum_inner(x.reshape((1, n)), lanes, out)
        return
    acc = np.zeros((_LEVELS, max(cols, 1)), x.dtype)
    part = np.zeros((4, max(cols, 1)), x.dtype)
    # every column of torch's 4-vector blocks (4-column blocks when narrower than a vector)
    # gets the same cascade over all rows, all the others the same ilp sum: one sweep each
    block = 4 * lanes if cols >= lanes else 4
    split = (cols // block) * block
    if split > 0:
        _cascade_cols(x, 0, 1, n, 0, split, _level_power(n), acc, out)
    if split < cols:
        _ilp_cols(x, n, split, cols, _level_power(n // 4), acc, part, out)


@njit
def _level_power(n):
    cl = 1
    if n > 2:
        v = n - 1
        cl = 0
        while v > 0:
            v >>= 1
            cl += 1
    lp = cl // _LEVELS
    return lp if lp > 4 else 4


@njit
def sum_inner(x, lanes, out):
    """out[r] = sum of row r of the C-contiguous 2-D ``x`` (a last-dim sum), in torch's order."""
    rows, n = x.shape
    if n < lanes:
        y = np.empty((n, max(rows, 1)), x.dtype)
        for r in range(rows):
            for k in range(n):
                y[k, r] = x[r, k]
        acc = np.zeros((_LEVELS, max(rows, 1)), x.dtype)
        part = np.zeros((4, max(rows, 1)), x.dtype)
        _ilp_cols(y, n, 0, rows, _level_power(n // 4), acc, part, out)
        return
    vs = n // lanes
    m = vs // 4
    if m < 16:
        _sum_inner_few(x, lanes, vs, m, out)
        return
    # items i*g .. i*g+g-1 of a row (g = 4 vectors) hold ilp partial k = 0..3, lane l at
    # k*lanes+l: the row's first m*g items as an [m, g] matrix give all 4*lanes partials in one
    # cascade sweep over g contiguous columns
    g = 4 * lanes
    acc = np.zeros((_LEVELS, g), x.dtype)
    part = np.zeros(g, x.dtype)
    lp = _level_power(m)
    lane = np.zeros(lanes, x.dtype)
    tot = np.zeros(1, x.dtype)  # a float32 accumulator for float32 input
    for r in range(rows):
        _cascade_cols(x[r, : m * g].reshape((m, g)), 0, 1, m, 0, g, lp, acc, part)
        base = 0
        for c in range(lanes):
            lane[c] = part[base + c]
        for j in range(4 * m, vs):
            for c in range(lanes):
                lane[c] += x[r, j * lanes + c]
        for k in range(1, 4):
            for c in range(lanes):
                lane[c] += part[base + k * lanes + c]
        tot[0] = 0
        for t in range(vs * lanes, n):
            tot[0] += x[r, t]
        for c in range(lanes):
            tot[0] += lane[c]
        out[r] = tot[0]


@njit
def _sum_inner_few(x, lanes, vs, m, out):
    """``sum_inner`` for rows of fewer than 16 groups of 4 vectors (``m < 16``, so under 64
    vectors): torch's cascades then never promote a level, so ilp partial k of lane l is
    ``0 + x[k W + l] + x[4W + k W + l] + ...`` over the m groups, and the levels it adds at the
    end are all +0 (a no-op: a sum started at +0 is never -0). Lane l is partial 0, then the
    vectors past the groups, then partials 1, 2, 3; the row is ``0 + tail items + lane 0 + ...
    + lane W-1``. Same order as the general path, one pass per row without its set-up."""
    rows, n = x.shape
    g = 4 * lanes
    part = np.empty(g, x.dtype)
    lane = np.empty(lanes, x.dtype)
    tot = np.zeros(1, x.dtype)  # a float32 accumulator for float32 input
    for r in range(rows):
        xr = x[r]
        for c in range(g):
            part[c] = 0
        for i in range(m):
            xi = xr[i * g: (i + 1) * g]
            for c in range(g):
                part[c] += xi[c]
        for c in range(lanes):
            lane[c] = part[c]
        for j in range(4 * m, vs):
            xj = xr[j * lanes: (j + 1) * lanes]
            for c in range(lanes):
                lane[c] += xj[c]
        for k in range(1, 4):
            pk = part[k * lanes: (k + 1) * lanes]
            for c in range(lanes):
                lane[c] += pk[c]
        tot[0] = 0
        for t in range(vs * lanes, n):
            tot[0] += xr[t]
        for c in range(lanes):
            tot[0] += lane[c]
        out[r] = tot[0]


_GRAIN = 32768  # at::internal::GRAIN_SIZE: below it torch reduces on one thread


def sum_all(flat: np.ndarray, lanes: int, threads: int):
    """The sum of the contiguous 1-D ``flat`` as torch adds it with ``threads`` intra-op threads:
    at or above 32768 items each thread sums one contiguous chunk (torch's two-pass reduction)
    and the chunk sums are added left to right."""
    n = flat.shape[0]
    out = np.zeros(1, flat.dtype)
    chunks = min(threads, -(-n // _GRAIN)) if n >= _GRAIN and threads > 1 else 1
    if chunks <= 1:
        sum_inner(flat.reshape(1, n), lanes, out)
        return out[0]
    size = -(-n // chunks)
    parts = np.zeros(chunks, flat.dtype)
    for t in range(chunks):
        piece = flat[t * size: min(n, (t + 1) * size)]
        if piece.shape[0]:
            sum_inner(piece.reshape(1, -1), lanes, out)
            parts[t] = out[0]
    total = flat.dtype.type(0)
    for p in parts:
        total = flat.dtype.type(total + p)
    return total


# ---- numpy references: the same order, one statement per step ----------------------------


def cascade_ref(seq: np.ndarray) -> np.ndarray:
    """``multi_row_sum`` over axis 0 of ``seq`` (each column one lane)."""
    n = seq.shape[0]
    lp = level_power(n)
    step, mask = 1 << lp, (1 << lp) - 1
    acc = [np.zeros(seq.shape[1:], seq.dtype) for _ in range(_LEVELS)]
    i = 0
    while i + step <= n:
        for _ in range(step):
            acc[0] = acc[0] + seq[i]
            i += 1
        for j in range(1, _LEVELS):
            acc[j] = acc[j] + acc[j - 1]
            acc[j - 1] = np.zeros_like(acc[j - 1])
            if i & (mask << (j * lp)):
                break
    for k in range(i, n):
        acc[0] = acc[0] + seq[k]
    for j in range(1, _LEVELS):
        acc[0] = acc[0] + acc[j]
    return acc[0]


def ilp_sum_ref(seq: np.ndarray) -> np.ndarray:
    """``row_sum`` over axis 0: four interleaved cascades, the tail into the first."""
    n = seq.shape[0]
    m = n // 4
    parts = [cascade_ref(seq[k: 4 * m: 4]) for k in range(4)]
    for i in range(4 * m, n):
        parts[0] = parts[0] + seq[i]
    for k in range(1, 4):
        parts[0] = parts[0] + parts[k]
    return parts[0]


def sum_inner_ref(row: np.ndarray, lanes: int):
    """A contiguous reduction of the 1-D ``row``."""
    n = row.shape[0]
    if n < lanes:
        return ilp_sum_ref(row)
    vs = n // lanes
    lane_sums = ilp_sum_ref(row[: vs * lanes].reshape(vs, lanes))
    s = row.dtype.type(0)
    for k in range(vs * lanes, n):
        s = row.dtype.type(s + row[k])
    for v in lane_sums:
        s = row.dtype.type(s + v)
    return s


def sum_outer_ref(x: np.ndarray, lanes: int) -> np.ndarray:
    """A dim-0 reduction of the 2-D ``x``."""
    cols = x.shape[1]
    if cols == 1:
        return np.array([sum_inner_ref(x[:, 0], lanes)], x.dtype)
    out = np.empty(cols, x.dtype)
    j = 0
    if cols >= lanes:
        while j + 4 * lanes <= cols:
            out[j: j + 4 * lanes] = cascade_ref(x[:, j: j + 4 * lanes])
            j += 4 * lanes
        while j + lanes <= cols:
            out[j: j + lanes] = ilp_sum_ref(x[:, j: j + lanes])
            j += lanes
    else:
        while j + 4 <= cols:
            out[j: j + 4] = cascade_ref(x[:, j: j + 4])
            j += 4
    if j < cols:
        out[j:] = ilp_sum_ref(x[:, j:])
    return out
