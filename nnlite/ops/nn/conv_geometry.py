"""im2col / col2im and the three convolution GEMMs over any number of spatial dimensions.

A convolution over ``(N, C, *S)`` with a ``(O, C/G, *K)`` weight is, per group,

* forward ``y = W (Og, Cg*prod(K)) @ cols (Cg*prod(K), N*prod(OS))``, where ``cols`` holds one
  strided slice copy of the zero-padded input per kernel tap (``prod(K)`` copies);
* input gradient ``gcols = W^T @ g``, folded back by col2im: one strided slice addition per tap
  into the padded gradient (no ``np.add.at``);
* weight gradient ``gW = g @ cols^T``.

Conv1d runs as a 2-D convolution over height 1 (torch's own graph is the same single node);
Conv2d and Conv3d use these functions directly. Padding is ``(lo_0, hi_0, lo_1, hi_1, ...)``,
one pair per spatial dim in order, so ``padding='same'`` with an even kernel (PyTorch pads the
extra row at the end) needs no separate pad op.
"""

from __future__ import annotations

import itertools

import numpy as np


def out_len(size: int, k: int, s: int, lo: int, hi: int, d: int) -> int:
    """Output length of one spatial dim: ``(size + lo + hi - d (k - 1) - 1) // s + 1``."""
    return (size + lo + hi - d * (k - 1) - 1) // s + 1


def channel_major(a: np.ndarray) -> np.ndarray:
    """(N, C, *S) -> (C, N, *S) view."""
    return a.transpose(1, 0, *range(2, a.ndim))


def pad_cn(x: np.ndarray, pads) -> np.ndarray:
    """(N, C, *S) -> zero-padded, channel-major (C, N, *(S + lo + hi))."""
    n, c = x.shape[:2]
    lo, hi = pads[0::2], pads[1::2]
    sp = x.shape[2:]
    xp = np.zeros((c, n) + tuple(s + a + b for s, a, b in zip(sp, lo, hi)), x.dtype)
    xp[(slice(None), slice(None)) + tuple(slice(a, a + s) for a, s in zip(lo, sp))] = \
        channel_major(x)
    return xp


def tap_window(tap, p) -> tuple:
    """The strided slice of a padded (., ., *S) array that kernel tap ``tap`` (one offset per
    spatial dim) sees for all outputs; ``p`` is ``(stride, dilation, out_sizes)``."""
    stride, dil, out = p
    return (slice(None), slice(None)) + tuple(
        slice(t * d, t * d + s * (o - 1) + 1, s) for t, s, d, o in zip(tap, stride, dil, out))


def taps(k) -> itertools.product:
    """Every kernel tap (offset tuple) of a kernel of sizes ``k``, in C order."""
    return itertools.product(*(range(v) for v in k))


def im2col(xp: np.ndarray, k, p) -> np.ndarray:
    """Padded (C, N, *Sp) -> cols (C, *K, N, *OS): one strided copy per tap."""
    c, n = xp.shape[:2]
    cols = np.empty((c,) + tuple(k) + (n,) + tuple(p[2]), xp.dtype)
    for tap in taps(k):
        cols[(slice(None),) + tap] = xp[tap_window(tap, p)]
    return cols


def col2im(gcols: np.ndarray, padded_shape, p) -> np.ndarray:
    """Adjoint of :func:`im2col`: add each tap's slab back into a zero (C, N, *Sp) array."""
    nk = len(padded_shape) - 2
    gxp = np.zeros(padded_shape, gcols.dtype)
    for tap in taps(gcols.shape[1:1 + nk]):
        gxp[tap_window(tap, p)] += gcols[(slice(None),) + tap]
    return gxp


class ConvGeom:
    """Sizes of one convolution: input (N, C, *S), weight (O, Cg, *K), output sizes ``out_sp``.

    The GEMMs run channel-major over the whole batch -- ``(Og, K) @ (K, N*prod(OS))`` per group
    -- rather than one small GEMM per sample: on the 2 shared cores, numpy's per-sample GEMM
    loop made OpenBLAS threads sync per call and was 1.5-30x slower under load.
    """

    __slots__ = ("dilation", "groups", "out_sp", "pads", "stride", "w_shape", "x_shape")

    def __init__(self, x_shape, w_shape, stride, pads, dilation, groups):
        self.x_shape, self.w_shape = tuple(x_shape), tuple(w_shape)
        self.stride, self.pads, self.dilation, self.groups = stride, pads, dilation, groups
        self.out_sp = tuple(
            out_len(s, k, st, pads[2 * i], pads[2 * i + 1], d)
            for i, (s, k, st, d) in enumerate(zip(x_shape[2:], w_shape[2:], stride, dilation)))

    @property
    def out_hw(self) -> tuple:
        return self.out_sp

    @property
    def taps(self):
        return (self.stride, self.dilation, self.out_sp)

    @property
    def pointwise(self) -> bool:
        return (all(k == 1 for k in self.w_shape[2:]) and all(s == 1 for s in self.stride)
                and not any(self.pads))

    def padded_shape(self) -> tuple:
        n, c = self.x_shape[:2]
        p = self.pads
        return (c, n) + tuple(s + p[2 * i] + p[2 * i + 1]
                              for i, s in enumerate(self.x_shape[2:]))

    def cols(self, x: np.ndarray) -> np.ndarray:
        """im2col of x as (G, Cg*prod(K), N*prod(OS))."""
        n = x.shape[0]
        if self.pointwise:
            cols = np.ascontiguousarray(channel_major(x))
        else:
            cols = im2col(pad_cn(x, self.pads), self.w_shape[2:], self.taps)
        return cols.reshape(self.groups, -1, n * int(np.prod(self.out_sp)))

    def grad_rows(self, g: np.ndarray) -> np.ndarray:
        """Output gradient (N, O, *OS) as (G, Og, N*prod(OS))."""
        o = g.shape[1]
        return np.ascontiguousarray(channel_major(g)).reshape(self.groups, o // self.groups, -1)


def gemm_groups(a, b):
    """``a[g] @ b[g]`` for each group as plain 2-D products: numpy's stacked matmul does not pass
    transposed operands to BLAS (it was 7x slower for the weight gradient)."""
    if a.shape[0] == 1:
        return (a[0] @ b[0])[None]
    return np.stack([a[k] @ b[k] for k in range(a.shape[0])])


def conv_forward_np(x, w, geo: ConvGeom):
    """``y = conv(x, w)`` (no bias) -> (y (N, O, *OS), cols)."""
    n, o, g = x.shape[0], w.shape[0], geo.groups
    cols = geo.cols(x)
    y = gemm_groups(w.reshape(g, o // g, -1), cols)  # (G, Og, N*L)
    y = channel_major(y.reshape((o, n) + geo.out_sp))
    return np.ascontiguousarray(y), cols


def conv_input_grad_np(g, w, geo: ConvGeom):
    """Transposed convolution: the gradient of ``conv(x, w)`` w.r.t. x."""
    n, c = geo.x_shape[:2]
    sp = geo.x_shape[2:]
    o, k = w.shape[0], w.shape[2:]
    grp = geo.groups
    wt = w.reshape(grp, o // grp, -1).transpose(0, 2, 1)
    gcols = gemm_groups(wt, geo.grad_rows(g))  # (G, Cg*prod(K), N*L)
    if geo.pointwise:
        return np.ascontiguousarray(channel_major(gcols.reshape((c, n) + sp)))
    gxp = col2im(gcols.reshape((c,) + k + (n,) + geo.out_sp), geo.padded_shape(), geo.taps)
    p = geo.pads
    crop = (slice(None), slice(None)) + tuple(slice(p[2 * i], p[2 * i] + s)
                                              for i, s in enumerate(sp))
    return np.ascontiguousarray(channel_major(gxp[crop]))


def conv_weight_grad_np(cols, g, geo: ConvGeom):
    """The gradient of ``conv(x, w)`` w.r.t. w from x's im2col ``cols`` (G, K, N*L): one GEMM
    per group, computed transposed as ``(K, N*L) @ (N*L, Og)``: OpenBLAS's 2-thread split of
    ``(Og, N*L) @ (N*L, K)`` (long inner dimension, Og rows) was 4x slower in the median."""
    gwt = gemm_groups(cols, geo.grad_rows(g).transpose(0, 2, 1))  # (G, K, Og)
    return np.ascontiguousarray(gwt.transpose(0, 2, 1)).reshape(geo.w_shape)
