# Pretrained embeddings: from_pretrained (frozen or not), padding_idx gradients, max_norm,
# sparse=False defaults, EmbeddingBag with offsets, and nn.functional.embedding.
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
vectors = torch.randn(6, 4)
frozen = nn.Embedding.from_pretrained(vectors)
print(frozen.weight.requires_grad, frozen, torch.equal(frozen(torch.tensor([2])), vectors[2:3]))
tune = nn.Embedding.from_pretrained(vectors, freeze=False, padding_idx=0)
print(tune.weight.requires_grad, tune.padding_idx)
idx = torch.tensor([[0, 2, 2], [5, 0, 1]])
out = tune(idx)
out.sum().backward()
print(tune.weight.grad)
emb = nn.Embedding(10, 3, padding_idx=1)
print(emb.weight[1], emb.weight.grad)
emb(torch.tensor([1, 1, 3])).pow(2).sum().backward()
print(emb.weight.grad[1], emb.weight.grad[3])
w = torch.randn(5, 3) * 3
normed = F.embedding(torch.tensor([0, 4]), w.clone(), max_norm=1.0)
print(normed.norm(dim=1))
bag = nn.EmbeddingBag.from_pretrained(vectors, mode="mean")
flat = torch.tensor([1, 2, 4, 5, 3])
offsets = torch.tensor([0, 2])
print(bag(flat, offsets))
print(nn.EmbeddingBag(6, 4, mode="max")(idx).shape)
opt = torch.optim.SGD(tune.parameters(), lr=0.5)
opt.step()
print(torch.equal(tune.weight[0], vectors[0]), tune.weight[2] - vectors[2])
print(F.one_hot(idx, 6).float().matmul(vectors).sub(F.embedding(idx, vectors)).abs().max())
