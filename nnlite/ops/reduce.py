"""Reductions: sum, mean, var/std, prod, amax/amin, max/min, logsumexp, softmax, argmax, ..."""

from __future__ import annotations

import builtins
import math
from collections import namedtuple

import numpy as np

from nnlite import _dtype as D
from nnlite._tensor import Tensor, _as_array
from nnlite._threads import get_num_threads
from nnlite.autograd.function import Node, record
from nnlite.autograd.grad_mode import _GradState, no_grad
from nnlite.kernels import column_sum as _column_sum  # numpy only (no numba)
from nnlite.kernels import lazy as _lazy_kernels
from nnlite.ops import elementwise as E
from nnlite.ops import shape as S
from nnlite.ops._util import TYPE_NAMES, record_multi, wrap_dim, wrap_dims
from nnlite.ops._util import as_t as _t
from nnlite.ops.shape import cat, flip, narrow, scatter_into_zeros

_loss_kernels = _lazy_kernels("loss")
_summation_kernels = _lazy_kernels("summation")
_softmax_order_kernels = _lazy_kernels("softmax_order")

_W = Tensor._wrap

def _return_type(name):
    """(values, indices) results printed as PyTorch prints ``torch.return_types.<name>``."""
    base = namedtuple(name, ["values", "indices"])

    def __repr__(self):
        return f"torch.return_types.{name}(\nvalues={self.values!r},\nindices={self.indices!r})"

    return type(name, (base,), {"__slots__": (), "__repr__": __repr__})


_RT = {n: _return_type(n) for n in ("max", "min", "sort", "topk", "kthvalue", "median", "mode")}


def values_indices(values, indices, name="max"):
    return _RT[name](values, indices)


def _expand_back(g, shape, axes, keepdim):
    """Broadcast a reduced gradient back to the input shape (differentiable)."""
    if not keepdim and axes is not None:
        kshape = list(shape)
        for a in axes:
            kshape[a] = 1
        g = g.reshape(tuple(kshape))
    elif axes is None and not keepdim:
        g = g.reshape((1,) * len(shape))
    return g.expand(shape)


def _axes(x, dim):
    ax = wrap_dims(dim, x._data.ndim)
    if ax is not None and x._data.ndim == 0:
        ax = None
    return ax


class SumBackward0(Node):
    def backward(self, g):
        return (_expand_back(g, self.shape, self.axes, self.keepdim),)


class SumBackward1(SumBackward0):
    pass


_LANES = {}


def _torch_order_sum(xd, ax, keepdim):
    """``xd.sum(ax)`` added in the order of torch's CPU kernel (see nnlite.kernels.summation),
    for float32/float64 C-contiguous arrays whose reduced axes are adjacent; None otherwise
    (numpy then sums: exact for integers, a few ulps off torch's float rounding)."""
    if xd.dtype.kind != "f" or xd.dtype.itemsize < 4 or xd.size == 0 or not \
            xd.flags.c_contiguous or xd.ndim == 0:
        return None
    nd = xd.ndim
    axes = tuple(range(nd)) if ax is None else tuple(sorted(ax))
    if axes != tuple(range(axes[0], axes[-1] + 1)):
        return None
    shape = xd.shape
    outer = _count(shape[: axes[0]], None)
    red = _count(shape, axes)
    inner = _count(shape[axes[-1] + 1:], None)
    if outer > 1 and inner > 1 and outer > 64:
        return None  # one outer sum per leading index: leave long loops to numpy
    K = _summation_kernels
    lanes = _LANES.get(xd.dtype)
    if lanes is None:
        lanes = _LANES[xd.dtype] = _column_sum.vector_bytes() // xd.dtype.itemsize
    if outer == 1 and inner == 1:
        res = np.array(K.sum_all(xd.reshape(-1), lanes, get_num_threads()), xd.dtype)
    elif inner == 1:
        res = np.empty(outer, xd.dtype)
        K.sum_2d(xd.reshape(outer, red), 1, lanes, res)
    else:
        res = np.empty((outer, inner), xd.dtype)
        x3 = xd.reshape(outer, red, inner)
        for a in range(outer):
            K.sum_outer(x3[a], lanes, res[a])
    kshape = tuple(1 if i in axes else s for i, s in enumerate(shape))
    if keepdim:
        return res.reshape(kshape)
    return res.reshape(tuple(s for i, s in enumerate(shape) if i not in axes))


def col_sum(g2: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """``g2.sum(axis=0)`` of a 2-D array in torch's order where it applies (a bias gradient:
    the same bits as torch's), numpy's reduction otherwise; into ``out`` when given.

    The numba kernel, not ``nnlite.kernels.column_sum``'s numpy statement of the same order:
    on a bias gradient (64 x 128 float32) the kernel takes ~2 us and the numpy form ~17 us, a
    cost paid three times per training step, while the kernel's compilation is paid once per
    clone."""
    if g2.dtype.kind == "f" and g2.dtype.itemsize >= 4 and g2.ndim == 2 and g2.size and \
            g2.flags.c_contiguous:
        lanes = _LANES.get(g2.dtype)
        if lanes is None:
            lanes = _LANES[g2.dtype] = _column_sum.vector_bytes() // g2.dtype.itemsize
        res = np.empty(g2.shape[1], g2.dtype) if out is None else out
        _summation_kernels.sum_outer(g2, lanes, res)
        return res
    return g2.sum(axis=0, out=out)


def sum(x, dim=None, keepdim=False, dtype=None, *, axis=None):
    """Sum over ``dim`` (all dims if None). Integer and bool inputs sum to int64."""
    if axis is not None:  # numpy-style alias PyTorch accepts
        dim = axis
    if isinstance(dim, D.dtype):
        dim, dtype = None, dim
    ax = _axes(x, dim)
    xd = x._data
    if dtype is not None:
        xd = xd.astype(D.to_dtype(dtype).np)
    elif xd.dtype.kind in "biu":
        xd = xd.astype(np.int64)
    r = _torch_order_sum(xd, ax, keepdim)
    if r is None:
        r = np.asarray(xd.sum(axis=ax, keepdims=keepdim))
        if not r.flags.c_contiguous:  # torch's reductions write a contiguous result
            r = np.ascontiguousarray(r)
    out = _W(r)
    node = record(out, SumBackward0 if ax is None else SumBackward1, (x,))
    if node is not None:
        node.shape, node.axes, node.keepdim = xd.shape, ax, keepdim
    return out


def _count(shape, ax):
    if ax is None:
        n = 1
        for s in shape:
            n *= s
        return n
    n = 1
    for a in ax:
        n *= shape[a]
    return n


class MeanBackward0(Node):
    def backward(self, g):
        return (_expand_back(g, self.shape, self.axes, self.keepdim) / self.n,)


class MeanBackward1(MeanBackward0):
    pass


def mean(x, dim=None, keepdim=False, dtype=None, *, axis=None):
    if axis is not None:  # numpy-style alias PyTorch accepts
        dim = axis
    if isinstance(dim, D.dtype):
        dim, dtype = None, dim
    xd = x._data
    if dtype is not None:
        xd = xd.astype(D.to_dtype(dtype).np)
    if xd.dtype.kind != "f":
        raise RuntimeError(
            "mean(): could not infer output dtype. Input dtype must be either a floating point "
            f"or complex dtype. Got: {TYPE_NAMES[xd.dtype.name]}"
        )
    ax = _axes(x, dim)
    r = _torch_order_sum(xd, ax, keepdim)
    if r is not None:  # torch's CPU mean is its sum divided by the count, in the input dtype
        r /= xd.dtype.type(_count(xd.shape, ax))
        out = _W(r)
    else:
        with np.errstate(invalid="ignore", divide="ignore"):
            out = _W(np.asarray(xd.mean(axis=ax, keepdims=keepdim), dtype=xd.dtype))
    node = record(out, MeanBackward0 if ax is None else MeanBackward1, (x,))
    if node is not None:
        node.shape, node.axes, node.keepdim = xd.shape, ax, keepdim
        node.n = _count(xd.shape, ax)
    return out


def _correction(unbiased, correction):
    if correction is not None:
        return correction
    if unbiased is None:
        return 1
    return 1 if unbiased else 0


def _var_args(dim, unbiased, keepdim):
    # var(x, True) in old PyTorch means unbiased=True; var(x, 0) means dim=0.
    if isinstance(dim, builtins.bool):
        return None, dim, keepdim
    return dim, unbiased, keepdim


class VarBackward0(Node):
    def backward(self, g):
        (x,) = self._unpacked_saved
        ax, keep = self.axes, self.keepdim
        m = mean(x, dim=ax, keepdim=True) if ax is not None else mean(x)
        gx = _expand_back(g, self.shape, ax, keep) * (x - m) * (2.0 / self.denom)
        return (gx,)


def var(x, dim=None, unbiased=None, keepdim=False, *, correction=None, axis=None):
    """Variance with Bessel's correction by default (``correction=1``)."""
    if axis is not None:  # numpy-style alias PyTorch accepts
        dim = axis
    dim, unbiased, keepdim = _var_args(dim, unbiased, keepdim)
    c = _correction(unbiased, correction)
    ax = _axes(x, dim)
    xd = x._data
    if xd.dtype.kind != "f":
        raise RuntimeError("std and var only support floating point and complex dtypes")
    n = _count(xd.shape, ax)
    denom = builtins.max(n - c, 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = _W(np.asarray(xd.var(axis=ax, keepdims=keepdim, ddof=c), dtype=xd.dtype))
    node = record(out, VarBackward0, (x,), (x,))
    if node is not None:
        node.shape, node.axes, node.keepdim, node.denom = xd.shape, ax, keepdim, denom
    return out


class StdBackward0(Node):
    def backward(self, g):
        x, out = self._unpacked_saved
        # torch: d std = d var / (2 std), taken as 0 where std == 0 (constant input), not NaN
        gv = g / (out * 2.0)
        gv = E.where(E.eq(out, 0), E.zeros_like(gv), gv)
        ax, keep = self.axes, self.keepdim
        m = mean(x, dim=ax, keepdim=True) if ax is not None else mean(x)
        return (_expand_back(gv, self.shape, ax, keep) * (x - m) * (2.0 / self.denom),)


def std(x, dim=None, unbiased=None, keepdim=False, *, correction=None, axis=None):
    """Standard deviation, ``sqrt(var)``, as one node (StdBackward0)."""
    if axis is not None:  # numpy-style alias PyTorch accepts
        dim = axis
    dim, unbiased, keepdim = _var_args(dim, unbiased, keepdim)
    with no_grad():
        v = var(x, dim, unbiased, keepdim, correction=correction)
    with np.errstate(invalid="ignore"):
        out = _W(np.sqrt(v._data))
    node = record(out, StdBackward0, (x,), (x, out))
    if node is not None:
        c = _correction(unbiased, correction)
        ax = _axes(x, dim)
        node.shape, node.axes, node.keepdim = x._data.shape, ax, keepdim
        node.denom = builtins.max(_count(x._data.shape, ax) - c, 0)
    return out


class VarMeanBackward0(Node):
    """``var_mean``: one node for both results (edge to ``x``); each gradient that arrives adds
    its own term: ``g_var * 2 (x - mean) / (n - correction)`` and ``g_mean / n``."""

    take_sqrt = False

    def backward(self, gv, gm):
        (x,) = self._unpacked_saved
        ax, keep = self.axes, self.keepdim
        gx = None
        if gv is not None:
            if self.take_sqrt:  # d std = d var / (2 std), 0 where std == 0 (as StdBackward0)
                sd = std(x, ax, keepdim=keep, correction=self.correction)
                gv = E.where(E.eq(sd, 0), E.zeros_like(gv), gv / (sd * 2.0))
            m = mean(x, dim=ax, keepdim=True) if ax is not None else mean(x)
            gx = _expand_back(gv, self.shape, ax, keep) * (x - m) * (2.0 / self.denom)
        if gm is not None:
            t = _expand_back(gm, self.shape, ax, keep) / self.n
            gx = t if gx is None else gx + t
        return (gx,)


class StdMeanBackward0(VarMeanBackward0):
    take_sqrt = True


def _moments(x, dim, unbiased, keepdim, correction, node_cls):
    dim, unbiased, keepdim = _var_args(dim, unbiased, keepdim)
    with no_grad():
        first = (std if node_cls is StdMeanBackward0 else var)(
            x, dim, unbiased, keepdim, correction=correction)
        m = mean(x, dim, keepdim)
    node = record_multi((first, m), node_cls, (x,), (x,))
    if node is not None:
        c = _correction(unbiased, correction)
        ax = _axes(x, dim)
        n = _count(x._data.shape, ax)
        node.shape, node.axes, node.keepdim, node.correction = x._data.shape, ax, keepdim, c
        node.n, node.denom = n, builtins.max(n - c, 0)
    return first, m


def var_mean(x, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """``(var, mean)`` over ``dim`` in one pass, one node (VarMeanBackward0)."""
    return _moments(x, dim, unbiased, keepdim, correction, VarMeanBackward0)


def std_mean(x, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """``(std, mean)`` over ``dim``, one node (StdMeanBackward0)."""
    return _moments(x, dim, unbiased, keepdim, correction, StdMeanBackward0)


class ProdBackward0(Node):
    def backward(self, g):
        (x,) = self._unpacked_saved
        ax, keep = self.axes, self.keepdim
        xd = x._data
        if not np.any(xd == 0):
            out = prod(x, dim=ax[0] if ax else None, keepdim=True) if ax else prod(x)
            return (_expand_back(g, self.shape, ax, keep) * out / x,)
        # zeros present: product of all the other elements, computed directly
        axis = ax[0] if ax else None
        flat = xd.reshape(-1) if axis is None else np.moveaxis(xd, axis, -1)
        n = flat.shape[-1]
        left = np.cumprod(np.concatenate([np.ones_like(flat[..., :1]), flat[..., :-1]], -1), -1)
        rev = flat[..., ::-1]
        right = np.cumprod(np.concatenate([np.ones_like(rev[..., :1]), rev[..., :-1]], -1), -1)
        others = left * right[..., ::-1]
        others = others.reshape(xd.shape) if axis is None else np.moveaxis(others, -1, axis)
        del n
        return (_expand_back(g, self.shape, ax, keep) * _W(others),)


def prod(x, dim=None, keepdim=False, dtype=None, *, axis=None):
    if axis is not None:  # numpy-style alias PyTorch accepts
        dim = axis
    xd = x._data if dtype is None else x._data.astype(D.to_dtype(dtype).np)
    if xd.dtype.kind in "biu" and dtype is None:
        xd = xd.astype(np.int64)
    ax = _axes(x, dim)
    out = _W(np.asarray(np.prod(xd, axis=ax, keepdims=keepdim)))
    node = record(out, ProdBackward0 if dim is None else ProdBackward1, (x,), (x,))
    if node is not None:
        node.shape, node.axes, node.keepdim = xd.shape, ax, keepdim
    return out


class ProdBackward1(ProdBackward0):
    """``prod(x, dim)`` (torch numbers the overloads: 0 all elements, 1 one dim)."""


class AmaxBackward0(Node):
    def backward(self, g):
        (x,) = self._unpacked_saved
        ax = self.axes
        out = self.out
        mask = E.eq(x, _expand_back(out, self.shape, ax, self.keepdim)).to(g.dtype)
        cnt = sum(mask, dim=ax, keepdim=True) if ax is not None else sum(mask)
        return (_expand_back(g, self.shape, ax, self.keepdim) * mask / cnt,)


class AminBackward0(AmaxBackward0):
    pass


class MaxBackward1(AmaxBackward0):
    """``max(x)`` of all elements (torch's overload 1): amax's formula, ties share ``g``."""


class MinBackward1(AmaxBackward0):
    """``min(x)`` of all elements: amin's formula."""


def _check_nonempty(x, ax, name):
    if x._data.size == 0:
        if ax is None:
            raise (IndexError if name.startswith("arg") else RuntimeError)(
                f"{name}(): Expected reduction dim to be specified for input.numel() == 0. "
                "Specify the reduction dim with the 'dim' argument."
            )
        for d in (ax if isinstance(ax, tuple) else (ax,)):
            if x._data.shape[d] == 0:
                raise IndexError(
                    f"{name}(): Expected reduction dim {d} to have non-zero size."
                )


def _extreme(x, dim, keepdim, is_min, node_cls=None):
    ax = _axes(x, dim)
    _check_nonempty(x, ax, "amin" if is_min else "amax")
    fn = np.min if is_min else np.max
    out = _W(np.asarray(fn(x._data, axis=ax, keepdims=keepdim)))
    if node_cls is None:
        node_cls = AminBackward0 if is_min else AmaxBackward0
    node = record(out, node_cls, (x,), (x,))
    if node is not None:
        node.shape, node.axes, node.keepdim = x._data.shape, ax, keepdim
        node.save(out=out.detach())
    return out


def amax(x, dim=None, keepdim=False, *, axis=None):
    """Maximum over ``dim``; ties share the gradient equally."""
    if axis is not None:  # numpy-style alias PyTorch accepts
        dim = axis
    return _extreme(x, dim, keepdim, False)


def amin(x, dim=None, keepdim=False, *, axis=None):
    if axis is not None:  # numpy-style alias PyTorch accepts
        dim = axis
    return _extreme(x, dim, keepdim, True)


class MaxBackward0(Node):
    """Gradient of max/min along a dim: flows to the selected index only."""

    def backward(self, g):
        gk = g if self.keepdim else g.unsqueeze(self.dim)
        return (scatter_into_zeros(self.shape, self.dim, self.idx, gk),)


class MinBackward0(MaxBackward0):
    pass


def _max_min_dim(x, dim, keepdim, is_min):
    d = wrap_dim(dim, x._data.ndim)
    xd = x._data if x._data.ndim else x._data.reshape(1)
    if xd.shape[d] == 0:
        raise IndexError(f"{'min' if is_min else 'max'}(): Expected reduction dim {d} to have non-zero size.")
    idx = np.argmin(xd, axis=d) if is_min else np.argmax(xd, axis=d)
    idx = np.expand_dims(idx, d)
    vals = np.take_along_axis(xd, idx, axis=d)
    if not keepdim:
        vals = np.squeeze(vals, d)
        idx_out = np.squeeze(idx, d)
    else:
        idx_out = idx
    if x._data.ndim == 0:
        vals, idx_out = vals.reshape(()), idx_out.reshape(())
    # not np.ascontiguousarray: it turns the 0-d values of a 1-D input into shape (1,)
    out = _W(vals if vals.flags.c_contiguous else vals.copy(order="C"))
    node = record(out, MinBackward0 if is_min else MaxBackward0, (x,))
    if node is not None:
        node.shape, node.dim, node.keepdim = x._data.shape, d, keepdim
        node.save(idx=_W(idx.astype(np.int64).reshape(np.shape(idx)) if x._data.ndim
                         else idx.reshape(())))
    return values_indices(out, _W(idx_out.astype(np.int64)), "min" if is_min else "max")


def max(x, dim=None, keepdim=False, *, out=None, axis=None):
    """``max(x)`` (all elements), ``max(x, dim)`` -> (values, indices), ``max(x, y)``."""
    if axis is not None:  # numpy-style alias PyTorch accepts
        dim = axis
    if isinstance(dim, Tensor):
        return E.maximum(x, dim)
    if dim is None:
        return _extreme(x, None, False, False, MaxBackward1)
    return _max_min_dim(x, dim, keepdim, False)


def min(x, dim=None, keepdim=False, *, out=None, axis=None):
    if axis is not None:  # numpy-style alias PyTorch accepts
        dim = axis
    if isinstance(dim, Tensor):
        return E.minimum(x, dim)
    if dim is None:
        return _extreme(x, None, False, True, MinBackward1)
    return _max_min_dim(x, dim, keepdim, True)


def _arg_extreme(x, dim, keepdim, fn):
    if x._data.size == 0:  # torch's IndexError, not numpy's ValueError
        name = fn.__name__
        if dim is None:
            raise IndexError(f"{name}(): Expected reduction dim to be specified for "
                             "input.numel() == 0.")
        d = wrap_dim(dim, x._data.ndim)
        if x._data.shape[d] == 0:
            raise IndexError(f"{name}(): Expected reduction dim {d} to have non-zero size.")
    if dim is None:
        r = np.asarray(fn(x._data))
        return _W(r.reshape((1,) * x._data.ndim) if keepdim else r.astype(np.int64))
    d = wrap_dim(dim, x._data.ndim)
    r = fn(x._data, axis=d)
    if keepdim:
        r = np.expand_dims(r, d)
    return _W(np.asarray(r, dtype=np.int64))


def argmax(x, dim=None, keepdim=False, *, axis=None):
    """Index of the (first) maximum, over all elements or along ``dim`` (int64)."""
    if axis is not None:  # numpy-style alias PyTorch accepts
        dim = axis
    if x._data.dtype == np.bool_:
        raise RuntimeError("argmax(): does not support bool input")
    return _arg_extreme(x, dim, keepdim, np.argmax)


def argmin(x, dim=None, keepdim=False, *, axis=None):
    if axis is not None:  # numpy-style alias PyTorch accepts
        dim = axis
    if x._data.dtype == np.bool_:
        raise RuntimeError("argmin(): does not support bool input")
    return _arg_extreme(x, dim, keepdim, np.argmin)


class LogsumexpBackward0(Node):
    def backward(self, g):
        x, out = self._unpacked_saved
        ax = self.axes
        return (_expand_back(g, self.shape, ax, self.keepdim)
                * E.exp(x - _expand_back(out, self.shape, ax, self.keepdim)),)


def logsumexp(x, dim, keepdim=False):
    ax = _axes(x, dim)
    xd = x._data
    if xd.dtype.kind != "f":
        xd = xd.astype(D._default_float.np)
    m = np.max(xd, axis=ax, keepdims=True) if xd.size else np.zeros((1,) * xd.ndim, xd.dtype)
    m = np.where(np.isfinite(m), m, 0)
    with np.errstate(divide="ignore"):
        r = np.log(np.sum(np.exp(xd - m), axis=ax, keepdims=True)) + m
    if not keepdim:
        r = r.reshape([s for i, s in enumerate(r.shape) if ax is not None and i not in ax])
    out = _W(np.asarray(r, dtype=xd.dtype))
    node = record(out, LogsumexpBackward0, (x,), (x, out))
    if node is not None:
        node.shape, node.axes, node.keepdim = xd.shape, ax, keepdim
    return out


class SoftmaxBackward0(Node):
    def backward(self, g):
        (y,) = self._unpacked_saved
        d = self.dim
        if not _GradState.enabled:
            gd, yd = g._data, y._data
            if d == yd.ndim - 1 and yd.size:
                if yd.dtype == np.float32 and gd.dtype == np.float32:  # torch's order and bits
                    sbl = _softmax_order_kernels.softmax_backward_lastdim
                    return (_W(sbl(gd, yd, _f32_lanes(), False, get_num_threads())),)
                softmax_backward = _loss_kernels.softmax_backward

                return (_W(softmax_backward(gd, yd)),)
            if yd.dtype == np.float32 and gd.dtype == np.float32 and yd.size:
                sbi = _softmax_order_kernels.softmax_backward_inner
                return (_W(sbi(gd, yd, d, _f32_lanes(), False)),)
            gy = gd * yd
            return (_W(gy - yd * gy.sum(axis=d, keepdims=True)),)
        gy = g * y
        return (gy - y * sum(gy, dim=d, keepdim=True),)


class LogSoftmaxBackward0(Node):
    fused = False  # True: the link of the fused cross-entropy (its gradient is already final)

    def backward(self, g):
        if self.fused:
            return (g,)
        (y,) = self._unpacked_saved
        d = self.dim
        if not _GradState.enabled:
            gd, yd = g._data, y._data
            if d == yd.ndim - 1 and yd.size:
                if yd.dtype == np.float32 and gd.dtype == np.float32:  # torch's order and bits
                    sbl = _softmax_order_kernels.softmax_backward_lastdim
                    return (_W(sbl(gd, yd, _f32_lanes(), True)),)
                log_softmax_backward = _loss_kernels.log_softmax_backward

                return (_W(log_softmax_backward(gd, yd)),)
            if yd.dtype == np.float32 and gd.dtype == np.float32 and yd.size:
                sbi = _softmax_order_kernels.softmax_backward_inner
                return (_W(sbi(gd, yd, d, _f32_lanes(), True)),)
            return (_W(gd - np.exp(yd) * gd.sum(axis=d, keepdims=True)),)
        return (g - E.exp(y) * sum(g, dim=d, keepdim=True),)


def _softmax_dim(x, dim):
    if dim is None:
        # PyTorch's legacy implicit-dim choice
        dim = 0 if x._data.ndim in (0, 1, 3) else 1
    return wrap_dim(dim, x._data.ndim)


_F32_LANES = []


def _f32_lanes() -> int:
    """float32 lanes of torch's ``Vectorized`` here (read once: it scans /proc/cpuinfo)."""
    if not _F32_LANES:
        _F32_LANES.append(_column_sum.vector_bytes() // 4)
    return _F32_LANES[0]


def _softmax_family(x, dim, dtype, log):
    d = _softmax_dim(x, dim)
    xd = x._data if dtype is None else x._data.astype(D.to_dtype(dtype).np)
    if xd.dtype.kind != "f":
        xd = xd.astype(D._default_float.np)
    if xd.ndim == 0:
        y = np.zeros_like(xd) if log else np.ones_like(xd)
    elif xd.size == 0:
        y = xd.copy()
    elif xd.dtype == np.float32:
        # torch's CPU kernel's exp, summation order and rounding (see kernels/softmax_order.py)
        so = _softmax_order_kernels
        lanes = _f32_lanes()
        if d == xd.ndim - 1:
            y = so.softmax_lastdim(xd, lanes, log)
        else:
            y = so.softmax_inner(xd, d, lanes, log, get_num_threads())
    elif d == xd.ndim - 1:
        kl = _loss_kernels

        y = kl.log_softmax_forward(xd) if log else kl.softmax_forward(xd)
    else:
        s = xd - np.max(xd, axis=d, keepdims=True)
        if log:
            y = s - np.log(np.exp(s).sum(axis=d, keepdims=True))
        else:
            e = np.exp(s)
            y = e / e.sum(axis=d, keepdims=True)
    out = _W(y)
    node = record(out, LogSoftmaxBackward0 if log else SoftmaxBackward0, (x,), (out,))
    if node is not None:
        node.dim = d
    return out


def softmax(x, dim=None, dtype=None):
    """``exp(x - max) / sum(exp(x - max))`` along ``dim`` (stable for large logits)."""
    return _softmax_family(x, dim, dtype, log=False)


def log_softmax(x, dim=None, dtype=None):
    """``x - logsumexp(x)`` along ``dim``."""
    return _softmax_family(x, dim, dtype, log=True)


class CumsumBackward0(Node):
    def backward(self, g):
        d = self.dim
        return (flip(cumsum(flip(g, (d,)), d), (d,)),)


def cumsum(x, dim=None, dtype=None, *, axis=None):
    if axis is not None:  # numpy-style alias PyTorch accepts
        dim = axis
    d = wrap_dim(dim, x._data.ndim)
    xd = x._data if dtype is None else x._data.astype(D.to_dtype(dtype).np)
    if xd.dtype.kind in "biu" and dtype is None:
        xd = xd.astype(np.int64)
    out = _W(np.cumsum(xd, axis=d) if xd.ndim else xd.copy())
    node = record(out, CumsumBackward0, (x,))
    if node is not None:
        node.dim = d
    return out


def norm(x, p="fro", dim=None, keepdim=False, dtype=None):
    """Vector/Frobenius norm ``(sum |x|^p)^(1/p)`` over ``dim`` (all elements if None);
    ``p`` in {2, 'fro', 1, inf, -inf, 0, other numbers}. One node, as torch's
    ``linalg_vector_norm`` (LinalgVectorNormBackward0)."""
    if x._data.dtype.kind != "f" and dtype is None:
        raise RuntimeError("linalg.vector_norm: Expected a floating point or complex tensor as "
                           f"input. Got {TYPE_NAMES[x._data.dtype.name]}")
    if dtype is not None:
        x = x.to(dtype)
    if isinstance(p, str) and p != "fro":
        raise RuntimeError(f"norm: p={p!r} is a matrix norm here: use "
                           f"torch.linalg.matrix_norm(x, {p!r}) (vector norms take a number)")
    p = 2.0 if p in ("fro", None) else builtins.float(p)
    ax = _axes(x, dim)
    xd = x._data
    a = np.abs(xd)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if p == 2:
            r = np.sqrt(np.sum(xd * xd, axis=ax, keepdims=keepdim))
        elif p == 1:
            r = np.sum(a, axis=ax, keepdims=keepdim)
        elif p == math.inf:
            r = np.max(a, axis=ax, keepdims=keepdim)
        elif p == -math.inf:
            r = np.min(a, axis=ax, keepdims=keepdim)
        elif p == 0:
            r = np.sum(xd != 0, axis=ax, keepdims=keepdim)
        else:
            r = np.sum(a ** p, axis=ax, keepdims=keepdim) ** (1.0 / p)
    out = _W(np.asarray(r, dtype=xd.dtype))
    node = record(out, LinalgVectorNormBackward0, (x,), (x, out))
    if node is not None:
        node.p, node.axes, node.keepdim = p, ax, keepdim
    return out


def norm_grad(x, norm_, g, p, axes, keepdim):
    """torch's ``norm_backward``: the gradient of ``norm(x, p, axes, keepdim)`` (value
    ``norm_``) for the incoming ``g``, in Tensor ops; 0 where the norm is 0 (a subgradient).
    None for ``p == 0`` (piecewise constant)."""
    if p == 0:
        return None
    shape = x._data.shape
    g = _expand_back(g, shape, axes, keepdim)
    n = _expand_back(norm_, shape, axes, keepdim)
    zero = E.eq(n, 0)
    if p == 1:
        return E.sgn(x) * g
    if p == 2:
        return g * E.where(zero, E.zeros_like(x), x / n)
    if p in (math.inf, -math.inf):
        # amax/amin of |x|: ties share the gradient
        mask = E.eq(E.abs(x), n).to(g.dtype)
        cnt = sum(mask, dim=axes, keepdim=True) if axes is not None else sum(mask)
        return E.sgn(x) * (g / cnt * mask)
    if p < 1:
        scaled = E.sgn(x) * E.where(E.eq(x, 0), E.zeros_like(x), E.pow(E.abs(x), p - 1))
        return scaled * g * E.pow(n, 1 - p)
    scaled = E.sgn(x) * E.pow(E.abs(x), p - 1) if p < 2 else x * E.pow(E.abs(x), p - 2)
    return scaled * E.where(zero, E.zeros_like(g), g / E.pow(n, p - 1))


class LinalgVectorNormBackward0(Node):
    """torch.norm / Tensor.norm go through linalg.vector_norm in torch: its node."""

    def backward(self, g):
        x, out = self._unpacked_saved
        return (norm_grad(x, out, g, self.p, self.axes, self.keepdim),)


def all(x, dim=None, keepdim=False):
    ax = _axes(x, dim)
    return _W(np.asarray(np.all(x._data, axis=ax, keepdims=keepdim)))


def any(x, dim=None, keepdim=False):
    ax = _axes(x, dim)
    return _W(np.asarray(np.any(x._data, axis=ax, keepdims=keepdim)))


def count_nonzero(x, dim=None):
    ax = _axes(x, dim)
    return _W(np.asarray(np.count_nonzero(x._data, axis=ax), dtype=np.int64))


class _PickedBackward(Node):
    """Values picked from ``x`` along ``dim`` at ``idx`` (sort, topk, kthvalue, median): the
    gradient goes back to the picked places. One node, named as torch names the op's."""

    def backward(self, g):
        if self.flat:  # median() of all elements: picked from the flattened input
            return (scatter_into_zeros((self.n,), 0, self.idx, g.reshape(1)).reshape(self.shape),)
        if self.squeezed:
            g = g.unsqueeze(self.dim)
        return (scatter_into_zeros(self.shape, self.dim, self.idx, g),)


class SortBackward0(_PickedBackward):
    pass


class TopkBackward0(_PickedBackward):
    pass


class KthvalueBackward0(_PickedBackward):
    pass


class MedianBackward0(_PickedBackward):
    pass


class MedianBackward1(_PickedBackward):
    pass


def _picked(x, d, idx, node_cls, squeeze=False):
    """``take_along_axis(x, idx, d)`` (``d`` squeezed away if asked) recorded as ``node_cls``."""
    vals = np.take_along_axis(x._data, idx, axis=d)
    out = _W(vals.squeeze(d) if squeeze else vals)
    node = record(out, node_cls, (x,))
    if node is not None:
        node.save(idx=_W(idx))
        node.shape, node.dim = x._data.shape, d
        node.squeezed, node.flat = squeeze, False
    return out


def sort(x, dim=-1, descending=False, stable=False):
    """Sorted values and their indices along ``dim``; values carry the gradient."""
    d = wrap_dim(dim, x._data.ndim)  # first: a 0-dim input takes dim -1 or 0 only, as torch
    if x._data.ndim == 0:
        return values_indices(x, _W(np.zeros((), np.int64)), "sort")
    xd = x._data
    if descending and xd.dtype.kind == "f":
        idx = _argsort_descending(xd, d)
    else:
        idx = np.argsort(-xd if descending and xd.dtype.kind != "b" else xd, axis=d, kind="stable")
    if descending and xd.dtype.kind == "b":
        idx = np.flip(np.argsort(xd, axis=d, kind="stable"), d)
    idx = np.ascontiguousarray(idx.astype(np.int64))
    return values_indices(_picked(x, d, idx, SortBackward0), _W(idx), "sort")


def _argsort_descending(xd, d):
    """Stable descending order with NaN first, as torch (NaN is the largest; numpy's argsort
    of ``-x`` would put it last)."""
    if not np.isnan(xd).any():
        return np.argsort(-xd, axis=d, kind="stable")
    moved = np.moveaxis(xd, d, -1)
    idx = np.lexsort((-moved, ~np.isnan(moved)), axis=-1)
    return np.moveaxis(idx, -1, d)


def argsort(x, dim=-1, descending=False, stable=False):
    return sort(x, dim, descending, stable).indices


def topk(x, k, dim=-1, largest=True, sorted=True):
    d = wrap_dim(dim, x._data.ndim)
    n = x._data.shape[d] if x._data.ndim else 1
    if not 0 <= k <= n:
        raise RuntimeError("selected index k out of range")
    xd = x._data
    if xd.dtype == np.bool_:
        raise RuntimeError("topk does not support bool dtypes on CPU")
    if xd.ndim == 0:  # np.take below would give shape (1,)
        return values_indices(x.clone(), _W(np.zeros((), np.int64)), "topk")
    if largest and xd.dtype.kind == "f":
        idx = _argsort_descending(xd, d)
    else:
        idx = np.argsort(-xd if largest else xd, axis=d, kind="stable")
    idx = np.take(idx, np.arange(k), axis=d).astype(np.int64, order="C")
    return values_indices(_picked(x, d, idx, TopkBackward0), _W(idx), "topk")


def kthvalue(x, k, dim=-1, keepdim=False):
    return _kth(x, k, dim, keepdim, KthvalueBackward0)


def _kth(x, k, dim, keepdim, node_cls):
    d = wrap_dim(dim, x._data.ndim)
    if x._data.ndim == 0:
        return values_indices(x.clone(), _W(np.zeros((), np.int64)), "kthvalue")
    n = x._data.shape[d]
    if n == 0 and node_cls is MedianBackward1:
        raise IndexError(f"median(): Expected reduction dim {d} to have non-zero size.")
    if not 1 <= k <= n:
        raise RuntimeError(f"kthvalue(): selected number k out of range for dimension {d}")
    _, order = sort(x.detach(), d)
    idx = np.ascontiguousarray(np.take(order._data, [k - 1], axis=d))
    xd = x._data
    if node_cls is MedianBackward1 and xd.dtype.kind == "f":
        nan = np.isnan(xd)
        if nan.any():  # torch: a NaN in a row makes its median NaN (the first NaN's index)
            rows = nan.any(axis=d, keepdims=True)
            idx = np.ascontiguousarray(np.where(rows, np.argmax(nan, axis=d, keepdims=True), idx))
    v = _picked(x, d, idx, node_cls, squeeze=not keepdim)
    i = _W(idx if keepdim else idx.squeeze(d))
    return values_indices(v, i, "median" if node_cls is MedianBackward1 else "kthvalue")


def median(x, dim=None, keepdim=False):
    if dim is None:
        flat = x._data.reshape(-1)
        n = flat.shape[0]
        if n == 0:
            return _W(np.array(np.nan, flat.dtype))
        _, order = sort(_W(flat))
        i = order._data[(n - 1) // 2]
        if flat.dtype.kind == "f" and np.isnan(flat).any():  # torch: a NaN makes the median NaN
            i = int(np.flatnonzero(np.isnan(flat))[0])
        out = _W(np.array(flat[i]))
        node = record(out, MedianBackward0, (x,))
        if node is not None:
            node.save(idx=_W(np.array([i])))
            node.shape, node.n, node.flat = x._data.shape, n, True
        return out
    d = wrap_dim(dim, x._data.ndim)
    n = x._data.shape[d] if x._data.ndim else 1
    return _kth(x, (n - 1) // 2 + 1, d, keepdim, MedianBackward1)


def unique(x, sorted=True, return_inverse=False, return_counts=False, dim=None):
    r = np.unique(x._data, return_inverse=return_inverse, return_counts=return_counts, axis=dim)
    if not (return_inverse or return_counts):
        return _W(r)
    outs = [_W(r[0])]
    if return_inverse:
        outs.append(_W(r[1].reshape(x._data.shape).astype(np.int64)))
    if return_counts:
        outs.append(_W(r[-1].astype(np.int64)))
    return tuple(outs)


def bincount(x, weights=None, minlength=0):
    a = x._data
    if a.dtype.kind not in "iu":
        name = TYPE_NAMES.get(a.dtype.name, a.dtype.name)
        raise NotImplementedError(f'"bincount_cpu" not implemented for \'{name}\'')
    if a.ndim != 1 or (a.size and a.min() < 0):
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    w = None if weights is None else weights._data
    r = np.bincount(a, weights=w, minlength=minlength)
    if w is None:
        return _W(r.astype(np.int64))
    # torch keeps float32 weights' dtype and computes every other weight dtype in float64
    return _W(r.astype(np.float32) if w.dtype == np.float32 else r)


class CumprodBackward0(Node):
    """``cumprod`` along ``dim``: ``gx_k = sum_{j >= k} g_j prod_{i <= j, i != k} x_i``."""

    def backward(self, g):
        x, out = self._unpacked_saved
        gx = cumprod_grad(x, out, g, self.dim)
        return (gx if gx._data.dtype == x._data.dtype else gx.to(x.dtype),)


def cumprod_grad(x, out, g, d):
    """The gradient of ``out = cumprod(x, d)`` for the incoming ``g``, in Tensor ops: the
    reversed cumulative sum of ``g * out`` over ``x`` where ``x`` has no zero; with zeros, the
    products that leave out ``x_k`` taken directly (``n x n`` per slice)."""
    if x._data.dtype != out._data.dtype:  # cumprod(x, dtype=...)
        x = x.to(out.dtype)
    if not np.any(x._data == 0):
        return flip(cumsum(flip(g * out, (d,)), d), (d,)) / x
    xs, gs = S.movedim(x, d, -1), S.movedim(g, d, -1)
    n = xs._data.shape[-1]
    ones = E.ones_like(narrow(xs, -1, 0, 1))
    before = cumprod(cat([ones, narrow(xs, -1, 0, n - 1)], -1), -1)  # prod_{i<k} x_i
    # after[k, j] = prod_{k<i<=j} x_i (1 for j <= k): x_i kept only where i > k
    later = _W(np.triu(np.ones((n, n), np.bool_), 1))
    after = cumprod(E.where(later, S.unsqueeze(xs, -2), E.ones_like(later.to(xs.dtype))), -1)
    upto = _W(np.triu(np.ones((n, n), np.bool_)))  # [k, j]: j >= k
    s = sum(E.where(upto, S.unsqueeze(gs, -2) * after, E.zeros_like(after)), dim=-1)
    return S.movedim(before * s, -1, d)


def cumprod(x, dim, dtype=None):
    """Cumulative product along ``dim`` (one node, CumprodBackward0)."""
    xd = x._data
    if dtype is not None:
        xd = xd.astype(D.to_dtype(dtype).np)
    elif xd.dtype.kind in "biu":
        xd = xd.astype(np.int64)
    d = wrap_dim(dim, xd.ndim)
    out = _W(np.cumprod(xd, axis=d) if xd.ndim else xd.copy())
    node = record(out, CumprodBackward0, (x,), (x, out))
    if node is not None:
        node.dim = d
    return out


# ---- reductions and scans -------------------------------------------------------------------


class NansumBackward0(Node):
    """``nansum``: ``g`` spread back to the non-NaN entries (NaN entries get 0)."""

    def backward(self, g):
        (x,) = self._unpacked_saved
        ge = _expand_back(g, self.shape, self.axes, self.keepdim)
        if ge._data.dtype != x._data.dtype:
            ge = ge.to(x.dtype)
        return (E.where(E.isnan(x), E.zeros_like(ge), ge),)


def nansum(input, dim=None, keepdim=False, *, dtype=None):
    """Sum treating NaN as zero (NaN entries get no gradient)."""
    x = input
    ax = _axes(x, dim)
    xd = x._data
    if dtype is not None:
        xd = xd.astype(D.to_dtype(dtype).np)
    elif xd.dtype.kind in "biu":
        xd = xd.astype(np.int64)
    out = _W(np.asarray(np.nansum(xd, axis=ax, keepdims=keepdim), dtype=xd.dtype))
    node = record(out, NansumBackward0, (x,), (x,))
    if node is not None:
        node.shape, node.axes, node.keepdim = xd.shape, ax, keepdim
    return out


def nanmean(input, dim=None, keepdim=False, *, dtype=None):
    """Mean over the non-NaN entries."""
    if input._data.dtype.kind != "f":
        raise RuntimeError(
            f"nanmean(): expected input to have floating point or complex dtype but got "
            f"{input.dtype}"
        )
    cnt = sum(E.logical_not(E.isnan(input)), dim=dim, keepdim=keepdim)
    return nansum(input, dim, keepdim, dtype=dtype) / cnt.to(
        D.to_dtype(dtype) if dtype is not None else input.dtype)


_AMINMAX = namedtuple("aminmax", ["min", "max"])


class _AminmaxResult(_AMINMAX):
    __slots__ = ()

    def __repr__(self):
        return f"torch.return_types.aminmax(\nmin={self.min!r},\nmax={self.max!r})"


class AminmaxBackward0(Node):
    """``aminmax``: one node for ``min`` and ``max``; each gradient goes to the places of its
    extreme, shared between ties (amin's and amax's formula)."""

    def backward(self, gmin, gmax):
        (x,) = self._unpacked_saved
        ax, keep = self.axes, self.keepdim
        gx = None
        for g, fn in ((gmin, amin), (gmax, amax)):
            if g is None:
                continue
            ext = fn(x, dim=ax, keepdim=keep) if ax is not None else fn(x)
            mask = E.eq(x, _expand_back(ext, self.shape, ax, keep)).to(g.dtype)
            cnt = sum(mask, dim=ax, keepdim=True) if ax is not None else sum(mask)
            t = _expand_back(g, self.shape, ax, keep) * mask / cnt
            gx = t if gx is None else gx + t
        return (gx,)


def aminmax(input, *, dim=None, keepdim=False):
    """``(min, max)`` over ``dim`` (all elements if None), one node (AminmaxBackward0)."""
    with no_grad():
        lo, hi = amin(input, dim, keepdim), amax(input, dim, keepdim)
    node = record_multi((lo, hi), AminmaxBackward0, (input,), (input,))
    if node is not None:
        node.shape, node.axes, node.keepdim = input._data.shape, _axes(input, dim), keepdim
    return _AminmaxResult(lo, hi)


def _cum_extreme(x, dim, is_min, name):
    xd = x._data
    d = wrap_dim(dim, xd.ndim)
    if xd.ndim == 0:
        return _scan_result(name, S.clone(x), _W(np.zeros((), np.int64)))
    a = np.moveaxis(xd, d, 0)
    idx = np.zeros(a.shape, np.int64)
    if a.shape[0]:
        cur, cur_i = a[0].copy(), np.zeros(a.shape[1:], np.int64)
        for i in range(a.shape[0]):
            v = a[i]
            better = (v <= cur) if is_min else (v >= cur)
            if xd.dtype.kind == "f":
                better = np.isnan(v) | (~np.isnan(cur) & better)
            cur = np.where(better, v, cur)
            cur_i = np.where(better, i, cur_i)
            idx[i] = cur_i
    idx_t = _W(np.ascontiguousarray(np.moveaxis(idx, 0, d)))
    values = _W(np.take_along_axis(xd, idx_t._data, axis=d))
    node = record(values, CumminBackward0 if is_min else CummaxBackward0, (x,))
    if node is not None:
        node.shape, node.dim = xd.shape, d
        node.save(idx=idx_t)
    return _scan_result(name, values, idx_t)


class CummaxBackward0(Node):
    """``cummax``'s values: each ``g`` goes to the place of the running extreme, summed over the
    positions that share it (torch's scatter_add)."""

    def backward(self, g):
        return (scatter_into_zeros(self.shape, self.dim, self.idx, g),)


class CumminBackward0(CummaxBackward0):
    pass


def _scan_result(name, values, indices):
    if name not in _RT:
        _RT[name] = _return_type(name)
    return _RT[name](values, indices)


def cummax(input, dim):
    """Running maximum along ``dim`` and the index where it was reached (the last on ties)."""
    return _cum_extreme(input, dim, False, "cummax")


def cummin(input, dim):
    return _cum_extreme(input, dim, True, "cummin")


class LogcumsumexpBackward0(Node):
    def backward(self, g):
        x, out = self._unpacked_saved
        d = self.dim
        xs, os_, gs = (S.movedim(t, d, -1) for t in (x, out, g))
        n = xs._data.shape[-1]
        # dx_j = sum_{i >= j} g_i exp(x_j - out_i); masked entries (i < j) are exp(-inf) = 0
        diff = S.unsqueeze(xs, -2) - S.unsqueeze(os_, -1)
        mask = _W(np.tril(np.ones((n, n), np.bool_)))
        w = E.exp(E.where(mask, diff, E.full_like(diff, -math.inf)))
        gx = sum(S.unsqueeze(gs, -1) * w, dim=-2)
        return (S.movedim(gx, -1, d),)


def logcumsumexp(input, dim):
    """``log(cumsum(exp(x)))`` along ``dim``, computed stably."""
    x = input
    xd = x._data if x._data.dtype.kind == "f" else x._data.astype(D._default_float.np)
    d = wrap_dim(dim, xd.ndim)
    out = _W(np.logaddexp.accumulate(xd, axis=d) if xd.ndim else xd.copy())
    node = record(out, LogcumsumexpBackward0, (x,), (x, out))
    if node is not None:
        node.dim = d
    return out


def diff(input, n=1, dim=-1, prepend=None, append=None):
    """The ``n``-th forward difference along ``dim`` (with optional prepended/appended values)."""
    x = input
    if x._data.ndim == 0:
        raise RuntimeError("diff expects input to be at least one-dimensional")
    d = wrap_dim(dim, x._data.ndim)
    parts = [p for p in (prepend, x, append) if p is not None]
    if len(parts) > 1:
        x = S.cat([_t(p) for p in parts], d)
    for _ in range(n):
        m = x._data.shape[d]
        if m == 0:
            break
        x = S.narrow(x, d, 1, m - 1) - S.narrow(x, d, 0, m - 1) \
            if x._data.dtype != np.bool_ else E.logical_xor(S.narrow(x, d, 1, m - 1),
                                                           S.narrow(x, d, 0, m - 1))
    return x


def histc(input, bins=100, min=0, max=0):
    """Histogram with ``bins`` equal bins over ``[min, max]`` (the data range when equal)."""
    xd = input._data
    if xd.dtype.kind != "f":
        raise RuntimeError(f'"histogram_cpu" not implemented for \'{input.dtype.name.capitalize()}\'')
    lo, hi = builtins.float(min), builtins.float(max)
    if lo == hi and xd.size:
        lo, hi = builtins.float(np.min(xd)), builtins.float(np.max(xd))
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    if lo > hi:
        raise RuntimeError("torch.histc: max must be larger than min")
    if not (np.isfinite(lo) and np.isfinite(hi)):
        raise RuntimeError(f"torch.histc: range of [{lo}, {hi}] is not finite (drop or clamp "
                           "the NaN/inf values, or pass min= and max=)")
    v = xd.reshape(-1).astype(np.float64)
    v = v[(v >= lo) & (v <= hi)]
    with np.errstate(over="ignore", invalid="ignore"):
        pos = (v - lo) * bins / (hi - lo)
    pos = pos[np.isfinite(pos)].astype(np.int64)  # as torch, a position that overflows is dropped
    pos = np.minimum(pos, bins - 1)
    return _W(np.bincount(pos, minlength=bins).astype(xd.dtype))


def searchsorted(sorted_sequence, values, *, out_int32=False, right=False, side=None,
                 sorter=None):
    """Indices where ``values`` would be inserted into the innermost dimension of
    ``sorted_sequence`` to keep it sorted (``right`` / ``side='right'``: after equal entries)."""
    seq = sorted_sequence._data
    scalar = not isinstance(values, Tensor)
    vals = _as_array(values) if scalar else values._data
    if side is not None:
        if right and side == "left":
            raise RuntimeError(
                "torch.searchsorted(): side and right can't be set to opposites, got side of "
                "left while right was True"
            )
        right = side == "right"
    s = "right" if right else "left"
    if sorter is not None:
        seq = np.take_along_axis(seq, sorter._data, -1)
    if seq.ndim <= 1:
        r = np.searchsorted(seq, vals, side=s)
    else:
        if vals.shape[:-1] != seq.shape[:-1]:
            raise RuntimeError(
                "torch.searchsorted(): boundaries tensor should be 1 dimension or the first N-1 "
                "dimensions of boundaries tensor and input value tensor must match, but we got "
                f"boundaries tensor {list(seq.shape)} and input value tensor {list(vals.shape)}"
            )
        s2, v2 = seq.reshape(-1, seq.shape[-1]), vals.reshape(-1, vals.shape[-1])
        r = np.stack([np.searchsorted(a, b, side=s) for a, b in zip(s2, v2)]).reshape(vals.shape)
    return _W(np.asarray(r).astype(np.int32 if out_int32 else np.int64))


def bucketize(input, boundaries, *, out_int32=False, right=False):
    """Index of the bucket of each value: ``boundaries[i-1] < x <= boundaries[i]``
    (``right=True``: ``boundaries[i-1] <= x < boundaries[i]``)."""
    if boundaries._data.ndim != 1:
        raise RuntimeError(
            f"boundaries tensor must be 1 dimension, but got dim({boundaries._data.ndim})"
        )
    return searchsorted(boundaries, input, out_int32=out_int32, right=right)


def msort(input):
    return sort(input, 0).values
