"""Max and average pooling over 1, 2 or 3 spatial dims (numpy windows; each backward is a node
so any order works), and adaptive pooling over 1 or 2."""

from __future__ import annotations

import numpy as np

from nnlite._tensor import Tensor
from nnlite.autograd.function import Node, record
from nnlite.kernels import lazy as _lazy_kernels
from nnlite.ops.linalg import matmul
from nnlite.ops.nn.conv import _tuple
from nnlite.ops.nn.conv_geometry import tap_window, taps

_W = Tensor._wrap
_pool_kernels = _lazy_kernels("pool")
_KERNEL_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def _const(arr: np.ndarray) -> Tensor:
    """A constant (no-grad) tensor around an array, for Tensor-op backward formulas."""
    return _W(arr)

# ---- pooling ------------------------------------------------------------------------------------
# One n-d implementation: 2-D and 3-D pools run directly over (N, C, *S) or unbatched (C, *S)
# input, the 1-D pools as 2-D pools over an unsqueezed height (torch's own graph). Indices are
# flat positions in each input plane/volume (``h * W + w``, ``(d * H + h) * W + w``), as torch's.


def _pool_out_len(size, k, s, p, d, ceil_mode):
    num = size + 2 * p - d * (k - 1) - 1
    out = (-(-num // s) if ceil_mode else num // s) + 1
    if ceil_mode and (out - 1) * s >= size + p:
        out -= 1  # the last window must start inside the input or the left padding
    return out


class _PoolGeom:
    """Window geometry of a pool over (N, C, *S): kernel, stride, padding, dilation (one entry
    per spatial dim) and the output sizes ``out_sp``."""

    def __init__(self, x_shape, k, s, p, d, ceil_mode):
        self.x_shape = tuple(x_shape)
        self.k, self.s, self.p, self.d = k, s, p, d
        sp = self.x_shape[2:]
        self.out_sp = tuple(_pool_out_len(n, *a, ceil_mode) for n, a in zip(sp, zip(k, s, p, d)))
        # the padded extent every window fits in (ceil_mode windows may run past the padding)
        self.extent = tuple(max(n + 2 * pp, (o - 1) * ss + dd * (kk - 1) + 1)
                            for n, o, kk, ss, pp, dd in zip(sp, self.out_sp, k, s, p, d))

    @property
    def out_hw(self) -> tuple:
        return self.out_sp

    @property
    def taps(self):
        return (self.s, self.d, self.out_sp)

    def _inner(self):
        return (slice(None), slice(None)) + tuple(
            slice(pp, pp + n) for pp, n in zip(self.p, self.x_shape[2:]))

    def pad(self, x, fill):
        if self.extent == x.shape[2:]:
            return x
        xp = np.full(x.shape[:2] + self.extent, fill, x.dtype)
        xp[self._inner()] = x
        return xp

    def crop(self, gxp):
        if gxp.shape[2:] == self.x_shape[2:]:
            return gxp
        return np.ascontiguousarray(gxp[self._inner()])


def _plane_strides(sp) -> list:
    """Flat-index strides of a C-ordered plane/volume of sizes ``sp``."""
    return [int(np.prod(sp[i + 1:])) for i in range(len(sp))]


def max_pool_np(x, geo: _PoolGeom):
    """(N, C, *S) -> (out, indices): the first maximum of each window (NaN wins, as in PyTorch)
    and its flat position in the input plane/volume."""
    xp = geo.pad(x, -np.inf)
    ks = list(taps(geo.k))
    out = xp[tap_window(ks[0], geo.taps)].copy()
    arg = np.zeros(out.shape, np.int16 if len(ks) < 32000 else np.int64)
    for t in range(1, len(ks)):
        v = xp[tap_window(ks[t], geo.taps)]
        m = v > out
        if v.dtype.kind == "f":
            m |= np.isnan(v)
        np.copyto(out, v, where=m)
        arg[m] = t
    strides = _plane_strides(x.shape[2:])
    nd = len(strides)
    base = np.zeros(geo.out_sp, np.int64)
    for i, (o, ss, pp, st) in enumerate(zip(geo.out_sp, geo.s, geo.p, strides)):
        shape = [1] * nd
        shape[i] = o
        base = base + ((np.arange(o) * ss - pp) * st).reshape(shape)
    offs = np.array([sum(t * dd * st for t, dd, st in zip(tap, geo.d, strides)) for tap in ks],
                    np.int64)
    return out, base + offs[arg]


def max_pool_backward_np(g, idx, x_shape, nd: int = 2):
    """Scatter-add ``g`` into the input at the argmax positions (bincount, not np.add.at);
    ``idx`` holds flat positions in the last ``nd`` dims of ``x_shape``."""
    rows = int(np.prod(x_shape[:-nd]))
    plane = int(np.prod(x_shape[-nd:]))
    offs = (np.arange(rows, dtype=np.int64) * plane)[:, None]
    flat = np.bincount((idx.reshape(rows, -1) + offs).ravel(), weights=g.ravel(),
                       minlength=rows * plane)
    return flat.astype(g.dtype, copy=False).reshape(x_shape)


class MaxPool2DWithIndicesBackward0(Node):
    def backward(self, g):
        return (max_pool_scatter(g, self.idx, self.x_shape, self.nd,
                                 _DOUBLE_BACKWARD[type(self)], self.x),)


class MaxPool3DWithIndicesBackward0(MaxPool2DWithIndicesBackward0):
    pass


# the node a max-pool backward records (torch's ``...BackwardBackward0`` names); the classes are
# defined below, the table filled there
_DOUBLE_BACKWARD: dict = {}


def _flat_planes(shape, nd: int = 2):
    """(..., *S) -> (..., prod(S)) over the last ``nd`` dims: the planes a flat index runs
    over."""
    return tuple(shape[:-nd]) + (int(np.prod(shape[-nd:])),)


def _b4(a: np.ndarray) -> np.ndarray:
    """A 2-D pooling input/output as (N, C, H, W): an unbatched (C, H, W) gets N = 1."""
    return a if a.ndim == 4 else a[None]


def _batched(a: np.ndarray, nd: int) -> np.ndarray:
    """An ``nd``-D pooling input as (N, C, *S): an unbatched (C, *S) gets N = 1."""
    return a if a.ndim == nd + 2 else a[None]


class MaxPoolScatterBackward(Node):
    """``gx = scatter(g at idx)`` is linear in g; its adjoint gathers at idx. With the pooled
    input ``x`` as a second input (torch's ``max_pool2d_with_indices_backward(grad, self)``),
    its gradient there is zero (None): the argmax positions are locally constant."""

    def backward(self, gg):
        gx = max_pool_gather(gg, self.idx, self.g_shape, self.nd)
        return (gx, None) if len(self.next_functions) == 2 else (gx,)


class MaxPool2DWithIndicesBackwardBackward0(MaxPoolScatterBackward):
    pass


class MaxPool3DWithIndicesBackwardBackward0(MaxPoolScatterBackward):
    pass


class AdaptiveMaxPool2DBackwardBackward0(MaxPoolScatterBackward):
    pass


class AdaptiveMaxPool3DBackwardBackward0(MaxPoolScatterBackward):
    pass


_DOUBLE_BACKWARD.update({MaxPool2DWithIndicesBackward0: MaxPool2DWithIndicesBackwardBackward0,
                         MaxPool3DWithIndicesBackward0: MaxPool3DWithIndicesBackwardBackward0})


def max_pool_scatter(g: Tensor, idx: np.ndarray, x_shape, nd: int = 2,
                     node_cls=MaxPoolScatterBackward, x: Tensor | None = None) -> Tensor:
    """``g`` scattered (summed) to the input positions ``idx``; ``node_cls`` names the node
    (a subclass of MaxPoolScatterBackward, for the name torch shows). ``x``: the pooled input,
    recorded as the node's second input as torch does (so the result requires grad when ``x``
    does, and ``next_functions`` lists x's node)."""
    gx = max_pool_backward(g._data, idx, tuple(x_shape), nd)
    out = _W(gx)
    node = record(out, node_cls, (g,) if x is None else (g, x))
    if node is not None:
        node.g_shape, node.nd = g._data.shape, nd
        node.save(idx=idx)
    return out


class MaxPoolGatherBackward(Node):
    def backward(self, g):
        return (max_pool_scatter(g, self.idx, self.x_shape, self.nd),)


def max_pool_gather(x: Tensor, idx: np.ndarray, out_shape, nd: int = 2) -> Tensor:
    xs = x._data.shape
    flat = x._data.reshape(_flat_planes(xs, nd))
    out = _W(np.take_along_axis(flat, idx.reshape(_flat_planes(out_shape, nd)), axis=-1)
             .reshape(out_shape))
    node = record(out, MaxPoolGatherBackward, (x,))
    if node is not None:
        node.x_shape, node.nd = xs, nd
        node.save(idx=idx)
    return out


def avg_pool_divisor(geo: _PoolGeom, count_include_pad: bool, divisor_override):
    """Per-output divisor (an array over the output sizes) exactly as PyTorch computes it."""
    if divisor_override:
        return float(divisor_override)
    nd = len(geo.out_sp)
    div = np.ones((1,) * nd, np.float64)
    for ax in range(nd):
        size = geo.x_shape[2 + ax]
        start = np.arange(geo.out_sp[ax]) * geo.s[ax] - geo.p[ax]
        end = np.minimum(start + geo.k[ax], size + geo.p[ax])
        pool = end - start
        valid = np.minimum(end, size) - np.maximum(start, 0)
        shape = [1] * nd
        shape[ax] = -1
        div = div * (pool if count_include_pad else valid).reshape(shape)
    return div


def avg_pool_np(x, geo: _PoolGeom, div):
    xp = geo.pad(x, 0)
    ks = list(taps(geo.k))
    out = xp[tap_window(ks[0], geo.taps)].copy()
    for tap in ks[1:]:
        out += xp[tap_window(tap, geo.taps)]
    if isinstance(div, float):
        out /= x.dtype.type(div)
    else:
        out /= div.astype(x.dtype)
    return out


def avg_pool_backward_np(g, geo: _PoolGeom, div):
    gs = g / (g.dtype.type(div) if isinstance(div, float) else div.astype(g.dtype))
    gxp = np.zeros(geo.x_shape[:2] + geo.extent, g.dtype)
    for tap in taps(geo.k):
        gxp[tap_window(tap, geo.taps)] += gs
    return geo.crop(gxp)


# ---- the numba paths (nnlite.kernels.pool): the same results as the numpy statements above,
# in torch's CPU order; used for float32/float64, numpy for the other dtypes


def _geom3(geo: _PoolGeom):
    """Kernel, stride, padding, dilation and output sizes as 3-D tuples (a 2-D pool is a 3-D
    one over a depth of 1)."""
    if len(geo.k) == 3:
        return geo.k, geo.s, geo.p, geo.d, geo.out_sp
    one = (1,)
    return one + geo.k, one + geo.s, (0,) + geo.p, one + geo.d, one + geo.out_sp


def _planes(x: np.ndarray) -> np.ndarray:
    """(N, C, *S) -> C-contiguous (N * C, D, H, W) (D = 1 for 2-D)."""
    sp = x.shape[2:]
    return np.ascontiguousarray(x.reshape((-1,) + ((1,) if len(sp) == 2 else ()) + sp))


def max_pool_forward(x: np.ndarray, geo: _PoolGeom):
    """``max_pool_np``'s (out, indices); the numba kernel for float32/float64."""
    if x.dtype not in _KERNEL_DTYPES or x.size == 0:
        return max_pool_np(x, geo)
    k, s, p, d, o = _geom3(geo)
    out, idx = _pool_kernels.max_pool_forward(_planes(x), *k, *s, *p, *d, *o)
    shape = x.shape[:2] + geo.out_sp
    return out.reshape(shape), idx.reshape(shape)


def _divisor_array(div, geo: _PoolGeom, dtype) -> np.ndarray:
    o = _geom3(geo)[4]
    full = np.broadcast_to(np.asarray(div, np.float64), geo.out_sp).reshape(o)
    return np.ascontiguousarray(full, dtype=dtype)


def avg_pool_forward(x: np.ndarray, geo: _PoolGeom, div) -> np.ndarray:
    """``avg_pool_np``'s result; the numba kernel for float32/float64."""
    if x.dtype not in _KERNEL_DTYPES or x.size == 0:
        return avg_pool_np(x, geo, div)
    k, s, p, _, _ = _geom3(geo)
    out = _pool_kernels.avg_pool_forward(_planes(x), _divisor_array(div, geo, x.dtype),
                                         *k, *s, *p)
    return out.reshape(x.shape[:2] + geo.out_sp)


def avg_pool_backward(g: np.ndarray, geo: _PoolGeom, div) -> np.ndarray:
    """``avg_pool_backward_np``'s result; the numba kernel for float32/float64."""
    if g.dtype not in _KERNEL_DTYPES or g.size == 0:
        return avg_pool_backward_np(g, geo, div)
    k, s, p, _, _ = _geom3(geo)
    sp = geo.x_shape[2:]
    sp3 = ((1,) if len(sp) == 2 else ()) + tuple(sp)
    gx = _pool_kernels.avg_pool_backward(_planes(g), _divisor_array(div, geo, g.dtype), *sp3,
                                         *k, *s, *p)
    return gx.reshape(geo.x_shape)


def max_pool_backward(g: np.ndarray, idx: np.ndarray, x_shape, nd: int = 2) -> np.ndarray:
    """``max_pool_backward_np``'s result; the numba kernel (torch's in-order adds) for
    float32/float64."""
    if g.dtype not in _KERNEL_DTYPES or g.size == 0:
        return max_pool_backward_np(g, idx, x_shape, nd)
    rows = int(np.prod(x_shape[:-nd]))
    plane = int(np.prod(x_shape[-nd:]))
    gx = _pool_kernels.max_pool_backward(
        np.ascontiguousarray(g.reshape(rows, -1)),
        np.ascontiguousarray(idx.reshape(rows, -1), dtype=np.int64), plane)
    return gx.reshape(x_shape)


class AvgPool2DBackward0(Node):
    def backward(self, g):
        return (avg_pool_spread(g, self.geo, self.div, self.x_shape),)


class AvgPool3DBackward0(AvgPool2DBackward0):
    pass


class AvgPoolSpreadBackward(Node):
    """``gx = spread(g)`` is linear; its adjoint is the average pool itself."""

    def backward(self, gg):
        return (avg_pool_apply(gg, self.geo, self.div),)


def avg_pool_apply(x: Tensor, geo: _PoolGeom, div) -> Tensor:
    xd = x._data
    nd = len(geo.out_sp)
    y = avg_pool_forward(_batched(xd, nd), geo, div)
    out = _W(y[0] if xd.ndim == nd + 1 else y)
    node = record(out, AvgPool3DBackward0 if nd == 3 else AvgPool2DBackward0, (x,))
    if node is not None:
        node.geo, node.x_shape = geo, xd.shape
        node.save(div=div)  # an array of per-output divisors (or a float)
    return out


def avg_pool_spread(g: Tensor, geo: _PoolGeom, div, x_shape) -> Tensor:
    nd = len(geo.out_sp)
    out = _W(avg_pool_backward(_batched(g._data, nd), geo, div).reshape(x_shape))
    node = record(out, AvgPoolSpreadBackward, (g,))
    if node is not None:
        node.geo = geo
        node.save(div=div)
    return out


def _pool_args(nd, name, input, kernel_size, stride, padding, dilation, max_indices=None):
    """Checked (kernel, stride, padding, dilation) tuples, torch's errors in torch's order;
    ``max_indices`` is None for avg pools, else whether a max pool returns indices (torch's
    max_pool1d without indices has its own padding check, run first)."""
    xd = input._data
    if xd.ndim not in (nd + 1, nd + 2) or (xd.ndim == nd + 2 and xd.shape[1:].count(0)):
        if nd >= 2:
            raise RuntimeError(f"non-empty {nd + 1}D or {nd + 2}D (batch mode) tensor expected "
                               "for input")
        raise RuntimeError(f"{name}: Expected 2D or 3D (batch mode) tensor with optional 0 dim "
                           f"batch size for input, but got:{list(xd.shape)}")
    k = _tuple(kernel_size, nd, "kernel_size")
    s = k if stride is None or (isinstance(stride, (list, tuple)) and len(stride) == 0) \
        else _tuple(stride, nd, "stride")
    p = _tuple(padding, nd, "padding")
    d = _tuple(dilation, nd, "dilation")
    if nd == 1 and max_indices is False and p[0] > k[0] // 2:
        raise RuntimeError(f"max_pool1d() padding should be at most half of kernel size, but "
                           f"got padding={p[0]} and kernel_size={k[0]}")
    if nd == 3:  # torch's 3-D checks name every dim (T, H, W); stride comes first
        if any(v == 0 for v in s):
            raise RuntimeError("stride should not be zero")
        if any(v <= 0 for v in k):
            raise RuntimeError("kernel size should be greater than zero, but got kT: {} kH: {} "
                               "kW: {}".format(*k))
        if any(v <= 0 for v in d):
            raise RuntimeError("dilation should be greater than zero, but got dilationT: {} "
                               "dilationH: {} dilationW: {}".format(*d))
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
    if max_indices is not None and any(pp > kk // 2 for pp, kk in zip(p, k)):
        # max pools also bound the padding by the plain kernel size (after the check above)
        if nd == 3:
            raise RuntimeError("pad should be smaller than or equal to half of kernel size, but "
                               f"got kT: {k[0]} kW: {k[2]} kH: {k[1]} padT: {p[0]} padW: "
                               f"{p[2]} padH: {p[1]}")
        (kh, kw), (ph, pw) = ((1,) + k, (0,) + p) if nd == 1 else (k, p)
        raise RuntimeError("pad should be smaller than or equal to half of kernel size, but got "
                           f"padW = {pw}, padH = {ph}, kW = {kw}, kH = {kh}")
    if nd == 1:
        k, s, p, d = (1,) + k, (1,) + s, (0,) + p, (1,) + d
    return k, s, p, d


def _check_out(geo, x_shape, nd):
    out = geo.out_sp
    if min(out) < 1:
        c = x_shape[1]
        ins = "x".join(map(str, (c,) + tuple(x_shape[2:] if nd >= 2 else x_shape[3:])))
        outs = "x".join(map(str, (c,) + (tuple(out) if nd >= 2 else out[-1:])))
        raise RuntimeError(f"Given input size: ({ins}). Calculated output size: ({outs}). "
                           f"Output size is too small")


def max_pool(nd, input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
             return_indices=False):
    """Max pooling over (N, C, *S) or unbatched (C, *S) input with ``nd`` (1, 2 or 3) spatial
    dims; as torch, the 1-D one is the 2-D one over an unsqueezed height
    (``Squeeze <- MaxPool2D <- Unsqueeze``)."""
    name = f"max_pool{nd}d"
    k, s, p, d = _pool_args(nd, name, input, kernel_size, stride, padding, dilation,
                            bool(return_indices))
    x = input.unsqueeze(-2) if nd == 1 else input
    sd = max(nd, 2)  # the spatial dims the pool runs over
    xb = _batched(x._data, sd)
    geo = _PoolGeom(xb.shape, k, s, p, d, ceil_mode)
    _check_out(geo, xb.shape, nd)
    y, idx = max_pool_forward(xb, geo)
    if x._data.ndim == sd + 1:
        y, idx = y[0], idx[0]
    out = _W(y)
    node = record(out, MaxPool3DWithIndicesBackward0 if nd == 3 else
                  MaxPool2DWithIndicesBackward0, (x,))
    if node is not None:
        node.x_shape, node.nd, node.x = x._data.shape, sd, x  # x: input of the double backward
        node.save(idx=idx)
    if nd == 1:
        out, idx = out.squeeze(-2), idx[..., 0, :]
    if return_indices:
        return out, _W(np.ascontiguousarray(idx, dtype=np.int64))
    return out


def avg_pool(nd, input, kernel_size, stride=None, padding=0, ceil_mode=False,
             count_include_pad=True, divisor_override=None):
    """Average pooling; the 1-D one is the 2-D one over an unsqueezed height, as torch's."""
    name = f"avg_pool{nd}d"
    k, s, p, d = _pool_args(nd, name, input, kernel_size, stride, padding, 1)
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError("divisor must be not zero")
    x = input.unsqueeze(-2) if nd == 1 else input
    xb = _batched(x._data, max(nd, 2))
    geo = _PoolGeom(xb.shape, k, s, p, d, ceil_mode)
    if nd == 3 and min(geo.out_sp) < 1:
        raise RuntimeError("input image (T: {} H: {} W: {}) smaller than kernel size (kT: {} "
                           "kH: {} kW: {})".format(*xb.shape[2:], *k))
    _check_out(geo, xb.shape, nd)
    div = avg_pool_divisor(geo, count_include_pad, divisor_override)
    out = avg_pool_apply(x, geo, div)
    return out.squeeze(-2) if nd == 1 else out


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
        return input.mean((-2, -1), keepdim=True)  # torch's graph too: MeanBackward1
    ah = _adaptive_matrix(h, oh, xd.dtype)
    aw = np.ascontiguousarray(_adaptive_matrix(w, ow, xd.dtype).T)
    if h % oh == 0 and w % ow == 0:
        lead = tuple(xd.shape[:-2])
        y = xd.reshape(lead + (oh, h // oh, ow, w // ow)).mean((-3, -1))
    else:
        y = np.matmul(np.matmul(ah, xd), aw)
    out = _W(np.ascontiguousarray(y, dtype=xd.dtype))
    node = record(out, AdaptiveAvgPool2DBackward0, (input,))
    if node is not None:
        node.save(ah=_W(ah), aw=_W(aw))
    return out


class AdaptiveAvgPool2DBackward0(Node):
    """``y = A_h x A_w`` (the averaging matrices of the windows): ``gx = A_h^T g A_w^T``."""

    def backward(self, g):
        return matmul(matmul(self.ah.t(), g), self.aw.t())


class AdaptiveMaxPool2DBackward0(Node):
    """``g`` scattered to each window's argmax (MaxPool2D's formula)."""

    def backward(self, g):
        return max_pool_scatter(g, self.idx, self.x_shape, 2,
                                AdaptiveMaxPool2DBackwardBackward0, self.x)


# ---- adaptive pooling -------------------------------------------------------------------------


def _adaptive_bounds(size: int, out: int):
    i = np.arange(out)
    return (i * size) // out, -(-((i + 1) * size) // out)


def _adaptive_max_np(x4: np.ndarray, oh: int, ow: int):
    """(N, C, H, W) -> (max, flat index h * W + w) over PyTorch's adaptive windows."""
    n, c, h, w = x4.shape
    hs, he = _adaptive_bounds(h, oh)
    ws, we = _adaptive_bounds(w, ow)
    out = np.empty((n, c, oh, ow), x4.dtype)
    idx = np.empty((n, c, oh, ow), np.int64)
    for i in range(oh):
        for j in range(ow):
            win = x4[:, :, hs[i]:he[i], ws[j]:we[j]]
            kw = we[j] - ws[j]
            flat = win.reshape(n, c, -1)
            a = np.argmax(flat, axis=2)  # first max; a NaN wins (as in PyTorch)
            out[:, :, i, j] = np.take_along_axis(flat, a[..., None], 2)[..., 0]
            idx[:, :, i, j] = (hs[i] + a // kw) * w + ws[j] + a % kw
    return out, idx


def _adaptive_sizes(output_size, in_sizes, nd: int) -> tuple:
    if isinstance(output_size, (tuple, list)):
        if len(output_size) != nd:
            raise RuntimeError(f"adaptive_max_pool{nd}d(): internal error: output_size.size() "
                               f"must be {nd}")
        sizes = tuple(output_size)
    else:
        sizes = (output_size,) * nd
    return tuple(int(s) if s is not None else int(i) for s, i in zip(sizes, in_sizes))


def adaptive_max_pool2d(input: Tensor, output_size, return_indices: bool = False):
    """Max over PyTorch's adaptive windows ``[floor(i H / oH), ceil((i + 1) H / oH))``; with
    ``return_indices`` also the flat ``h * W + w`` argmax positions (as MaxPool2d's)."""
    xd = input._data
    if xd.ndim not in (3, 4):
        raise RuntimeError(f"adaptive_max_pool2d(): Expected 3D or 4D tensor, but got: "
                           f"{list(xd.shape)}")
    oh, ow = _adaptive_sizes(output_size, xd.shape[-2:], 2)
    y, idx = _adaptive_max_np(_b4(xd), oh, ow)
    if xd.ndim == 3:
        y, idx = y[0], idx[0]
    out = _W(y)
    node = record(out, AdaptiveMaxPool2DBackward0, (input,))
    if node is not None:
        node.x_shape, node.x = xd.shape, input
        node.save(idx=idx)
    return (out, _W(idx)) if return_indices else out


def adaptive_max_pool1d(input: Tensor, output_size, return_indices: bool = False):
    """Adaptive max pooling over (N, C, L) or (C, L) input."""
    if input.dim() not in (2, 3):
        raise RuntimeError(f"adaptive_max_pool1d(): Expected 2D or 3D tensor, but got: "
                           f"{list(input.shape)}")
    size = output_size[0] if isinstance(output_size, (tuple, list)) else output_size
    out = adaptive_max_pool2d(input.unsqueeze(-2), (1, size), return_indices)
    if return_indices:
        return out[0].squeeze(-2), out[1].squeeze(-2)
    return out.squeeze(-2)


def adaptive_avg_pool1d(input: Tensor, output_size) -> Tensor:
    """Adaptive average pooling over (N, C, L) or (C, L) input."""
    if input.dim() not in (2, 3):
        raise RuntimeError(f"adaptive_avg_pool1d() argument 'input' must be 2D or 3D, got "
                           f"{input.dim()}D")
    size = output_size[0] if isinstance(output_size, (tuple, list)) else output_size
    return adaptive_avg_pool2d(input.unsqueeze(-2), (1, size)).squeeze(-2)
