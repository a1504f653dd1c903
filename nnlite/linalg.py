"""``torch.linalg`` subset: norms, inverse, determinant, solve (differentiable)."""

from __future__ import annotations

import numpy as np

from nnlite._tensor import Tensor
from nnlite.autograd.function import Node, record
from nnlite.ops import reduce as R
from nnlite.ops.linalg import matmul
from nnlite.ops.svd import linalg_svd as svd
from nnlite.ops.svd import svdvals

__all__ = ["norm", "vector_norm", "matrix_norm", "inv", "det", "solve", "matmul", "svd",
           "svdvals"]


def vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None):  # noqa: A002
    """``(sum |x|^ord)^(1/ord)`` over ``dim`` (all elements if None)."""
    if dim is None:
        x = x.reshape(-1)
    return R.norm(x, p=ord, dim=dim, keepdim=keepdim)


def matrix_norm(x, ord="fro", dim=(-2, -1), keepdim=False, *, dtype=None):  # noqa: A002
    if ord != "fro":
        raise NotImplementedError("matrix_norm: only ord='fro' is supported")
    return R.norm(x, p="fro", dim=dim, keepdim=keepdim)


def norm(x, ord=None, dim=None, keepdim=False, *, dtype=None):  # noqa: A002
    if ord is None or dim is None or isinstance(dim, int):
        return vector_norm(x, 2 if ord is None else ord, dim, keepdim)
    return matrix_norm(x, ord, dim, keepdim)


class LinalgInvExBackward0(Node):
    def backward(self, g):
        (y,) = self._unpacked_saved
        yt = y.transpose(-1, -2)
        return (-(matmul(matmul(yt, g), yt)),)


def inv(a):
    """Matrix inverse; d(A^-1) = -A^-1 dA A^-1."""
    try:
        out = Tensor._wrap(np.linalg.inv(a._data))
    except np.linalg.LinAlgError:
        raise RuntimeError(
            "linalg.inv: The diagonal element 1 is zero, the inversion could not be completed "
            "because the input matrix is singular."
        ) from None
    record(out, LinalgInvExBackward0, (a,), (out,))
    return out


class LinalgDetBackward0(Node):
    def backward(self, g):
        a, d = self._unpacked_saved
        ainv_t = inv(a).transpose(-1, -2)
        return ((g * d).unsqueeze(-1).unsqueeze(-1) * ainv_t,)


def det(a):
    out = Tensor._wrap(np.asarray(np.linalg.det(a._data)))
    record(out, LinalgDetBackward0, (a,), (a, out))
    return out


def solve(a, b):
    """Solution of ``a @ x = b`` (differentiable through ``inv``)."""
    if b._data.ndim == a._data.ndim - 1:
        return matmul(inv(a), b.unsqueeze(-1)).squeeze(-1)
    return matmul(inv(a), b)
