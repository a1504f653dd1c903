"""Small helpers shared by the op families: wrapping scalars, dims, reducing broadcast grads."""

from __future__ import annotations

import builtins

import numpy as np

from nnlite import _dtype as D
from nnlite._tensor import Tensor, _as_array
from nnlite.autograd.function import record

_SCALARS = (builtins.int, builtins.float, builtins.bool, np.generic)

# dtype names as PyTorch spells them in error messages ("expected scalar type Long")
TYPE_NAMES = {"float16": "Half", "float32": "Float", "float64": "Double", "int8": "Char",
              "uint8": "Byte", "int16": "Short", "int32": "Int", "int64": "Long", "bool": "Bool",
              "complex64": "ComplexFloat", "complex128": "ComplexDouble"}


def as_t(x, like: Tensor | None = None) -> Tensor:
    """Tensor from a Tensor (as is) or anything array-like."""
    if isinstance(x, Tensor):
        return x
    return Tensor._wrap(_as_array(x))


def wrap_dims(dim, ndim: int) -> tuple | None:
    """Normalise ``dim`` (None, int, list/tuple) to a sorted tuple of non-negative axes."""
    if dim is None:
        return None
    if isinstance(dim, (list, tuple)):
        if len(dim) == 0:
            return None
        return tuple(sorted(wrap_dim(d, ndim) for d in dim))
    return (wrap_dim(dim, ndim),)


def wrap_dim(dim, ndim: int) -> int:
    n = builtins.max(ndim, 1)
    if isinstance(dim, (builtins.float, np.floating)):  # int() would truncate it silently
        raise TypeError(f"argument 'dim' must be int, not {type(dim).__name__}")
    dim = builtins.int(dim)
    if not -n <= dim < n:
        raise IndexError(
            f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {dim})"
        )
    return dim + n if dim < 0 else dim


def broadcast_shape(*shapes: tuple) -> tuple:
    """The shape ``shapes`` broadcast to, or torch's RuntimeError naming the first dimension
    that does not match (numpy's broadcasting would raise ValueError)."""
    first = shapes[0] if shapes else ()
    if all(s == first for s in shapes):
        return tuple(first)
    n = builtins.max(len(s) for s in shapes)
    out = [1] * n
    for k in range(1, n + 1):
        for s in shapes:
            if k <= len(s) and s[-k] != 1:
                if out[-k] != 1 and s[-k] != out[-k]:
                    raise RuntimeError(
                        f"The size of tensor a ({out[-k]}) must match the size of tensor b "
                        f"({s[-k]}) at non-singleton dimension {n - k}")
                out[-k] = s[-k]
    return tuple(out)


def check_index_range(idx: np.ndarray, size: int, dim: int, *, negative: bool = False,
                      error: type = RuntimeError, message: str | None = None) -> None:
    """PyTorch's error for the first index outside ``[0, size)`` (``[-size, size)`` when
    ``negative`` indices count from the end), instead of numpy's wrap-around or IndexError.

    Gather/scatter-style ops raise RuntimeError, index_select/index_add IndexError with their
    own ``message``.
    """
    if idx.size == 0:
        return
    lo = -size if negative else 0
    if idx.min() >= lo and idx.max() < size:
        return
    v = builtins.int(idx[(idx < lo) | (idx >= size)].reshape(-1)[0])
    raise error(message or f"index {v} is out of bounds for dimension {dim} with size {size}")


def sum_to(g: Tensor, shape: tuple) -> Tensor:
    """Sum a broadcast gradient back to ``shape`` (differentiable)."""
    gs = g._data.shape
    if gs == shape:
        return g
    nd = len(gs) - len(shape)
    axes = list(range(nd))
    for i, s in enumerate(shape):
        if s == 1 and gs[i + nd] != 1:
            axes.append(i + nd)
    # Tensor.sum is reduce.sum (bound by nnlite.ops), which is above this module
    out = g.sum(dim=tuple(axes), keepdim=True) if axes else g
    if out._data.shape != shape:
        out = out.reshape(shape)
    return out


def result_float(np_dtype) -> np.dtype:
    """The floating dtype an op on ``np_dtype`` gives (ints become the default float)."""
    return np_dtype if np_dtype.kind == "f" else D._default_float.np


def record_multi(outs, node_cls, inputs, saved):
    """One node for several outputs (as torch's multi-output ops: ``L, V = eigh(A)``,
    ``min, max = aminmax(x)``); a gradient the loss does not reach arrives as None."""
    node = record(outs[0], node_cls, inputs)
    if node is not None:
        node._out_meta = [(t._data.shape, t._data.dtype) for t in outs]
        for i, t in enumerate(outs):
            t._requires_grad, t.grad_fn, t._output_nr = True, node, i
        node.save_for_backward(*saved)
        node.materialize_grads = False
    return node
