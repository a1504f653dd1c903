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

Shapes: the conv ops take (N, C, D, H, W), (N, C, H, W) or (N, C, L); a 3-D array is run as
H = 1. The im2col geometry over any number of spatial dims is in ``conv_geometry.py``; padding
is ``(lo, hi)`` per spatial dim, so ``padding='same'`` with an even kernel (PyTorch pads the
extra row/column at the end) needs no separate pad op.
"""

from __future__ import annotations

import numpy as np

from nnlite._tensor import Tensor
from nnlite.autograd.function import _NO_EDGE, Node, record
from nnlite.autograd.grad_mode import _GradState
from nnlite.ops.nn.conv_geometry import (
    ConvGeom,
    conv_forward_np,
    conv_input_grad_np,
    conv_weight_grad_np,
)
from nnlite.ops.nn import padding as _padding
from nnlite.ops.shape import index

_W = Tensor._wrap

_NAMES = {"float32": "Float", "float64": "Double", "float16": "Half"}
_LOWER = {"float32": "float", "float64": "double", "float16": "half"}


def _as4(a: np.ndarray) -> np.ndarray:
    return a[:, :, None, :] if a.ndim == 3 else a


# ---- differentiable convolution ops ------------------------------------------------------------


def _geom(x_shape, w_shape, stride, pads, dilation, groups) -> ConvGeom:
    xs = x_shape if len(x_shape) != 3 else (x_shape[0], x_shape[1], 1, x_shape[2])
    ws = w_shape if len(w_shape) != 3 else (w_shape[0], w_shape[1], 1, w_shape[2])
    return ConvGeom(xs, ws, stride, pads, dilation, groups)


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
        dims = (0, *range(2, g._data.ndim))
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
        y += b._data.reshape((1, -1) + (1,) * (y.ndim - 2))
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
    """``padding`` (int, tuple, 'same', 'valid') -> ``(lo, hi)`` per spatial dim (1-D convs get
    a leading ``(0, 0)`` for the height-1 dim they run over)."""
    if isinstance(padding, str):
        if padding == "valid":
            return (0, 0) * max(nd, 2)
        if padding != "same":
            raise RuntimeError(f"Invalid padding string: '{padding}'")
        pads = []
        for kk, dd in zip(k, d):
            total = dd * (kk - 1)
            pads += [total // 2, total - total // 2]
        return tuple(pads) if nd >= 2 else (0, 0) + tuple(pads)
    p = _tuple(padding, nd, "padding")
    if any(v < 0 for v in p):
        raise RuntimeError("negative padding is not supported")
    pads = tuple(v for pv in p for v in (pv, pv))
    return pads if nd >= 2 else (0, 0) + pads


def conv(nd: int, input: Tensor, weight: Tensor, bias, stride, padding, dilation,
         groups) -> Tensor:
    """``F.conv1d`` / ``conv2d`` / ``conv3d`` (nd = 1, 2, 3): PyTorch's checks, then
    ``convolution``."""
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
    lo_hi = [(pads[2 * i], pads[2 * i + 1]) for i in range(len(pads) // 2)][-nd:]
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
    dims = (0, *range(2, g._data.ndim))
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
    """``F.conv_transpose1d`` / ``2d`` / ``3d``: weight (C_in, C_out/groups, *k), output
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
        hw = ("depth", "height", "width")[-nd:]
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
        pads = tuple(v for pv in p for v in (pv, pv))
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
