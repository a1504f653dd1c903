"""``F.embedding_bag``: sums, means or maxima of bags of embedding rows, without materialising
the (bags, positions, dim) gathered tensor of ``embedding(...).sum(1)``.

The bags are given as a 2-D index tensor (one bag per row) or as a flat index tensor with
``offsets`` (bag ``b`` is ``input[offsets[b]:offsets[b+1]]``). Entries equal to
``padding_idx`` are left out of their bag (a mean divides by the count of the others), an empty
bag gives zeros. It is a composite of differentiable ops (row gather, ``index_add`` into the
bags, a padded ``max``), so double backward works; its node shows torch's
``EmbeddingBagBackward0``.
"""

from __future__ import annotations

import numpy as np

from nnlite._tensor import Tensor
from nnlite.ops.calling import relabel
from nnlite.ops.creation import full, zeros
from nnlite.ops.nn.embedding import _embedding_renorm_, embedding
from nnlite.ops.shape import cat

_MODES = ("sum", "mean", "max")


def _bags(input: Tensor, offsets, include_last_offset: bool):
    """(flat indices, bag id of each, number of bags) with torch's checks on ``offsets``."""
    idx = np.asarray(input._data if isinstance(input, Tensor) else input)
    if idx.ndim == 2:
        if offsets is not None:
            raise ValueError(
                "if input is 2D, then offsets has to be None, as input is treated is a "
                "mini-batch of fixed length sequences. However, found offsets of type "
                f"{type(offsets)}")
        nb, length = idx.shape
        return idx.reshape(-1), np.repeat(np.arange(nb, dtype=np.int64), length), nb
    if idx.ndim != 1:
        raise ValueError(f"input has to be 1D or 2D Tensor, but got Tensor of dimension "
                         f"{idx.ndim}")
    if offsets is None:
        raise ValueError("offsets has to be a 1D Tensor but got None")
    off = np.asarray(offsets._data if isinstance(offsets, Tensor) else offsets)
    if off.ndim != 1:
        raise ValueError("offsets has to be a 1D Tensor")
    off = off.astype(np.int64)
    if off.size and off[0] != 0:
        raise RuntimeError(
            "offsets[0] has to be 0, i.e., the first sequence in the mini-batch has to start "
            f"from position 0. However, got {off[0]}")
    if off.size and off[-1] > idx.size:
        raise RuntimeError(f"offsets[-1] can not be greater than input's length {idx.size} "
                           f"but got offsets[-1] of {off[-1]}")
    if np.any(off[1:] < off[:-1]):
        raise RuntimeError("offsets must be non-decreasing")
    nb = max(off.size - 1, 0) if include_last_offset else off.size
    bag = np.searchsorted(off, np.arange(idx.size), side="right").astype(np.int64) - 1
    if include_last_offset:
        # positions past the last offset belong to the last bag (as torch's CPU kernel)
        bag = np.minimum(bag, nb - 1)
        if nb == 0:
            idx, bag = idx[:0], bag[:0]
    return idx, bag, nb


def embedding_bag(input: Tensor, weight: Tensor, offsets=None, max_norm=None,
                  norm_type: float = 2, scale_grad_by_freq: bool = False, mode: str = "mean",
                  sparse: bool = False, per_sample_weights=None,
                  include_last_offset: bool = False, padding_idx=None) -> Tensor:
    """Reduce bags of rows of ``weight`` (N, D) into (B, D): ``mode`` 'sum' (optionally
    weighted by ``per_sample_weights``, same shape as ``input``), 'mean' or 'max'."""
    if mode not in _MODES:
        raise ValueError(f"mode has to be one of sum, mean or max, but got {mode}")
    if per_sample_weights is not None and mode != "sum":
        raise NotImplementedError(
            "embedding_bag: per_sample_weights was not None. per_sample_weights is only "
            f"supported for mode='sum' (got mode='{mode}'). Please open a feature request on "
            "GitHub.")
    if weight.dim() != 2:
        raise ValueError(f"weight has to be a 2D Tensor, but got Tensor of dimension "
                         f"{weight.dim()}")
    if per_sample_weights is not None and tuple(per_sample_weights.shape) != tuple(input.shape):
        raise ValueError(f"embedding_bag: If per_sample_weights ({per_sample_weights.shape}) "
                         f"is not None, then it must have the same shape as the input "
                         f"({input.shape})")
    idx, bag, nb = _bags(input, offsets, include_last_offset)
    if idx.dtype.kind not in "iu":
        raise RuntimeError("Expected tensor for argument #1 'indices' to have one of the "
                           "following scalar types: Long, Int")
    idx = idx.astype(np.int64)
    num, dim = weight.shape
    if idx.size and (idx.min() < 0 or idx.max() >= num):
        raise IndexError("index out of range in self")
    if max_norm is not None:
        _embedding_renorm_(weight, idx, max_norm, norm_type)
    psw = None
    if per_sample_weights is not None:
        psw = per_sample_weights.reshape(-1)
    if padding_idx is not None:
        if padding_idx < 0:
            padding_idx += num
        keep = idx != padding_idx
        if psw is not None and not keep.all():
            psw = psw[Tensor._wrap(np.flatnonzero(keep))]
        idx, bag = idx[keep], bag[keep]
    rows = embedding(Tensor._wrap(idx), weight, None, None, 2.0, scale_grad_by_freq)
    if psw is not None:
        rows = rows * psw.unsqueeze(1)
    counts = np.bincount(bag, minlength=nb)
    if mode == "max":
        # pad each bag to the longest with -inf rows, max over positions, empty bags -> 0
        longest = int(counts.max()) if counts.size else 0
        starts = np.cumsum(counts) - counts
        pos = np.arange(bag.size, dtype=np.int64) - starts[bag]
        src = np.full(nb * longest, bag.size, dtype=np.int64)
        src[bag * longest + pos] = np.arange(bag.size, dtype=np.int64)
        ninf = full((1, dim), float("-inf"), dtype=weight.dtype)
        grid = cat([rows, ninf], 0).index_select(0, Tensor._wrap(src))
        if longest == 0:
            out = zeros(nb, dim, dtype=weight.dtype)
        else:
            out = grid.reshape(nb, longest, dim).max(dim=1).values
            empty = counts == 0
            if empty.any():
                out = out.masked_fill(Tensor._wrap(empty[:, None]), 0.0)
    else:
        out = zeros(nb, dim, dtype=weight.dtype).index_add(0, Tensor._wrap(bag), rows)
        if mode == "mean":
            div = np.maximum(counts, 1).astype(weight._data.dtype)[:, None]
            out = out / Tensor._wrap(div)
    return relabel(out, "EmbeddingBagBackward0", keep=[t.grad_fn for t in (weight,
                   per_sample_weights) if t is not None and t.grad_fn is not None])
