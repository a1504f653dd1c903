"""``F.multi_head_attention_forward``: PyTorch's multi-head attention as a function of its
weights (what ``nn.MultiheadAttention.forward`` calls), composed of differentiable ops in
PyTorch's math-path order: in-projection, optional bias_k/bias_v and zero-attention columns,
per-head ``softmax(q / sqrt(d) k^T + mask) v``, dropout, out-projection.

Example:
    >>> e, h = 8, 2
    >>> x = torch.randn(5, 3, e)  # (L, N, E)
    >>> w, b = torch.randn(3 * e, e), torch.zeros(3 * e)
    >>> out, attn = F.multi_head_attention_forward(x, x, x, e, h, w, b, None, None, False,
    ...                                            0.0, torch.randn(e, e), torch.zeros(e))
    >>> out.shape, attn.shape
    (torch.Size([5, 3, 8]), torch.Size([3, 5, 5]))
"""

from __future__ import annotations

import math

from nnlite._tensor import Tensor
from nnlite.ops import reduce as _reduce
from nnlite.ops.nn import dropout as _dropout
from nnlite.ops.nn import linear as _linear_ops
from nnlite.ops.nn import padding as _padding
from nnlite.ops.nn.attention import _float_mask
from nnlite.ops.shape import cat

__all__ = ["multi_head_attention_forward"]


def multi_head_attention_forward(
    query: Tensor, key: Tensor, value: Tensor, embed_dim_to_check: int, num_heads: int,
    in_proj_weight: Tensor | None, in_proj_bias: Tensor | None, bias_k: Tensor | None,
    bias_v: Tensor | None, add_zero_attn: bool, dropout_p: float, out_proj_weight: Tensor,
    out_proj_bias: Tensor | None, training: bool = True,
    key_padding_mask: Tensor | None = None, need_weights: bool = True,
    attn_mask: Tensor | None = None, use_separate_proj_weight: bool = False,
    q_proj_weight: Tensor | None = None, k_proj_weight: Tensor | None = None,
    v_proj_weight: Tensor | None = None, static_k: Tensor | None = None,
    static_v: Tensor | None = None, average_attn_weights: bool = True,
    is_causal: bool = False,
):
    """Multi-head attention over ``(L, N, E)`` query and ``(S, N, E)`` key/value (or unbatched
    ``(L, E)`` / ``(S, E)``).

    Args:
        query, key, value: the inputs, sequence first.
        embed_dim_to_check: E, checked against the query.
        num_heads: heads (E divisible by it).
        in_proj_weight, in_proj_bias: the packed (3E, E) / (3E,) in-projection (or None with
            ``use_separate_proj_weight`` and ``q/k/v_proj_weight``).
        bias_k, bias_v: (1, 1, E) biases appended to key/value, or None.
        add_zero_attn: append a zero key/value column.
        dropout_p: dropout on the attention weights (when ``training``).
        out_proj_weight, out_proj_bias: the out-projection.
        key_padding_mask: (N, S) bool (True = ignore) or float mask added to the scores.
        attn_mask: (L, S) or (N * heads, L, S) bool or float mask.
        static_k, static_v: precomputed (N * heads, S, E / heads) keys/values.
        average_attn_weights: average the returned weights over the heads.
        is_causal: a hint; ``attn_mask`` must be given with it (as torch requires here).

    Returns:
        ``(attn_output (L, N, E), attn_weights (N, L, S) or (N, heads, L, S), or None)``.
    """
    is_batched = query.dim() == 3
    if not is_batched:
        query, key, value = query.unsqueeze(1), key.unsqueeze(1), value.unsqueeze(1)
        if key_padding_mask is not None:
            key_padding_mask = key_padding_mask.unsqueeze(0)
    tgt_len, bsz, embed_dim = query.shape
    if embed_dim != embed_dim_to_check:
        raise AssertionError(f"was expecting embedding dimension of {embed_dim_to_check}, but "
                             f"got {embed_dim}")
    heads = num_heads
    hd = embed_dim // heads
    if hd * heads != embed_dim:
        raise AssertionError(f"embed_dim {embed_dim} not divisible by num_heads {heads}")
    dt = query._data.dtype
    if is_causal and attn_mask is None:
        raise RuntimeError("Need attn_mask if specifying the is_causal hint. You may use the "
                           "Transformer module method `generate_square_subsequent_mask` to "
                           "create this mask.")
    attn_mask = _float_mask(attn_mask, dt)
    key_padding_mask = _float_mask(key_padding_mask, dt)
    e = embed_dim
    b = in_proj_bias
    bq, bk, bv = (None, None, None) if b is None else (b[:e], b[e:2 * e], b[2 * e:])
    if use_separate_proj_weight:
        if q_proj_weight is None or k_proj_weight is None or v_proj_weight is None:
            raise AssertionError("use_separate_proj_weight is True but q_proj_weight, "
                                 "k_proj_weight or v_proj_weight is None")
        wq, wk, wv = q_proj_weight, k_proj_weight, v_proj_weight
    else:
        if in_proj_weight is None:
            raise AssertionError("use_separate_proj_weight is False but in_proj_weight is None")
        w = in_proj_weight
        wq, wk, wv = w[:e], w[e:2 * e], w[2 * e:]
    q = _linear_ops.linear(query, wq, bq)
    k = _linear_ops.linear(key, wk, bk)
    v = _linear_ops.linear(value, wv, bv)
    if attn_mask is not None:
        if attn_mask.dim() == 2:
            if tuple(attn_mask.shape) != (tgt_len, k.shape[0]):
                raise RuntimeError(f"The shape of the 2D attn_mask is {tuple(attn_mask.shape)}, "
                                   f"but should be {(tgt_len, k.shape[0])}.")
            attn_mask = attn_mask.unsqueeze(0)
        elif attn_mask.dim() == 3:
            if tuple(attn_mask.shape) != (bsz * heads, tgt_len, k.shape[0]):
                raise RuntimeError(f"The shape of the 3D attn_mask is {tuple(attn_mask.shape)}, "
                                   f"but should be {(bsz * heads, tgt_len, k.shape[0])}.")
        else:
            raise RuntimeError(f"attn_mask's dimension {attn_mask.dim()} is not supported")
    if bias_k is not None and bias_v is not None:
        if static_k is not None or static_v is not None:
            raise AssertionError("bias cannot be added to static key/value.")
        k = cat([k, bias_k.repeat(1, bsz, 1)])
        v = cat([v, bias_v.repeat(1, bsz, 1)])
        if attn_mask is not None:
            attn_mask = _padding.pad(attn_mask, (0, 1))
        if key_padding_mask is not None:
            key_padding_mask = _padding.pad(key_padding_mask, (0, 1))
    q = q.reshape(tgt_len, bsz * heads, hd).transpose(0, 1)
    if static_k is None:
        k = k.reshape(k.shape[0], bsz * heads, hd).transpose(0, 1)
    else:
        if tuple(static_k.shape[:1]) != (bsz * heads,) or static_k.shape[2] != hd:
            raise AssertionError(f"expecting static_k of shape ({bsz * heads}, S, {hd}), but "
                                 f"got {tuple(static_k.shape)}")
        k = static_k
    if static_v is None:
        v = v.reshape(v.shape[0], bsz * heads, hd).transpose(0, 1)
    else:
        if tuple(static_v.shape[:1]) != (bsz * heads,) or static_v.shape[2] != hd:
            raise AssertionError(f"expecting static_v of shape ({bsz * heads}, S, {hd}), but "
                                 f"got {tuple(static_v.shape)}")
        v = static_v
    if add_zero_attn:
        k = cat([k, k.new_zeros((bsz * heads, 1, hd))], 1)
        v = cat([v, v.new_zeros((bsz * heads, 1, hd))], 1)
        if attn_mask is not None:
            attn_mask = _padding.pad(attn_mask, (0, 1))
        if key_padding_mask is not None:
            key_padding_mask = _padding.pad(key_padding_mask, (0, 1))
    src_len = k.shape[1]
    if key_padding_mask is not None:
        if tuple(key_padding_mask.shape) != (bsz, src_len):
            raise AssertionError(f"expecting key_padding_mask shape of {(bsz, src_len)}, but "
                                 f"got {tuple(key_padding_mask.shape)}")
        kpm = key_padding_mask.reshape(bsz, 1, 1, src_len).expand(-1, heads, -1, -1)
        kpm = kpm.reshape(bsz * heads, 1, src_len)
        attn_mask = kpm if attn_mask is None else attn_mask + kpm
    p = dropout_p if training else 0.0
    scores = (q * math.sqrt(1.0 / float(hd))).matmul(k.transpose(-2, -1))
    if attn_mask is not None:
        scores = attn_mask + scores
    weights = _reduce.softmax(scores, -1)
    if p > 0.0:
        weights = _dropout.dropout(weights, p, True)
    out = weights.matmul(v)
    out = out.transpose(0, 1).reshape(tgt_len * bsz, embed_dim)
    out = _linear_ops.linear(out, out_proj_weight, out_proj_bias)
    out = out.reshape(tgt_len, bsz, embed_dim)
    if need_weights:
        weights = weights.reshape(bsz, heads, tgt_len, src_len)
        if average_attn_weights:
            weights = weights.mean(1)
        if not is_batched:
            weights = weights.squeeze(0)
    else:
        weights = None
    if not is_batched:
        out = out.squeeze(1)
    return out, weights
