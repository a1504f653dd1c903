# F.scaled_dot_product_attention against a hand-written attention, with causal, boolean and
# additive masks, and multi-head reshapes as transformer code does them.
import math

import torch
import torch.nn.functional as F

torch.manual_seed(0)
B, H, L, S, E = 2, 2, 4, 5, 8
q = torch.randn(B, H, L, E, requires_grad=True)
k = torch.randn(B, H, S, E, requires_grad=True)
v = torch.randn(B, H, S, E, requires_grad=True)


def manual(q, k, v, mask=None, causal=False, scale=None):
    scale = scale or 1 / math.sqrt(q.size(-1))
    att = q @ k.transpose(-2, -1) * scale
    if causal:
        c = torch.ones(q.size(-2), k.size(-2), dtype=torch.bool).tril()
        att = att.masked_fill(~c, float("-inf"))
    if mask is not None:
        att = att.masked_fill(~mask, float("-inf")) if mask.dtype == torch.bool else att + mask
    return att.softmax(-1) @ v


out = F.scaled_dot_product_attention(q, k, v)
print(out.shape, torch.allclose(out, manual(q, k, v), atol=1e-6))
qs = torch.randn(B, H, S, E)
causal = F.scaled_dot_product_attention(qs, k, v, is_causal=True)
print(torch.allclose(causal, manual(qs, k, v, causal=True), atol=1e-6), causal[0, 0, 0, :3])
bool_mask = torch.rand(L, S) > 0.3
bool_mask[:, 0] = True
m = F.scaled_dot_product_attention(q, k, v, attn_mask=bool_mask)
print(torch.allclose(m, manual(q, k, v, bool_mask), atol=1e-6))
add_mask = torch.randn(B, 1, L, S)
a = F.scaled_dot_product_attention(q, k, v, attn_mask=add_mask, scale=0.5)
print(torch.allclose(a, manual(q, k, v, add_mask, scale=0.5), atol=1e-6))
a.sum().backward()
print(q.grad.abs().sum().item() > 0, k.grad.shape, v.grad[0, 0, 0])
x = torch.randn(B, L, H * E)
heads = x.view(B, L, H, E).transpose(1, 2)
merged = heads.transpose(1, 2).contiguous().view(B, L, H * E)
print(heads.shape, torch.equal(merged, x), heads.is_contiguous())
print(F.scaled_dot_product_attention(heads, heads, heads, is_causal=True).grad_fn is None)
padding = torch.tensor([[False, False, False, True], [False, False, True, True]])
key_mask = ~padding[:, None, None, :]
pm = F.scaled_dot_product_attention(heads, heads, heads, attn_mask=key_mask)
print(pm[1, 0, 0], pm.isnan().any().item())
