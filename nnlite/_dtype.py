"""dtypes with PyTorch's names (``nnlite.float32`` ...), each a thin handle on a numpy dtype."""

from __future__ import annotations

import builtins

import numpy as np


class dtype:  # noqa: N801 - PyTorch's name
    """A tensor element type. Compares equal to itself only; ``.np`` is the numpy dtype."""

    __slots__ = ("name", "np", "is_floating_point", "is_signed", "itemsize", "_cat")

    def __init__(self, name: str, np_dtype, cat: int):
        self.name = name
        self.np = np.dtype(np_dtype)
        self.is_floating_point = cat == 2
        self.is_signed = self.np.kind in "if"
        self.itemsize = self.np.itemsize
        self._cat = cat  # 0 bool, 1 integer, 2 floating: PyTorch's promotion categories

    @property
    def is_complex(self) -> bool:
        return False

    def __repr__(self) -> str:
        return f"torch.{self.name}"

    def __reduce__(self):
        return self.name


float16 = half = dtype("float16", np.float16, 2)
float32 = float = dtype("float32", np.float32, 2)  # noqa: A001 - PyTorch's alias
float64 = double = dtype("float64", np.float64, 2)
int8 = dtype("int8", np.int8, 1)
uint8 = dtype("uint8", np.uint8, 1)
int16 = short = dtype("int16", np.int16, 1)
int32 = int = dtype("int32", np.int32, 1)  # noqa: A001
int64 = long = dtype("int64", np.int64, 1)
bool = dtype("bool", np.bool_, 0)  # noqa: A001

_ALL = (float16, float32, float64, int8, uint8, int16, int32, int64, bool)
_BY_NP = {d.np: d for d in _ALL}
_default_float = float32


def from_numpy_dtype(npd) -> dtype:
    """The nnlite dtype of a numpy dtype; raises TypeError for unsupported ones."""
    try:
        return _BY_NP[np.dtype(npd)]
    except (KeyError, TypeError):
        raise TypeError(
            f"can't convert np.ndarray of type {np.dtype(npd)}. The only supported types are: "
            "float64, float32, float16, int64, int32, int16, int8, uint8, and bool."
        ) from None


def to_dtype(d) -> dtype:
    """Accept an nnlite dtype, a numpy dtype or a Python type (float, int, bool)."""
    if d.__class__ is dtype:
        return d
    if d is builtins.float:
        return _default_float
    if d is builtins.int:
        return int64
    if d is builtins.bool:
        return bool
    return from_numpy_dtype(d)


def get_default_dtype() -> dtype:
    return _default_float


def set_default_dtype(d) -> None:
    global _default_float
    d = to_dtype(d)
    if not d.is_floating_point:
        raise TypeError("only floating-point types are supported as the default type")
    _default_float = d


def promote_types(a: dtype, b: dtype) -> dtype:
    """Promotion of two dtypes as PyTorch does it (int64 with float32 gives float32)."""
    if a is b:
        return a
    if a._cat != b._cat:
        return a if a._cat > b._cat else b
    return _BY_NP[np.promote_types(a.np, b.np)]


def result_type_np(a: np.ndarray, b: np.ndarray) -> np.dtype:
    """Result dtype of a binary op on two arrays, by PyTorch's rules.

    Within a category the wider dtype wins, but a 0-dim operand does not widen a dimensioned one
    (``float32 vector * float64 0-dim -> float32``); a higher category always wins.
    """
    da, db = a.dtype, b.dtype
    if da == db:
        return da
    ta, tb = _BY_NP[da], _BY_NP[db]
    if ta._cat != tb._cat:
        return da if ta._cat > tb._cat else db
    za, zb = a.ndim == 0, b.ndim == 0
    if za != zb:
        return db if za else da
    return np.promote_types(da, db)
