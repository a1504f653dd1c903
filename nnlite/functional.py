"""``torch.functional``: the tensor functions PyTorch defines in Python (einsum, split, norm, ...).

The same functions as at the top level of ``nnlite``; the ones nnlite does not provide
(``stft``/``istft``, ``lu``, ``pca_lowrank``/``svd_lowrank``, ``unique_consecutive``,
``unravel_index``) are absent here as there.
"""

from nnlite.ops import (  # noqa: F401
    atleast_1d,
    atleast_2d,
    atleast_3d,
    block_diag,
    broadcast_shapes,
    broadcast_tensors,
    cartesian_prod,
    cdist,
    chain_matmul,
    einsum,
    meshgrid,
    norm,
    split,
    tensordot,
    unique,
)

__all__ = [
    "atleast_1d", "atleast_2d", "atleast_3d", "block_diag", "broadcast_shapes",
    "broadcast_tensors", "cartesian_prod", "cdist", "chain_matmul", "einsum", "meshgrid", "norm",
    "split", "tensordot", "unique",
]
