"""``nanmedian`` (the lower median of the non-NaN values) and ``mode`` (the most frequent value),
as ``torch.nanmedian`` / ``torch.mode``: values picked from the input, so their nodes send the
gradient back to the picked places (the shared node of sort/topk/kthvalue/median)."""

from __future__ import annotations

import numpy as np

from nnlite._tensor import Tensor
from nnlite.autograd.function import record
from nnlite.ops._util import wrap_dim
from nnlite.ops.reduce import _RT, _picked, _PickedBackward, _return_type, values_indices

_W = Tensor._wrap
_RT.setdefault("nanmedian", _return_type("nanmedian"))


class NanmedianBackward0(_PickedBackward):
    pass


class NanmedianBackward1(_PickedBackward):
    pass


class ModeBackward0(_PickedBackward):
    pass


def _nan_lower_median_index(a: np.ndarray, axis: int) -> np.ndarray:
    """Per row along ``axis``: the index of the lower median of the non-NaN values (an all-NaN
    row: the first NaN), keepdims."""
    order = np.argsort(a, axis=axis, kind="stable")  # NaNs sort last
    valid = (~np.isnan(a)).sum(axis, keepdims=True)
    k = np.maximum((valid - 1) // 2, 0)
    return np.take_along_axis(order, k, axis=axis).astype(np.int64)


def nanmedian(x, dim=None, keepdim=False):
    """The median ignoring NaNs (the lower of the two middle values for an even count).

    Example:
        >>> nnlite.nanmedian(nnlite.tensor([1.0, float('nan'), 3.0, 2.0]))
        tensor(2.)
    """
    if dim is None:
        flat = x._data.reshape(-1)
        if flat.size == 0:
            return _W(np.array(np.nan, flat.dtype))
        i = int(_nan_lower_median_index(flat, 0)[0])
        out = _W(np.array(flat[i]))
        node = record(out, NanmedianBackward0, (x,))
        if node is not None:
            node.save(idx=_W(np.array([i])))
            node.shape, node.n, node.flat = x._data.shape, flat.size, True
        return out
    d = wrap_dim(dim, x._data.ndim)  # first: a 0-dim input takes dim -1 or 0 only, as torch
    if x._data.ndim == 0:
        return values_indices(x.clone(), _W(np.zeros((), np.int64)), "nanmedian")
    if x._data.shape[d] == 0:
        raise IndexError(f"nanmedian(): Expected reduction dim {d} to have non-zero size.")
    idx = np.ascontiguousarray(_nan_lower_median_index(x._data, d))
    v = _picked(x, d, idx, NanmedianBackward1, squeeze=not keepdim)
    return values_indices(v, _W(idx if keepdim else idx.squeeze(d)), "nanmedian")


def _mode_rows(rows: np.ndarray):
    """Mode and the index of its last occurrence, per row of a 2-D array (ties: the smallest
    value, as torch's CPU kernel)."""
    vals = np.empty(rows.shape[0], rows.dtype)
    idx = np.empty(rows.shape[0], np.int64)
    for r, row in enumerate(rows):
        order = np.argsort(row, kind="stable")
        s = row[order]
        starts = np.flatnonzero(np.r_[True, s[1:] != s[:-1]])
        counts = np.diff(np.r_[starts, s.size])
        best = int(np.argmax(counts))  # first maximal run: the smallest value
        vals[r] = s[starts[best]]
        idx[r] = order[starts[best] + counts[best] - 1]  # its last position in the row
    return vals, idx


def mode(x, dim=-1, keepdim=False):
    """The most frequent value along ``dim`` and the index of its last occurrence.

    Example:
        >>> nnlite.mode(nnlite.tensor([[1, 2, 2], [3, 3, 1]]), 1).values
        tensor([2, 3])
    """
    d = wrap_dim(dim, x._data.ndim)  # first: a 0-dim input takes dim -1 or 0 only, as torch
    if x._data.ndim == 0:
        return values_indices(x.clone(), _W(np.zeros((), np.int64)), "mode")
    if x._data.shape[d] == 0:
        raise IndexError(f"mode(): Expected reduction dim {d} to have non-zero size.")
    moved = np.moveaxis(x._data, d, -1)
    _, idx = _mode_rows(moved.reshape(-1, moved.shape[-1]))
    idx = np.moveaxis(idx.reshape(moved.shape[:-1] + (1,)), -1, d)
    idx = np.ascontiguousarray(idx)
    v = _picked(x, d, idx, ModeBackward0, squeeze=not keepdim)
    return values_indices(v, _W(idx if keepdim else idx.squeeze(d)), "mode")
