"""Convolution, pooling and embedding ops on numpy + BLAS, NCHW layout.

Convolution is im2col + one batched BLAS product:

* forward ``y[n, g] = W[g] (Og, Cg*KH*KW) @ cols[n, g] (Cg*KH*KW, OH*OW)``, where ``cols`` is
  built by KH*KW strided slice copies of the zero-padded input;
* input gradient (a transposed convolution) ``gcols = W^T @ g`` folded back by col2im: KH*KW
  strided slice additions into the padded gradient (no ``np.add.at``);
* weight gradient ``gW[g] = sum_n g[n, g] @ cols[n, g]^T``.

The three are bilinear maps that are each other's adjoints, so each is a graph node whose backward
calls the other two: any order of derivative works (gradgradcheck covers all of them). The same
holds for the pooling ops (max pool: scatter/gather at the argmax; avg pool: sum of windows /
spread over windows) and embedding (gather rows / scatter-add rows).

Shapes: the conv ops take (N, C, H, W) or (N, C, L); a 3-D array is run as H = 1.
Padding is ``(top, bottom, left, right)`` so ``padding='same'`` with an even kernel (PyTorch pads
the extra row/column at the end) needs no separate pad op.
"""

from __future__ import annotations

import numpy as np

from nnlite._tensor import Tensor
from nnlite.autograd.function import Node, record
from nnlite.autograd.grad_mode import _GradState

_W = Tensor._wrap

_NAMES = {"float32": "Float", "float64": "Double", "float16": "Half"}
_LOWER = {"float32": "float", "float64": "double", "float16": "half"}


def _as4(a: np.ndarray) -> np.ndarray:
    return a[:, :, None, :] if a.ndim == 3 else a


def _out_len(size: int, k: int, s: int, lo: int, hi: int, d: int) -> int:
    return (size + lo + hi - d * (k - 1) - 1) // s + 1


# ---- numpy kernels ---------------------------------------------------------------------------


def _pad_cn(x: np.ndarray, pads) -> np.ndarray:
    """(N, C, H, W) -> zero-padded, channel-major (C, N, H + pt + pb, W + pl + pr)."""
    pt, pb, pl, pr = pads
    n, c, h, w = x.shape
    xp = np.zeros((c, n, h + pt + pb, w + pl + pr), x.dtype)
    xp[:, :, pt:pt + h, pl:pl + w] = x.transpose(1, 0, 2, 3)
    return xp


def _window(i, j, p):
    """The strided slice of the padded input that kernel tap (i, j) sees for all outputs."""
    (sh, sw), (dh, dw), (oh, ow) = p
    h0, w0 = i * dh, j * dw
    return (slice(None), slice(None), slice(h0, h0 + sh * (oh - 1) + 1, sh),
            slice(w0, w0 + sw * (ow - 1) + 1, sw))


def _im2col(xp: np.ndarray, kh: int, kw: int, p) -> np.ndarray:
    """Padded (C, N, Hp, Wp) -> cols (C, KH, KW, N, OH, OW): one strided copy per tap."""
    c, n = xp.shape[:2]
    oh, ow = p[2]
    cols = np.empty((c, kh, kw, n, oh, ow), xp.dtype)
    for i in range(kh):
        for j in range(kw):
            cols[:, i, j] = xp[_window(i, j, p)]
    return cols


def _col2im(gcols: np.ndarray, padded_shape, p) -> np.ndarray:
    """Adjoint of ``_im2col``: add each tap's slab back into a zero (C, N, Hp, Wp) array."""
    kh, kw = gcols.shape[1:3]
    gxp = np.zeros(padded_shape, gcols.dtype)
    for i in range(kh):
        for j in range(kw):
            gxp[_window(i, j, p)] += gcols[:, i, j]
    return gxp


class _Geom:
    """Sizes of one convolution: input (N, C, H, W), weight (O, Cg, KH, KW), output (OH, OW).

    The GEMMs run channel-major over the whole batch -- ``(Og, K) @ (K, N*OH*OW)`` per group --
    rather than one small GEMM per sample: on the 2 shared cores, numpy's per-sample GEMM loop
    made OpenBLAS threads sync per call and was 1.5-30x slower under load.
    """

    __slots__ = ("dilation", "groups", "out_hw", "pads", "stride", "w_shape", "x_shape")

    def __init__(self, x_shape, w_shape, stride, pads, dilation, groups):
        self.x_shape, self.w_shape = tuple(x_shape), tuple(w_shape)
        self.stride, self.pads, self.dilation, self.groups = stride, pads, dilation, groups
        h, w = x_shape[2:]
        kh, kw = w_shape[2:]
        self.out_hw = (_out_len(h, kh, stride[0], pads[0], pads[1], dilation[0]),
                       _out_len(w, kw, stride[1], pads[2], pads[3], dilation[1]))

    @property
    def taps(self):
        return (self.stride, self.dilation, self.out_hw)

    @property
    def pointwise(self) -> bool:
        return self.w_shape[2:] == (1, 1) and self.stride == (1, 1) and not any(self.pads)

    def cols(self, x4: np.ndarray) -> np.ndarray:
        """im2col of x as (G, Cg*KH*KW, N*OH*OW)."""
        n, _c = x4.shape[:2]
        g = self.groups
        if self.pointwise:
            cols = np.ascontiguousarray(x4.transpose(1, 0, 2, 3))
        else:
            kh, kw = self.w_shape[2:]
            cols = _im2col(_pad_cn(x4, self.pads), kh, kw, self.taps)
        return cols.reshape(g, -1, n * self.out_hw[0] * self.out_hw[1])

    def grad_rows(self, g4: np.ndarray) -> np.ndarray:
        """Output gradient (N, O, OH, OW) as (G, Og, N*OH*OW)."""
        _n, o = g4.shape[:2]
        return np.ascontiguousarray(g4.transpose(1, 0, 2, 3)).reshape(self.groups, o // self.groups,
                                                                       -1)


def _gemm_groups(a, b):
    """``a[g] @ b[g]`` for each group as plain 2-D products: numpy's stacked matmul does not pass
    transposed operands to BLAS (it was 7x slower for the weight gradient)."""
    if a.shape[0] == 1:
        return (a[0] @ b[0])[None]
    return np.stack([a[k] @ b[k] for k in range(a.shape[0])])


def conv_forward_np(x4, w4, geo: _Geom):
    """``y = conv(x, w)`` (no bias) -> (y (N, O, OH, OW), cols)."""
    n = x4.shape[0]
    o = w4.shape[0]
    g = geo.groups
    cols = geo.cols(x4)
    y = _gemm_groups(w4.reshape(g, o // g, -1), cols)  # (G, Og, N*L)
    y = y.reshape(o, n, *geo.out_hw).transpose(1, 0, 2, 3)
    return np.ascontiguousarray(y), cols


def conv_input_grad_np(g4, w4, geo: _Geom):
    """Transposed convolution: the gradient of ``conv(x, w)`` w.r.t. x."""
    n, c, h, w = geo.x_shape
    o, _cg, kh, kw = w4.shape
    grp = geo.groups
    oh, ow = geo.out_hw
    wt = w4.reshape(grp, o // grp, -1).transpose(0, 2, 1)
    gcols = _gemm_groups(wt, geo.grad_rows(g4))  # (G, Cg*KH*KW, N*L)
    if geo.pointwise:
        return np.ascontiguousarray(gcols.reshape(c, n, h, w).transpose(1, 0, 2, 3))
    pt, pb, pl, pr = geo.pads
    gxp = _col2im(gcols.reshape(c, kh, kw, n, oh, ow), (c, n, h + pt + pb, w + pl + pr),
                  geo.taps)
    return np.ascontiguousarray(gxp[:, :, pt:pt + h, pl:pl + w].transpose(1, 0, 2, 3))


def conv_weight_grad_np(cols, g4, geo: _Geom):
    """The gradient of ``conv(x, w)`` w.r.t. w from x's im2col ``cols`` (G, K, N*L): one GEMM
    per group, computed transposed as ``(K, N*L) @ (N*L, Og)``: OpenBLAS's 2-thread split of
    ``(Og, N*L) @ (N*L, K)`` (long inner dimension, Og rows) was 4x slower in the median."""
    gwt = _gemm_groups(cols, geo.grad_rows(g4).transpose(0, 2, 1))  # (G, K, Og)
    return np.ascontiguousarray(gwt.transpose(0, 2, 1)).reshape(geo.w_shape)


# ---- differentiable convolution ops ------------------------------------------------------------


def _geom(x_shape, w_shape, stride, pads, dilation, groups) -> _Geom:
    xs = x_shape if len(x_shape) == 4 else (x_shape[0], x_shape[1], 1, x_shape[2])
    ws = w_shape if len(w_shape) == 4 else (w_shape[0], w_shape[1], 1, w_shape[2])
    return _Geom(xs, ws, stride, pads, dilation, groups)


def _params(node_or_args):
    return node_or_args.stride, node_or_args.pads, node_or_args.dilation, node_or_args.groups


class ConvolutionBackward0(Node):
    """Backward of ``y = conv(x, w) + b``: transposed conv for x, conv of x with g for w."""

    def backward(self, g):
        saved = self._unpacked_saved
        x, w = saved[0], saved[1]
        nig = self.needs_input_grad
        p = _params(self)
        gx = gw = gb = None
        dims = (0, 2, 3) if g._data.ndim == 4 else (0, 2)
        if not _GradState.enabled:
            geo = _geom(x._data.shape, w._data.shape, *p)
            g4 = _as4(g._data)
            if nig[0]:
                gx = _W(conv_input_grad_np(g4, _as4(w._data), geo).reshape(x._data.shape))
            if nig[1]:
                cols = self.cols if self.cols is not None else geo.cols(_as4(x._data))
                gw = _W(conv_weight_grad_np(cols, g4, geo).reshape(w._data.shape))
            if len(nig) > 2 and nig[2]:
                gb = _W(g._data.sum(axis=dims))
        else:
            if nig[0]:
                gx = conv_input_grad(g, w, x._data.shape, *p)
            if nig[1]:
                gw = conv_weight_grad(x, g, w._data.shape, *p)
            if len(nig) > 2 and nig[2]:
                gb = g.sum(dims)
        self.cols = None
        return (gx, gw, gb) if len(nig) > 2 else (gx, gw)


def convolution(x: Tensor, w: Tensor, b: Tensor | None, stride, pads, dilation, groups,
                keep_cols: bool = True) -> Tensor:
    """``conv(x, w) + b`` for checked arguments (3-D or 4-D x; 2-D stride/dilation, 4 pads)."""
    geo = _geom(x._data.shape, w._data.shape, stride, pads, dilation, groups)
    y, cols = conv_forward_np(_as4(x._data), _as4(w._data), geo)
    if b is not None:
        y += b._data.reshape(1, -1, 1, 1)
    out = _W(y.reshape(y.shape[:2] + (y.shape[3],)) if x._data.ndim == 3 else y)
    inputs = (x, w) if b is None else (x, w, b)
    node = record(out, ConvolutionBackward0, inputs)
    if node is not None:
        node.save_for_backward(x, w)
        node.stride, node.pads, node.dilation, node.groups = stride, pads, dilation, groups
        # the weight gradient reuses forward's im2col (memory: KH*KW copies of the input)
        node.cols = cols if keep_cols and node.needs_input_grad[1] else None
    return out


class ConvolutionInputGradBackward(Node):
    """``gx = T(g, w)`` is bilinear: d/dg = conv(gg, w), d/dw = weight_grad(gg, g)."""

    def backward(self, gg):
        g, w = self._unpacked_saved
        p = _params(self)
        dg = dw = None
        if self.needs_input_grad[0]:
            dg = convolution(gg, w, None, *p, keep_cols=False)
        if self.needs_input_grad[1]:
            dw = conv_weight_grad(gg, g, w._data.shape, *p)
        return dg, dw


def conv_input_grad(g: Tensor, w: Tensor, x_shape, stride, pads, dilation, groups) -> Tensor:
    """The transposed convolution of ``g`` with ``w`` onto an input of shape ``x_shape``."""
    geo = _geom(x_shape, w._data.shape, stride, pads, dilation, groups)
    gx = conv_input_grad_np(_as4(g._data), _as4(w._data), geo)
    out = _W(gx.reshape(x_shape))
    node = record(out, ConvolutionInputGradBackward, (g, w))
    if node is not None:
        node.save_for_backward(g, w)
        node.stride, node.pads, node.dilation, node.groups = stride, pads, dilation, groups
    return out


class ConvolutionWeightGradBackward(Node):
    """``gw = U(x, g)`` is bilinear: d/dx = T(g, ggw), d/dg = conv(x, ggw)."""

    def backward(self, ggw):
        x, g = self._unpacked_saved
        p = _params(self)
        dx = dg = None
        if self.needs_input_grad[0]:
            dx = conv_input_grad(g, ggw, x._data.shape, *p)
        if self.needs_input_grad[1]:
            dg = convolution(x, ggw, None, *p, keep_cols=False)
        return dx, dg


def conv_weight_grad(x: Tensor, g: Tensor, w_shape, stride, pads, dilation, groups) -> Tensor:
    """The gradient of ``sum(g * conv(x, w))`` w.r.t. w (a correlation of x with g)."""
    geo = _geom(x._data.shape, w_shape, stride, pads, dilation, groups)
    gw = conv_weight_grad_np(geo.cols(_as4(x._data)), _as4(g._data), geo)
    out = _W(gw.reshape(w_shape))
    node = record(out, ConvolutionWeightGradBackward, (x, g))
    if node is not None:
        node.save_for_backward(x, g)
        node.stride, node.pads, node.dilation, node.groups = stride, pads, dilation, groups
    return out


# ---- argument checking (PyTorch's messages) ----------------------------------------------------


def _tuple(v, n: int, name: str = "") -> tuple:
    if isinstance(v, (tuple, list)):
        if len(v) == 1 and n > 1:
            return tuple(int(v[0]) for _ in range(n))
        if len(v) != n:
            raise RuntimeError(f"expected {name} to be a single integer value or a list of {n} "
                               f"values to match the convolution dimensions, but got "
                               f"{name}={list(v)}")
        return tuple(int(a) for a in v)
    return (int(v),) * n


def _conv_pads(padding, k, d, nd: int):
    """``padding`` (int, tuple, 'same', 'valid') -> (top, bottom, left, right) for 2-D geometry."""
    if isinstance(padding, str):
        if padding == "valid":
            return (0, 0, 0, 0)
        if padding != "same":
            raise RuntimeError(f"Invalid padding string: '{padding}'")
        pads = []
        for kk, dd in zip(k, d):
            total = dd * (kk - 1)
            pads += [total // 2, total - total // 2]
        return tuple(pads) if nd == 2 else (0, 0) + tuple(pads)
    p = _tuple(padding, nd, "padding")
    if any(v < 0 for v in p):
        raise RuntimeError("negative padding is not supported")
    return (p[0], p[0], p[1], p[1]) if nd == 2 else (0, 0, p[0], p[0])


def conv(nd: int, input: Tensor, weight: Tensor, bias, stride, padding, dilation,
         groups) -> Tensor:
    """``F.conv1d`` / ``F.conv2d`` (nd = 1 or 2): PyTorch's checks, then ``convolution``."""
    name = f"conv{nd}d"
    xd, wd = input._data, weight._data
    if xd.ndim not in (nd + 1, nd + 2):
        raise RuntimeError(
            f"Expected {nd + 1}D (unbatched) or {nd + 2}D (batched) input to {name}, but got "
            f"input of size: {list(xd.shape)}"
        )
    unbatched = xd.ndim == nd + 1
    if wd.ndim != nd + 2:
        raise RuntimeError(
            "weight should have at least three dimensions" if wd.ndim < 3 else
            f"Expected {nd + 2}-dimensional weight for {nd + 2}-dimensional input "
            f"{list(xd.shape)}, but got {wd.ndim}-dimensional weight of size {list(wd.shape)} "
            f"instead"
        )
    if xd.dtype != wd.dtype:
        xn, wn = _NAMES.get(xd.dtype.name, xd.dtype.name), _NAMES.get(wd.dtype.name, wd.dtype.name)
        if xd.dtype == np.float32:  # PyTorch's two messages (mkldnn path for float input)
            raise RuntimeError(f"Input type (torch.{xn}Tensor) and weight type (torch.{wn}Tensor) "
                               "should be the same or input should be a MKLDNN tensor and weight "
                               "is a dense tensor")
        raise RuntimeError(f"expected scalar type {xn} but found {wn}")
    if xd.dtype.kind != "f":
        raise RuntimeError(f'"{name}" not implemented for '
                           f"'{_NAMES.get(xd.dtype.name, xd.dtype.name)}'")
    groups = int(groups)
    if groups <= 0:
        raise RuntimeError("non-positive groups is not supported")
    stride_t = _tuple(stride, nd, "stride")
    dil_t = _tuple(dilation, nd, "dilation")
    if any(s <= 0 for s in stride_t):
        raise RuntimeError("non-positive stride is not supported")
    if any(d <= 0 for d in dil_t):
        raise RuntimeError("dilation should be greater than zero")
    if isinstance(padding, str) and padding == "same" and any(s != 1 for s in stride_t):
        raise RuntimeError("padding='same' is not supported for strided convolutions")
    k = wd.shape[2:]
    pads = _conv_pads(padding, k, dil_t, nd)
    xs = ((1,) + xd.shape) if unbatched else xd.shape
    o = wd.shape[0]
    if o % groups != 0:
        raise RuntimeError(
            f"Given groups={groups}, expected weight to be divisible by {groups} at dimension 0, "
            f"but got weight of size [{list(wd.shape)}] instead"
        )
    if xs[1] != wd.shape[1] * groups:
        raise RuntimeError(
            f"Given groups={groups}, weight of size {list(wd.shape)}, expected "
            f"input{list(xs)} to have {wd.shape[1] * groups} channels, but got {xs[1]} channels "
            f"instead"
        )
    if bias is not None:
        bd = bias._data
        if bd.ndim != 1 or bd.shape[0] != o:
            raise RuntimeError(
                f"Given weight of size {list(wd.shape)}, expected bias to be 1-dimensional with "
                f"{o} elements, but got bias of size {list(bd.shape)} instead"
            )
        if bd.dtype != xd.dtype:
            raise RuntimeError(f"Input type ({_LOWER.get(xd.dtype.name)}) and bias type "
                               f"({_LOWER.get(bd.dtype.name)}) should be the same")
    sp = xs[2:]
    lo_hi = [(pads[0], pads[1]), (pads[2], pads[3])][-nd:]
    padded = [s + a + b for s, (a, b) in zip(sp, lo_hi)]
    eff = [dd * (kk - 1) + 1 for kk, dd in zip(k, dil_t)]
    if any(p_ < e for p_, e in zip(padded, eff)):
        raise RuntimeError(
            f"Calculated padded input size per channel: ({' x '.join(map(str, padded))}). "
            f"Kernel size: ({' x '.join(map(str, eff))}). Kernel size can't be greater than "
            f"actual input size"
        )
    if nd == 1:
        stride_t, dil_t = (1,) + stride_t, (1,) + dil_t
    x = input.unsqueeze(0) if unbatched else input
    out = convolution(x, weight, bias, stride_t, pads, dil_t, groups)
    return out.squeeze(0) if unbatched else out


# ---- pooling ------------------------------------------------------------------------------------


def _pool_out_len(size, k, s, p, d, ceil_mode):
    num = size + 2 * p - d * (k - 1) - 1
    out = (-(-num // s) if ceil_mode else num // s) + 1
    if ceil_mode and (out - 1) * s >= size + p:
        out -= 1  # the last window must start inside the input or the left padding
    return out


class _PoolGeom:
    """Window geometry of a 2-D pool: kernel, stride, padding, dilation and the output size."""

    def __init__(self, x_shape, k, s, p, d, ceil_mode):
        self.x_shape = tuple(x_shape)
        self.k, self.s, self.p, self.d = k, s, p, d
        h, w = x_shape[2:]
        self.out_hw = (_pool_out_len(h, k[0], s[0], p[0], d[0], ceil_mode),
                       _pool_out_len(w, k[1], s[1], p[1], d[1], ceil_mode))
        oh, ow = self.out_hw
        # the padded extent every window fits in (ceil_mode windows may run past the padding)
        self.extent = (max(h + 2 * p[0], (oh - 1) * s[0] + d[0] * (k[0] - 1) + 1),
                       max(w + 2 * p[1], (ow - 1) * s[1] + d[1] * (k[1] - 1) + 1))

    @property
    def taps(self):
        return (self.s, self.d, self.out_hw)

    def pad(self, x4, fill):
        n, c, h, w = x4.shape
        if self.extent == (h, w):
            return x4
        xp = np.full((n, c) + self.extent, fill, x4.dtype)
        xp[:, :, self.p[0]:self.p[0] + h, self.p[1]:self.p[1] + w] = x4
        return xp

    def crop(self, gxp):
        h, w = self.x_shape[2:]
        if gxp.shape[2:] == (h, w):
            return gxp
        return np.ascontiguousarray(gxp[:, :, self.p[0]:self.p[0] + h, self.p[1]:self.p[1] + w])


def max_pool_np(x4, geo: _PoolGeom):
    """-> (out, indices): the first maximum of each window (NaN wins, as in PyTorch) and its
    flat position ``h * W + w`` in the input plane."""
    xp = geo.pad(x4, -np.inf)
    kh, kw = geo.k
    out = xp[_window(0, 0, geo.taps)].copy()
    arg = np.zeros(out.shape, np.int16 if kh * kw < 32000 else np.int64)
    for t in range(1, kh * kw):
        v = xp[_window(t // kw, t % kw, geo.taps)]
        m = v > out
        if v.dtype.kind == "f":
            m |= np.isnan(v)
        np.copyto(out, v, where=m)
        arg[m] = t
    w = x4.shape[3]
    oh, ow = geo.out_hw
    (sh, sw), (dh, dw), (ph, pw) = geo.s, geo.d, geo.p
    base = ((np.arange(oh) * sh - ph)[:, None] * w + (np.arange(ow) * sw - pw)[None, :])
    taps = np.arange(kh * kw)
    offs = (taps // kw) * dh * w + (taps % kw) * dw
    return out, base + offs[arg]


def max_pool_backward_np(g4, idx, x_shape):
    """Scatter-add ``g`` into the input at the argmax positions (bincount, not np.add.at)."""
    n, c, h, w = x_shape
    plane = (np.arange(n * c, dtype=np.int64) * (h * w)).reshape(n, c, 1, 1)
    flat = np.bincount((idx + plane).ravel(), weights=g4.ravel(), minlength=n * c * h * w)
    return flat.astype(g4.dtype, copy=False).reshape(x_shape)


class MaxPool2DWithIndicesBackward0(Node):
    def backward(self, g):
        return (max_pool_scatter(g, self.idx, self.x_shape),)


def _flat_planes(shape):
    return shape[:2] + (int(np.prod(shape[2:])),)


class MaxPoolScatterBackward(Node):
    """``gx = scatter(g at idx)`` is linear in g; its adjoint gathers at idx."""

    def backward(self, gg):
        return (max_pool_gather(gg, self.idx, self.g_shape),)


def max_pool_scatter(g: Tensor, idx: np.ndarray, x_shape) -> Tensor:
    g4 = _as4(g._data)
    shape4 = tuple(x_shape) if len(x_shape) == 4 else (x_shape[0], x_shape[1], 1, x_shape[2])
    gx = max_pool_backward_np(g4, _as4(idx), shape4)
    out = _W(gx.reshape(x_shape))
    node = record(out, MaxPoolScatterBackward, (g,))
    if node is not None:
        node.idx, node.g_shape = idx, g._data.shape
    return out


class MaxPoolGatherBackward(Node):
    def backward(self, g):
        return (max_pool_scatter(g, self.idx, self.x_shape),)


def max_pool_gather(x: Tensor, idx: np.ndarray, out_shape) -> Tensor:
    xs = x._data.shape
    flat = x._data.reshape(_flat_planes(xs))
    out = _W(np.take_along_axis(flat, idx.reshape(_flat_planes(out_shape)), axis=2)
             .reshape(out_shape))
    node = record(out, MaxPoolGatherBackward, (x,))
    if node is not None:
        node.idx, node.x_shape = idx, xs
    return out


def avg_pool_divisor(geo: _PoolGeom, count_include_pad: bool, divisor_override):
    """Per-output divisor (OH, 1|OW) exactly as PyTorch computes it."""
    if divisor_override:
        return float(divisor_override)
    sizes = []
    for ax in range(2):
        size = geo.x_shape[2 + ax]
        start = np.arange(geo.out_hw[ax]) * geo.s[ax] - geo.p[ax]
        end = np.minimum(start + geo.k[ax], size + geo.p[ax])
        pool = end - start
        valid = np.minimum(end, size) - np.maximum(start, 0)
        sizes.append(pool if count_include_pad else valid)
    return (sizes[0][:, None] * sizes[1][None, :]).astype(np.float64)


def avg_pool_np(x4, geo: _PoolGeom, div):
    xp = geo.pad(x4, 0)
    kh, kw = geo.k
    out = xp[_window(0, 0, geo.taps)].copy()
    for t in range(1, kh * kw):
        out += xp[_window(t // kw, t % kw, geo.taps)]
    if isinstance(div, float):
        out /= x4.dtype.type(div)
    else:
        out /= div.astype(x4.dtype)
    return out


def avg_pool_backward_np(g4, geo: _PoolGeom, div):
    gs = g4 / (g4.dtype.type(div) if isinstance(div, float) else div.astype(g4.dtype))
    n, c = geo.x_shape[:2]
    gxp = np.zeros((n, c) + geo.extent, g4.dtype)
    kh, kw = geo.k
    for t in range(kh * kw):
        gxp[_window(t // kw, t % kw, geo.taps)] += gs
    return geo.crop(gxp)


class AvgPool2DBackward0(Node):
    def backward(self, g):
        return (avg_pool_spread(g, self.geo, self.div, self.x_shape),)


class AvgPoolSpreadBackward(Node):
    """``gx = spread(g)`` is linear; its adjoint is the average pool itself."""

    def backward(self, gg):
        return (avg_pool_apply(gg, self.geo, self.div),)


def avg_pool_apply(x: Tensor, geo: _PoolGeom, div) -> Tensor:
    xd = x._data
    y = avg_pool_np(_as4(xd), geo, div)
    out = _W(y[:, :, 0, :] if xd.ndim == 3 else y)
    node = record(out, AvgPool2DBackward0, (x,))
    if node is not None:
        node.geo, node.div, node.x_shape = geo, div, xd.shape
    return out


def avg_pool_spread(g: Tensor, geo: _PoolGeom, div, x_shape) -> Tensor:
    out = _W(avg_pool_backward_np(_as4(g._data), geo, div).reshape(x_shape))
    node = record(out, AvgPoolSpreadBackward, (g,))
    if node is not None:
        node.geo, node.div = geo, div
    return out


def _pool_args(nd, name, input, kernel_size, stride, padding, dilation):
    xd = input._data
    if xd.ndim not in (nd + 1, nd + 2) or (xd.ndim == nd + 2 and xd.shape[1:].count(0)):
        if nd == 2:
            raise RuntimeError("non-empty 3D or 4D (batch mode) tensor expected for input")
        raise RuntimeError(f"{name}: Expected 2D or 3D (batch mode) tensor with optional 0 dim "
                           f"batch size for input, but got:{list(xd.shape)}")
    k = _tuple(kernel_size, nd, "kernel_size")
    s = k if stride is None or (isinstance(stride, (list, tuple)) and len(stride) == 0) \
        else _tuple(stride, nd, "stride")
    p = _tuple(padding, nd, "padding")
    d = _tuple(dilation, nd, "dilation")
    if any(v <= 0 for v in k):
        raise RuntimeError("kernel size should be greater than zero, but got "
                           f"kH: {k[0]} kW: {k[-1]}")
    if any(v <= 0 for v in s):
        raise RuntimeError(f"stride should be greater than zero, but got dH: {s[0]} dW: {s[-1]}")
    if any(v <= 0 for v in d):
        raise RuntimeError("dilation should be greater than zero, but got "
                           f"dilationH: {d[0]} dilationW: {d[-1]}")
    for pp, kk, dd in zip(p, k, d):
        if pp < 0 or pp > (dd * (kk - 1) + 1) // 2:
            raise RuntimeError(
                f"pad should be at most half of effective kernel size, but got pad={pp}, "
                f"kernel_size={kk} and dilation={dd}"
            )
    if nd == 1:
        k, s, p, d = (1,) + k, (1,) + s, (0,) + p, (1,) + d
    return k, s, p, d


def _batched(input, nd):
    """(x as (N, C, H, W) or (N, C, L), was_unbatched)."""
    unbatched = input._data.ndim == nd + 1
    return (input.unsqueeze(0) if unbatched else input), unbatched


def _check_out(geo, x_shape, nd):
    oh, ow = geo.out_hw
    if oh < 1 or ow < 1:
        c = x_shape[1]
        ins = "x".join(map(str, (c,) + tuple(x_shape[2:] if nd == 2 else x_shape[3:])))
        outs = "x".join(map(str, (c, oh, ow) if nd == 2 else (c, ow)))
        raise RuntimeError(f"Given input size: ({ins}). Calculated output size: ({outs}). "
                           f"Output size is too small")


def max_pool(nd, input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
             return_indices=False):
    name = f"max_pool{nd}d"
    k, s, p, d = _pool_args(nd, name, input, kernel_size, stride, padding, dilation)
    x, unbatched = _batched(input, nd)
    xs = x._data.shape
    geo = _PoolGeom(_as4(x._data).shape, k, s, p, d, ceil_mode)
    _check_out(geo, _as4(x._data).shape, nd)
    y, idx = max_pool_np(_as4(x._data), geo)
    if nd == 1:
        y, idx = y[:, :, 0, :], idx[:, :, 0, :]
    out = _W(y)
    node = record(out, MaxPool2DWithIndicesBackward0, (x,))
    if node is not None:
        node.idx, node.x_shape = idx, xs
    if unbatched:
        out, idx = out.squeeze(0), idx[0]
    if return_indices:
        return out, _W(np.ascontiguousarray(idx, dtype=np.int64))
    return out


def avg_pool(nd, input, kernel_size, stride=None, padding=0, ceil_mode=False,
             count_include_pad=True, divisor_override=None):
    name = f"avg_pool{nd}d"
    k, s, p, d = _pool_args(nd, name, input, kernel_size, stride, padding, 1)
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError("divisor must be not zero")
    x, unbatched = _batched(input, nd)
    geo = _PoolGeom(_as4(x._data).shape, k, s, p, d, ceil_mode)
    _check_out(geo, _as4(x._data).shape, nd)
    div = avg_pool_divisor(geo, count_include_pad, divisor_override)
    out = avg_pool_apply(x, geo, div)
    return out.squeeze(0) if unbatched else out


def _adaptive_matrix(size: int, out: int, dtype) -> np.ndarray:
    """(out, size) averaging matrix: row i averages [floor(i*size/out), ceil((i+1)*size/out))."""
    m = np.zeros((out, size), np.float64)
    for i in range(out):
        a = (i * size) // out
        b = -(-((i + 1) * size) // out)
        m[i, a:b] = 1.0 / (b - a)
    return m.astype(dtype)


def adaptive_avg_pool2d(input: Tensor, output_size) -> Tensor:
    """Average over PyTorch's adaptive windows. Output 1x1 is a mean; sizes that divide the
    input are a reshape + mean; others are two small averaging-matrix products (exact windows,
    differentiable through matmul)."""
    xd = input._data
    if xd.ndim not in (3, 4):
        raise RuntimeError(f"adaptive_avg_pool2d(): Expected 3D or 4D tensor, but got "
                           f"{list(xd.shape)}")
    h, w = xd.shape[-2:]
    if isinstance(output_size, (tuple, list)):
        if len(output_size) != 2:
            raise RuntimeError("adaptive_avg_pool2d: output_size must be 2")
        oh, ow = output_size
    else:
        oh = ow = output_size
    oh = h if oh is None else int(oh)
    ow = w if ow is None else int(ow)
    if (oh, ow) == (1, 1):
        return input.mean((-2, -1), keepdim=True)
    if h % oh == 0 and w % ow == 0:
        lead = tuple(xd.shape[:-2])
        return input.reshape(lead + (oh, h // oh, ow, w // ow)).mean((-3, -1))
    from nnlite.ops.linalg import matmul

    ah = _W(_adaptive_matrix(h, oh, xd.dtype))
    aw = _W(np.ascontiguousarray(_adaptive_matrix(w, ow, xd.dtype).T))
    return matmul(ah, matmul(input, aw))


# ---- embedding ---------------------------------------------------------------------------------


def _scatter_rows_np(g2, idx, num, scale):
    """``out[idx[i]] += g2[i] * scale[i]`` for rows; sorted segment sums (np.add.reduceat)."""
    out = np.zeros((num, g2.shape[1]), g2.dtype)
    if idx.size == 0:
        return out
    if scale is not None:
        g2 = g2 * scale[:, None]
    order = np.argsort(idx, kind="stable")
    sidx = idx[order]
    starts = np.flatnonzero(np.r_[True, sidx[1:] != sidx[:-1]])
    out[sidx[starts]] = np.add.reduceat(g2[order], starts, axis=0)
    return out


class EmbeddingScatterBackward(Node):
    """``gw = scatter_rows(g)`` is linear; its backward gathers rows, zeroing ``padding_idx``
    but NOT dividing by the index counts: PyTorch's ``embedding_dense_double_backward``
    ignores ``scale_grad_by_freq`` (so that gradient is not the adjoint, as in torch)."""

    def backward(self, gg):
        return (embedding_gather(gg, self.idx, self.gather_scale, self.g_shape),)


def embedding_scatter(g: Tensor, idx: np.ndarray, num: int, scale, gather_scale=None) -> Tensor:
    """Rows of ``g`` (shape idx.shape + (D,)), times ``scale`` (per position, or None), summed
    into a (num, D) zero array at ``idx``; its backward gathers times ``gather_scale``."""
    dim = g._data.shape[-1]
    out = _W(_scatter_rows_np(g._data.reshape(-1, dim), idx.ravel(), num, scale))
    node = record(out, EmbeddingScatterBackward, (g,))
    if node is not None:
        node.idx, node.gather_scale, node.g_shape = idx, gather_scale, g._data.shape
    return out


class EmbeddingGatherBackward(Node):
    def backward(self, g):
        return (embedding_scatter(g, self.idx, self.num, self.scale, self.scale),)


def embedding_gather(w: Tensor, idx: np.ndarray, scale, out_shape) -> Tensor:
    rows = np.take(w._data, idx.ravel(), axis=0)
    if scale is not None:
        rows = rows * scale[:, None].astype(rows.dtype)
    out = _W(rows.reshape(out_shape))
    node = record(out, EmbeddingGatherBackward, (w,))
    if node is not None:
        node.idx, node.scale, node.num = idx, scale, w._data.shape[0]
    return out


class EmbeddingBackward0(Node):
    def backward(self, g):
        return (embedding_scatter(g, self.idx, self.num, self.scale, self.pad_scale),)


def embedding(input: Tensor, weight: Tensor, padding_idx=None, max_norm=None, norm_type=2.0,
              scale_grad_by_freq=False, sparse=False) -> Tensor:
    """``weight[input]``; the gradient scatter-adds rows, skipping ``padding_idx`` and dividing by
    each index's count in the batch when ``scale_grad_by_freq``."""
    idx = input._data if isinstance(input, Tensor) else np.asarray(input)
    if idx.dtype.kind not in "iu":
        kind = {"float32": "Float", "float64": "Double", "bool": "Bool"}.get(idx.dtype.name,
                                                                            idx.dtype.name)
        raise RuntimeError(
            "Expected tensor for argument #1 'indices' to have one of the following scalar "
            f"types: Long, Int; but got torch.{kind}Tensor instead (while checking arguments for "
            "embedding)"
        )
    wd = weight._data
    if wd.ndim != 2:
        raise RuntimeError("'weight' must be 2-D")
    num = wd.shape[0]
    if padding_idx is not None:
        if padding_idx > 0:
            assert padding_idx < num, "Padding_idx must be within num_embeddings"
        elif padding_idx < 0:
            assert padding_idx >= -num, "Padding_idx must be within num_embeddings"
            padding_idx = num + padding_idx
    if idx.size and (idx.min() < 0 or idx.max() >= num):
        raise IndexError("index out of range in self")
    idx = idx.astype(np.int64, copy=False)
    if max_norm is not None:
        _embedding_renorm_(weight, idx, max_norm, norm_type)
        wd = weight._data
    out = _W(np.take(wd, idx, axis=0))
    node = record(out, EmbeddingBackward0, (weight,))
    if node is not None:
        flat = idx.ravel()
        scale = keep = None
        if scale_grad_by_freq:
            scale = 1.0 / np.bincount(flat, minlength=num)[flat]
        if padding_idx is not None:
            keep = (flat != padding_idx).astype(wd.dtype)
            scale = keep if scale is None else scale * keep
        node.idx, node.num = idx, num
        node.scale = None if scale is None else scale.astype(wd.dtype)
        node.pad_scale = keep
    return out


def _embedding_renorm_(weight: Tensor, idx, max_norm, norm_type):
    """In place, no grad: rows used by ``idx`` whose ``norm_type``-norm exceeds ``max_norm`` are
    scaled to ``max_norm`` (PyTorch's ``embedding_renorm_``, same 1e-7 guard)."""
    wd = weight._data
    rows = np.unique(idx)
    sub = wd[rows]
    if norm_type == np.inf:
        norms = np.abs(sub).max(axis=1)
    else:
        norms = (np.abs(sub) ** norm_type).sum(axis=1) ** (1.0 / norm_type)
    big = norms > max_norm
    if big.any():
        scale = (max_norm / (norms[big] + 1e-7)).astype(wd.dtype)
        wd[rows[big]] = sub[big] * scale[:, None]
        weight._vc[0] += 1


# ---- non-zero padding modes (Conv*d padding_mode) -----------------------------------------------


def _pad_index(n: int, lo: int, hi: int, mode: str) -> np.ndarray:
    j = np.arange(-lo, n + hi)
    if mode == "reflect":
        j = np.abs(j)
        j = np.where(j >= n, 2 * (n - 1) - j, j)
    elif mode == "replicate":
        j = np.clip(j, 0, n - 1)
    else:  # circular
        j = j % n
    return j


def pad_mode(x: Tensor, pad, mode: str) -> Tensor:
    """``F.pad(x, pad, mode)`` for 'reflect', 'replicate', 'circular' on the last len(pad)//2
    dims (``pad`` from the last dim backwards), as a differentiable gather."""
    nd = len(pad) // 2
    shape = x._data.shape
    idxs = []
    for i in range(nd):
        lo, hi = pad[2 * i], pad[2 * i + 1]
        n = shape[-1 - i]
        if mode == "reflect" and (lo >= n or hi >= n):
            raise RuntimeError(
                f"Argument #4: Padding size should be less than the corresponding input dimension, "
                f"but got: padding ({lo}, {hi}) at dimension {x._data.ndim - 1 - i} of input "
                f"{list(shape)}"
            )
        idxs.append(_pad_index(n, lo, hi, mode))
    idxs = idxs[::-1]
    key = [Ellipsis]
    for i, ix in enumerate(idxs):
        key.append(ix.reshape((-1,) + (1,) * (nd - 1 - i)))
    from nnlite.ops.shape import index

    return index(x, tuple(key))


# ---- transposed convolution --------------------------------------------------------------------
# y = T(x, w): the input-gradient of conv onto the (larger) output, plus bias. Its adjoints are
# the ops above: d/dx = conv(gy, w), d/dw = conv_weight_grad(gy, x), d/db = sum gy.


class _ConvTransposeBackward(Node):
    """Backward of ``y = conv_transpose(x, w) + b`` (PyTorch names it ConvolutionBackward0)."""

    def backward(self, g):
        x, w = self._unpacked_saved
        nig = self.needs_input_grad
        p = _params(self)
        gx = gw = gb = None
        dims = (0, 2, 3) if g._data.ndim == 4 else (0, 2)
        if not _GradState.enabled:
            geo = _geom(g._data.shape, w._data.shape, *p)
            if nig[0]:
                y, cols = conv_forward_np(_as4(g._data), _as4(w._data), geo)
                gx = _W(y.reshape(x._data.shape))
            if nig[1]:
                cols = geo.cols(_as4(g._data))
                gw = _W(conv_weight_grad_np(cols, _as4(x._data), geo).reshape(w._data.shape))
            if len(nig) > 2 and nig[2]:
                gb = _W(g._data.sum(axis=dims))
        else:
            if nig[0]:
                gx = convolution(g, w, None, *p, keep_cols=False)
            if nig[1]:
                gw = conv_weight_grad(g, x, w._data.shape, *p)
            if len(nig) > 2 and nig[2]:
                gb = g.sum(dims)
        return (gx, gw, gb) if len(nig) > 2 else (gx, gw)


_ConvTransposeBackward.__name__ = _ConvTransposeBackward.__qualname__ = "ConvolutionBackward0"


def conv_transpose(nd: int, input: Tensor, weight: Tensor, bias, stride, padding,
                   output_padding, groups, dilation) -> Tensor:
    """``F.conv_transpose1d`` / ``F.conv_transpose2d``: weight (C_in, C_out/groups, *k), output
    size ``(L - 1) * stride - 2 * padding + dilation * (k - 1) + output_padding + 1``."""
    name = f"conv_transpose{nd}d"
    xd, wd = input._data, weight._data
    if xd.ndim not in (nd + 1, nd + 2):
        raise RuntimeError(
            f"Expected {nd + 1}D (unbatched) or {nd + 2}D (batched) input to {name}, but got "
            f"input of size: {list(xd.shape)}")
    if wd.ndim != nd + 2:
        raise RuntimeError(f"weight should have {nd + 2} dimensions, got {wd.ndim}")
    if xd.dtype != wd.dtype:
        raise RuntimeError(
            f"expected scalar type {_NAMES.get(xd.dtype.name, xd.dtype.name)} but found "
            f"{_NAMES.get(wd.dtype.name, wd.dtype.name)}")
    if xd.dtype.kind != "f":
        raise RuntimeError(f'"{name}" not implemented for '
                           f"'{_NAMES.get(xd.dtype.name, xd.dtype.name)}'")
    unbatched = xd.ndim == nd + 1
    xs = ((1,) + xd.shape) if unbatched else xd.shape
    groups = int(groups)
    if groups <= 0:
        raise RuntimeError("non-positive groups is not supported")
    s = _tuple(stride, nd, "stride")
    p = _tuple(padding, nd, "padding")
    op = _tuple(output_padding, nd, "output_padding")
    d = _tuple(dilation, nd, "dilation")
    if any(v <= 0 for v in s):
        raise RuntimeError("non-positive stride is not supported")
    if any(v <= 0 for v in d):
        raise RuntimeError("dilation should be greater than zero")
    if any(v < 0 for v in p):
        raise RuntimeError("negative padding is not supported")
    if any(o_ >= s_ and o_ >= d_ for o_, s_, d_ in zip(op, s, d)):
        hw = ("height", "width") if nd == 2 else ("width",)
        parts = [f"output_padding_{n}: {v}" for n, v in zip(hw, op)]
        parts += [f"stride_{n}: {v}" for n, v in zip(hw, s)]
        parts += [f"dilation_{n}: {v}" for n, v in zip(hw, d)]
        raise RuntimeError("output padding must be smaller than either stride or dilation, but "
                           "got " + " ".join(parts))
    if any(o_ >= s_ for o_, s_ in zip(op, s)):
        raise NotImplementedError(f"{name}: output_padding >= stride (allowed by a larger "
                                  "dilation) is not supported")
    if wd.shape[0] % groups != 0:
        raise RuntimeError(
            f"Given groups={groups}, expected weight to be divisible by {groups} at dimension 0, "
            f"but got weight of size [{list(wd.shape)}] instead")
    if xs[1] != wd.shape[0]:
        raise RuntimeError(
            f"Given transposed=1, weight of size {list(wd.shape)}, expected input{list(xs)} to "
            f"have {wd.shape[0]} channels, but got {xs[1]} channels instead")
    c_out = wd.shape[1] * groups
    if bias is not None:
        bd = bias._data
        if bd.ndim != 1 or bd.shape[0] != c_out:
            raise RuntimeError(
                f"Given transposed=1, weight of size {list(wd.shape)}, expected bias to be "
                f"1-dimensional with {c_out} elements, but got bias of size {list(bd.shape)} "
                "instead")
    k = wd.shape[2:]
    out_sp = tuple((n - 1) * s_ - 2 * p_ + d_ * (k_ - 1) + o_ + 1
                   for n, s_, p_, d_, k_, o_ in zip(xs[2:], s, p, d, k, op))
    if any(v <= 0 for v in out_sp):
        raise RuntimeError(
            f"Given input size per channel: ({' x '.join(map(str, xs[2:]))}). Calculated output "
            f"size per channel: ({' x '.join(map(str, out_sp))}). Output size is too small")
    if nd == 1:
        s, d = (1,) + s, (1,) + d
        pads = (0, 0, p[0], p[0])
    else:
        pads = (p[0], p[0], p[1], p[1])
    y_shape = (xs[0], c_out) + out_sp
    x = input.unsqueeze(0) if unbatched else input
    geo = _geom(y_shape, wd.shape, s, pads, d, groups)
    y = conv_input_grad_np(_as4(x._data), _as4(wd), geo).reshape(y_shape)
    if bias is not None:
        y += bias._data.reshape((1, -1) + (1,) * nd)
    out = _W(y)
    inputs = (x, weight) if bias is None else (x, weight, bias)
    node = record(out, _ConvTransposeBackward, inputs)
    if node is not None:
        node.save_for_backward(x, weight)
        node.stride, node.pads, node.dilation, node.groups = s, pads, d, groups
    return out.squeeze(0) if unbatched else out
