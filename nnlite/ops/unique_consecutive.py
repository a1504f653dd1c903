"""``unique_consecutive``: collapse runs of equal consecutive elements (or slices along ``dim``),
with the run index of every input element and the run lengths, as ``torch.unique_consecutive``
(no gradient, as torch)."""

from __future__ import annotations

import numpy as np

from nnlite._tensor import Tensor
from nnlite.ops._util import wrap_dim

_W = Tensor._wrap


def unique_consecutive(input, return_inverse=False, return_counts=False, dim=None):  # noqa: A002
    """The first element of each run of equal consecutive values.

    Example:
        >>> nnlite.unique_consecutive(nnlite.tensor([1, 1, 2, 2, 3, 1]))
        tensor([1, 2, 3, 1])
    """
    a = input._data
    if dim is None:
        flat = a.reshape(-1)
        starts = np.r_[True, flat[1:] != flat[:-1]] if flat.size else np.zeros(0, bool)
        out = flat[starts]
        inverse_shape = a.shape
    else:
        d = wrap_dim(dim, a.ndim)
        moved = np.moveaxis(a, d, 0)
        rows = moved.reshape(moved.shape[0], int(np.prod(moved.shape[1:])))  # -1 fails for 0 rows
        if rows.shape[0]:
            change = np.any(rows[1:] != rows[:-1], axis=1)
            starts = np.r_[True, change]
        else:
            starts = np.zeros(0, bool)
        out = np.moveaxis(moved[starts], 0, d)
        inverse_shape = (a.shape[d],)
    inverse = (np.cumsum(starts) - 1).astype(np.int64).reshape(inverse_shape)
    counts = np.diff(np.r_[np.flatnonzero(starts), starts.size]).astype(np.int64)
    result = [_W(np.ascontiguousarray(out))]
    if return_inverse:
        result.append(_W(inverse))
    if return_counts:
        result.append(_W(counts))
    return result[0] if len(result) == 1 else tuple(result)
