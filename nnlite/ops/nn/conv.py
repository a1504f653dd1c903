"""Convolution ops on numpy + BLAS, NCHW layout (and the non-zero padding modes of Conv*d).

Convolution is im2col + one batched BLAS product:

* forward ``y[n, g] = W[g] (Og, Cg*KH*KW) @ cols[n, g] (Cg*KH*KW, OH*OW)``, where ``cols`` is
  built by KH*KW strided slice copies of the zero-padded input;
* input gradient (a transposed convolution) ``gcols = W^T @ g`` folded back by col2im: KH*KW
  strided slice additions into the padded gradient (no ``np.add.at``);
* weight gradient ``gW[g] = sum_n g[n, g] @ cols[n, g]^T``.

The three are bilinear maps that are each other's adjoints, so each is a graph node whose backward
calls the other two: any order of derivative works (gradgradcheck covers all of them). Pooling
(``pool.py``) and embedding (``embedding.py``) are built the same way.

Shapes: the conv ops take (N, C, H, W) or (N, C, L); a 3-D array is run as H = 1.
Padding is ``(top, bottom, left, right)`` so ``padding='same'`` with an even kernel (PyTorch pads
the extra row/column at the end) needs no separate pad op.
"""

from __future__ import annotations

import numpy as np

from nnlite._tensor import Tensor
from nnlite.autograd.function import _NO_EDGE, Node, record
from nnlite.autograd.grad_mode import _GradState
from nnlite.ops.nn import padding as _padding

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
    """Backward of ``y = conv(x, w) + b``: transposed conv for x, conv of x with g for w; with
    ``transposed`` set (torch's field), of ``y = conv_transpose(x, w) + b``."""

    transposed = False

    def backward(self, g):
        if self.transposed:
            return _conv_transpose_backward(self, g)
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


def _record_conv(out, x, w, b):
    """The ConvolutionBackward0 node over (input, weight, bias): three edges as torch's, the
    bias edge empty when there is no bias (backward then returns None for it)."""
    node = record(out, ConvolutionBackward0, (x, w) if b is None else (x, w, b))
    if node is not None and b is None:
        node.next_functions = node.next_functions + (_NO_EDGE,)
        node.needs_input_grad = node.needs_input_grad + (False,)
    return node


def convolution(x: Tensor, w: Tensor, b: Tensor | None, stride, pads, dilation, groups,
                keep_cols: bool = True) -> Tensor:
    """``conv(x, w) + b`` for checked arguments (3-D or 4-D x; 2-D stride/dilation, 4 pads)."""
    geo = _geom(x._data.shape, w._data.shape, stride, pads, dilation, groups)
    y, cols = conv_forward_np(_as4(x._data), _as4(w._data), geo)
    if b is not None:
        y += b._data.reshape(1, -1, 1, 1)
    out = _W(y.reshape(y.shape[:2] + (y.shape[3],)) if x._data.ndim == 3 else y)
    node = _record_conv(out, x, w, b)
    if node is not None:
        node.save_for_backward(x, w)
        node.stride, node.pads, node.dilation, node.groups = stride, pads, dilation, groups
        # the weight gradient reuses forward's im2col (memory: KH*KW copies of the input)
        node.save(cols=cols if keep_cols and node.needs_input_grad[1] else None)
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


# ---- non-zero padding modes (Conv*d padding_mode) -----------------------------------------------


def pad_mode(x: Tensor, pad, mode: str) -> Tensor:
    """``F.pad(x, pad, mode)`` for 'reflect', 'replicate', 'circular' (Conv*d's padding_mode
    pads with F.pad, as torch's modules do)."""
    return _padding.pad(x, pad, mode)


# ---- transposed convolution --------------------------------------------------------------------
# y = T(x, w): the input-gradient of conv onto the (larger) output, plus bias. Its adjoints are
# the ops above: d/dx = conv(gy, w), d/dw = conv_weight_grad(gy, x), d/db = sum gy.


def _conv_transpose_backward(node, g):
    """``ConvolutionBackward0``'s formula when ``transposed`` is set, for
    ``y = conv_transpose(x, w) + b``."""
    x, w = node._unpacked_saved
    nig = node.needs_input_grad
    p = _params(node)
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
    node = _record_conv(out, x, weight, bias)
    if node is not None:
        node.transposed = True
        node.save_for_backward(x, weight)
        node.stride, node.pads, node.dilation, node.groups = s, pads, d, groups
    return out.squeeze(0) if unbatched else out
