"""``F.embedding_bag``: sums, means or maxima of bags of embedding rows, without materialising
the (bags, positions, dim) gathered tensor of ``embedding(...).sum(1)``.

The bags are given as a 2-D index tensor (one bag per row) or as a flat index tensor with
``offsets`` (bag ``b`` is ``input[offsets[b]:offsets[b+1]]``). Entries equal to
``padding_idx`` are left out of their bag (a mean divides by the count of the others), an empty
bag gives zeros. One node, torch's ``EmbeddingBagBackward0`` over (weight, per_sample_weights):
the forward on arrays, the backward in Tensor ops (index-adds of the bags' gradients into the
rows they summed or took the maximum from), so double backward works.
"""

from __future__ import annotations

import numpy as np

from nnlite._tensor import Tensor
from nnlite.autograd.function import Node, record
from nnlite.ops.creation import zeros
from nnlite.ops.elementwise import _NOGRAD
from nnlite.ops.nn.embedding import _embedding_renorm_

_W = Tensor._wrap

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
    kept = np.arange(idx.size, dtype=np.int64)  # the entries of input in the bags
    if padding_idx is not None:
        if padding_idx < 0:
            padding_idx += num
        keep = idx != padding_idx
        kept, idx, bag = kept[keep], idx[keep], bag[keep]
    if psw is not None and kept.size != psw.shape[0]:
        psw = psw[_W(kept)]
    wd = weight._data
    rows = wd[idx]
    if psw is not None:
        rows = rows * psw._data.astype(wd.dtype, copy=False)[:, None]
    counts = np.bincount(bag, minlength=nb)
    out = np.zeros((nb, dim), wd.dtype)
    sel = None
    if mode == "max":
        # each (bag, column)'s maximum and the weight row it came from (-1: empty bag -> 0)
        sel = np.full((nb, dim), -1, np.int64)
        if bag.size:
            longest = int(counts.max())
            starts = np.cumsum(counts) - counts
            pos = np.arange(bag.size, dtype=np.int64) - starts[bag]
            grid = np.full((nb, longest, dim), -np.inf, wd.dtype)
            grid[bag, pos] = rows
            src = np.full((nb, longest), -1, np.int64)
            src[bag, pos] = idx
            best = grid.argmax(axis=1)
            nonempty = counts > 0
            out[nonempty] = np.take_along_axis(grid, best[:, None], 1)[:, 0][nonempty]
            sel[nonempty] = np.take_along_axis(src, best, 1)[nonempty]
    else:
        np.add.at(out, bag, rows)  # in entry order, as torch sums a bag
        if mode == "mean":
            out /= np.maximum(counts, 1).astype(wd.dtype)[:, None]
    res = _W(out)
    node = record(res, EmbeddingBagBackward0,
                  (weight, _NOGRAD if per_sample_weights is None else per_sample_weights))
    if node is not None:
        node.save_for_backward(weight, psw)
        node.mode = mode
        node.psw_shape = None if psw is None else tuple(per_sample_weights.shape)
        freq = None
        if scale_grad_by_freq and mode != "max":
            freq = (1.0 / np.bincount(idx, minlength=num)[idx]).astype(wd.dtype)
        node.save(idx=idx, bag=bag, kept=kept, sel=sel, freq=freq,
                  div=np.maximum(counts, 1).astype(wd.dtype)[:, None])
    return res


class EmbeddingBagBackward0(Node):
    """``out[b] = reduce_{k in bag b} psw[k] W[idx[k]]``: sum/mean put ``g[b]`` (over the bag's
    size for mean, times ``psw[k]``) on row ``idx[k]``; max puts each column of ``g[b]`` on
    the row its maximum came from. ``g_psw[k] = g[bag[k]] . W[idx[k]]``."""

    def backward(self, g):
        weight, psw = self._unpacked_saved
        num, dim = weight.shape
        gw = gp = None
        if self.mode == "max":
            if self.needs_input_grad[0]:
                valid = self.sel >= 0
                gw = zeros(num, dim, dtype=g.dtype).scatter_add(
                    0, _W(np.where(valid, self.sel, 0)), g * _W(valid.astype(g._data.dtype)))
            return gw, None
        gb = g / _W(self.div) if self.mode == "mean" else g
        gk = gb.index_select(0, _W(self.bag))  # each entry's bag gradient
        it = _W(self.idx)
        if self.needs_input_grad[0]:
            gr = gk if psw is None else gk * psw.unsqueeze(1)
            if self.freq is not None:
                gr = gr * _W(self.freq[:, None])
            gw = zeros(num, dim, dtype=g.dtype).index_add(0, it, gr)
        if psw is not None and self.needs_input_grad[1]:
            gp = (gk * weight.index_select(0, it)).sum(1)
            n = int(np.prod(self.psw_shape, dtype=np.int64))
            gp = zeros(n, dtype=g.dtype).index_add(0, _W(self.kept), gp).reshape(self.psw_shape)
        return gw, gp
