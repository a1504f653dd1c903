"""Max and average pooling kernels over (R, D, H, W) planes (R = N * C; 2-D pools pass D = 1),
forward and backward, in PyTorch's CPU order so the bits match:

- max: each window is scanned in (d, h, w) order over its in-bounds taps; a tap wins when it is
  greater than the running max or NaN (so the first maximum, the last NaN); the index is the
  flat position ``(d * H + h) * W + w``; a window with no in-bounds tap or only -inf keeps the
  first in-bounds position.
- avg: the in-bounds taps are summed in the same order in the input's dtype, then divided by
  the caller's per-output divisor (torch's ``pool_size``/valid count/``divisor_override``).
- backward: outputs are visited in order and their gradient added into the input gradient
  (``gx[idx] += g`` for max, ``gx[window] += g / divisor`` for avg), in the dtype.

Shapes and integers are normalised by the caller (C-contiguous float32/float64 arrays, int64
scalars) so each kernel compiles once per dtype. The numpy statements of the same results are
``max_pool_np``/``avg_pool_np`` and their backwards in ``nnlite.ops.nn.pool`` (the tests compare
both, and both with torch).
"""

from __future__ import annotations

import numpy as np

from nnlite.kernels._jit import njit


@njit
def max_pool_forward(x, kd, kh, kw, sd, sh, sw, pd, ph, pw, dd, dh, dw, od, oh, ow):
    """(R, D, H, W) -> (values, int64 flat indices), both (R, od, oh, ow)."""
    r_n, d_n, h_n, w_n = x.shape
    out = np.empty((r_n, od, oh, ow), x.dtype)
    idx = np.empty((r_n, od, oh, ow), np.int64)
    ninf = -np.inf
    for r in range(r_n):
        xr = x[r]
        for a in range(od):
            d0 = a * sd - pd
            while d0 < 0:
                d0 += dd
            d1 = min(a * sd - pd + (kd - 1) * dd + 1, d_n)
            for b in range(oh):
                h0 = b * sh - ph
                while h0 < 0:
                    h0 += dh
                h1 = min(b * sh - ph + (kh - 1) * dh + 1, h_n)
                for c in range(ow):
                    w0 = c * sw - pw
                    while w0 < 0:
                        w0 += dw
                    w1 = min(c * sw - pw + (kw - 1) * dw + 1, w_n)
                    best = ninf
                    best_i = (d0 * h_n + h0) * w_n + w0
                    for i in range(d0, d1, dd):
                        for j in range(h0, h1, dh):
                            for k in range(w0, w1, dw):
                                v = xr[i, j, k]
                                if v > best or np.isnan(v):
                                    best = v
                                    best_i = (i * h_n + j) * w_n + k
                    out[r, a, b, c] = best
                    idx[r, a, b, c] = best_i
    return out, idx


@njit
def max_pool_backward(g, idx, plane):
    """(R, O) gradients and indices -> (R, plane): ``gx[r, idx[r, o]] += g[r, o]`` in order."""
    r_n, o_n = g.shape
    gx = np.zeros((r_n, plane), g.dtype)
    for r in range(r_n):
        for o in range(o_n):
            gx[r, idx[r, o]] += g[r, o]
    return gx


@njit
def avg_pool_forward(x, div, kd, kh, kw, sd, sh, sw, pd, ph, pw):
    """(R, D, H, W) -> (R, od, oh, ow) window sums over the in-bounds taps / ``div`` (an
    (od, oh, ow) array in x's dtype)."""
    r_n, d_n, h_n, w_n = x.shape
    od, oh, ow = div.shape
    out = np.empty((r_n, od, oh, ow), x.dtype)
    zero = x.dtype.type(0)
    for r in range(r_n):
        xr = x[r]
        for a in range(od):
            d0 = max(a * sd - pd, 0)
            d1 = min(a * sd - pd + kd, d_n)
            for b in range(oh):
                h0 = max(b * sh - ph, 0)
                h1 = min(b * sh - ph + kh, h_n)
                for c in range(ow):
                    w0 = max(c * sw - pw, 0)
                    w1 = min(c * sw - pw + kw, w_n)
                    s = zero
                    for i in range(d0, d1):
                        for j in range(h0, h1):
                            for k in range(w0, w1):
                                s += xr[i, j, k]
                    out[r, a, b, c] = s / div[a, b, c]
    return out


@njit
def avg_pool_backward(g, div, d_n, h_n, w_n, kd, kh, kw, sd, sh, sw, pd, ph, pw):
    """(R, od, oh, ow) -> (R, D, H, W): each output's ``g / div`` added to its in-bounds taps."""
    r_n, od, oh, ow = g.shape
    gx = np.zeros((r_n, d_n, h_n, w_n), g.dtype)
    for r in range(r_n):
        gr = gx[r]
        for a in range(od):
            d0 = max(a * sd - pd, 0)
            d1 = min(a * sd - pd + kd, d_n)
            for b in range(oh):
                h0 = max(b * sh - ph, 0)
                h1 = min(b * sh - ph + kh, h_n)
                for c in range(ow):
                    w0 = max(c * sw - pw, 0)
                    w1 = min(c * sw - pw + kw, w_n)
                    v = g[r, a, b, c] / div[a, b, c]
                    for i in range(d0, d1):
                        for j in range(h0, h1):
                            for k in range(w0, w1):
                                gr[i, j, k] += v
    return gx
