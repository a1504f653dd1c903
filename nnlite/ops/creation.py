"""Tensor factories: zeros, ones, full, arange, linspace, eye, rand, randn, randint, ..."""

from __future__ import annotations

import builtins
import functools

import numpy as np

from nnlite import _dtype as D
from nnlite import _random as R
from nnlite._random import _gen
from nnlite._tensor import Size, Tensor, _check_device
from nnlite.ops._util import TYPE_NAMES
from nnlite.ops.elementwise import zeros_like

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
        if s > _INT64_MAX:
            raise TypeError(f"empty(): argument 'size' failed to unpack the object at pos "
                            f"{len(out) + 1} with error \"Overflow when unpacking long\"")
        out.append(builtins.int(s))
    numel = 1
    for s in out:
        numel *= s
    if numel * 8 > _INT64_MAX:  # torch's int64 byte count would overflow: refuse, do not try
        raise RuntimeError(f"Storage size calculation overflowed with sizes={out}")
    return tuple(out)


_INT64_MAX = (1 << 63) - 1


def _clean_oom(fn):
    """torch's RuntimeError (not numpy's MemoryError) when the allocation cannot be made."""

    @functools.wraps(fn)
    def factory(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except MemoryError as e:
            raise RuntimeError(f"DefaultCPUAllocator: can't allocate memory: {e} (ask for a "
                               "smaller tensor)") from None
        except ValueError as e:  # numpy: "array is too big" (the byte count overflows)
            if "too big" not in str(e):
                raise
            raise RuntimeError(f"Storage size calculation overflowed: {e}") from None

    return factory


def _size_kw(sizes, size):
    """The shape from ``f(2, 3)``, ``f((2, 3))`` or ``f(size=(2, 3))``."""
    return _size(sizes if size is None else (size,))


def _finish(arr, requires_grad):
    t = _W(arr)
    if requires_grad:
        t.requires_grad = True
    return t


def _float_dtype(dtype):
    return (D.to_dtype(dtype) if dtype is not None else D._default_float).np


@_clean_oom
def zeros(*sizes, size=None, dtype=None, requires_grad=False, device=None, out=None,
          layout=None, pin_memory=False):
    _check_device(device)
    return _finish(np.zeros(_size_kw(sizes, size), _float_dtype(dtype)), requires_grad)


@_clean_oom
def ones(*sizes, size=None, dtype=None, requires_grad=False, device=None, out=None,
         layout=None, pin_memory=False):
    _check_device(device)
    return _finish(np.ones(_size_kw(sizes, size), _float_dtype(dtype)), requires_grad)


@_clean_oom
def empty(*sizes, size=None, dtype=None, requires_grad=False, device=None, out=None, layout=None,
          memory_format=None, pin_memory=False):
    _check_device(device)
    return _finish(np.zeros(_size_kw(sizes, size), _float_dtype(dtype)), requires_grad)


@_clean_oom
def full(size, fill_value, dtype=None, requires_grad=False, device=None, out=None):
    _check_device(device)
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


def empty_like(x, dtype=None, requires_grad=False,
        *, layout=None, device=None, memory_format=None, pin_memory=False):
    _check_device(device)
    return zeros_like(x, dtype=dtype, requires_grad=requires_grad)


@_clean_oom
def arange(start, end=None, step=1, dtype=None, requires_grad=False, device=None, out=None):
    _check_device(device)
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


@_clean_oom
def linspace(start, end, steps, dtype=None, requires_grad=False, device=None, out=None):
    _check_device(device)
    arr = np.linspace(start, end, steps)
    return _finish(arr.astype(_float_dtype(dtype)), requires_grad)


def logspace(start, end, steps, base=10.0, dtype=None, requires_grad=False, device=None):
    _check_device(device)
    arr = np.logspace(start, end, steps, base=base)
    return _finish(arr.astype(_float_dtype(dtype)), requires_grad)


@_clean_oom
def eye(n, m=None, dtype=None, requires_grad=False, device=None, out=None):
    _check_device(device)
    return _finish(np.eye(n, m if m is not None else n, dtype=_float_dtype(dtype)), requires_grad)


@_clean_oom
def rand(*sizes, size=None, generator=None, dtype=None, requires_grad=False, device=None,
         out=None, pin_memory=False):
    _check_device(device)
    arr = R.uniform(_gen(generator), _size_kw(sizes, size), _float_dtype(dtype))
    return _finish(arr, requires_grad)


@_clean_oom
def randn(*sizes, size=None, generator=None, dtype=None, requires_grad=False, device=None,
          out=None, pin_memory=False):
    _check_device(device)
    arr = R.normal(_gen(generator), _size_kw(sizes, size), _float_dtype(dtype))
    return _finish(arr, requires_grad)


@_clean_oom
def randint(low, high=None, size=None, *, generator=None, dtype=None, requires_grad=False,
            device=None, out=None):
    _check_device(device)
    if size is None:  # randint(high, size)
        low, high, size = 0, low, high
    if high is None:
        low, high = 0, low
    if low >= high:
        raise RuntimeError(
            f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}"
        )
    dt = D.to_dtype(dtype).np if dtype is not None else np.int64
    arr = R.random_from_to(_gen(generator), _size((size,)), dt, low, high)
    return _finish(arr, requires_grad)


def randperm(n, *, generator=None, dtype=None, requires_grad=False, device=None, out=None):
    _check_device(device)
    if n < 0:
        raise RuntimeError(f"n must be non-negative, got{n}")
    dt = D.to_dtype(dtype).np if dtype is not None else np.int64
    return _finish(R.randperm(_gen(generator), int(n)).astype(dt), requires_grad)


def rand_like(x, dtype=None, requires_grad=False, generator=None,
        *, layout=None, device=None, memory_format=None, pin_memory=False):
    _check_device(device)
    return rand(x._data.shape, dtype=dtype or x.dtype, requires_grad=requires_grad,
                generator=generator)


def randn_like(x, dtype=None, requires_grad=False, generator=None,
        *, layout=None, device=None, memory_format=None, pin_memory=False):
    _check_device(device)
    return randn(x._data.shape, dtype=dtype or x.dtype, requires_grad=requires_grad,
                 generator=generator)


def randint_like(x, low=0, high=None, dtype=None, generator=None,
        *, layout=None, device=None, memory_format=None, pin_memory=False):
    _check_device(device)
    return randint(low, high, x._data.shape, dtype=dtype or x.dtype, generator=generator)


def normal(mean=0.0, std=1.0, size=None, *, generator=None, out=None, dtype=None):
    """``torch.normal``. With a Tensor mean or std, ATen draws standard normals for the
    broadcast shape, then multiplies by std and adds mean, each rounded in the output dtype."""
    g = _gen(generator)
    if isinstance(mean, Tensor) or isinstance(std, Tensor):
        m = mean._data if isinstance(mean, Tensor) else mean
        s = std._data if isinstance(std, Tensor) else std
        shape = np.broadcast_shapes(np.shape(m), np.shape(s))
        dt = (mean if isinstance(mean, Tensor) else std)._data.dtype
        if not isinstance(std, Tensor):  # normal_(0, std) then add mean
            return _W(R.normal(g, shape, dt, 0.0, s) + m.astype(dt))
        z = R.normal(g, shape, dt)
        return _W(z * np.asarray(s, dt) + np.asarray(m, dt))
    return _W(R.normal(g, _size((size,)), _float_dtype(dtype), mean, std))


def bernoulli(x, p=None, *, generator=None):
    """``torch.bernoulli``: with a float ``p`` the scalar kernel, else ``x`` holds the
    probabilities (one uniform per element in their precision)."""
    g = _gen(generator)
    if p is None:
        return _W(R.bernoulli_tensor(g, x._data).astype(x._data.dtype))
    return _W(R.bernoulli_scalar(g, x._data.shape, p).astype(x._data.dtype))


def multinomial(probs, num_samples, replacement=False, *, generator=None):
    """``torch.multinomial``. Without replacement (or one sample), ATen's exponential trick:
    ``q ~ Exp(1)`` per category, then the top ``num_samples`` of ``probs / q``. With
    replacement, a binary search of float64 uniforms in the normalized cumulative sum."""
    g = _gen(generator)
    p = probs._data
    if p.dtype.kind != "f":
        raise RuntimeError("multinomial only supports floating-point dtypes for input, got: "
                           + TYPE_NAMES[p.dtype.name])
    if p.ndim not in (1, 2):
        raise RuntimeError("prob_dist must be 1 or 2 dim")
    if num_samples <= 0:
        raise RuntimeError("cannot sample n_sample <= 0 samples")
    if p.size and not (np.isfinite(p).all() and p.min() >= 0):
        raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
    if p.size and (p.sum(axis=-1) <= 0).any():
        raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
    single = p.ndim == 1
    p2 = p.reshape(1, -1) if single else p
    n_cat = p2.shape[1]
    if not replacement and num_samples > n_cat:
        raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without replacement")
    if not replacement or num_samples == 1:
        q = p2 / R.exponential(g, p2.shape, p2.dtype, 1.0)
        if num_samples == 1:
            arr = np.argmax(q, axis=1)[:, None]
        else:  # topk: largest first; ties keep the lower index
            arr = np.argsort(-q, axis=1, kind="stable")[:, :num_samples]
    else:
        arr = np.empty((p2.shape[0], num_samples), np.int64)
        for i, row in enumerate(p2):
            cum = np.cumsum(row, dtype=row.dtype)
            cum = cum / cum[-1]
            cum[-1] = 1
            u = R.uniform(g, (num_samples,), np.float64)
            arr[i] = np.searchsorted(cum, u, side="left")
    arr = arr.astype(np.int64)
    return _W(arr[0] if single else arr)


# ---- small constructors ----------------------------------------------------------------------


# ---- small constructors and dtype queries ---------------------------------------------------


def scalar_tensor(s, *, dtype=None, device=None, requires_grad=False, layout=None,
                  pin_memory=False):
    dt = D.to_dtype(dtype).np if dtype is not None else D._default_float.np
    t = _W(np.asarray(s, dtype=dt))
    if requires_grad:
        t.requires_grad = True
    return t
