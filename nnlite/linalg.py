"""``torch.linalg`` subset: norms, inverse, determinant, solve, svd (differentiable).

A facade: the ops and their nodes live in :mod:`nnlite.ops.linalg` and :mod:`nnlite.ops.svd`.
"""

from __future__ import annotations

from nnlite.ops.linalg import linalg_det as det
from nnlite.ops.linalg import linalg_inv as inv
from nnlite.ops.linalg import linalg_matrix_norm as matrix_norm
from nnlite.ops.linalg import linalg_norm as norm
from nnlite.ops.linalg import linalg_solve as solve
from nnlite.ops.linalg import linalg_vector_norm as vector_norm
from nnlite.ops.linalg import matmul
from nnlite.ops.svd import linalg_svd as svd
from nnlite.ops.svd import svdvals

__all__ = ["norm", "vector_norm", "matrix_norm", "inv", "det", "solve", "matmul", "svd",
           "svdvals"]
