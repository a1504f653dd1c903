"""Scaled dot-product attention: torch's CPU flash kernel's node
(``ScaledDotProductFlashAttentionForCpuBackward0``, forward on arrays, backward in Tensor ops)
where torch picks that kernel (4-D inputs, equal head dims, no dropout), else torch's math path
composed from differentiable ops."""

from __future__ import annotations

import math

import numpy as np

from nnlite._tensor import Tensor
from nnlite.autograd.function import Node, record
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


# the SDPA backends ``torch.nn.attention.sdpa_kernel`` allows (by SDPBackend value: 0 math,
# 1 flash); None: all. Set through ``nnlite.nn.attention.sdpa_kernel``.
_ALLOWED_BACKENDS: list = [None]
_MATH, _FLASH = 0, 1


def _backend_allowed(value: int) -> bool:
    allowed = _ALLOWED_BACKENDS[0]
    return allowed is None or value in allowed


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
    if (query.dim() == 4 and key.dim() == 4 and value.dim() == 4 and dropout_p == 0.0
            and value.shape[-1] == query.shape[-1] and npd.kind == "f"
            and (bias is None or not bias.requires_grad) and _backend_allowed(_FLASH)):
        return _flash(query, key, value, None if bias is None else bias._data, scale_factor)
    if not _backend_allowed(_MATH):
        raise RuntimeError("No viable backend for scaled_dot_product_attention was found. This "
                           "is likely due to turning off both the math kernel and the fused "
                           "kernels.")
    # torch's math path scales q and k each by sqrt(scale)
    root = math.sqrt(scale_factor)
    attn = (query * root).matmul(key.transpose(-2, -1) * root)
    if bias is not None:
        attn = attn + bias
    attn = R.softmax(attn, -1)
    if dropout_p > 0.0:
        attn = dropout(attn, dropout_p, True)
    return attn.matmul(value)


def _softmax_np(s: np.ndarray) -> np.ndarray:
    m = s.max(axis=-1, keepdims=True)
    m = np.where(np.isfinite(m), m, 0)
    e = np.exp(s - m)
    return e / e.sum(axis=-1, keepdims=True)


def _flash(q: Tensor, k: Tensor, v: Tensor, bias, scale: float) -> Tensor:
    s = (q._data @ k._data.swapaxes(-2, -1)) * scale
    if bias is not None:
        s = s + bias
    out = _W(np.ascontiguousarray((_softmax_np(s) @ v._data).astype(q._data.dtype, copy=False)))
    node = record(out, ScaledDotProductFlashAttentionForCpuBackward0, (q, k, v), (q, k, v))
    if node is not None:
        node.scale = scale
        node.save(bias=None if bias is None else _W(bias))
    return out


class ScaledDotProductFlashAttentionForCpuBackward0(Node):
    """``o = softmax(q k^T s + b) v``: with ``a`` the attention, ``gv = a^T g``,
    ``gz = a (g v^T - rowsum(a g v^T))``, ``gq = gz k s``, ``gk = gz^T q s``; ``a`` rebuilt from
    the saved q, k in Tensor ops, so double backward works."""

    def backward(self, g):
        q, k, v = self._unpacked_saved
        nig = self.needs_input_grad
        z = q.matmul(k.transpose(-2, -1)) * self.scale
        if self.bias is not None:
            z = z + self.bias
        a = R.softmax(z, -1)
        gq = gk = gv = None
        if nig[2]:
            gv = a.transpose(-2, -1).matmul(g)
        if nig[0] or nig[1]:
            ga = g.matmul(v.transpose(-2, -1))
            gz = a * (ga - (ga * a).sum(-1, keepdim=True)) * self.scale
            if nig[0]:
                gq = gz.matmul(k)
            if nig[1]:
                gk = gz.transpose(-2, -1).matmul(q)
        return gq, gk, gv
