"""``linalg.matrix_exp``: the exponential of square matrices (batched) by scaling and squaring
with the degree-13 Padé approximant (Higham, 2005), in float64; backward by the block identity
``d exp(A)^* [G] = exp([[A^H, G], [0, A^H]])[:n, n:]``, written with the op itself so it is
differentiable again."""

from __future__ import annotations

import math

import numpy as np

from nnlite._tensor import Tensor
from nnlite.autograd.function import Node, record
from nnlite.ops import creation as C
from nnlite.ops import shape as S

_W = Tensor._wrap
_B13 = (64764752532480000.0, 32382376266240000.0, 7771770303897600.0, 1187353796428800.0,
        129060195264000.0, 10559470521600.0, 670442572800.0, 33522128640.0, 1323241920.0,
        40840800.0, 960960.0, 16380.0, 182.0, 1.0)
_THETA13 = 5.371920351148152


def _expm(a: np.ndarray) -> np.ndarray:
    """``exp(a)`` of one float64 matrix."""
    n = a.shape[-1]
    norm = np.abs(a).sum(0).max() if n else 0.0
    s = max(0, math.ceil(math.log2(norm / _THETA13))) if norm > _THETA13 else 0
    a = a / 2.0**s
    b = _B13
    eye = np.eye(n)
    a2 = a @ a
    a4 = a2 @ a2
    a6 = a4 @ a2
    u = a @ (a6 @ (b[13] * a6 + b[11] * a4 + b[9] * a2) + b[7] * a6 + b[5] * a4 + b[3] * a2
             + b[1] * eye)
    v = a6 @ (b[12] * a6 + b[10] * a4 + b[8] * a2) + b[6] * a6 + b[4] * a4 + b[2] * a2 \
        + b[0] * eye
    r = np.linalg.solve(v - u, v + u)
    for _ in range(s):
        r = r @ r
    return r


class LinalgMatrixExpBackward0(Node):
    def backward(self, g):
        (a,) = self._unpacked_saved
        ah = a.mT
        n = a.shape[-1]
        top = S.cat([ah, g], -1)
        bottom = S.cat([C.zeros_like(ah), ah], -1)
        return (matrix_exp(S.cat([top, bottom], -2))[..., :n, n:],)


def matrix_exp(A):
    """``exp(A) = sum_k A^k / k!`` for a square matrix or a batch of them.

    Example:
        >>> nnlite.linalg.matrix_exp(nnlite.zeros(2, 2))
        tensor([[1., 0.],
                [0., 1.]])
    """
    a = A._data
    if a.ndim < 2 or a.shape[-1] != a.shape[-2]:
        raise RuntimeError("linalg.matrix_exp: A must be batches of square matrices, but they "
                           f"are {a.shape[-2] if a.ndim >= 2 else 1} by {a.shape[-1]} matrices")
    if a.dtype.kind != "f":
        raise RuntimeError("linalg.matrix_exp: Expected a floating point or complex tensor as "
                           f"input. Got {A.dtype}")
    flat = a.reshape((-1,) + a.shape[-2:]).astype(np.float64)
    out = np.stack([_expm(m) for m in flat]) if flat.shape[0] else flat.copy()
    result = _W(out.reshape(a.shape).astype(a.dtype))
    record(result, LinalgMatrixExpBackward0, (A,), saved=(A,))
    return result
