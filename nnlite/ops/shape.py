"""Shape and indexing ops: views, permutations, concatenation, splitting, indexing, gather."""

from __future__ import annotations

import builtins
import itertools
import re

import numpy as np

from nnlite import _dtype as D
from nnlite._tensor import Size, Tensor, _as_array, _type_name
from nnlite.autograd.function import Node, record
from nnlite.autograd.grad_mode import _CaptureState, _GradState
from nnlite.ops import elementwise as E
from nnlite.ops._util import TYPE_NAMES, broadcast_shape, check_index_range, sum_to, wrap_dim
from nnlite.ops._util import as_t as _t
from nnlite.ops.elementwise import where, zeros_like

_W = Tensor._wrap


def _view_of(x, arr):
    """A result that shares memory with ``x``: it also shares its version counter."""
    out = _W(arr)
    # bounds check only (np.shares_memory solves an exact problem and costs microseconds)
    if arr.base is not None and (np.may_share_memory(arr, x._data) or arr.size == 0):
        out._vc = x._vc
        out._base = x if x._base is None else x._base
    return out


def _shape_arg(shape):
    if len(shape) == 1 and isinstance(shape[0], (tuple, list, Size)):
        shape = tuple(shape[0])
    return tuple(builtins.int(s) for s in shape)


class ViewBackward0(Node):
    def backward(self, g):
        return (g.reshape(self.shape),)


class ReshapeAliasBackward0(ViewBackward0):
    pass


class UnsafeViewBackward0(ViewBackward0):
    """``_unsafe_view``: torch's reshape of a fresh copy (after a clone, under matmul's
    product), a view whose backward reshapes ``g`` back."""


def unsafe_view(x, shape):
    out = _view_of(x, x._data.reshape(shape))
    node = record(out, UnsafeViewBackward0, (x,))
    if node is not None:
        node.shape = x._data.shape
    return out


class CloneBackward0(Node):
    def backward(self, g):
        return (g,)


def clone(x, order="K", *, memory_format=None):
    out = _W(np.array(x._data, copy=True, order=order))
    record(out, CloneBackward0, (x,))
    return out


def _infer_shape(shape, numel, orig):
    if shape.count(-1) > 1:
        raise RuntimeError("only one dimension can be inferred")
    known = 1
    for s in shape:
        if s != -1:
            if s < 0:
                raise RuntimeError(f"invalid shape dimension {s}")
            known *= s
    if -1 in shape:
        if known == 0 or numel % known:
            raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
        shape = tuple(numel // known if s == -1 else s for s in shape)
    elif known != numel:
        raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
    return shape


def reshape(x, *shape):
    shape = _infer_shape(_shape_arg(shape), x._data.size, x._data.shape)
    xd = x._data
    if shape == xd.shape:
        out = _view_of(x, xd.view())
    else:
        arr = xd.view()
        try:
            arr.shape = shape  # a view when the strides allow it (raises when a copy is needed)
        except AttributeError:
            # torch's graph for a reshape that copies: _unsafe_view of a clone
            out = unsafe_view(clone(x, "C"), shape)
            if _CaptureState.recorder is not None:
                _CaptureState.recorder.emit("reshape", out, (x,))
            return out
        out = _view_of(x, arr)
    # torch: a view of a contiguous tensor is ``view``, of a strided one ``_reshape_alias``
    cls = ViewBackward0 if xd.flags.c_contiguous else ReshapeAliasBackward0
    node = record(out, cls, (x,))
    if node is not None:
        node.shape = xd.shape
    if _CaptureState.recorder is not None:  # recording a plan for nnlite.compile
        _CaptureState.recorder.emit("reshape", out, (x,))
    return out


def view(x, *shape):
    if len(shape) == 1 and isinstance(shape[0], D.dtype):
        dt = shape[0]
        return _view_of(x, x._data.view(dt.np))
    shape = _infer_shape(_shape_arg(shape), x._data.size, x._data.shape)
    if not x._data.flags.c_contiguous and x._data.size > 1:
        try:
            arr = x._data.view()
            arr.shape = shape  # raises if a copy would be needed
        except AttributeError:
            raise RuntimeError(
                "view size is not compatible with input tensor's size and stride (at least one "
                "dimension spans across two contiguous subspaces). Use .reshape(...) instead."
            ) from None
    else:
        arr = x._data.reshape(shape)
    out = _view_of(x, arr)
    node = record(out, ViewBackward0, (x,))
    if node is not None:
        node.shape = x._data.shape
    if _CaptureState.recorder is not None:  # recording a plan for nnlite.compile
        _CaptureState.recorder.emit("reshape", out, (x,))
    return out


def flatten(x, start_dim=0, end_dim=-1):
    nd = x._data.ndim
    if nd == 0:
        return reshape(x, (1,))
    s, e = wrap_dim(start_dim, nd), wrap_dim(end_dim, nd)
    if s > e:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    sh = x._data.shape
    n = 1
    for d in sh[s:e + 1]:
        n *= d
    return reshape(x, sh[:s] + (n,) + sh[e + 1:])


def unflatten(x, dim, sizes):
    d = wrap_dim(dim, x._data.ndim)
    sh = x._data.shape
    sizes = tuple(sizes)
    if -1 in sizes:
        sizes = _infer_shape(sizes, sh[d], None)
    n = 1
    for s in sizes:
        n *= s
    if n != sh[d]:
        raise RuntimeError(
            f"unflatten: Provided sizes {list(sizes)} don't multiply up to the size of dim {dim} "
            f"({sh[d]}) in the input tensor"
        )
    return reshape(x, sh[:d] + sizes + sh[d + 1:])


class PermuteBackward0(Node):
    def backward(self, g):
        return (permute(g, self.inv),)


class TransposeBackward0(Node):
    def backward(self, g):
        return (transpose(g, self.d0, self.d1),)


def permute(x, *dims):
    dims = _shape_arg(dims)
    nd = x._data.ndim
    if len(dims) != nd:
        raise RuntimeError(
            "permute(sparse_coo): number of dimensions in the tensor input does not match the "
            f"length of the desired ordering of dimensions i.e. input.dim() = {nd} is not equal "
            f"to len(dims) = {len(dims)}"
        )
    dims = tuple(wrap_dim(d, nd) for d in dims)
    if len(set(dims)) != nd:
        raise RuntimeError("permute(): duplicate dims are not allowed.")
    out = _view_of(x, x._data.transpose(dims))
    node = record(out, PermuteBackward0, (x,))
    if node is not None:
        node.inv = tuple(np.argsort(dims).tolist())
    return out


def transpose(x, dim0, dim1):
    nd = x._data.ndim
    if nd == 0:
        return _view_of(x, x._data)
    d0, d1 = wrap_dim(dim0, nd), wrap_dim(dim1, nd)
    out = _view_of(x, np.swapaxes(x._data, d0, d1))
    node = record(out, TransposeBackward0, (x,))
    if node is not None:
        node.d0, node.d1 = d0, d1
    return out


swapaxes = swapdims = transpose


class TBackward0(TransposeBackward0):
    """``t()``'s node (also the weight's transpose in F.linear's graph, see ``ops.nn.linear``).

    On the plain path a gradient that is the transposed view of a contiguous array (as linear's
    ``grad_W``) is turned back into that array: no copy."""

    d0, d1 = 0, 1

    def backward(self, g):
        if _GradState.enabled:
            return (g.t(),)
        a = g._data.T
        b = a.base
        # a contiguous view of all of ``b`` (same shape and dtype) is ``b`` itself
        if (b is not None and b.shape == a.shape and a.flags.c_contiguous
                and b.flags.c_contiguous and b.dtype == a.dtype):
            a = b
        return (_W(a),)


def t(x):
    if x._data.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {x._data.ndim}D")
    if x._data.ndim < 2:
        return x
    out = _view_of(x, x._data.T)
    node = record(out, TBackward0, (x,))
    if node is not None:
        node.d0, node.d1 = 0, 1
    return out


def movedim(x, source, destination):
    nd = x._data.ndim
    src = [source] if isinstance(source, builtins.int) else list(source)
    dst = [destination] if isinstance(destination, builtins.int) else list(destination)
    axes = list(range(nd))
    src = [wrap_dim(s, nd) for s in src]
    dst = [wrap_dim(d, nd) for d in dst]
    rest = [a for a in axes if a not in src]
    result = [None] * nd
    for s, d in zip(src, dst):
        result[d] = s
    it = iter(rest)
    for i in range(nd):
        if result[i] is None:
            result[i] = next(it)
    return permute(x, result)


moveaxis = movedim


class UnsqueezeBackward0(Node):
    """``unsqueeze``'s node; also the node of a basic index whose last item is ``None``
    (``x[:, None]``), which sets ``key``: then the gradient is the index's."""

    key = None

    def backward(self, g):
        if self.key is not None:
            return (_pad_into(g, self.shape, self.key),)
        return (g.reshape(self.shape),)


class SqueezeBackward0(UnsqueezeBackward0):
    pass


def unsqueeze(x, dim):
    d = wrap_dim(dim, x._data.ndim + 1)
    out = _view_of(x, np.expand_dims(x._data, d))
    node = record(out, UnsqueezeBackward0, (x,))
    if node is not None:
        node.shape = x._data.shape
    return out


def squeeze(x, dim=None):
    sh = x._data.shape
    if dim is None:
        new = tuple(s for s in sh if s != 1)
    else:
        dims = dim if isinstance(dim, (tuple, list)) else (dim,)
        ds = {wrap_dim(d, x._data.ndim) for d in dims}  # a 0-dim input: dim -1 or 0, as torch
        new = tuple(s for i, s in enumerate(sh) if not (i in ds and s == 1))
    out = _view_of(x, x._data.reshape(new))
    cls = (SqueezeBackward0 if dim is None
           else SqueezeBackward2 if isinstance(dim, (tuple, list)) else SqueezeBackward1)
    node = record(out, cls, (x,))
    if node is not None:
        node.shape = sh
    return out


class SqueezeBackward1(SqueezeBackward0):
    """``squeeze(dim)`` (torch numbers its overloads: 0 all dims, 1 one dim, 2 dims)."""


class SqueezeBackward2(SqueezeBackward0):
    pass


class SqueezeBackward4(SqueezeBackward0):
    """``squeeze_(dim)`` on a fresh result (matmul's 1-D @ 2-D, F.linear's 1-D input)."""


class UnsqueezeBackward1(UnsqueezeBackward0):
    """``unsqueeze_(dim)`` on a fresh result (quantile's last steps)."""


class TransposeBackward1(TransposeBackward0):
    """``transpose_(d0, d1)`` on a fresh result (quantile's last steps)."""


def unsqueeze1(x, dim):
    """torch's in-place ``unsqueeze_(dim)`` on an op's own fresh result."""
    d = wrap_dim(dim, x._data.ndim + 1)
    out = _view_of(x, np.expand_dims(x._data, d))
    node = record(out, UnsqueezeBackward1, (x,))
    if node is not None:
        node.shape = x._data.shape
    return out


def transpose1(x, dim0, dim1):
    """torch's in-place ``transpose_(d0, d1)`` on an op's own fresh result."""
    d0, d1 = wrap_dim(dim0, x._data.ndim), wrap_dim(dim1, x._data.ndim)
    out = _view_of(x, np.swapaxes(x._data, d0, d1))
    node = record(out, TransposeBackward1, (x,))
    if node is not None:
        node.d0, node.d1 = d0, d1
    return out


def squeeze4(x, dim):
    """torch's in-place ``squeeze_(dim)`` on an op's own fresh result (no alias to guard)."""
    sh = x._data.shape
    dim = wrap_dim(dim, len(sh))
    out = _view_of(x, x._data.reshape(sh[:dim] + sh[dim + 1:]))
    node = record(out, SqueezeBackward4, (x,))
    if node is not None:
        node.shape = sh
    return out


class ExpandBackward0(Node):
    def backward(self, g):
        return (sum_to(g, self.shape),)


def expand(x, *sizes):
    sizes = _shape_arg(sizes)
    sh = x._data.shape
    if len(sizes) < len(sh):
        raise RuntimeError(
            f"expand({_type(x)}{{{list(sh)}}}, size={list(sizes)}): the number of sizes provided "
            f"({len(sizes)}) must be greater or equal to the number of dimensions in the tensor "
            f"({len(sh)})"
        )
    nd = len(sizes) - len(sh)
    target = []
    for i, s in enumerate(sizes):
        if i < nd:
            if s < 0:
                raise RuntimeError("expand: -1 is not allowed in a leading, non-existing dimension")
            target.append(s)
        else:
            cur = sh[i - nd]
            if s == -1:
                target.append(cur)
            elif cur != s and cur != 1:
                raise RuntimeError(
                    f"The expanded size of the tensor ({s}) must match the existing size ({cur}) "
                    f"at non-singleton dimension {i}.  Target sizes: {list(sizes)}.  Tensor "
                    f"sizes: {list(sh)}"
                )
            else:
                target.append(s)
    target = tuple(target)
    if target == sh:
        out = _view_of(x, x._data.view())
    else:
        out = _view_of(x, np.broadcast_to(x._data, target))
    node = record(out, ExpandBackward0, (x,))
    if node is not None:
        node.shape = sh
    return out


def _type(x):
    return _type_name(x)


def broadcast_to(x, shape):
    return expand(x, tuple(shape))


def expand_as(x, other):
    return expand(x, other._data.shape)


def broadcast_tensors(*tensors):
    shape = broadcast_shape(*(t._data.shape for t in tensors))
    # a tensor already of the broadcast shape is returned itself, as torch's (no ExpandBackward0)
    return tuple(t if t._data.shape == shape else expand(t, shape) for t in tensors)


def broadcast_shapes(*shapes):
    return Size(np.broadcast_shapes(*shapes))


class CatBackward0(Node):
    def backward(self, g):
        res = []
        d = self.dim
        start = 0
        for n, need in zip(self.sizes, self.needs_input_grad):
            if need:
                res.append(narrow(g, d, start, n))
            else:
                res.append(None)
            start += n
        return tuple(res)


def cat(tensors, dim=0, *, out=None):
    tensors = [t if isinstance(t, Tensor) else _W(_as_array(t)) for t in tensors]
    if not tensors:
        raise RuntimeError("torch.cat(): expected a non-empty list of Tensors")
    # PyTorch skips legacy empty 1-D tensors of shape (0,)
    ts = [t for t in tensors if not (t._data.ndim == 1 and t._data.size == 0)] or tensors[:1]
    nd = ts[0]._data.ndim
    if nd == 0:
        raise RuntimeError("zero-dimensional tensor (at position 0) cannot be concatenated")
    d = wrap_dim(dim, nd)
    for i, t in enumerate(ts):
        if t._data.ndim != nd:
            raise RuntimeError(
                f"Tensors must have same number of dimensions: got {nd} and {t._data.ndim}"
            )
        for k in range(nd):
            if k != d and t._data.shape[k] != ts[0]._data.shape[k]:
                raise RuntimeError(
                    f"Sizes of tensors must match except in dimension {d}. Expected size "
                    f"{ts[0]._data.shape[k]} but got size {t._data.shape[k]} for tensor number "
                    f"{i} in the list."
                )
    dt = ts[0]._data.dtype
    for t in ts[1:]:
        dt = D.promote_types(D.from_numpy_dtype(dt), t.dtype).np
    res = _W(np.concatenate([t._data.astype(dt, copy=False) for t in ts], axis=d))
    node = record(res, CatBackward0, tuple(ts))
    if node is not None:
        node.dim = d
        node.sizes = [t._data.shape[d] for t in ts]
    return res


concat = concatenate = cat


def stack(tensors, dim=0, *, out=None):
    tensors = [t if isinstance(t, Tensor) else _W(_as_array(t)) for t in tensors]
    if not tensors:
        raise RuntimeError("stack expects a non-empty TensorList")
    sh = tensors[0]._data.shape
    for i, t in enumerate(tensors):
        if t._data.shape != sh:
            raise RuntimeError(
                f"stack expects each tensor to be equal size, but got {list(sh)} at entry 0 and "
                f"{list(t._data.shape)} at entry {i}"
            )
    d = wrap_dim(dim, len(sh) + 1)
    dt = tensors[0]._data.dtype
    for t in tensors[1:]:
        dt = D.promote_types(D.from_numpy_dtype(dt), t.dtype).np
    res = _W(np.stack([t._data.astype(dt, copy=False) for t in tensors], axis=d))
    node = record(res, StackBackward0, tuple(tensors))
    if node is not None:
        node.dim = d
    return res


class StackBackward0(Node):
    """``stack``: input ``i`` gets ``g.select(dim, i)``."""

    def backward(self, g):
        d = self.dim
        return tuple(select(g, d, i) if need else None
                     for i, need in enumerate(self.needs_input_grad))


def hstack(tensors):
    ts = list(tensors)
    return cat(ts, 0 if ts[0]._data.ndim == 1 else 1)


def vstack(tensors):
    return cat([t if t._data.ndim >= 2 else reshape(t, (1, -1)) for t in tensors], 0)


class NarrowBackward(Node):
    def backward(self, g):
        return (_pad_into(g, self.shape, self.key),)


class SliceBackward0(NarrowBackward):
    pass


def narrow(x, dim, start, length):
    d = wrap_dim(dim, x._data.ndim)
    if start < 0:
        start += x._data.shape[d]
    key = (slice(None),) * d + (slice(start, start + length),)
    return _basic_index(x, key, SliceBackward0)


def _basic_index(x, key, cls):
    out = _view_of(x, x._data[key])
    node = record(out, cls, (x,))
    if node is not None:
        node.shape, node.key = x._data.shape, key
    return out


class _PadInto(Node):
    """Backward of ``_pad_into``: the slice back out."""

    def backward(self, g):
        return (index(g, self.key),)


def _pad_into(g, shape, key):
    """Zeros of ``shape`` with ``g`` added at ``key`` (repeated advanced indices accumulate)."""
    z = np.zeros(shape, g._data.dtype)
    if _is_basic(key):
        z[key] = g._data
    else:
        np.add.at(z, key, g._data)
    out = _W(z)
    node = record(out, _PadInto, (g,))
    if node is not None:
        _keep_key(node, key)
    return out


def _keep_key(node, key):
    """An index key on the node: plain ints and slices are geometry (they stay after backward,
    as PyTorch's), a key with index or mask arrays is saved data (released)."""
    if _is_basic(key):
        node.key = key
    else:
        node.save(key=key)


def _is_basic(key):
    return builtins.all(
        isinstance(k, (builtins.int, slice)) or k is None or k is Ellipsis for k in key
    )


class SplitBackward0(SliceBackward0):
    """One piece of ``split``/``chunk`` (torch's name for the pieces of an int split)."""


class SplitWithSizesBackward0(SliceBackward0):
    pass


def split(x, split_size_or_sections, dim=0):
    return _split(x, split_size_or_sections, dim, None)


def _split(x, split_size_or_sections, dim, cls):
    d = wrap_dim(dim, x._data.ndim)
    n = x._data.shape[d]
    if isinstance(split_size_or_sections, builtins.int):
        s = split_size_or_sections
        if s <= 0 and n > 0:
            raise RuntimeError(f"split_size can only be 0 if dimension size is 0, but got dimension size of {n}")
        sizes = [builtins.min(s, n - i) for i in range(0, n, s)] if n else [0]
    else:
        sizes = list(split_size_or_sections)
        if builtins.sum(sizes) != n:
            raise RuntimeError(
                f"split_with_sizes expects split_sizes to sum exactly to {n} (input tensor's size "
                f"at dimension {d}), but got split_sizes={sizes}"
            )
    if cls is None:
        cls = (SplitBackward0 if isinstance(split_size_or_sections, builtins.int)
               else SplitWithSizesBackward0)
    outs = []
    start = 0
    for s in sizes:
        outs.append(_basic_index(x, (slice(None),) * d + (slice(start, start + s),), cls))
        start += s
    return tuple(outs)


def chunk(x, chunks, dim=0):
    d = wrap_dim(dim, x._data.ndim)
    n = x._data.shape[d]
    size = -(-n // chunks) if chunks > 0 else 0
    if chunks <= 0:
        raise RuntimeError("chunk expects `chunks` to be greater than 0")
    return split(x, builtins.max(size, 1), d) if n else (x,)


def _sections_arg(name, given, sections, indices, tensor_ios=None):
    """The one of torch's overload arguments given: ``sections`` (an int), ``indices`` (a
    list) or ``tensor_indices_or_sections`` (a tensor), or the positional one."""
    picked = [v for v in (given, sections, indices, tensor_ios) if v is not None]
    if len(picked) != 1:
        raise TypeError(f"{name}() received an invalid combination of arguments: give one of "
                        "sections (int), indices (list of ints) or tensor_indices_or_sections")
    if sections is not None and not isinstance(sections, (builtins.int, np.integer, Tensor)):
        raise TypeError(f"{name}(): argument 'sections' must be int, not "
                        f"{type(sections).__name__}")
    if indices is not None and not isinstance(indices, (list, tuple)):
        raise TypeError(f"{name}(): argument 'indices' must be tuple of ints, not "
                        f"{type(indices).__name__}")
    v = picked[0]
    if isinstance(v, Tensor):
        if v._data.dtype.kind not in "iu":
            raise RuntimeError(f"{name} expected tensor_indices_or_sections to have integer "
                               f"dtype, but got {v.dtype}")
        v = builtins.int(v._data) if v._data.ndim == 0 else [builtins.int(i) for i in v._data]
    return v


def tensor_split(x, indices_or_sections=None, dim=0, *, sections=None, indices=None,
                 tensor_indices_or_sections=None):
    """Split into ``sections`` near-equal parts or at ``indices`` along ``dim`` (views)."""
    sections = _sections_arg("tensor_split", indices_or_sections, sections, indices,
                             tensor_indices_or_sections)
    d = wrap_dim(dim, x._data.ndim)
    n = x._data.shape[d]
    if isinstance(sections, builtins.int):
        q, r = divmod(n, sections)
        sizes = [q + 1] * r + [q] * (sections - r)
    else:
        idx = [0] + list(sections) + [n]
        sizes = [idx[i + 1] - idx[i] for i in range(len(idx) - 1)]
    return _split(x, sizes, d, SliceBackward0)


class SelectBackward0(NarrowBackward):
    pass


class UnbindBackward0(SelectBackward0):
    pass


def unbind(x, dim=0):
    d = wrap_dim(dim, x._data.ndim)
    return tuple(_basic_index(x, (slice(None),) * d + (i,), UnbindBackward0)
                 for i in range(x._data.shape[d]))


def select(x, dim, index):
    d = wrap_dim(dim, x._data.ndim)
    n = x._data.shape[d]
    if not -n <= index < n:
        raise IndexError(
            f"select(): index {index} out of range for tensor of size {list(x._data.shape)} at "
            f"dimension {d}"
        )
    key = (slice(None),) * d + (index,)
    return _basic_index(x, key, SelectBackward0)


# ---- indexing -----------------------------------------------------------------------------


class IndexBackward0(Node):
    def backward(self, g):
        return (_pad_into(g, self.shape, self.key),)


def _norm_key(key, x):
    """Turn a PyTorch index into a numpy one (Tensors -> arrays; bool masks kept)."""
    if not isinstance(key, tuple):
        key = (key,)
    out = []
    for k in key:
        if isinstance(k, Tensor):
            a = k._data
            if a.dtype.kind == "f":
                raise IndexError(
                    "tensors used as indices must be long, int, byte or bool tensors"
                )
            out.append(a)
        elif isinstance(k, (list, np.ndarray, range)):
            # a range indexes like the list of its ints (x[range(n), y] in torch's tutorials)
            a = np.asarray(k, dtype=np.int64) if isinstance(k, range) else np.asarray(k)
            if a.dtype.kind == "f":
                raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
            out.append(a)
        elif k is None or k is Ellipsis or isinstance(k, (builtins.int, slice, np.integer)):
            if isinstance(k, slice) and k.step is not None and k.step < 0:
                raise ValueError("step must be greater than zero")
            out.append(k)
        elif isinstance(k, builtins.bool):
            out.append(k)
        else:
            raise IndexError(
                f"only integers, slices (`:`), ellipsis (`...`), None and long or byte Variables "
                f"are valid indices (got {type(k).__name__})"
            )
    return tuple(out)


_NOTHING = object()


def _basic_node_cls(k):
    """The name PyTorch gives the last view op that a basic index applies."""
    last = _NOTHING
    for item in k:
        # (slice bounds may be tensors, as in data[i:i + n] for i in randint(...): compare by
        # identity, not ==)
        if item is Ellipsis or (isinstance(item, slice) and item.start is None
                                and item.stop is None and item.step is None):
            continue
        last = item
    if last is None:
        return UnsqueezeBackward0
    if isinstance(last, (builtins.int, np.integer)):
        return SelectBackward0
    return SliceBackward0


def _mask_mismatch(arr, key) -> str | None:
    """torch's message for a boolean mask whose shape does not fit the dims it indexes: the
    mask's shape and dim, and the tensor's shape after the key's ints and slices, and its dim."""
    k = key if isinstance(key, tuple) else (key,)

    def used(e):  # tensor dims an entry consumes
        if e is None or e is Ellipsis:
            return 0
        return e.ndim if isinstance(e, np.ndarray) and e.dtype == np.bool_ else 1

    basic, masks, pos = [], [], 0
    for e in k:
        if e is Ellipsis:
            n = arr.ndim - builtins.sum(used(f) for f in k)
            basic += [slice(None)] * n
            pos += n
        elif isinstance(e, np.ndarray) and e.dtype == np.bool_:
            masks.append((e.shape, pos))
            basic += [slice(None)] * e.ndim
            pos += e.ndim
        elif isinstance(e, (builtins.int, np.integer)):
            basic.append(e)  # the dim goes: torch counts in the tensor without it
        else:
            basic.append(slice(None) if isinstance(e, np.ndarray) else e)
            pos += 1
    try:
        shape = arr[tuple(basic)].shape
    except (IndexError, TypeError, ValueError):
        return None
    for ms, p in masks:
        for j, n in enumerate(ms):
            if p + j >= len(shape) or n != shape[p + j]:
                return (f"The shape of the mask {list(ms)} at index {j} does not match the shape "
                        f"of the indexed tensor {list(shape)} at index {p + j}")
    return None


def _index_error(e, arr=None, key=None):
    """numpy's IndexError in PyTorch's words."""
    msg = str(e)
    if msg.startswith("boolean index did not match") and arr is not None:
        msg = _mask_mismatch(arr, key) or msg
    elif msg.startswith("shape mismatch: indexing arrays could not be broadcast"):
        shapes = re.findall(r"\(([0-9, ]*)\)", msg)
        msg = ("shape mismatch: indexing tensors could not be broadcast together with shapes "
               + ", ".join("[" + ", ".join(d for d in sh.replace(" ", "").split(",") if d) + "]"
                           for sh in shapes))
    return IndexError(msg.replace("axis", "dimension"))


def _index_steps(k, shape):
    """torch's order for a key of several items: ``[(dim, item)]`` of the basic steps (None
    -> unsqueeze, int -> select, a slice that is not the whole dim -> slice), each on the result
    of the previous, and the ``(dim, array)`` of the index arrays, applied last as one index of
    the sliced view. None where the key is not of that kind (Python bools)."""
    steps, arrays = [], []
    consumed = builtins.sum(0 if e is None or e is Ellipsis else
                            (e.ndim if isinstance(e, np.ndarray) and e.dtype == np.bool_ else 1)
                            for e in k)
    src = dim = 0  # the input dim the item indexes, and its place in the result so far
    for e in k:
        if e is Ellipsis:
            n = builtins.max(len(shape) - consumed, 0)
            src, dim = src + n, dim + n
        elif e is None:
            steps.append((dim, None))
            dim += 1
        elif isinstance(e, builtins.bool):
            return None
        elif isinstance(e, (builtins.int, np.integer)):
            steps.append((dim, e))
            src += 1
        elif isinstance(e, slice):
            size = shape[src] if src < len(shape) else 1
            # bounds may be tensors (data[i:i + n]): compared by type first, never with ==
            def _is(v, n):
                return isinstance(v, (builtins.int, np.integer)) and v == n

            whole = ((e.start is None or _is(e.start, 0)) and (e.step is None or _is(e.step, 1))
                     and (e.stop is None or (isinstance(e.stop, (builtins.int, np.integer))
                                             and e.stop >= size)))
            if not whole:
                steps.append((dim, e))
            src, dim = src + 1, dim + 1
        else:  # an index array (a bool mask spans its ndim dims)
            m = e.ndim if e.dtype == np.bool_ else 1
            arrays.append((dim, e, m))
            src, dim = src + m, dim + m
    return steps, arrays


def _index_stepwise(x, steps, arrays):
    """``x[key]`` as torch builds it: one view node per basic step, then one IndexBackward0."""
    y = x
    for d, e in steps:
        y = unsqueeze(y, d) if e is None else index(y, (slice(None),) * d + (e,))
    if arrays:
        key, d = [], 0
        for pos, a, m in arrays:
            key += [slice(None)] * (pos - d) + [a]
            d = pos + m
        y = index(y, tuple(key))
    return y


def index(x, key):
    """``x[key]``: basic indexing gives a view; advanced (tensor/bool) indexing a copy. A key of
    several items is applied as torch does, step by step (its graph: one node per step)."""
    k = _norm_key(key, x)
    if len(k) > 1:
        plan = _index_steps(k, x._data.shape)
        if plan is not None and len(plan[0]) + builtins.bool(plan[1]) > 1:
            return _index_stepwise(x, *plan)
    try:
        arr = x._data[k]
    except IndexError as e:
        raise _index_error(e, x._data, k) from None
    if _is_basic(k):
        if not isinstance(arr, np.ndarray):
            # integers only: numpy gives a scalar copy; torch's x[i] is a 0-d view (y += 1
            # writes through to x), which a trailing Ellipsis gives numpy too
            arr = x._data[k + (Ellipsis,)]
        out = _view_of(x, arr)
        cls = _basic_node_cls(k)
    else:
        out = _W(np.asarray(arr))
        cls = IndexBackward0
    node = record(out, cls, (x,))
    if node is not None:
        node.shape = x._data.shape
        if cls is IndexBackward0:
            node.save(key=k)
        else:
            node.key = k
    return out


class IndexPutBackward0(Node):
    """``x[key] = v`` out of place (``index_put``): ``g`` with zeros at ``key`` for ``x`` (all of
    ``g`` when the values were added, ``accumulate=True``), ``g[key]`` for ``v``."""

    accumulate = False

    def backward(self, g):
        key = self.key
        gx = gv = None
        if self.needs_input_grad[0]:
            gx = g if self.accumulate else masked_at(g, key)
        if self.needs_input_grad[1]:
            gv = sum_to(index(g, key), self.v_shape)
        return gx, gv


class _MaskAt(Node):
    def backward(self, g):
        return (masked_at(g, self.key),)


def masked_at(g, key):
    """``g`` with the positions selected by ``key`` set to zero (differentiable)."""
    arr = np.array(g._data, copy=True)
    arr[key] = 0
    out = _W(arr)
    node = record(out, _MaskAt, (g,))
    if node is not None:
        _keep_key(node, key)
    return out


def _value_mismatch(vshape, tshape, dtype, advanced) -> str:
    """torch's message for a value that does not broadcast to the indexed shape."""
    if advanced:
        return (f"shape mismatch: value tensor of shape {list(vshape)} cannot be broadcast to "
                f"indexing result of shape {list(tshape)}")
    vs = list(vshape)
    while vs and vs[0] == 1 and len(vs) > len(tshape):  # torch drops leading 1s first
        vs.pop(0)
    if len(vs) > len(tshape):
        name = TYPE_NAMES.get(np.dtype(dtype).name, "Float")
        return (f"expand(torch.{name}Tensor{{{vs}}}, size={list(tshape)}): the number of sizes "
                f"provided ({len(tshape)}) must be greater or equal to the number of dimensions "
                f"in the tensor ({len(vs)})")
    off = len(tshape) - len(vs)
    for i, n in enumerate(vs):
        if n != 1 and n != tshape[off + i]:
            return (f"The expanded size of the tensor ({tshape[off + i]}) must match the "
                    f"existing size ({n}) at non-singleton dimension {off + i}.  Target sizes: "
                    f"{list(tshape)}.  Tensor sizes: {list(vshape)}")
    return f"cannot write a value of shape {list(vshape)} into {list(tshape)}"


def assign_at(arr: np.ndarray, k: tuple, v) -> None:
    """``arr[k] = v`` (``k`` normalised by ``_norm_key``) in torch's order: the basic items of a
    key of several items (ints, slices, None) are applied first as views, the index arrays
    last on that view, so an int among index arrays (``x[1, :, [0, 2]] = v``) does not move the
    indexed dims to the front as numpy's rule would; ``v`` broadcasts to torch's shape."""
    target = arr
    key = k
    if len(k) > 1:
        plan = _index_steps(k, arr.shape)
        if plan is not None and plan[0] and plan[1]:
            for d, e in plan[0]:
                if e is None:
                    target = np.expand_dims(target, d)
                else:
                    target = target[(slice(None),) * d + (e, Ellipsis)]
            key, d = [], 0
            for pos, a, m in plan[1]:
                key += [slice(None)] * (pos - d) + [a]
                d = pos + m
            key = tuple(key)
    try:
        target[key] = v
    except IndexError as e:
        raise _index_error(e, arr, k) from None
    except ValueError:
        vshape = np.shape(v)
        tshape = target[key].shape
        raise RuntimeError(_value_mismatch(vshape, tshape, arr.dtype,
                                           not _is_basic(key))) from None


def put_at(x, key, value):
    """Out-of-place ``x[key] = value``: the value of ``x`` with ``value`` written at ``key``."""
    k = _norm_key(key, x)
    if not isinstance(value, Tensor):
        value = _W(np.asarray(value, dtype=x._data.dtype))
    arr = np.array(x._data, copy=True)
    assign_at(arr, k, value._data)
    out = _W(arr)
    node = record(out, IndexPutBackward0, (x, value))
    if node is not None:
        _keep_key(node, k)
        node.v_shape = value._data.shape
    return out


def index_select(x, dim, index_t):
    d = wrap_dim(dim, x._data.ndim)
    idx = index_t._data if isinstance(index_t, Tensor) else np.asarray(index_t)
    if idx.ndim > 1:
        raise IndexError("index_select(): Index is supposed to be a vector")
    if idx.dtype.kind not in "iu":
        raise RuntimeError("index_select(): Expected dtype int32/int64 for index")
    size = x._data.shape[d] if x._data.ndim else 1
    check_index_range(idx, size, d, error=IndexError, message="index out of range in self")
    idx = idx.reshape(-1)
    if x._data.ndim == 0:  # torch: a 0-dim input gives a 0-dim result
        return reshape(index_select(reshape(x, (1,)), 0, idx), ())
    out = _W(np.take(x._data, idx, axis=d))
    node = record(out, IndexSelectBackward0, (x,))
    if node is not None:
        node.shape = x._data.shape
        node.save(key=(slice(None),) * d + (idx,))
    return out


class IndexSelectBackward0(Node):
    """``index_select``: ``g`` added into zeros of the input's shape at the selected slices."""

    def backward(self, g):
        return _pad_into(g, self.shape, self.key)


class GatherBackward0(Node):
    def backward(self, g):
        return (scatter_into_zeros(self.shape, self.dim, self.idx, g),)


def gather(x, dim, index_t, *, sparse_grad=False):
    d = wrap_dim(dim, x._data.ndim)
    idx = index_t._data if isinstance(index_t, Tensor) else np.asarray(index_t)
    if idx.dtype != np.int64 and idx.dtype != np.int32:
        raise RuntimeError("gather(): Expected dtype int32/int64 for index")
    if idx.ndim != x._data.ndim:
        raise RuntimeError("Index tensor must have the same number of dimensions as input tensor")
    xs = x._data
    check_index_range(idx, xs.shape[d] if xs.ndim else 1, d)
    # PyTorch allows index smaller than input in non-gather dims
    if builtins.any(idx.shape[k] > xs.shape[k] for k in range(xs.ndim) if k != d):
        raise RuntimeError(
            f"Size does not match at dimension {d} expected index {list(idx.shape)} to be no "
            f"larger than self {list(xs.shape)} apart from dimension {d}"
        )
    sl = tuple(slice(0, idx.shape[k]) if k != d else slice(None) for k in range(xs.ndim))
    out = _W(np.take_along_axis(xs[sl], idx, axis=d))
    node = record(out, GatherBackward0, (x,))
    if node is not None:
        node.shape, node.dim = xs.shape, d
        node.save(idx=_W(idx))
    return out


class ScatterAddBackward0(Node):
    def backward(self, g):
        gx = g if self.needs_input_grad[0] else None
        gs = gather(g, self.dim, self.idx) if self.needs_input_grad[1] else None
        return gx, gs


def scatter_add(x, dim, index_t, src):
    d = wrap_dim(dim, x._data.ndim)
    idx = index_t._data if isinstance(index_t, Tensor) else np.asarray(index_t)
    arr = np.array(x._data, copy=True)
    check_index_range(idx, arr.shape[d] if arr.ndim else 1, d)
    _scatter_add_np(arr, d, idx, src._data[tuple(slice(0, s) for s in idx.shape)])
    out = _W(arr)
    node = record(out, ScatterAddBackward0, (x, src))
    if node is not None:
        node.dim = d
        node.save(idx=_W(idx))
    return out


def _scatter_add_np(arr, d, idx, src):
    grids = np.indices(idx.shape, sparse=True)
    key = tuple(idx if k == d else grids[k] for k in range(arr.ndim))
    np.add.at(arr, key, src)


class ScatterBackward0(Node):
    def backward(self, g):
        gx = None
        if self.needs_input_grad[0]:
            gx = scatter(g, self.dim, self.idx, 0.0)
        gs = gather(g, self.dim, self.idx) if self.needs_input_grad[1] else None
        return gx, gs


def scatter(x, dim, index_t, src=None, value=None, reduce=None):
    """Out-of-place ``scatter``: ``out[index[i][j]][j] = src[i][j]`` for dim 0 (and so on)."""
    if src is None:
        src = value
    d = wrap_dim(dim, x._data.ndim)
    idx = index_t._data if isinstance(index_t, Tensor) else np.asarray(index_t)
    arr = np.array(x._data, copy=True)
    check_index_range(idx, arr.shape[d] if arr.ndim else 1, d)
    grids = np.indices(idx.shape, sparse=True)
    key = tuple(idx if k == d else grids[k] for k in range(arr.ndim))
    if isinstance(src, Tensor):
        sv = src._data[tuple(slice(0, s) for s in idx.shape)]
        if reduce == "add":
            np.add.at(arr, key, sv)
        elif reduce == "multiply":
            np.multiply.at(arr, key, sv)
        else:
            arr[key] = sv
        out = _W(arr)
        node = record(out, ScatterBackward0, (x, src))
    else:
        arr[key] = src
        out = _W(arr)
        node = record(out, ScatterBackward0, (x, _W(np.zeros(()))))
    if node is not None:
        node.dim = d
        node.save(idx=_W(idx))
    return out


class _ScatterIntoZeros(Node):
    def backward(self, g):
        return (gather(g, self.dim, self.idx),)


def scatter_into_zeros(shape, dim, idx, src):
    """Zeros of ``shape`` with ``src`` scatter-added along ``dim`` at ``idx`` (differentiable)."""
    arr = np.zeros(shape, src._data.dtype)
    if not shape:
        arr = src._data.reshape(()).copy()
    else:
        _scatter_add_np(arr, dim, idx._data, src._data)
    out = _W(arr)
    node = record(out, _ScatterIntoZeros, (src,))
    if node is not None:
        node.dim = dim
        node.save(idx=idx)
    return out


class MaskedFillBackward0(Node):
    """``masked_fill(x, mask, scalar)``: one edge, to ``x``."""

    def backward(self, g):
        (m,) = self._unpacked_saved
        return sum_to(where(m, zeros_like(g), g), self.shape)


class MaskedFillBackward1(Node):
    """``masked_fill(x, mask, value)`` with a 0-dim tensor ``value``: edges to ``x`` and
    ``value`` (which gets the sum of ``g`` over the filled positions)."""

    def backward(self, g):
        (m,) = self._unpacked_saved
        z = zeros_like(g)
        gx = sum_to(where(m, z, g), self.shape) if self.needs_input_grad[0] else None
        gv = where(m, g, z).sum() if self.needs_input_grad[1] else None
        return gx, gv


def masked_fill(x, mask, value):
    m = mask._data if isinstance(mask, Tensor) else np.asarray(mask)
    if m.dtype != np.bool_:
        raise RuntimeError(
            f"masked_fill_ only supports boolean masks, but got mask with dtype {m.dtype}"
        )
    tv = isinstance(value, Tensor)
    if tv and value._data.ndim != 0:
        raise RuntimeError(
            "masked_fill_ only supports a 0-dimensional value tensor, but got tensor with "
            f"{value._data.ndim} dimension(s)."
        )
    v = value.item() if tv else value
    xd = x._data
    E._check_broadcast(m.shape, xd.shape)  # torch names the mask "a"
    if isinstance(v, builtins.float) and xd.dtype.kind != "f":
        raise RuntimeError("value cannot be converted to type int64 without overflow")
    out = _W(np.where(m, xd.dtype.type(v), xd))
    mt = mask if isinstance(mask, Tensor) else _W(m)
    # torch's two overloads: a scalar value (one edge) and a tensor value (two)
    if tv:
        node = record(out, MaskedFillBackward1, (x, value), (mt,))
    else:
        node = record(out, MaskedFillBackward0, (x,), (mt,))
    if node is not None:
        node.shape = xd.shape
    return out


class MaskedSelectBackward0(Node):
    """``masked_select``: ``g`` scattered, in order, into zeros at the mask's places, summed
    back to the input's shape when the mask broadcast it."""

    def backward(self, g):
        z = _W(np.zeros(self.mask.shape, g._data.dtype))
        return (sum_to(masked_scatter(z, self.mask, g), self.shape),)


def masked_select(x, mask):
    """The elements of ``x`` where ``mask`` (broadcast with ``x``) is True, as a 1-D tensor."""
    m = mask._data if isinstance(mask, Tensor) else np.asarray(mask)
    if m.dtype != np.bool_:
        raise RuntimeError(f"masked_select: expected BoolTensor for mask, got {m.dtype}")
    E._check_broadcast(m.shape, x._data.shape)  # torch's message, the mask named "a"
    shape = np.broadcast_shapes(x._data.shape, m.shape)
    mb = np.broadcast_to(m, shape)
    out = _W(np.broadcast_to(x._data, shape)[mb])
    node = record(out, MaskedSelectBackward0, (x,))
    if node is not None:
        node.shape = x._data.shape
        node.save(mask=_W(np.ascontiguousarray(mb)))
    return out


class FlipBackward0(Node):
    def backward(self, g):
        return (flip(g, self.dims),)


def flip(x, dims):
    if isinstance(dims, builtins.int):
        dims = (dims,)
    ds = tuple(wrap_dim(d, x._data.ndim) for d in dims)
    out = _W(np.ascontiguousarray(np.flip(x._data, ds)))
    node = record(out, FlipBackward0, (x,))
    if node is not None:
        node.dims = ds
    return out


def fliplr(x):
    if x._data.ndim < 2:
        raise RuntimeError(f"Input must be >= 2-d (fliplr got a {x._data.ndim}-d tensor).")
    return flip(x, (1,))


def flipud(x):
    if x._data.ndim < 1:
        raise RuntimeError("Input must be >= 1-d (flipud got a 0-d tensor).")
    return flip(x, (0,))


class RollBackward0(Node):
    def backward(self, g):
        return (roll(g, tuple(-s for s in self.shifts), self.dims),)


def roll(x, shifts, dims=None):
    out = _W(np.roll(x._data, shifts, dims))
    node = record(out, RollBackward0, (x,))
    if node is not None:
        node.shifts = (shifts,) if isinstance(shifts, builtins.int) else tuple(shifts)
        node.dims = dims
    return out


class RepeatBackward0(Node):
    def backward(self, g):
        sh = self.shape
        reps = self.reps
        nd = len(reps) - len(sh)
        full = (1,) * nd + tuple(sh)
        # view g as (r0, s0, r1, s1, ...) and sum over the repeat axes
        inter = []
        for r, s in zip(reps, full):
            inter += [r, s]
        gg = g.reshape(tuple(inter))
        gg = gg.sum(dim=tuple(range(0, 2 * len(reps), 2)))  # Tensor.sum: reduce.sum
        return (gg.reshape(sh),)


def repeat(x, *sizes):
    sizes = _shape_arg(sizes)
    if len(sizes) < x._data.ndim:
        raise RuntimeError(
            "Number of dimensions of repeat dims can not be smaller than number of dimensions of "
            "tensor"
        )
    out = _W(np.tile(x._data, sizes))
    node = record(out, RepeatBackward0, (x,))
    if node is not None:
        node.shape, node.reps = x._data.shape, sizes
    return out


def repeat_interleave(x, repeats, dim=None):
    if dim is None:
        x = reshape(x, (-1,))
        dim = 0
    d = wrap_dim(dim, x._data.ndim)
    r = repeats._data if isinstance(repeats, Tensor) else repeats
    if isinstance(r, builtins.int) or np.ndim(r) == 0 and x._data.ndim:
        # torch expands a scalar repeat and reshapes (its graph ends in a view)
        sh = x._data.shape
        y = expand(unsqueeze(x, d + 1), *sh[: d + 1], builtins.int(r), *sh[d + 1:])
        # torch: clone of the expanded view, then view (View <- Clone <- Expand <- Unsqueeze)
        return view(clone(y, "C"), sh[:d] + (sh[d] * builtins.int(r),) + sh[d + 1:])
    idx = np.repeat(np.arange(x._data.shape[d]), r)
    return index_select(x, d, _W(idx.astype(np.int64)))


class DiagonalBackward0(Node):
    def backward(self, g):
        return (_diag_embed_into(g, self.shape, self.offset, self.d1, self.d2),)


def _diag_key(shape, offset, d1, d2):
    n1, n2 = shape[d1], shape[d2]
    if offset >= 0:
        length = builtins.max(0, builtins.min(n1, n2 - offset))
        i1, i2 = np.arange(length), np.arange(length) + offset
    else:
        length = builtins.max(0, builtins.min(n1 + offset, n2))
        i1, i2 = np.arange(length) - offset, np.arange(length)
    return i1, i2


def diagonal(x, offset=0, dim1=0, dim2=1):
    nd = x._data.ndim
    d1, d2 = wrap_dim(dim1, nd), wrap_dim(dim2, nd)
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    # a view, as torch's (writes show through, later reshapes copy where torch's do)
    arr = np.diagonal(x._data, offset, d1, d2)
    if x._data.flags.writeable:
        arr.flags.writeable = True
    out = _view_of(x, arr)
    node = record(out, DiagonalBackward0, (x,))
    if node is not None:
        node.shape, node.offset, node.d1, node.d2 = x._data.shape, offset, d1, d2
    return out


class DiagEmbedBackward0(Node):
    """``diag_embed`` (and ``diag`` of a vector): the gradient is ``g``'s diagonal."""

    def backward(self, g):
        return (diagonal(g, self.offset, self.d1, self.d2),)


def _diag_embed_into(g, shape, offset, d1, d2):
    z = np.zeros(shape, g._data.dtype)
    i1, i2 = _diag_key(shape, offset, d1, d2)
    zv = np.moveaxis(z, (d1, d2), (-2, -1))
    zv[..., i1, i2] = g._data
    out = _W(z)
    node = record(out, DiagEmbedBackward0, (g,))
    if node is not None:
        node.offset, node.d1, node.d2 = offset, d1, d2
    return out


class DiagonalBackward0_copy(DiagonalBackward0):  # torch's name
    """``diag`` of a matrix, a copy of its diagonal (torch's ``diagonal_copy``): the gradient
    is ``g`` on the diagonal of zeros, as ``diagonal``'s."""


def diag(x, diagonal_=0):
    """A vector's diagonal matrix (``diagonal_`` above/below the main one), or a copy of a
    matrix's diagonal."""
    if x._data.ndim == 1:
        n = x._data.shape[0] + builtins.abs(diagonal_)
        return _diag_embed_into(x, (n, n), diagonal_, 0, 1)
    if x._data.ndim != 2:
        raise RuntimeError("diag(): Supports 1D or 2D tensors. Got " f"{x._data.ndim}D")
    out = _W(np.diagonal(x._data, diagonal_).copy())
    node = record(out, DiagonalBackward0_copy, (x,))
    if node is not None:
        node.shape, node.offset, node.d1, node.d2 = x._data.shape, diagonal_, 0, 1
    return out


def trace(x):
    if x._data.ndim != 2:
        raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {x._data.ndim}")
    out = _W(np.asarray(np.trace(x._data)))
    node = record(out, TraceBackward0, (x,))
    if node is not None:
        node.shape = x._data.shape
    return out


class TraceBackward0(Node):
    """``trace``: ``g`` on the main diagonal of a zero matrix of the input's shape."""

    def backward(self, g):
        eye = _W(np.eye(*self.shape, dtype=g._data.dtype))
        return g * eye


class TrilBackward0(Node):
    def backward(self, g):
        return (tril(g, self.k),)


class TriuBackward0(Node):
    def backward(self, g):
        return (triu(g, self.k),)


def tril(x, diagonal=0):
    out = _W(np.tril(x._data, diagonal))
    node = record(out, TrilBackward0, (x,))
    if node is not None:
        node.k = diagonal
    return out


def triu(x, diagonal=0):
    out = _W(np.triu(x._data, diagonal))
    node = record(out, TriuBackward0, (x,))
    if node is not None:
        node.k = diagonal
    return out


def take_along_dim(x, indices, dim=None):
    """``x`` picked at ``indices`` along ``dim`` (both broadcast over the other dims, as torch:
    its graph is ``gather`` of the expanded input), or from the flattened input."""
    if dim is None:
        return gather(reshape(x, (-1,)), 0, reshape(indices, (-1,)))
    d = wrap_dim(dim, x._data.ndim)
    xs, ix = list(x._data.shape), list(indices._data.shape)
    if len(xs) != len(ix):
        raise RuntimeError("torch.take_along_dim(): input and indices should have the same "
                           f"number of dimensions, but got {len(xs)} dimensions for input, and "
                           f"{len(ix)} dimensions for indices")
    xs_at, ix_at = list(xs), list(ix)
    xs_at[d], ix_at[d] = ix[d], xs[d]
    try:
        ishape = np.broadcast_shapes(tuple(xs_at), tuple(ix))
        xshape = np.broadcast_shapes(tuple(ix_at), tuple(xs))
    except ValueError:
        raise RuntimeError(f"shape mismatch: input {xs} and indices {ix} cannot be broadcast "
                           f"outside dimension {d}") from None
    return gather(expand(x, xshape), d, expand(indices, ishape))


def nonzero(x, as_tuple=False):
    if x._data.ndim == 0:  # numpy refuses 0-d; torch: one row of no coordinates per nonzero
        n = int(bool(x._data))
        if as_tuple:
            return (_W(np.zeros(n, np.int64)),)
        return _W(np.zeros((n, 0), np.int64))
    nz = np.nonzero(x._data)
    if as_tuple:
        return tuple(_W(a.astype(np.int64)) for a in nz)
    return _W(np.stack(nz, axis=1).astype(np.int64) if nz else np.zeros((0, 0), np.int64))


def argwhere(x):
    return nonzero(x)


def meshgrid(*tensors, indexing="ij"):
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    for t in tensors:
        if t._data.ndim > 1:
            raise RuntimeError("torch.meshgrid: Expected 0D or 1D tensor in the tensor list but "
                               f"got a {t._data.ndim}-D tensor of shape {list(t._data.shape)}")
    if builtins.any(t._data.dtype != tensors[0]._data.dtype for t in tensors):
        raise RuntimeError("meshgrid expects all tensors to have the same dtype, got "
                           f"{sorted({str(t.dtype) for t in tensors})}")
    shape = [t._data.size for t in tensors]
    if indexing == "xy" and len(shape) >= 2:
        shape[0], shape[1] = shape[1], shape[0]
    outs = []
    for i, t in enumerate(tensors):
        view_shape = [1] * len(tensors)
        ax = i
        if indexing == "xy" and len(tensors) >= 2 and i < 2:
            ax = 1 - i
        view_shape[ax] = -1
        outs.append(expand(reshape(t, tuple(view_shape)), tuple(shape)))
    return tuple(outs)


# ---- shape helpers --------------------------------------------------------------------------


def _tensor_list(tensors):
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    return tuple(_t(t) for t in tensors)


def tile(input, *dims):
    """Repeat ``input`` ``dims`` times per dimension (missing leading dims count as 1)."""
    dims = _shape_arg(dims)
    nd = input._data.ndim
    if len(dims) < nd:
        dims = (1,) * (nd - len(dims)) + dims
    return repeat(input, *dims)


def rot90(input, k=1, dims=(0, 1)):
    """Rotate by 90 degrees ``k`` times in the plane ``dims`` (from the first towards the second
    axis)."""
    if len(dims) != 2:
        raise RuntimeError(f"expected total rotation dims == 2, but got dims = {len(dims)}")
    nd = input._data.ndim
    if nd < 2:
        raise RuntimeError(f"expected total dims >= 2, but got total dims = {nd}")
    d0, d1 = wrap_dim(dims[0], nd), wrap_dim(dims[1], nd)
    if d0 == d1:
        raise RuntimeError(
            f"expected rotation dims to be different, but got dim0 = {d0} and dim1 = {d1}"
        )
    k = k % 4
    out = _W(np.ascontiguousarray(np.rot90(input._data, k, (d0, d1))))
    node = record(out, Rot90Backward0, (input,))
    if node is not None:
        node.k, node.dims = k, (d0, d1)
    return out


class Rot90Backward0(Node):
    """``rot90``: ``g`` rotated back (``-k`` turns in the same plane)."""

    def backward(self, g):
        return rot90(g, -self.k, self.dims)


def diag_embed(input, offset=0, dim1=-2, dim2=-1):
    """Tensor whose (``dim1``, ``dim2``) diagonals (at ``offset``) are the last dim of ``input``."""
    nd = input._data.ndim + 1
    d1, d2 = wrap_dim(dim1, nd), wrap_dim(dim2, nd)
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    n = input._data.shape[-1] + builtins.abs(offset)
    rest = list(input._data.shape[:-1])
    shape = []
    for i in range(nd):
        shape.append(n if i in (d1, d2) else rest.pop(0))
    return _diag_embed_into(input, tuple(shape), offset, d1, d2)


def diagflat(input, offset=0):
    return diag(reshape(input, (-1,)), offset)


class BlockDiagBackward0(Node):
    """``block_diag``: each input's gradient is its block of ``g`` (a row for a vector, 1x1 for
    a scalar), in the input's dtype."""

    def backward(self, g):
        out = []
        for (r0, c0, r, c), shape, dt, need in zip(self.blocks, self.shapes, self.dtypes,
                                                   self.needs_input_grad):
            if not need:
                out.append(None)
                continue
            b = reshape(narrow(narrow(g, 0, r0, r), 1, c0, c), shape)
            out.append(b if b._data.dtype == dt else b.to(dt))
        return tuple(out)


def block_diag(*tensors):
    """Block-diagonal matrix from the given matrices (vectors are rows, scalars 1x1)."""
    ts = [_t(t) for t in tensors]
    for i, t in enumerate(ts):
        if t._data.ndim > 2:
            raise RuntimeError(
                f"torch.block_diag: Input tensors must have 2 or fewer dimensions. Input "
                f"{i} has {t._data.ndim} dimensions"
            )
    if not ts:
        return _W(np.zeros((0, 0), D._default_float.np))
    dt = ts[0].dtype
    for t in ts[1:]:
        dt = D.promote_types(dt, t.dtype)
    mats = [t._data.reshape(1, -1) if t._data.ndim < 2 else t._data for t in ts]
    nrow = builtins.sum(m.shape[0] for m in mats)
    ncol = builtins.sum(m.shape[1] for m in mats)
    arr = np.zeros((nrow, ncol), dt.np)
    blocks, r0, c0 = [], 0, 0
    for m in mats:
        r, c = m.shape
        arr[r0:r0 + r, c0:c0 + c] = m
        blocks.append((r0, c0, r, c))
        r0, c0 = r0 + r, c0 + c
    out = _W(arr)
    node = record(out, BlockDiagBackward0, tuple(ts))
    if node is not None:
        node.blocks = blocks
        node.shapes = [t._data.shape for t in ts]
        node.dtypes = [t._data.dtype for t in ts]
    return out


def cartesian_prod(*tensors):
    ts = _tensor_list(tensors)
    for t in ts:
        if t._data.ndim != 1:
            raise RuntimeError(f"Expect a 1D vector, but got shape {list(t._data.shape)}")
    if len(ts) == 1:
        return ts[0]
    grids = meshgrid(*ts, indexing="ij")
    return stack([g.reshape(-1) for g in grids], 1)


def combinations(input, r=2, with_replacement=False):
    """All length-``r`` combinations of the elements of a 1-D tensor, one per row."""
    if input._data.ndim != 1:
        raise RuntimeError(f"Expect a 1D vector, but got shape {list(input._data.shape)}")
    n = input._data.shape[0]
    gen = itertools.combinations_with_replacement if with_replacement else itertools.combinations
    combos = np.array(list(gen(range(n), r)), np.int64).reshape(-1, r)
    if r == 0:
        return _W(np.zeros((0,), input._data.dtype))
    if combos.shape[0] == 0:
        return _W(np.zeros((0, r), input._data.dtype))
    # torch's graph: each column is the r-dim meshgrid of the input, masked_select-ed
    grids = meshgrid(*([input] * r), indexing="ij")
    keep = np.zeros((n,) * r, np.bool_)
    keep[tuple(combos.T)] = True
    mask = _W(keep)
    return stack([masked_select(g, mask) for g in grids], 1)


def _atleast(tensors, fn):
    if len(tensors) == 1 and isinstance(tensors[0], Tensor):
        return fn(tensors[0])
    return tuple(fn(_t(t)) for t in _tensor_list(tensors))


def _to_1d(t):
    return t.reshape(1) if t._data.ndim == 0 else t


def _to_2d(t):
    return t.reshape(1, -1) if t._data.ndim < 2 else t


def _to_3d(t):
    nd = t._data.ndim
    if nd == 0:
        return t.reshape(1, 1, 1)
    if nd == 1:
        return t.reshape(1, -1, 1)
    if nd == 2:
        return unsqueeze(t, -1)
    return t


def atleast_1d(*tensors):
    return _atleast(tensors, _to_1d)


def atleast_2d(*tensors):
    return _atleast(tensors, _to_2d)


def atleast_3d(*tensors):
    return _atleast(tensors, _to_3d)


def column_stack(tensors):
    ts = [_t(t) for t in tensors]
    return hstack([t.reshape(-1, 1) if t._data.ndim < 2 else t for t in ts])


def dstack(tensors):
    return cat([_to_3d(_t(t)) for t in tensors], 2)


def row_stack(tensors):
    return vstack(tensors)


def _split_dim(input, indices_or_sections, dim, name):
    if isinstance(indices_or_sections, builtins.int):
        n = input._data.shape[dim]
        if indices_or_sections <= 0 or n % indices_or_sections:
            raise RuntimeError(
                f"torch.{name} attempted to split along dimension {dim}, but the size of the "
                f"dimension {n} is not divisible by the split_size {indices_or_sections}!"
            )
    return tensor_split(input, indices_or_sections, dim)


def hsplit(input, indices_or_sections=None, *, sections=None, indices=None):
    ios = _sections_arg("hsplit", indices_or_sections, sections, indices)
    return _split_dim(input, ios, 0 if input._data.ndim == 1 else 1, "hsplit")


def vsplit(input, indices_or_sections=None, *, sections=None, indices=None):
    indices_or_sections = _sections_arg("vsplit", indices_or_sections, sections, indices)
    if input._data.ndim < 2:
        raise RuntimeError(
            f"torch.vsplit requires a tensor with at least 2 dimension, but got a tensor with "
            f"{input._data.ndim} dimensions!"
        )
    return _split_dim(input, indices_or_sections, 0, "vsplit")


def dsplit(input, indices_or_sections=None, *, sections=None, indices=None):
    indices_or_sections = _sections_arg("dsplit", indices_or_sections, sections, indices)
    if input._data.ndim < 3:
        raise RuntimeError(
            f"torch.dsplit requires a tensor with at least 3 dimension, but got a tensor with "
            f"{input._data.ndim} dimensions!"
        )
    return _split_dim(input, indices_or_sections, 2, "dsplit")


def ravel(input):
    return reshape(input, (-1,))


def split_with_sizes(input, split_sizes, dim=0):
    return split(input, list(split_sizes), dim)


class UnfoldBackward0(Node):
    """``unfold``: each window's gradient added back at the places it was taken from."""

    def backward(self, g):
        d, shape = self.dim, self.shape
        if not shape:  # a 0-d input's one window
            return (g.reshape(()) if self.size else g.sum(),)
        nwin = g._data.shape[d]
        # (.., nwin, .., size) -> (.., nwin * size, ..): window w's element k came from w*step+k
        gw = movedim(g, -1, d + 1).reshape(shape[:d] + (nwin * self.size,) + shape[d + 1:])
        z = _W(np.zeros(shape, g._data.dtype))
        return (index_add(z, d, self.idx, gw),)


def unfold(input, dimension, size, step):
    """Sliding windows of ``size`` every ``step`` along ``dimension``, in a new last dim: a view
    of ``input`` as torch's ``Tensor.unfold`` (``(..., n, ...)`` -> ``(..., (n - size) // step
    + 1, ..., size)``, strides ``step * s`` and ``s`` for the dim's stride ``s``), so writes show
    through and the result's ``_base`` is the input's.

    Example:
        >>> nnlite.arange(5.0).unfold(0, 2, 2)
        tensor([[0., 1.],
                [2., 3.]])
    """
    nd = input._data.ndim
    d = wrap_dim(dimension, nd)
    n = input._data.shape[d] if nd else 1
    if size > n:
        raise RuntimeError(
            f"maximum size for tensor at dimension {d} is {n} but size is {size}"
        )
    if step <= 0:
        raise RuntimeError(f"step is {step} but must be > 0")
    if size < 0:
        raise RuntimeError(f"size is {size} but must be >= 0")
    xd = input._data
    if nd == 0:  # one window of ``size`` (0 or 1) elements
        arr = xd.reshape(1)[:size]
    else:
        nwin = (n - size) // step + 1
        st = xd.strides[d]
        shape = xd.shape[:d] + (nwin,) + xd.shape[d + 1:] + (size,)
        strides = xd.strides[:d] + (step * st,) + xd.strides[d + 1:] + (st,)
        arr = np.lib.stride_tricks.as_strided(xd, shape, strides,
                                              writeable=xd.flags.writeable)
    out = _view_of(input, arr)
    node = record(out, UnfoldBackward0, (input,))
    if node is not None:
        node.dim, node.size, node.shape = d, size, xd.shape
        if nd:
            idx = (np.arange(nwin)[:, None] * step + np.arange(size)[None, :]).reshape(-1)
            node.save(idx=_W(idx.astype(np.int64)))
    return out


_index_op = index  # ``take``'s parameter is named ``index``, as torch's


def take(input, index):
    """Elements of the flattened ``input`` at ``index`` (the result has ``index``'s shape)."""
    idx = _t(index)
    n = input._data.size
    bad = (idx._data >= n) | (idx._data < -n)
    if np.any(bad):
        v = builtins.int(idx._data[bad].reshape(-1)[0])
        raise IndexError(f"out of range: tried to access index {v} on a tensor of {n} elements.")
    flat = idx._data.astype(np.int64) % n if n else idx._data.astype(np.int64)
    out = _W(np.asarray(input._data.reshape(-1)[flat]))
    node = record(out, TakeBackward0, (input,))
    if node is not None:
        node.shape = input._data.shape
        node.save(idx=flat)
    return out


class TakeBackward0(Node):
    """``take``: ``g`` added into zeros of the flattened input at the indices (repeats add)."""

    def backward(self, g):
        n = 1
        for s in self.shape:
            n *= s
        return reshape(_pad_into(reshape(g, (-1,)), (n,), (self.idx.reshape(-1),)), self.shape)


def triu_indices(row, col, offset=0, *, dtype=None, device=None, layout=None):
    r, c = np.triu_indices(row, offset, col)
    return _W(np.stack([r, c]).astype(D.to_dtype(dtype).np if dtype else np.int64))


def tril_indices(row, col, offset=0, *, dtype=None, device=None, layout=None):
    r, c = np.tril_indices(row, offset, col)
    return _W(np.stack([r, c]).astype(D.to_dtype(dtype).np if dtype else np.int64))


# ---- index updates (out of place; the ``_`` methods write the result back) -------------------


def _index_arg(index, name):
    idx = _t(index)._data
    if idx.dtype.kind not in "iu":
        raise IndexError(f"{name}(): Expected dtype int64 for index")
    if idx.ndim > 1:
        raise IndexError(f"{name}(): Index is supposed to be a vector")
    return idx.reshape(-1).astype(np.int64)


def _along(d, idx):
    return (slice(None),) * d + (idx,)


class IndexAddBackward0(Node):
    def backward(self, g):
        gx = g if self.needs_input_grad[0] else None
        gs = None
        if self.needs_input_grad[1]:
            gs = index_select(g, self.dim, self.idx) if g._data.ndim else g
            gs = gs.reshape(self.src_shape)
            if self.alpha != 1:
                gs = gs * self.alpha
        return gx, gs


def index_add(input, dim, index, source, *, alpha=1):
    """``input`` with ``alpha * source`` slices added at positions ``index`` along ``dim``."""
    d = wrap_dim(dim, input._data.ndim)
    idx = _index_arg(index, "index_add")
    src = _t(source)
    arr = np.array(input._data, copy=True)
    check_index_range(idx, arr.shape[d] if arr.ndim else 1, d, error=IndexError,
                       message="index out of range in self")
    sd = src._data.astype(arr.dtype, copy=False)
    sd = sd.reshape(arr.shape[:d] + (idx.size,) + arr.shape[d + 1:]) if arr.ndim else sd
    np.add.at(arr, _along(d, idx) if arr.ndim else (), sd * alpha if alpha != 1 else sd)
    out = _W(arr)
    node = record(out, IndexAddBackward0, (input, src))
    if node is not None:
        node.dim, node.alpha = d, alpha
        node.save(idx=_W(idx))
        node.src_shape = src._data.shape
    return out


class IndexCopyBackward0(Node):
    def backward(self, g):
        gx = index_fill(g, self.dim, self.idx, 0.0) if self.needs_input_grad[0] else None
        gs = None
        if self.needs_input_grad[1]:
            gs = index_select(g, self.dim, self.idx).reshape(self.src_shape)
        return gx, gs


def index_copy(input, dim, index, source):
    """``input`` with the slices at ``index`` along ``dim`` replaced by ``source``'s."""
    d = wrap_dim(dim, input._data.ndim)
    idx = _index_arg(index, "index_copy")
    src = _t(source)
    arr = np.array(input._data, copy=True)
    if idx.size and (idx.min() < 0 or idx.max() >= (arr.shape[d] if arr.ndim else 1)):
        try:
            check_index_range(idx, arr.shape[d] if arr.ndim else 1, d, error=IndexError)
        except IndexError as e:
            raise IndexError(f"index_copy_(): {e}") from None
    sd = src._data.astype(arr.dtype, copy=False)
    arr[_along(d, idx)] = sd.reshape(arr.shape[:d] + (idx.size,) + arr.shape[d + 1:])
    out = _W(arr)
    node = record(out, IndexCopyBackward0, (input, src))
    if node is not None:
        node.dim, node.src_shape = d, src._data.shape
        node.save(idx=_W(idx))
    return out


class IndexFillBackward0(Node):
    """``index_fill`` with a scalar value: one edge, to ``input``."""

    def backward(self, g):
        return index_fill(g, self.dim, self.idx, 0.0)


class IndexFillBackward1(Node):
    """``index_fill`` with a 0-dim tensor value: edges to ``input`` and ``value``."""

    def backward(self, g):
        gx = index_fill(g, self.dim, self.idx, 0.0) if self.needs_input_grad[0] else None
        gv = None
        if self.needs_input_grad[1]:
            gv = index_select(g, self.dim, self.idx).sum()
        return gx, gv


def index_fill(input, dim, index, value):
    """``input`` with the slices at ``index`` along ``dim`` set to ``value``."""
    d = wrap_dim(dim, input._data.ndim)
    idx = _index_arg(index, "index_fill")
    if isinstance(value, Tensor) and value._data.ndim != 0:
        raise RuntimeError(
            f"index_fill_ only supports a 0-dimensional value tensor, but got tensor with "
            f"{value._data.ndim} dimension(s)."
        )
    arr = np.array(input._data, copy=True)
    check_index_range(idx, arr.shape[d] if arr.ndim else 1, d, negative=True, error=IndexError)
    arr[_along(d, idx)] = value._data if isinstance(value, Tensor) else value
    out = _W(arr)
    if isinstance(value, Tensor):
        node = record(out, IndexFillBackward1, (input, value))
    else:
        node = record(out, IndexFillBackward0, (input,))
    if node is not None:
        node.dim = d
        node.save(idx=_W(idx))
    return out


class MaskedScatterBackward0(Node):
    def backward(self, g):
        (m,) = self._unpacked_saved
        gx = gs = None
        if self.needs_input_grad[0]:
            gx = sum_to(E.where(m, E.zeros_like(g), g), self.x_shape)
        if self.needs_input_grad[1]:
            taken = masked_select(g, m)
            rest = self.src_numel - taken._data.size
            if rest:
                taken = cat([taken, _W(np.zeros(rest, g._data.dtype))])
            gs = taken.reshape(self.src_shape)
        return gx, gs


def masked_scatter(input, mask, source):
    """``input`` with the positions where ``mask`` is True filled, in order, from ``source``."""
    md = mask._data
    if md.dtype != np.bool_:
        raise RuntimeError(f"masked_scatter_ only supports boolean masks, but got mask with "
                           f"dtype {mask.dtype}")
    shape = np.broadcast_shapes(input._data.shape, md.shape)
    arr = np.array(np.broadcast_to(input._data, shape), copy=True)
    mb = np.broadcast_to(md, shape)
    k = builtins.int(mb.sum())
    sd = source._data.reshape(-1)
    if sd.size < k:
        raise RuntimeError("Number of elements of source < number of ones in mask")
    arr[mb] = sd[:k]
    out = _W(arr)
    node = record(out, MaskedScatterBackward0, (input, source), (_W(mb),))
    if node is not None:
        node.x_shape, node.src_shape = input._data.shape, source._data.shape
        node.src_numel = sd.size
    return out


def index_put(input, indices, values, accumulate=False):
    """``input`` with ``values`` written at ``input[indices]`` (summed when ``accumulate``)."""
    key = tuple(i._data if isinstance(i, Tensor) else i for i in indices)
    v = _t(values)
    if not accumulate:
        return put_at(input, key, v)
    arr = np.array(input._data, copy=True)
    np.add.at(arr, key, v._data.astype(arr.dtype, copy=False))
    out = _W(arr)
    node = record(out, IndexPutBackward0, (input, v))
    if node is not None:
        node.v_shape, node.accumulate = v._data.shape, True
        node.save(key=key)
    return out


def fill_diagonal(input, fill_value, wrap=False):
    """``input`` with its main diagonal set to ``fill_value`` (``Tensor.fill_diagonal_``)."""
    sh = input._data.shape
    if len(sh) < 2:
        raise RuntimeError("dimensions must larger than 1")
    if len(sh) > 2 and len(set(sh)) != 1:
        raise RuntimeError("all dimensions of input must be of equal length")
    if len(sh) == 2:
        r, c = sh
        limit = r * c if wrap and r > c + 1 else builtins.min(r, c) * c
        flat = np.arange(0, limit, c + 1)
        key = (flat // c, flat % c)
    else:
        key = (np.arange(sh[0]),) * len(sh)
    return put_at(input, key, _W(np.asarray(fill_value, input._data.dtype)))
