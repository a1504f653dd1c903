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
#
# The compile is paid once per clone (and dtype), so it is kept small: one kernel (``sum_2d``)
# for both axes, numba's only entry point here, with one cascade loop nest (``_cascade`` is
# inlined into it at numba's IR level) and one allocation (a 1-D ``np.empty``, carved into
# views). Each would otherwise cost a compile of its own: numba compiles every jitted callee
# separately, for every distinct set of argument types (a bare integer literal argument is one:
# ``Literal[int](0)``), and optimizes it again inside each caller; and each distinct use of
# ``np.zeros``/``np.empty``/``max`` (per shape type) compiles its implementation once per
# process (~0.2-0.4 s each).


@njit(inline="always")
def _cascade(x, c0, c1, out, scratch):
    """out[k, c0:c1] = torch's cascade over axis 0 of x[:, k, c0:c1], for every k of the
    C-contiguous 3-D ``x`` (n, K, C) (``multi_row_sum``: level 0 takes 2**lp rows at a time, then
    goes into level 1; every 2**(2 lp) rows level 1 goes into 2, ...; the levels added last).
    ``scratch``: at least 4 K (c1 - c0) items, for the accumulators."""
    n, kk = x.shape[0], x.shape[1]
    w = c1 - c0
    cl = 1  # lp = max(4, CeilLog2(n) // levels)
    if n > 2:
        cl = 0
        v = n - 1
        while v > 0:
            v >>= 1
            cl += 1
    lp = cl // _LEVELS
    if lp < 4:  # noqa: PLR1730 (not max(): numba compiles an implementation of it)
        lp = 4
    mask = (1 << lp) - 1
    flat = scratch[: _LEVELS * kk * w]
    for c in range(flat.shape[0]):
        flat[c] = 0
    acc = flat.reshape((_LEVELS, kk, w))
    a0 = acc[0]
    for i in range(n):
        for k in range(kk):
            xr = x[i, k, c0:c1]
            a = a0[k]
            for c in range(w):
                a[c] += xr[c]
        if ((i + 1) & mask) == 0:
            for lv in range(1, _LEVELS):
                lo, hi = acc[lv - 1], acc[lv]
                for k in range(kk):
                    lk, hk = lo[k], hi[k]
                    for c in range(w):
                        hk[c] += lk[c]
                        lk[c] = 0
                if (i + 1) & (mask << (lv * lp)):
                    break
    for k in range(kk):
        o = out[k, c0:c1]
        for c in range(w):
            s = acc[0, k, c]
            s += acc[1, k, c]
            s += acc[2, k, c]
            s += acc[3, k, c]
            o[c] = s


@njit
def sum_2d(x, axis, lanes, out):
    """out = ``x.sum(axis)`` of the C-contiguous 2-D ``x`` in torch's order (``lanes``: the
    elements of one vector of torch's build; ``out``: C-contiguous, x.shape[1 - axis] items).

    Every sum is a cascade (``_cascade``) over rows of a 3-D view, then, for ``row_sum``, its
    4 partials are finished: the rows past the last group of 4 added to partial 0, then
    partials 1, 2, 3 in turn.

    - axis 0 (columns): the columns of torch's blocks of 4 vectors (of 4 columns when narrower
      than a vector) get one cascade over all rows; the other columns ``row_sum``, whose 4
      interleaved cascades (rows k, k+4, ...) are one cascade over rows of the (n/4, 4, C) view.
      A single column is a contiguous sum (torch drops the size-1 dim): axis 1 of its (1, n).
    - axis 1 (rows, n items each): with n >= lanes, lane l holds items l, l + lanes, ... of the
      first lanes * (n // lanes), each lane ``row_sum``-ed (one cascade over rows of the
      (n/(4 lanes), 1, 4 lanes) view gives all 4 partials of all lanes), and the row is
      0 + the tail items + lane 0 + ... + lane W-1. With n < lanes each row is one
      ``row_sum`` of its items: all rows at once, as the columns of the transposed array.
    """
    rows, cols = x.shape
    if axis == 0 and cols == 1:
        x = x.reshape((1, rows))
        rows, cols, axis = 1, rows, 1
    split = 0  # axis 0: the cascaded columns; the others are ilp-summed
    small = axis == 1 and cols < lanes  # axis 1: rows shorter than one vector
    if axis == 0:
        block = 4 * lanes if cols >= lanes else 4
        split = (cols // block) * block
        width, jobs = cols, 2
    elif small:
        width, jobs = rows, 1
    else:
        width, jobs = lanes, rows
    # one buffer: accumulators (4 levels x 4 width), the 4 partials of an ilp sum, its result
    # (axis 1), a one-item accumulator (float32 for float32 input), the transposed x (small)
    na, npart = 16 * width, 4 * width
    buf = np.empty(na + npart + width + 1 + (rows * cols if small else 0), x.dtype)
    scratch = buf[:na]
    part = buf[na: na + npart].reshape((4, width))
    res = out if axis == 0 or small else buf[na + npart: na + npart + width]
    tot = buf[na + npart + width: na + npart + width + 1]
    y = x  # the array whose rows are ilp-summed
    if small:
        y = buf[na + npart + width + 1:].reshape((cols, rows))
        for r in range(rows):
            for k in range(cols):
                y[k, r] = x[r, k]
    vs = cols // lanes
    m = 0  # groups of 4 rows of y
    for j in range(jobs):
        c0 = split
        if axis == 0 and j == 0:  # the cascaded columns, straight into out
            if split == 0:
                continue
            v, c0, c1, dst = x.reshape((rows, 1, cols)), 0, split, out.reshape((1, cols))
        else:
            if axis == 0 and split == cols:
                continue
            if axis == 1 and not small:  # row j's lanes
                y = x[j, : vs * lanes].reshape((vs, lanes))
            m = y.shape[0] // 4
            if c0 == 0:  # whole rows: a group of 4 rows is one row of 4 * width columns
                v, c1, dst = y[: 4 * m].reshape((m, 1, 4 * width)), 4 * width, \
                    part.reshape((1, 4 * width))
            else:
                v, c1, dst = y[: 4 * m].reshape((m, 4, width)), width, part
        _cascade(v, c0, c1, dst, scratch)
        if axis == 0 and j == 0:
            continue
        p0 = part[0, c0:]
        for i in range(4 * m, y.shape[0]):
            yi = y[i, c0:]
            for c in range(width - c0):
                p0[c] += yi[c]
        o = res[c0:]
        for c in range(width - c0):
            s = p0[c]
            s += part[1, c0 + c]
            s += part[2, c0 + c]
            s += part[3, c0 + c]
            o[c] = s
        if axis == 1 and not small:
            xr = x[j]
            tot[0] = 0
            for t in range(vs * lanes, cols):
                tot[0] += xr[t]
            for c in range(lanes):
                tot[0] += res[c]
            out[j] = tot[0]


@njit
def _sum_cols(x, lanes, out, buf):
    """out = ``x.sum(0)`` of the C-contiguous 2-D ``x`` with at least 2 columns, in torch's
    order (``sum_2d``'s axis 0, the same additions); ``buf``: scratch of 16 * x.shape[1] items.

    A kernel of its own because a bias gradient (every training step) needs nothing else:
    written over 1-D slices only (no 3-D views, no reshape, no allocation), its cold compile
    is ~1.4 s of CPU where ``sum_2d``'s is ~4.6 s. Two jobs, each one cascade over ``n`` items
    of ``kk`` rows (item i: rows i kk .. i kk + kk - 1, each into its own run of accumulators):
    the columns of torch's blocks of 4 vectors (4 columns when narrower than a vector), kk = 1
    over all rows; the other columns ``row_sum``, kk = 4 over the groups of 4 rows, then the
    rows past the last group added to partial 0 and partials 1, 2, 3 to it in turn."""
    rows, cols = x.shape
    block = 4 * lanes if cols >= lanes else 4
    split = (cols // block) * block
    for job in range(2):
        c0, c1, kk, n = 0, split, 1, rows
        if job == 1:
            c0, c1, kk, n = split, cols, 4, rows // 4
        w = c1 - c0
        if w == 0:
            continue
        cl = 1  # lp = max(4, CeilLog2(n) // levels), as torch's multi_row_sum
        if n > 2:
            cl = 0
            t = n - 1
            while t > 0:
                t >>= 1
                cl += 1
        lp = cl // _LEVELS
        if lp < 4:  # noqa: PLR1730 (not max(): numba compiles an implementation of it)
            lp = 4
        mask = (1 << lp) - 1
        kw = kk * w  # level lv's accumulators: buf[lv kw: (lv + 1) kw]
        for c in range(_LEVELS * kw):
            buf[c] = 0
        a0 = buf[:kw]
        for i in range(n):
            for k in range(kk):
                xr = x[i * kk + k, c0:c1]
                a = a0[k * w: k * w + w]
                for c in range(w):
                    a[c] += xr[c]
            if ((i + 1) & mask) == 0:
                for lv in range(1, _LEVELS):
                    lo = buf[(lv - 1) * kw: lv * kw]
                    hi = buf[lv * kw: (lv + 1) * kw]
                    for c in range(kw):
                        hi[c] += lo[c]
                        lo[c] = 0
                    if (i + 1) & (mask << (lv * lp)):
                        break
        for c in range(kw):  # the levels, added last
            s = a0[c]
            s += buf[kw + c]
            s += buf[2 * kw + c]
            s += buf[3 * kw + c]
            a0[c] = s
        o = out[c0:c1]
        if kk == 1:
            for c in range(w):
                o[c] = a0[c]
            continue
        p0 = a0[:w]
        for i in range(4 * n, rows):
            xr = x[i, c0:c1]
            for c in range(w):
                p0[c] += xr[c]
        for c in range(w):
            s = p0[c]
            s += a0[w + c]
            s += a0[2 * w + c]
            s += a0[3 * w + c]
            o[c] = s


def sum_outer(x: np.ndarray, lanes: int, out: np.ndarray) -> None:
    """out[c] = sum over rows of the C-contiguous 2-D ``x`` (a dim-0 sum), in torch's order."""
    if x.shape[1] == 1:  # one column is a contiguous sum (torch drops the size-1 dim)
        sum_2d(x.reshape(1, x.shape[0]), 1, lanes, out)
    else:
        _sum_cols(x, lanes, out, np.empty(16 * x.shape[1], x.dtype))


def sum_inner(x: np.ndarray, lanes: int, out: np.ndarray) -> None:
    """out[r] = sum of row r of the C-contiguous 2-D ``x`` (a last-dim sum), in torch's order."""
    sum_2d(x, 1, lanes, out)


_GRAIN = 32768  # at::internal::GRAIN_SIZE: below it torch reduces on one thread


def sum_all(flat: np.ndarray, lanes: int, threads: int):
    """The sum of the contiguous 1-D ``flat`` as torch adds it with ``threads`` intra-op threads:
    at or above 32768 items each thread sums one contiguous chunk (torch's two-pass reduction)
    and the chunk sums are added left to right."""
    n = flat.shape[0]
    out = np.zeros(1, flat.dtype)
    chunks = min(threads, -(-n // _GRAIN)) if n >= _GRAIN and threads > 1 else 1
    if chunks <= 1:
        sum_2d(flat.reshape(1, n), 1, lanes, out)
        return out[0]
    size = -(-n // chunks)
    parts = np.zeros(chunks, flat.dtype)
    for t in range(chunks):
        piece = flat[t * size: min(n, (t + 1) * size)]
        if piece.shape[0]:
            sum_2d(piece.reshape(1, -1), 1, lanes, out)
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
