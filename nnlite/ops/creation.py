"""Tensor factories: zeros, ones, full, arange, linspace, eye, rand, randn, randint, ..."""

from __future__ import annotations

import builtins

import numpy as np

from nnlite import _dtype as D
from nnlite._random import _rng
from nnlite._tensor import Size, Tensor

_W = Tensor._wrap


def _size(size):
    if len(size) == 1 and isinstance(size[0], (tuple, list, Size)):
        size = tuple(size[0])
    out = []
    for s in size:
        if isinstance(s, Tensor):
            s = s.item()
        if not isinstance(s, (builtins.int, np.integer)):
            raise TypeError(
                f"empty(): argument 'size' must be tuple of ints, but found element of type "
                f"{type(s).__name__}"
            )
        if s < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {s}: {list(size)}")
        out.append(builtins.int(s))
    return tuple(out)


def _finish(arr, requires_grad):
    t = _W(arr)
    if requires_grad:
        t.requires_grad = True
    return t


def _float_dtype(dtype):
    return (D.to_dtype(dtype) if dtype is not None else D._default_float).np


def zeros(*size, dtype=None, requires_grad=False, device=None, out=None, layout=None):
    return _finish(np.zeros(_size(size), _float_dtype(dtype)), requires_grad)


def ones(*size, dtype=None, requires_grad=False, device=None, out=None, layout=None):
    return _finish(np.ones(_size(size), _float_dtype(dtype)), requires_grad)


def empty(*size, dtype=None, requires_grad=False, device=None, out=None, layout=None,
          memory_format=None):
    return _finish(np.zeros(_size(size), _float_dtype(dtype)), requires_grad)


def full(size, fill_value, dtype=None, requires_grad=False, device=None, out=None):
    if dtype is None:
        if isinstance(fill_value, builtins.bool):
            dtype = D.bool
        elif isinstance(fill_value, (builtins.int, np.integer)):
            dtype = D.int64
        else:
            dtype = D._default_float
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.item()
    return _finish(np.full(_size((size,)), fill_value, D.to_dtype(dtype).np), requires_grad)


def empty_like(x, dtype=None, requires_grad=False, **_):
    from nnlite.ops.elementwise import zeros_like

    return zeros_like(x, dtype=dtype, requires_grad=requires_grad)


def arange(start, end=None, step=1, dtype=None, requires_grad=False, device=None, out=None):
    if end is None:
        start, end = 0, start
    vals = [v.item() if isinstance(v, Tensor) else v for v in (start, end, step)]
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if dtype is None:
        is_float = builtins.any(isinstance(v, (builtins.float, np.floating)) for v in vals)
        dtype = D._default_float if is_float else D.int64
    dt = D.to_dtype(dtype)
    start, end, step = vals
    n = builtins.max(0, int(np.ceil((end - start) / step)))
    arr = (start + step * np.arange(n, dtype=np.float64)) if dt.is_floating_point else \
        np.arange(start, end, step)
    return _finish(arr.astype(dt.np), requires_grad)


def linspace(start, end, steps, dtype=None, requires_grad=False, device=None, out=None):
    arr = np.linspace(start, end, steps)
    return _finish(arr.astype(_float_dtype(dtype)), requires_grad)


def logspace(start, end, steps, base=10.0, dtype=None, requires_grad=False, device=None):
    arr = np.logspace(start, end, steps, base=base)
    return _finish(arr.astype(_float_dtype(dtype)), requires_grad)


def eye(n, m=None, dtype=None, requires_grad=False, device=None, out=None):
    return _finish(np.eye(n, m if m is not None else n, dtype=_float_dtype(dtype)), requires_grad)


def rand(*size, generator=None, dtype=None, requires_grad=False, device=None, out=None):
    dt = _float_dtype(dtype)
    return _finish(_rng(generator).random(_size(size), dtype=np.float64).astype(dt), requires_grad)


def randn(*size, generator=None, dtype=None, requires_grad=False, device=None, out=None):
    dt = _float_dtype(dtype)
    return _finish(_rng(generator).standard_normal(_size(size)).astype(dt), requires_grad)


def randint(low, high=None, size=None, *, generator=None, dtype=None, requires_grad=False,
            device=None, out=None):
    if size is None:  # randint(high, size)
        low, high, size = 0, low, high
    if high is None:
        low, high = 0, low
    if low >= high:
        raise RuntimeError(
            f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}"
        )
    dt = D.to_dtype(dtype).np if dtype is not None else np.int64
    arr = _rng(generator).integers(low, high, size=_size((size,)))
    return _finish(arr.astype(dt), requires_grad)


def randperm(n, *, generator=None, dtype=None, requires_grad=False, device=None, out=None):
    dt = D.to_dtype(dtype).np if dtype is not None else np.int64
    return _finish(_rng(generator).permutation(n).astype(dt), requires_grad)


def rand_like(x, dtype=None, requires_grad=False, **_):
    return rand(x._data.shape, dtype=dtype or x.dtype, requires_grad=requires_grad)


def randn_like(x, dtype=None, requires_grad=False, **_):
    return randn(x._data.shape, dtype=dtype or x.dtype, requires_grad=requires_grad)


def randint_like(x, low, high=None, dtype=None, **_):
    return randint(low, high, x._data.shape, dtype=dtype or x.dtype)


def normal(mean=0.0, std=1.0, size=None, *, generator=None, out=None, dtype=None):
    rng = _rng(generator)
    if isinstance(mean, Tensor) or isinstance(std, Tensor):
        m = mean._data if isinstance(mean, Tensor) else mean
        s = std._data if isinstance(std, Tensor) else std
        shape = np.broadcast_shapes(np.shape(m), np.shape(s))
        dt = (mean if isinstance(mean, Tensor) else std)._data.dtype
        return _W((m + s * rng.standard_normal(shape)).astype(dt))
    return _W((mean + std * rng.standard_normal(_size((size,)))).astype(_float_dtype(dtype)))


def bernoulli(x, p=None, *, generator=None):
    probs = x._data if p is None else np.full(x._data.shape, p)
    return _W((_rng(generator).random(x._data.shape) < probs).astype(x._data.dtype))


def multinomial(probs, num_samples, replacement=False, *, generator=None):
    rng = _rng(generator)
    p = probs._data.astype(np.float64)
    single = p.ndim == 1
    p2 = p.reshape(1, -1) if single else p
    rows = []
    for row in p2:
        row = row / row.sum()
        rows.append(rng.choice(len(row), size=num_samples, replace=replacement, p=row))
    arr = np.asarray(rows, dtype=np.int64)
    return _W(arr[0] if single else arr)
