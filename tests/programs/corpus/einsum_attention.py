# Attention written with einsum: multi-head scaled dot-product attention with a causal mask,
# compared with F.scaled_dot_product_attention and nn.MultiheadAttention; einsum idioms (bilinear,
# batched outer product, trace, diagonal, transpose) and gradients through them.
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
B, T, H, D = 2, 5, 2, 4
q = torch.randn(B, H, T, D, requires_grad=True)
k = torch.randn(B, H, T, D, requires_grad=True)
v = torch.randn(B, H, T, D, requires_grad=True)
scores = torch.einsum("bhqd,bhkd->bhqk", q, k) / math.sqrt(D)
mask = torch.tril(torch.ones(T, T, dtype=torch.bool))
scores = scores.masked_fill(~mask, float("-inf"))
att = scores.softmax(dim=-1)
out = torch.einsum("bhqk,bhkd->bhqd", att, v)
ref = F.scaled_dot_product_attention(q, k, v, is_causal=True)
print(out.shape, torch.allclose(out, ref, atol=1e-6))
out.pow(2).sum().backward()
print(f"{q.grad.abs().sum().item():.5f} {k.grad.abs().sum().item():.5f} {v.grad.abs().sum().item():.5f}")
print(att[0, 0])

E = H * D
mha = nn.MultiheadAttention(E, H, batch_first=True)
x = torch.randn(B, T, E)
y, w = mha(x, x, x, need_weights=True, average_attn_weights=True)
Wq, Wk, Wv = mha.in_proj_weight.chunk(3)
bq, bk, bv = mha.in_proj_bias.chunk(3)
Q = torch.einsum("bte,fe->btf", x, Wq) + bq
K = torch.einsum("bte,fe->btf", x, Wk) + bk
V = torch.einsum("bte,fe->btf", x, Wv) + bv
split = lambda t: t.view(B, T, H, D)
A = torch.einsum("bqhd,bkhd->bhqk", split(Q), split(K)).div(math.sqrt(D)).softmax(-1)
ctx = torch.einsum("bhqk,bkhd->bqhd", A, split(V)).reshape(B, T, E)
mine = torch.einsum("bte,fe->btf", ctx, mha.out_proj.weight) + mha.out_proj.bias
print(torch.allclose(y, mine, atol=1e-5), torch.allclose(w, A.mean(1), atol=1e-6))
a = torch.randn(3, 4)
bb = torch.randn(4, 5)
print(torch.allclose(torch.einsum("ij,jk->ik", a, bb), a @ bb, atol=1e-6))
print(torch.einsum("ii", torch.arange(9.0).view(3, 3)), torch.einsum("ii->i", torch.arange(9.0).view(3, 3)))
print(torch.einsum("ij->ji", a).shape, torch.einsum("i,j->ij", torch.arange(3.0), torch.arange(2.0)))
print(torch.einsum("bi,bj->bij", a, a).shape, torch.einsum("...ij,...jk", a.expand(2, 3, 4), bb).shape)
W = torch.randn(2, 4, 4)
print(torch.einsum("bn,anm,bm->ba", a, W, a).shape)
print(f"{torch.einsum('i,i->', torch.ones(4), torch.arange(4.0)).item()}")
print(torch.einsum(a, [0, 1], bb, [1, 2], [0, 2]).shape)
xs = torch.randn(3, requires_grad=True)
torch.einsum("i,i->", xs, xs).backward()
print(torch.allclose(xs.grad, 2 * xs))
