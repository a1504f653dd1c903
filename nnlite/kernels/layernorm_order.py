"""float32 LayerNorm forward in the order and formula of PyTorch's CPU kernel, for short rows.

ATen's ``LayerNormKernelImpl`` takes each row's moments with ``RowwiseMoments``
(``moments_utils.h``): the row's first ``W * (N // W)`` items as ``W`` lanes (``W`` = lanes of
its ``Vectorized<float>``), each lane a float32 Welford recurrence over chunks of 16 vectors
(``m1 += d * (1 / (j+1))``, ``m2 += d * (x - m1)``, both fused multiply-adds in the compiled
kernel); the items past the lanes a scalar Welford (``m1 += d / k``); then the lanes merged into
it one by one (``c = n / (n + m0)``, ``m1 = fma(c, delta, m1)``,
``m2 += fma(delta^2 c, m0, m2_lane)``). ``rstd = 1 / sqrt(var + eps)`` and
``y = fma((x - mean) * rstd, gamma, beta)`` (``fma(x - mean, rstd, beta)`` without gamma). With at most one chunk (``N <= 16 W``: 128 floats
under AVX2, 256 under AVX-512) there is no chunk cascade, and this reproduces torch's mean, rstd
and output bit for bit (tests compare with torch); longer rows merge chunks in an order not
reproduced here, so the op layer keeps its float64-accumulated kernel for them.

Example:
    >>> y, mean, rstd = layernorm_forward_short(np.arange(8, dtype=np.float32)[None], None,
    ...                                         None, 1e-5, 8)
    >>> float(mean[0]), round(float(rstd[0]), 5)
    (3.5, 0.43644)
"""

from __future__ import annotations

import numpy as np

from nnlite.kernels._jit import njit
from nnlite.kernels.fma import fma as _fma
from nnlite.kernels.fma import fma_f32_ref as _fma_ref

__all__ = ["layernorm_forward_short", "layernorm_forward_short_ref", "max_row"]

f32 = np.float32
_CHUNK = 16  # kChunkSize: vectors per Welford chunk


def max_row(lanes: int) -> int:
    """The longest row this kernel reproduces torch for: one Welford chunk of vectors."""
    return _CHUNK * lanes


@njit
def _ln_short_kernel(x, weight, bias, eps, lanes, y, mean, rstd):
    rows, n_items = x.shape
    has_w = weight.shape[0] > 0
    has_b = bias.shape[0] > 0
    n = n_items // lanes  # full vectors (at most one chunk of them)
    m1v = np.zeros(lanes, np.float32)
    m2v = np.zeros(lanes, np.float32)
    for r in range(rows):
        xr = x[r]
        for c in range(lanes):
            m1v[c] = 0
            m2v[c] = 0
        for j in range(n):
            cj = f32(1.0) / f32(j + 1)
            xj = xr[j * lanes: (j + 1) * lanes]
            for c in range(lanes):
                xv = xj[c]
                d = xv - m1v[c]
                m1v[c] = _fma(d, cj, m1v[c])
                m2v[c] = _fma(d, xv - m1v[c], m2v[c])
        # the chunk goes into an empty stack slot: an exact copy (c = 1, m0 = 0), as in torch
        # (fma(delta^2, 0, m2) is m2 unless delta^2 overflows; kept for torch's NaN then)
        for c in range(lanes):
            d = m1v[c]
            m1v[c] = _fma(f32(1.0), d, f32(0.0))
            m2v[c] = _fma(d * d * f32(1.0), f32(0.0), f32(0.0) + m2v[c])
        m0 = 0
        m1 = f32(0.0)
        m2 = f32(0.0)
        for i in range(n * lanes, n_items):
            d = xr[i] - m1
            m0 += 1
            m1 = m1 + d / f32(m0)
            m2 = m2 + d * (xr[i] - m1)
        for c in range(lanes):
            tot = m0 + n
            cc = f32(0.0) if tot == 0 else f32(n) / f32(tot)
            delta = m1v[c] - m1
            m1 = _fma(cc, delta, m1)
            m2 = m2 + _fma(delta * delta * cc, f32(m0), m2v[c])
            m0 = tot
        var = m2 / f32(n_items)
        inv = f32(1.0) / np.sqrt(var + eps)
        mean[r] = m1
        rstd[r] = inv
        yr = y[r]
        for j in range(n_items):
            b = bias[j] if has_b else f32(0.0)
            if has_w:
                yr[j] = _fma((xr[j] - m1) * inv, weight[j], b)
            else:
                yr[j] = _fma(xr[j] - m1, inv, b)


def layernorm_forward_short(x, weight, bias, eps, lanes):
    """LayerNorm over the last dim of a float32 (M, N) array with ``N <= max_row(lanes)``, in
    torch's order. ``weight``/``bias``: (N,) float32 or None. Returns ``(y, mean, rstd)``."""
    xc = np.ascontiguousarray(x, np.float32)
    rows, n = xc.shape
    if n > max_row(lanes):
        raise ValueError(f"rows of {n} items are longer than one chunk ({max_row(lanes)})")
    empty = np.zeros(0, np.float32)
    w = empty if weight is None else np.ascontiguousarray(weight, np.float32)
    b = empty if bias is None else np.ascontiguousarray(bias, np.float32)
    y = np.empty_like(xc)
    mean = np.empty(rows, np.float32)
    rstd = np.empty(rows, np.float32)
    _ln_short_kernel(xc, w, b, f32(eps), lanes, y, mean, rstd)
    return y, mean, rstd


def layernorm_forward_short_ref(x, weight, bias, eps, lanes):
    """numpy statement of the same order, row by row (for tests)."""
    x = np.asarray(x, np.float32)
    rows, n_items = x.shape
    n = n_items // lanes
    y = np.empty_like(x)
    mean = np.empty(rows, np.float32)
    rstd = np.empty(rows, np.float32)
    g = None if weight is None else np.asarray(weight, np.float32)
    bb = np.zeros(n_items, np.float32) if bias is None else np.asarray(bias, np.float32)
    for r in range(rows):
        xr = x[r]
        m1v = np.zeros(lanes, np.float32)
        m2v = np.zeros(lanes, np.float32)
        for j in range(n):
            xv = xr[j * lanes: (j + 1) * lanes]
            d = (xv - m1v).astype(np.float32)
            m1v = _fma_ref(d, f32(1.0) / f32(j + 1), m1v)
            m2v = _fma_ref(d, (xv - m1v).astype(np.float32), m2v)
        m0, m1, m2 = 0, f32(0.0), f32(0.0)
        for i in range(n * lanes, n_items):
            d = f32(xr[i] - m1)
            m0 += 1
            m1 = f32(m1 + f32(d / f32(m0)))
            m2 = f32(m2 + f32(d * f32(xr[i] - m1)))
        for c in range(lanes):
            tot = m0 + n
            cc = f32(0.0) if tot == 0 else f32(f32(n) / f32(tot))
            delta = f32(m1v[c] - m1)
            m1 = _fma_ref(cc, delta, m1)[()]
            m2 = f32(m2 + _fma_ref(f32(f32(delta * delta) * cc), f32(m0), m2v[c])[()])
            m0 = tot
        inv = f32(f32(1.0) / np.sqrt(f32(f32(m2 / f32(n_items)) + f32(eps))))
        mean[r], rstd[r] = m1, inv
        if weight is None:
            y[r] = _fma_ref((xr - m1).astype(np.float32), inv, bb)
        else:
            y[r] = _fma_ref(((xr - m1) * inv).astype(np.float32), g, bb)
    return y, mean, rstd
