"""``torch.linalg`` subset: norms, inverse, determinant, solve, svd, eigh, cholesky, qr,
slogdet, pinv, lstsq, matrix_rank, solve_triangular, matrix_power, lu, lu_factor, lu_solve,
matrix_exp (differentiable).

A facade: the ops and their nodes live in :mod:`nnlite.ops.linalg`, :mod:`nnlite.ops.svd` and
:mod:`nnlite.ops.decompositions`.
"""

from __future__ import annotations

from nnlite.ops.linalg import linalg_det as det
from nnlite.ops.linalg import linalg_inv as inv
from nnlite.ops.linalg import linalg_solve as solve
from nnlite.ops.linalg import linalg_vector_norm as vector_norm
from nnlite.ops.decompositions import cholesky, eigh, eigvalsh, lstsq, matrix_rank, pinv, qr
from nnlite.ops.decompositions import _LinAlgError as LinAlgError
from nnlite.ops.decompositions import linalg_norm as norm
from nnlite.ops.decompositions import matrix_norm, slogdet, solve_triangular
from nnlite.ops.linalg import matmul
from nnlite.ops.linalg import matrix_power
from nnlite.ops.lu import linalg_lu as lu
from nnlite.ops.lu import lu_factor, lu_solve
from nnlite.ops.matrix_exp import matrix_exp
from nnlite.ops.svd import linalg_svd as svd
from nnlite.ops.svd import svdvals
from nnlite.ops.linalg import cross as _cross

__all__ = ["norm", "vector_norm", "matrix_norm", "inv", "det", "solve", "matmul", "svd",
           "svdvals", "eigh", "eigvalsh", "cholesky", "qr", "slogdet", "pinv", "lstsq",
           "matrix_rank", "solve_triangular", "matrix_power", "LinAlgError", "lu", "lu_factor",
           "lu_solve", "matrix_exp", "cross", "diagonal"]


def cross(input, other, *, dim=-1):
    """``torch.linalg.cross``: cross product of 3-vectors along ``dim`` (default the last,
    where ``torch.cross`` takes the first dimension of size 3); batch dims broadcast."""
    return _cross(input, other, dim=dim)


def diagonal(A, *, offset=0, dim1=-2, dim2=-1):
    """``torch.linalg.diagonal``: ``torch.diagonal`` with the matrix dims last by default."""
    return A.diagonal(offset=offset, dim1=dim1, dim2=dim2)
