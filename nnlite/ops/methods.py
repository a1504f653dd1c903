"""Tensor methods that are no public function of their own: reflected operators, bool-aware
bitwise operators, ``new_*`` constructors, random in-place fills, shape helpers, storage
queries. The registry (``nnlite.ops.registry``) binds them; nothing here is exported."""

from __future__ import annotations

import builtins

import numpy as np

from nnlite import _dtype as D
from nnlite import _random as _rand
from nnlite._random import _gen
from nnlite._tensor import Tensor, _check_device, device, tensor
from nnlite.ops import creation
from nnlite.ops import elementwise as E
from nnlite.ops import inplace as I
from nnlite.ops import reduce as R
from nnlite.ops import shape as S
from nnlite.ops import special as Sp
from nnlite.ops import svd as _svd_mod
from nnlite.ops._util import sum_to as _sum_to


def _rev(fn):
    return lambda self, other: fn(other, self)


def _commuted(fn):
    # reflected + and * keep the tensor first (``2 * b`` is ``mul(b, 2)``, as torch's graph)
    return lambda self, other: fn(self, other)


def _compare_operator(fn):
    """``t == other`` / ``t != other`` as torch's operators: a tensor, a number or an array is
    compared elementwise; any other object (None, a string, a list) gets Python's answer
    (``t == None`` is False, ``t != None`` True), where ``torch.eq(t, None)`` raises."""

    def operator(self, other):
        if isinstance(other, (Tensor, builtins.bool, builtins.int, builtins.float,
                              builtins.complex, np.generic, np.ndarray)):
            return fn(self, other)
        return NotImplemented

    return operator


def _t_where(self, condition, other):
    return E.where(condition, self, other)


def _new(fn):
    def method(self, *size, dtype=None, requires_grad=False, **kw):
        _check_device(kw.get("device"))
        t = fn(*size, dtype=dtype or self.dtype, requires_grad=requires_grad)
        return t

    return method


def _new_full(self, size, fill_value, dtype=None, requires_grad=False, **kw):
    _check_device(kw.get("device"))
    return creation.full(size, fill_value, dtype=dtype or self.dtype, requires_grad=requires_grad)


def _new_tensor(self, data, dtype=None, requires_grad=False, **kw):
    _check_device(kw.get("device"))
    return tensor(data, dtype=dtype or self.dtype, requires_grad=requires_grad)


def _fill_random_(self, sample, name):
    """Write ``sample(shape)`` into ``self`` in memory order, as ATen's TensorIterator visits a
    non-contiguous tensor (e.g. a transposed weight): the draws follow the storage."""
    arr = self._data
    perm = tuple(np.argsort([-builtins.abs(st) for st in arr.strides], kind="stable"))
    if arr.flags.c_contiguous or perm == tuple(range(arr.ndim)):
        return I.random_fill_(self, sample(arr.shape, True), name)
    values = sample(arr.transpose(perm).shape, False)
    return I.random_fill_(self, values.transpose(np.argsort(perm)), name)


def _uniform_(self, a=0.0, b=1.0, *, generator=None):
    if a > b:
        raise RuntimeError(f"uniform_ expects to return a [from, to) range, but found from={a} > "
                           f"to={b}")
    g = _gen(generator)
    return _fill_random_(
        self, lambda sh, _: _rand.uniform(g, sh, self._data.dtype, a, b), "uniform_"
    )


def _normal_(self, mean=0.0, std=1.0, *, generator=None):
    g, dt = _gen(generator), self._data.dtype
    return _fill_random_(
        self, lambda sh, contig: _rand.normal(g, sh, dt, mean, std, contiguous=contig), "normal_"
    )


def _bernoulli_(self, p=0.5, *, generator=None):
    g = _gen(generator)
    if isinstance(p, Tensor):
        probs = np.broadcast_to(p._data, self._data.shape)
        return I.random_fill_(self, _rand.bernoulli_tensor(g, probs), "bernoulli_")
    return _fill_random_(self, lambda sh, _: _rand.bernoulli_scalar(g, sh, p), "bernoulli_")


def _random_(self, *args, generator=None, **kwargs):
    """``random_()``, ``random_(to)``, ``random_(from, to)`` (also as keywords)."""
    g, dt = _gen(generator), self._data.dtype
    bounded = bool(args) or bool(kwargs)
    low, high = kwargs.pop("from", 0), kwargs.pop("to", None)
    if kwargs:
        raise TypeError(f"random_() got an unexpected keyword argument '{next(iter(kwargs))}'")
    if len(args) == 1:
        high = args[0]
    elif len(args) == 2:
        low, high = args
    if not bounded:
        return _fill_random_(self, lambda sh, _: _rand.random_full(g, sh, dt), "random_")
    if high is None:
        high = (1 << np.finfo(dt).nmant + 1) + 1 if dt.kind == "f" else int(np.iinfo(dt).max) + 1
    if low >= high:
        raise RuntimeError(
            f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}"
        )
    return _fill_random_(self, lambda sh, _: _rand.random_from_to(g, sh, dt, low, high), "random_")


def _exponential_(self, lambd=1.0, *, generator=None):
    g, dt = _gen(generator), self._data.dtype
    return _fill_random_(self, lambda sh, _: _rand.exponential(g, sh, dt, lambd), "exponential_")


def _inplace_of(fn, name):
    def method(self, *args, **kwargs):
        return I.apply_inplace(self, fn, *args, name=name, **kwargs)

    method.__name__ = name
    return method


def _iop(fn):
    def method(self, other):
        return fn(self, other)

    return method


def _view_as(self, other):
    return S.view(self, other._data.shape)


def _reshape_as(self, other):
    return S.reshape(self, other._data.shape)


def _T(self):
    nd = self._data.ndim
    return S.permute(self, tuple(range(nd - 1, -1, -1))) if nd > 1 else self


def _mT(self):
    return S.transpose(self, -2, -1)


def _size_split(self, split_size, dim=0):
    return S.split(self, split_size, dim)


def _max_method(self, dim=None, keepdim=False, **kw):
    return R.max(self, dim, keepdim, **kw)


def _min_method(self, dim=None, keepdim=False, **kw):
    return R.min(self, dim, keepdim, **kw)


def _expand(self, *sizes):
    return S.expand(self, *sizes)


def _apply_(self, fn):
    flat = self._data.reshape(-1)
    for i in range(flat.size):
        flat[i] = fn(flat[i].item())
    self._vc[0] += 1
    return self


def _storage_offset(self) -> int:
    """Offset in elements of this tensor's first element from the start of its base's memory."""
    base = self._base
    if base is None:
        return 0
    start = self._data.__array_interface__["data"][0]
    origin = base._data.__array_interface__["data"][0]
    return (start - origin) // self._data.itemsize


def _both_bool(a, b):
    # bool & bool stays bool; bool | 3 is an integer op giving int64, as in PyTorch
    if a._data.dtype != np.bool_:
        return False
    if isinstance(b, Tensor):
        return b._data.dtype == np.bool_
    return isinstance(b, (builtins.bool, np.bool_))


def _and(a, b):
    return E.logical_and(a, b) if _both_bool(a, b) else E.bitwise_and(a, b)


def _or(a, b):
    return E.logical_or(a, b) if _both_bool(a, b) else E.bitwise_or(a, b)


def _xor(a, b):
    return E.logical_xor(a, b) if _both_bool(a, b) else E.bitwise_xor(a, b)


def _invert(a):
    return E.logical_not(a) if a._data.dtype == np.bool_ else E.bitwise_not(a)


def _pos(self):
    return self


def _rpow(self, b):
    return E.rpow(self, b)


def _polygamma(self, n):
    return Sp.polygamma(n, self)


def _contiguous(self, memory_format=None):
    if self._data.flags.c_contiguous:
        return self
    return S.clone(self, order="C")


def _to(self, *args, **kwargs):
    """``Tensor.to(dtype)`` / ``to(other)`` / ``to(device)``: the cast op (no copy when nothing
    changes, unless ``copy=True``); another device than the CPU raises torch's error."""
    dtype = kwargs.get("dtype")
    copy = kwargs.get("copy", False)
    _check_device(kwargs.get("device"))
    for i, a in enumerate(args):
        if isinstance(a, Tensor):
            dtype = a.dtype
        elif isinstance(a, D.dtype) or a in (builtins.float, builtins.int, builtins.bool):
            dtype = a
        elif i == 0 and (isinstance(a, (str, device)) or (
                isinstance(a, builtins.int) and not isinstance(a, builtins.bool))):
            _check_device(a)  # to("cuda") fails as in a CPU-only torch
    if dtype is None:
        return S.clone(self) if copy else self
    return E.cast(self, D.to_dtype(dtype), copy=copy)


def _byte(self):
    return E.cast(self, D.uint8)


def _char(self):
    return E.cast(self, D.int8)


def _short(self):
    return E.cast(self, D.int16)


def _is_signed(self):
    return self._data.dtype.kind in "if"


def _get_device(self):
    return -1


def _pin_memory(self, *args, **kwargs):
    return self


def _share_memory_(self):
    return self


def _is_shared(self):
    return False


def _sum_to_size(self, *size):
    return _sum_to(self, S._shape_arg(size))


def _svd(self, some=True, compute_uv=True):
    return _svd_mod.svd(self, some, compute_uv)


def numel(x) -> int:
    """Number of elements of ``x``."""
    return x._data.size
