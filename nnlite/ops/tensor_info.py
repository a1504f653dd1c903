"""Tensor queries and the legacy constructor with no public function: ``nbytes``/``itemsize``
(properties), ``is_same_size`` and ``Tensor.new`` (``x.new(2, 3)`` a tensor of that size,
``x.new([1, 2])`` one of that data, both in ``x``'s dtype)."""

from __future__ import annotations

import numpy as np

from nnlite._tensor import Tensor


def itemsize(self) -> int:
    """Bytes per element (``Tensor.itemsize``)."""
    return int(self._data.itemsize)


def nbytes(self) -> int:
    """Bytes of the elements (``Tensor.nbytes`` = ``numel() * itemsize``)."""
    return int(self._data.size * self._data.itemsize)


def is_same_size(self, other) -> bool:
    """Whether ``other`` has the same shape (``Tensor.is_same_size``)."""
    if not isinstance(other, Tensor):
        raise TypeError("is_same_size(): argument 'other' (position 1) must be Tensor, not "
                        f"{type(other).__name__}")
    return tuple(self.shape) == tuple(other.shape)


def new(self, *args, **kwargs) -> Tensor:
    """``Tensor.new``: sizes (ints, or a ``Size``) give an uninitialised tensor of that shape,
    data (a list, tuple or array) a tensor holding it, a Tensor itself; all in ``self``'s dtype.
    """
    if kwargs.get("device") not in (None, "cpu") and str(kwargs.get("device")) != "cpu":
        raise RuntimeError(f"Tensor.new: nnlite has only the CPU, got {kwargs['device']}")
    dt = self._data.dtype
    if len(args) == 1 and isinstance(args[0], Tensor):
        if args[0]._data.dtype != dt:
            raise TypeError(f"expected {self.dtype} (got {args[0].dtype})")
        return args[0]
    if len(args) == 1 and isinstance(args[0], (list, tuple, np.ndarray)) and \
            type(args[0]).__name__ != "Size":
        return Tensor._wrap(np.array(args[0], dtype=dt))
    shape = tuple(args[0]) if len(args) == 1 and not isinstance(args[0], int) else args
    if not shape:
        shape = (0,)
    for s in shape:
        if not isinstance(s, (int, np.integer)) or isinstance(s, bool):
            raise TypeError(f"new(): argument 'size' must be tuple of ints, but found element "
                            f"of type {type(s).__name__}")
    return Tensor._wrap(np.empty(tuple(int(s) for s in shape), dt))
