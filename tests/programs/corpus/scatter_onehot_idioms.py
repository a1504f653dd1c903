# One-hot encodings, scatter/gather, index_add, bincount and masked ops as models use them.
import torch
import torch.nn.functional as F

torch.manual_seed(0)
labels = torch.tensor([2, 0, 1, 2, 3])
oh = F.one_hot(labels)
print(oh, oh.dtype)
print(F.one_hot(labels, num_classes=6).float().sum(0))
manual = torch.zeros(5, 4).scatter_(1, labels.unsqueeze(1), 1.0)
print(torch.equal(manual, oh.float()))
print(torch.zeros(5, 4).scatter(1, labels[:, None], 0.9, reduce="add"))
src = torch.arange(1.0, 11.0).reshape(2, 5)
index = torch.tensor([[0, 1, 2, 0, 0], [2, 0, 0, 1, 2]])
print(torch.zeros(3, 5).scatter_(0, index, src))
print(torch.zeros(3, 5).scatter_add(0, index, src))
print(
    torch.zeros(3).scatter_reduce(
        0,
        torch.tensor([0, 1, 0, 2, 2]),
        torch.tensor([1.0, 2.0, 3.0, 4.0, 5.0]),
        reduce="amax",
        include_self=False,
    )
)
# segment sums: per-graph node feature pooling
feats = torch.randn(7, 3, requires_grad=True)
graph = torch.tensor([0, 0, 1, 1, 1, 2, 2])
pooled = torch.zeros(3, 3).index_add(0, graph, feats)
counts = torch.bincount(graph).unsqueeze(1)
mean = pooled / counts
print(mean, counts.squeeze(1))
mean.sum().backward()
print(feats.grad[:, 0], pooled.grad_fn.name())
logits = torch.randn(5, 4, requires_grad=True)
picked = logits.gather(1, labels[:, None]).squeeze(1)
print(picked, picked.grad_fn.name())
picked.sum().backward()
print(logits.grad)
mask = logits > 0
print(logits.masked_select(mask).shape, logits.masked_fill(~mask, 0.0).sum().item() >= 0)
print(torch.nonzero(mask).shape, mask.sum(1), mask.any(1), mask.all())
x = torch.tensor([3, 1, 3, 3, 7, 1])
vals, inv, cnt = torch.unique(x, return_inverse=True, return_counts=True)
print(vals, inv, cnt)
print(torch.bincount(x, minlength=9), torch.bincount(x, weights=torch.ones(6) * 0.5))
emb = torch.randn(10, 4)
print(
    torch.index_select(emb, 0, torch.tensor([1, 1, 9])).shape,
    emb[torch.tensor([[0, 1], [2, 3]])].shape,
)
print(torch.take_along_dim(logits, logits.argmax(1, keepdim=True), dim=1).squeeze(1))
print(torch.zeros(2, 4).index_fill_(1, torch.tensor([0, 3]), -1.0))
print(
    torch.where(labels == 2)[0],
    labels.repeat_interleave(2),
    labels.clone().masked_scatter_(labels > 1, torch.tensor([9, 8, 7])),
)
