"""float32 softmax / log-softmax in the order and rounding of PyTorch's CPU kernel.

ATen's ``SoftMaxKernel.cpp`` (last dim, ``_vec_softmax_lastdim`` / ``_vec_log_softmax_lastdim``)
works row by row with ``Vectorized<float>`` (``W`` lanes: 8 under AVX2, 16 under AVX-512):

- ``m = reduce_all(maximum, row)`` (NaN propagates);
- ``e_j = exp(x_j - m)`` with ``Vectorized<float>::exp``, which is SLEEF's ``expf_u10``
  (``q = rint(d / ln 2)``, a two-constant Cody-Waite reduction and a degree-6 polynomial, every
  step a fused multiply-add, then ``* 2^(q>>1) * 2^(q - (q>>1))``; 0 below -104, inf above 100).
  This exp is not correctly rounded, and is most of why a correctly rounded exp differs from
  torch's softmax;
- ``s = reduce_all(+, e)``: lane ``k`` sums items ``k, k+W, k+2W, ...`` of the full vectors in
  order, the tail items go into lanes ``0..r-1``, then the lanes are folded as a tree (lane
  ``i`` plus lane ``i ^ W/2``, then ``i ^ W/4``, ... ``i ^ 1``). Rows shorter than ``W`` are
  summed left to right;
- softmax: ``y_j = e_j * (1 / s)``; log-softmax: ``y_j = (x_j - m) - log(s)``.

Backward over the last dim (``_vec_host_softmax_backward_lastdim``): softmax
``dx = (g - s) * y`` with ``s = sum(g * y)`` (products rounded, then summed in the lane order
above; measured: torch on one thread fuses the tail items' product and add into one FMA);
log-softmax ``dx = fma(-exp(y), s, g)`` with ``s = sum(g)`` in the lane order and the
same SLEEF exp (the compiled ``x - exp(y) * s`` is one fused multiply-add).

Other dims (``_vec_softmax``, inner size > 1): per inner position, ``m`` and ``s`` run down the
dim in order (``s`` starts at 0), the same exp, and ``y = e / s`` (a division, not a reciprocal);
log-softmax there is ``(x - m) - log(s)`` with the same sequential sum. Their backward
(``_vec_softmax_backward`` / ``_vec_log_softmax_backward``) sums down the dim from 0 with fused
multiply-adds: softmax ``s = fma(g, y, s)``, ``dx = y * (g - s)``; log-softmax ``s += g``,
``dx = fma(-exp(y), s, g)``.

Positions past the last full vector of the inner size use the scalar ``std::exp`` (correctly
rounded in practice; here: float64 exp rounded once). ``log(s)`` is the float64 log rounded
once; torch's SLEEF ``logf_u10`` differs from it on a fraction of a percent of rows.

Example:
    >>> y = softmax_lastdim(np.array([[0.0, 1.0, 2.0]], np.float32), 8, False)
    >>> [round(float(v), 4) for v in y[0]]
    [0.09, 0.2447, 0.6652]
"""

from __future__ import annotations

import numpy as np

from nnlite.kernels._jit import njit
from nnlite.kernels.fma import fma as _fma
from nnlite.kernels.fma import fma_f32_ref as _fma_ref

__all__ = ["expf_sleef", "expf_sleef_ref", "softmax_backward_inner",
           "softmax_backward_inner_ref", "softmax_backward_lastdim",
           "softmax_backward_lastdim_ref", "softmax_inner", "softmax_inner_ref",
           "softmax_lastdim", "softmax_lastdim_ref"]

f32 = np.float32
_R_LN2 = f32(1.442695040888963407359924681001892137426645954152985934135449406931)
_L2U = f32(0.693145751953125)
_L2L = f32(1.428606765330187045e-06)
_P0 = f32(0.000198527617612853646278381)
_P1 = f32(0.00139304355252534151077271)
_P2 = f32(0.00833336077630519866943359)
_P3 = f32(0.0416664853692054748535156)
_P4 = f32(0.166666671633720397949219)
_P5 = f32(0.5)
_POLY = (_P1, _P2, _P3, _P4, _P5)
_POW_BIAS = 80  # _POW2[k + _POW_BIAS] == 2**k for the k the exp's scaling can need
_POW2 = np.ldexp(np.float32(1), np.arange(-_POW_BIAS, _POW_BIAS + 1)).astype(np.float32)


@njit(inline="always")
def _expf(d, pow2):
    if not d >= f32(-104.0):  # below SLEEF's range -> 0; NaN stays NaN
        return d if np.isnan(d) else f32(0.0)
    if d > f32(100.0):
        return f32(np.inf)
    qf = np.rint(d * _R_LN2)
    q = np.int32(qf)
    s = _fma(qf, -_L2U, d)
    s = _fma(qf, -_L2L, s)
    u = _fma(_P0, s, _P1)
    u = _fma(u, s, _P2)
    u = _fma(u, s, _P3)
    u = _fma(u, s, _P4)
    u = _fma(u, s, _P5)
    u = f32(1.0) + _fma(s * s, u, s)
    q1 = q >> 1
    return (u * pow2[q1 + 80]) * pow2[q - q1 + 80]


@njit
def _expf_kernel(x, pow2, out):
    for i in range(x.shape[0]):
        out[i] = _expf(x[i], pow2)


@njit(inline="always")
def _lane_sum(v, acc):
    # torch's reduce_all(+) over the 1-D v (module docstring); acc: scratch of `lanes` items
    lanes = acc.shape[0]
    c = v.shape[0]
    if c < lanes:
        s = v[0]
        for j in range(1, c):
            s += v[j]
        return s
    full = c - c % lanes
    for k in range(lanes):
        acc[k] = v[k]
    for b in range(lanes, full, lanes):
        vb = v[b:b + lanes]
        for k in range(lanes):
            acc[k] += vb[k]
    for k in range(c - full):
        acc[k] += v[full + k]
    h = lanes // 2
    while h:
        for k in range(h):
            acc[k] = acc[k] + acc[k + h]
        h //= 2
    return acc[0]


@njit
def _backward_lastdim_kernel(g, y, lanes, tail_fma, log, pow2, out):
    acc = np.empty(lanes, np.float32)
    c = g.shape[1]
    full = c - c % lanes
    for r in range(g.shape[0]):
        gr = g[r]
        yr = y[r]
        orow = out[r]
        if log:
            s = _lane_sum(gr, acc)
            for j in range(c):
                orow[j] = _fma(-_expf(yr[j], pow2), s, gr[j])
        else:
            for j in range(c):
                orow[j] = gr[j] * yr[j]
            if tail_fma and lanes < c and full < c:
                # torch on one thread: the tail's product and add are one fused multiply-add
                for k in range(lanes):
                    acc[k] = orow[k]
                for b in range(lanes, full, lanes):
                    for k in range(lanes):
                        acc[k] += orow[b + k]
                for k in range(c - full):
                    acc[k] = _fma(gr[full + k], yr[full + k], acc[k])
                h = lanes // 2
                while h:
                    for k in range(h):
                        acc[k] = acc[k] + acc[k + h]
                    h //= 2
                s = acc[0]
            else:
                s = _lane_sum(orow, acc)
            for j in range(c):
                orow[j] = (gr[j] - s) * yr[j]


@njit
def _lastdim_kernel(x, lanes, log, pow2, out):
    rows, c = x.shape
    acc = np.empty(lanes, np.float32)
    for r in range(rows):
        xr = x[r]
        orow = out[r]
        m = xr[0]
        for j in range(1, c):
            v = xr[j]
            if v > m or np.isnan(v):
                m = v
            if np.isnan(m):
                break
        for j in range(c):
            orow[j] = _expf(xr[j] - m, pow2)
        s = _lane_sum(orow, acc)
        if log:
            lse = f32(np.log(np.float64(s)))
            for j in range(c):
                orow[j] = (xr[j] - m) - lse
        else:
            rs = f32(1.0) / s
            for j in range(c):
                orow[j] *= rs


@njit
def _backward_inner_kernel(g, y, lanes, log, pow2, out):
    n_outer, n_dim, n_inner = y.shape
    tail = n_inner - n_inner % lanes
    s = np.empty(n_inner, np.float32)
    for o in range(n_outer):
        go = g[o]
        yo = y[o]
        oo = out[o]
        for i in range(n_inner):
            s[i] = f32(0.0)
        for d in range(n_dim):
            gd = go[d]
            yd = yo[d]
            if log:
                for i in range(n_inner):
                    s[i] += gd[i]
            else:
                for i in range(n_inner):
                    s[i] = _fma(gd[i], yd[i], s[i])
        for d in range(n_dim):
            gd = go[d]
            yd = yo[d]
            od = oo[d]
            if log:
                for i in range(tail):
                    od[i] = _fma(-_expf(yd[i], pow2), s[i], gd[i])
                for i in range(tail, n_inner):
                    od[i] = _fma(-f32(np.exp(np.float64(yd[i]))), s[i], gd[i])
            else:
                for i in range(n_inner):
                    od[i] = yd[i] * (gd[i] - s[i])


@njit
def _vector_positions(n_outer, n_inner, lanes, threads, vec):
    # vec[p] = 1 where _vec_softmax takes position p (= outer * inner + i) in a vector: it walks
    # each thread's share [begin, end) of the flattened positions (parallel_for, grain 0:
    # ceil(N / threads) each), a vector where inner_idx + W <= inner and idx + W <= end, else a
    # scalar run to the row's end, or to the share's end when that comes first
    n = n_outer * n_inner
    t = threads if n > 1 and threads > 1 else 1
    chunk = (n + t - 1) // t
    for b in range(0, n, chunk):
        end = min(n, b + chunk)
        idx = b
        while idx < end:
            ii = idx % n_inner
            if ii + lanes <= n_inner and idx + lanes <= end:
                for k in range(lanes):
                    vec[idx + k] = 1
                idx += lanes
            else:
                run = end - idx if idx + lanes > end else n_inner - ii
                for k in range(run):
                    vec[idx + k] = 0
                idx += run


@njit
def _inner_kernel(x, lanes, threads, log, pow2, out):
    # x: (outer, dim, inner); reductions run down axis 1 in order for every inner position
    n_outer, n_dim, n_inner = x.shape
    tail = n_inner - n_inner % lanes  # positions past the last full vector: scalar std::exp
    vec = np.empty(n_outer * n_inner, np.uint8)
    if not log:  # softmax's vector/scalar split follows the thread shares (log-softmax's not)
        _vector_positions(n_outer, n_inner, lanes, threads, vec)
    m = np.empty(n_inner, np.float32)
    s = np.empty(n_inner, np.float32)
    for o in range(n_outer):
        xo = x[o]
        oo = out[o]
        for i in range(n_inner):
            m[i] = xo[0, i]
        for d in range(1, n_dim):
            xd = xo[d]
            for i in range(n_inner):
                v = xd[i]
                if v > m[i] or np.isnan(v):
                    m[i] = v
        for i in range(n_inner):
            s[i] = f32(0.0)
        for d in range(n_dim):
            xd = xo[d]
            od = oo[d]
            if log:
                for i in range(tail):
                    e = _expf(xd[i] - m[i], pow2)
                    s[i] += e
                    od[i] = e
                for i in range(tail, n_inner):
                    e = f32(np.exp(np.float64(xd[i] - m[i])))
                    s[i] += e
                    od[i] = e
            else:
                vo = vec[o * n_inner:(o + 1) * n_inner]
                for i in range(n_inner):
                    if vo[i]:
                        e = _expf(xd[i] - m[i], pow2)
                    else:
                        e = f32(np.exp(np.float64(xd[i] - m[i])))
                    s[i] += e
                    od[i] = e
        if log:
            for i in range(n_inner):
                s[i] = f32(np.log(np.float64(s[i])))
            for d in range(n_dim):
                xd = xo[d]
                od = oo[d]
                for i in range(n_inner):
                    od[i] = (xd[i] - m[i]) - s[i]
        else:
            for d in range(n_dim):
                od = oo[d]
                for i in range(n_inner):
                    od[i] = od[i] / s[i]


def expf_sleef(x: np.ndarray) -> np.ndarray:
    """torch's vectorized float32 exp (SLEEF ``expf_u10``) elementwise, as a new array."""
    xc = np.ascontiguousarray(x, np.float32).reshape(-1)
    out = np.empty_like(xc)
    _expf_kernel(xc, _POW2, out)
    return out.reshape(np.shape(x))


def softmax_lastdim(x: np.ndarray, lanes: int, log: bool) -> np.ndarray:
    """float32 softmax (``log=False``) or log-softmax over the last axis of ``x``, in torch's
    order (module docstring); ``lanes``: float32 lanes of torch's vectors (8 or 16)."""
    xc = np.ascontiguousarray(x, np.float32)
    c = xc.shape[-1]
    x2 = xc.reshape(-1, c)
    out = np.empty_like(x2)
    if x2.size:
        _lastdim_kernel(x2, int(lanes), bool(log), _POW2, out)
    return out.reshape(xc.shape)


def softmax_backward_lastdim(grad: np.ndarray, y: np.ndarray, lanes: int,
                             log: bool, threads: int = 2) -> np.ndarray:
    """float32 softmax / log-softmax backward over the last axis from the output ``y``, in
    torch's order (module docstring). ``threads``: torch's intra-op thread count (measured:
    torch 2.13 on one thread fuses the softmax tail's ``acc + g * y`` into one FMA)."""
    yc = np.ascontiguousarray(y, np.float32)
    c = yc.shape[-1]
    g2 = np.ascontiguousarray(grad, np.float32).reshape(-1, c)
    y2 = yc.reshape(-1, c)
    out = np.empty_like(y2)
    if y2.size:
        _backward_lastdim_kernel(g2, y2, int(lanes), int(threads) == 1, bool(log), _POW2, out)
    return out.reshape(yc.shape)


def softmax_backward_inner(grad: np.ndarray, y: np.ndarray, dim: int, lanes: int,
                           log: bool) -> np.ndarray:
    """float32 softmax / log-softmax backward over axis ``dim`` (not the last), torch's order."""
    yc = np.ascontiguousarray(y, np.float32)
    shape = yc.shape
    outer = int(np.prod(shape[:dim], dtype=np.int64))
    inner = int(np.prod(shape[dim + 1:], dtype=np.int64))
    y3 = yc.reshape(outer, shape[dim], inner)
    g3 = np.ascontiguousarray(grad, np.float32).reshape(y3.shape)
    out = np.empty_like(y3)
    if y3.size:
        _backward_inner_kernel(g3, y3, int(lanes), bool(log), _POW2, out)
    return out.reshape(shape)


def softmax_inner(x: np.ndarray, dim: int, lanes: int, log: bool,
                  threads: int = 1) -> np.ndarray:
    """float32 softmax / log-softmax over axis ``dim`` (not the last) in torch's order;
    ``threads``: torch's intra-op thread count (it decides which positions softmax takes in
    vectors, i.e. with SLEEF's exp, and which with the scalar exp)."""
    xc = np.ascontiguousarray(x, np.float32)
    shape = xc.shape
    outer = int(np.prod(shape[:dim], dtype=np.int64))
    inner = int(np.prod(shape[dim + 1:], dtype=np.int64))
    x3 = xc.reshape(outer, shape[dim], inner)
    out = np.empty_like(x3)
    if x3.size:
        _inner_kernel(x3, int(lanes), max(1, int(threads)), bool(log), _POW2, out)
    return out.reshape(shape)


# ---- numpy references (tests) ------------------------------------------------------------


def expf_sleef_ref(x: np.ndarray) -> np.ndarray:
    """numpy reference of :func:`expf_sleef` (fma via ``fma_f32_ref``)."""
    d = np.asarray(x, np.float32)
    with np.errstate(invalid="ignore", over="ignore"):
        qf = np.rint(d * _R_LN2)
        q = np.where(np.isfinite(qf), qf, 0).astype(np.int32)
        s = _fma_ref(qf, -_L2U, d)
        s = _fma_ref(qf, -_L2L, s)
        u = _fma_ref(_P0, s, _P1)
        for p in _POLY[1:]:
            u = _fma_ref(u, s, p)
        u = f32(1.0) + _fma_ref(s * s, u, s)
        q1 = q >> 1
        u = (u * np.ldexp(f32(1), q1).astype(np.float32)) * np.ldexp(f32(1), q - q1).astype(
            np.float32)
        u = np.where(d < -104, f32(0), u)
        u = np.where(d > 100, f32(np.inf), u)
    return np.where(np.isnan(d), d, u).astype(np.float32)


def _lane_sum_ref(e: np.ndarray, lanes: int) -> np.ndarray:
    c = e.shape[1]
    if c < lanes:
        s = e[:, 0].copy()
        for j in range(1, c):
            s = s + e[:, j]
        return s
    full = c - c % lanes
    acc = e[:, :lanes].copy()
    for b in range(lanes, full, lanes):
        acc = acc + e[:, b:b + lanes]
    r = c - full
    acc[:, :r] = acc[:, :r] + e[:, full:]
    h = lanes // 2
    while h:
        acc = acc + acc[:, np.arange(lanes) ^ h]
        h //= 2
    return acc[:, 0]


def softmax_lastdim_ref(x: np.ndarray, lanes: int, log: bool) -> np.ndarray:
    """numpy reference of :func:`softmax_lastdim` (rows without NaN)."""
    x2 = np.asarray(x, np.float32).reshape(-1, np.shape(x)[-1])
    m = x2.max(axis=1, keepdims=True)
    e = expf_sleef_ref(x2 - m)
    s = _lane_sum_ref(e, lanes)[:, None]
    with np.errstate(divide="ignore"):
        y = (x2 - m) - _log_ref(s) if log else e * (f32(1.0) / s)
    return y.reshape(np.shape(x))


def softmax_backward_lastdim_ref(grad: np.ndarray, y: np.ndarray, lanes: int,
                                 log: bool, threads: int = 2) -> np.ndarray:
    """numpy reference of :func:`softmax_backward_lastdim`."""
    c = np.shape(y)[-1]
    g2 = np.asarray(grad, np.float32).reshape(-1, c)
    y2 = np.asarray(y, np.float32).reshape(-1, c)
    full = c - c % lanes
    if log:
        s = _lane_sum_ref(g2, lanes)[:, None]
        out = _fma_ref(-expf_sleef_ref(y2), np.broadcast_to(s, y2.shape), g2)
    elif threads == 1 and c > lanes and full < c:
        p = g2 * y2
        acc = p[:, :lanes].copy()
        for b in range(lanes, full, lanes):
            acc = acc + p[:, b:b + lanes]
        acc[:, :c - full] = _fma_ref(g2[:, full:], y2[:, full:], acc[:, :c - full])
        h = lanes // 2
        while h:
            acc = acc + acc[:, np.arange(lanes) ^ h]
            h //= 2
        out = (g2 - acc[:, :1]) * y2
    else:
        s = _lane_sum_ref(g2 * y2, lanes)[:, None]
        out = (g2 - s) * y2
    return out.reshape(np.shape(y))


def softmax_backward_inner_ref(grad: np.ndarray, y: np.ndarray, dim: int, lanes: int,
                               log: bool) -> np.ndarray:
    """numpy reference of :func:`softmax_backward_inner`."""
    ya = np.asarray(y, np.float32)
    ga = np.asarray(grad, np.float32)
    s = np.zeros_like(np.take(ya, [0], axis=dim))
    for k in range(ya.shape[dim]):
        gk = np.take(ga, [k], axis=dim)
        s = s + gk if log else _fma_ref(gk, np.take(ya, [k], axis=dim), s)
    sb = np.broadcast_to(s, ya.shape)
    if not log:
        return ya * (ga - sb)
    inner = int(np.prod(ya.shape[dim + 1:], dtype=np.int64))
    e = expf_sleef_ref(ya).reshape(-1, ya.shape[dim], inner)
    tail = inner - inner % lanes
    e[:, :, tail:] = np.exp(ya.reshape(e.shape)[:, :, tail:].astype(np.float64))
    return _fma_ref(-e.reshape(ya.shape), sb, ga)


def _log_ref(s):
    return np.log(s.astype(np.float64)).astype(np.float32)


def _vector_positions_ref(n_outer, n_inner, lanes, threads):
    n = n_outer * n_inner
    t = threads if n > 1 and threads > 1 else 1
    chunk = -(-n // t)
    vec = np.zeros(n, bool)
    for b in range(0, n, chunk):
        end = min(n, b + chunk)
        # inside a share: full vectors from the share's start while the row and share allow
        idx = b
        while idx < end:
            ii = idx % n_inner
            if ii + lanes <= n_inner and idx + lanes <= end:
                vec[idx:idx + lanes] = True
                idx += lanes
            else:
                idx += end - idx if idx + lanes > end else n_inner - ii
    return vec


def softmax_inner_ref(x: np.ndarray, dim: int, lanes: int, log: bool,
                      threads: int = 1) -> np.ndarray:
    """numpy reference of :func:`softmax_inner` (no NaN)."""
    xa = np.asarray(x, np.float32)
    m = xa.max(axis=dim, keepdims=True)
    d = xa - m
    e = expf_sleef_ref(d)
    inner = int(np.prod(xa.shape[dim + 1:], dtype=np.int64))
    outer = int(np.prod(xa.shape[:dim], dtype=np.int64))
    flat = e.reshape(outer, xa.shape[dim], inner)
    d3 = d.reshape(flat.shape).astype(np.float64)
    if log:
        tail = inner - inner % lanes
        flat[:, :, tail:] = np.exp(d3[:, :, tail:])
    else:
        scalar = ~_vector_positions_ref(outer, inner, lanes, max(1, threads)).reshape(outer, 1,
                                                                                       inner)
        scalar = np.broadcast_to(scalar, flat.shape)
        flat[scalar] = np.exp(d3[scalar])
    s = np.zeros_like(m)
    for k in range(xa.shape[dim]):
        s = s + np.take(e, [k], axis=dim)
    with np.errstate(divide="ignore"):
        return (xa - m) - _log_ref(s) if log else e / s
