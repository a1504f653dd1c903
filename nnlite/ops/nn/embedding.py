"""Embedding: gather rows forward, scatter-add rows backward (adjoint nodes).
"""

from __future__ import annotations

import numpy as np

from nnlite._tensor import Tensor
from nnlite.autograd.function import Node, record

_W = Tensor._wrap


def _const(arr: np.ndarray) -> Tensor:
    """A constant (no-grad) tensor around an array, for Tensor-op backward formulas."""
    return _W(arr)

# ---- embedding ---------------------------------------------------------------------------------


def _scatter_rows_np(g2, idx, num, scale):
    """``out[idx[i]] += g2[i] * scale[i]`` for rows; sorted segment sums (np.add.reduceat)."""
    out = np.zeros((num, g2.shape[1]), g2.dtype)
    if idx.size == 0:
        return out
    if scale is not None:
        g2 = g2 * scale[:, None]
    order = np.argsort(idx, kind="stable")
    sidx = idx[order]
    starts = np.flatnonzero(np.r_[True, sidx[1:] != sidx[:-1]])
    out[sidx[starts]] = np.add.reduceat(g2[order], starts, axis=0)
    return out


class EmbeddingScatterBackward(Node):
    """``gw = scatter_rows(g)`` is linear; its backward gathers rows, zeroing ``padding_idx``
    but NOT dividing by the index counts: PyTorch's ``embedding_dense_double_backward``
    ignores ``scale_grad_by_freq`` (so that gradient is not the adjoint, as in torch)."""

    def backward(self, gg):
        return (embedding_gather(gg, self.idx, self.gather_scale, self.g_shape),)


def embedding_scatter(g: Tensor, idx: np.ndarray, num: int, scale, gather_scale=None) -> Tensor:
    """Rows of ``g`` (shape idx.shape + (D,)), times ``scale`` (per position, or None), summed
    into a (num, D) zero array at ``idx``; its backward gathers times ``gather_scale``."""
    dim = g._data.shape[-1]
    out = _W(_scatter_rows_np(g._data.reshape(-1, dim), idx.ravel(), num, scale))
    node = record(out, EmbeddingScatterBackward, (g,))
    if node is not None:
        node.g_shape = g._data.shape
        node.save(idx=idx, gather_scale=gather_scale)
    return out


class EmbeddingGatherBackward(Node):
    def backward(self, g):
        return (embedding_scatter(g, self.idx, self.num, self.scale, self.scale),)


def embedding_gather(w: Tensor, idx: np.ndarray, scale, out_shape) -> Tensor:
    rows = np.take(w._data, idx.ravel(), axis=0)
    if scale is not None:
        rows = rows * scale[:, None].astype(rows.dtype)
    out = _W(rows.reshape(out_shape))
    node = record(out, EmbeddingGatherBackward, (w,))
    if node is not None:
        node.num = w._data.shape[0]
        node.save(idx=idx, scale=scale)
    return out


class EmbeddingBackward0(Node):
    def backward(self, g):
        return (embedding_scatter(g, self.idx, self.num, self.scale, self.pad_scale),)


def embedding(input: Tensor, weight: Tensor, padding_idx=None, max_norm=None, norm_type=2.0,
              scale_grad_by_freq=False, sparse=False) -> Tensor:
    """``weight[input]``; the gradient scatter-adds rows, skipping ``padding_idx`` and dividing by
    each index's count in the batch when ``scale_grad_by_freq``."""
    idx = input._data if isinstance(input, Tensor) else np.asarray(input)
    if idx.dtype.kind not in "iu":
        kind = {"float32": "Float", "float64": "Double", "bool": "Bool"}.get(idx.dtype.name,
                                                                            idx.dtype.name)
        raise RuntimeError(
            "Expected tensor for argument #1 'indices' to have one of the following scalar "
            f"types: Long, Int; but got torch.{kind}Tensor instead (while checking arguments for "
            "embedding)"
        )
    wd = weight._data
    if wd.ndim != 2:
        raise RuntimeError("'weight' must be 2-D")
    num = wd.shape[0]
    if padding_idx is not None:
        if padding_idx > 0:
            assert padding_idx < num, "Padding_idx must be within num_embeddings"
        elif padding_idx < 0:
            assert padding_idx >= -num, "Padding_idx must be within num_embeddings"
            padding_idx = num + padding_idx
    if idx.size and (idx.min() < 0 or idx.max() >= num):
        raise IndexError("index out of range in self")
    idx = idx.astype(np.int64, copy=False)
    if max_norm is not None:
        _embedding_renorm_(weight, idx, max_norm, norm_type)
        wd = weight._data
    out = _W(np.take(wd, idx, axis=0))
    node = record(out, EmbeddingBackward0, (weight,))
    if node is not None:
        flat = idx.ravel()
        scale = keep = None
        if scale_grad_by_freq:
            scale = 1.0 / np.bincount(flat, minlength=num)[flat]
        if padding_idx is not None:
            keep = (flat != padding_idx).astype(wd.dtype)
            scale = keep if scale is None else scale * keep
        node.num = num
        node.save(idx=idx, scale=None if scale is None else scale.astype(wd.dtype),
                  pad_scale=keep)
    return out


def _embedding_renorm_(weight: Tensor, idx, max_norm, norm_type):
    """In place, no grad: rows used by ``idx`` whose ``norm_type``-norm exceeds ``max_norm`` are
    scaled to ``max_norm`` (PyTorch's ``embedding_renorm_``, same 1e-7 guard)."""
    wd = weight._data
    rows = np.unique(idx)
    sub = wd[rows]
    if norm_type == np.inf:
        norms = np.abs(sub).max(axis=1)
    else:
        norms = (np.abs(sub) ** norm_type).sum(axis=1) ** (1.0 / norm_type)
    big = norms > max_norm
    if big.any():
        scale = (max_norm / (norms[big] + 1e-7)).astype(wd.dtype)
        wd[rows[big]] = sub[big] * scale[:, None]
        weight._vc[0] += 1


# ---- one-hot encoding of class indices ----------------------------------------------------------


def one_hot(input: Tensor, num_classes: int = -1) -> Tensor:
    """int64 one-hot encoding with a new last dim of size ``num_classes``."""
    td = input._data
    if td.dtype.kind not in "iu":
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    if num_classes == -1:
        num_classes = int(td.max()) + 1 if td.size else 0
    if td.size and (td.min() < 0 or td.max() >= num_classes):
        raise RuntimeError("Class values must be smaller than num_classes.")
    return Tensor._wrap(np.eye(num_classes, dtype=np.int64)[td])
