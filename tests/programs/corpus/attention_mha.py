# Attention: nn.MultiheadAttention (weights, masks) and F.scaled_dot_product_attention.
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
mha = nn.MultiheadAttention(embed_dim=8, num_heads=2, batch_first=True)
x = torch.randn(2, 5, 8)
out, w = mha(x, x, x)
print(out.shape, w.shape)
print(w[0])
causal = torch.triu(torch.ones(5, 5, dtype=torch.bool), 1)
out, w = mha(x, x, x, attn_mask=causal, average_attn_weights=False)
print(w.shape, w[0, 1])
pad = torch.tensor([[False] * 5, [False, False, False, True, True]])
out, w = mha(x, x, x, key_padding_mask=pad)
print(w[1])
q = torch.randn(2, 2, 4, 6)
k = torch.randn(2, 2, 4, 6)
v = torch.randn(2, 2, 4, 6)
print(F.scaled_dot_product_attention(q, k, v, is_causal=True)[0, 0])
manual = torch.softmax(q @ k.transpose(-2, -1) / 6 ** 0.5, -1) @ v
print(torch.allclose(F.scaled_dot_product_attention(q, k, v), manual, atol=1e-6))
print([n for n, _ in mha.named_parameters()])
