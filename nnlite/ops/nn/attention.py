"""Scaled dot-product attention (composed from differentiable ops)."""

from __future__ import annotations

import math

import numpy as np

from nnlite._tensor import Tensor
from nnlite.ops import reduce as R
from nnlite.ops.nn.dropout import dropout

_W = Tensor._wrap


def _float_mask(mask: Tensor | None, dtype) -> Tensor | None:
    """A boolean mask (True = masked out) as an additive float mask (-inf where True)."""
    if mask is None:
        return None
    md = mask._data
    if md.dtype == np.bool_:
        return _W(np.where(md, -np.inf, 0.0).astype(dtype.np if hasattr(dtype, "np") else dtype))
    if md.dtype.kind != "f":
        raise AssertionError("only bool and floating types of masks are supported")
    return mask


def scaled_dot_product_attention(query: Tensor, key: Tensor, value: Tensor,
                                 attn_mask: Tensor | None = None, dropout_p: float = 0.0,
                                 is_causal: bool = False, scale: float | None = None,
                                 enable_gqa: bool = False) -> Tensor:
    """``softmax(q k^T * scale + mask) v`` over the last two dims (q: (..., L, E), k: (..., S, E),
    v: (..., S, Ev)); a boolean ``attn_mask`` marks the pairs that may attend (True = keep).

    Example:
        >>> q = k = v = torch.randn(2, 4, 5, 8)
        >>> F.scaled_dot_product_attention(q, k, v, is_causal=True).shape
        torch.Size([2, 4, 5, 8])
    """
    if enable_gqa:
        raise NotImplementedError("scaled_dot_product_attention: enable_gqa is not supported")
    length, s = query.shape[-2], key.shape[-2]
    scale_factor = 1.0 / math.sqrt(query.shape[-1]) if scale is None else scale
    npd = query._data.dtype
    bias = None
    if is_causal:
        if attn_mask is not None:
            raise RuntimeError("_scaled_dot_product_attention: Explicit attn_mask should not be "
                               "set when is_causal=True")
        keep = np.tril(np.ones((length, s), bool))
        bias = _W(np.where(keep, 0.0, -np.inf).astype(npd))
    elif attn_mask is not None:
        md = attn_mask._data
        bias = _W(np.where(md, 0.0, -np.inf).astype(npd)) if md.dtype == np.bool_ else attn_mask
    # torch's math path scales q and k each by sqrt(scale)
    root = math.sqrt(scale_factor)
    attn = (query * root).matmul(key.transpose(-2, -1) * root)
    if bias is not None:
        attn = attn + bias
    attn = R.softmax(attn, -1)
    if dropout_p > 0.0:
        attn = dropout(attn, dropout_p, True)
    return attn.matmul(value)
