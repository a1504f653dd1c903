# Bag-of-words text classification with nn.EmbeddingBag (after PyTorch's text classification
# tutorial): flat token ids + offsets, mean bags, a linear head, SGD with a StepLR schedule.
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
vocab, classes = 50, 3
docs = [torch.randint(0, vocab, (int(n),)) for n in torch.randint(2, 9, (24,))]
labels = torch.tensor([int(d.sum()) % classes for d in docs])


class BagModel(nn.Module):
    def __init__(self):
        super().__init__()
        self.embedding = nn.EmbeddingBag(vocab, 8, mode="mean")
        self.fc = nn.Linear(8, classes)
        self.embedding.weight.data.uniform_(-0.5, 0.5)
        self.fc.weight.data.uniform_(-0.5, 0.5)
        self.fc.bias.data.zero_()

    def forward(self, text, offsets):
        return self.fc(self.embedding(text, offsets))


def batch(items):
    text = torch.cat([d for d, _ in items])
    offsets = torch.tensor([0] + [len(d) for d, _ in items[:-1]]).cumsum(dim=0)
    return text, offsets, torch.tensor([y for _, y in items])


model = BagModel()
opt = torch.optim.SGD(model.parameters(), lr=2.0)
sched = torch.optim.lr_scheduler.StepLR(opt, 1, gamma=0.5)
pairs = list(zip(docs, labels.tolist()))
for epoch in range(3):
    total = 0.0
    for i in range(0, len(pairs), 8):
        text, offsets, y = batch(pairs[i:i + 8])
        loss = F.cross_entropy(model(text, offsets), y)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 0.5)
        opt.step()
        total += loss.item()
    sched.step()
    print(epoch, round(total, 5))
w = torch.randn(10, 4)
idx = torch.tensor([1, 2, 4, 5, 4, 3, 2, 9])
print(F.embedding_bag(idx, w, torch.tensor([0, 3, 3]), mode="max"))
print(F.embedding_bag(idx, w, torch.tensor([0, 4, 8]), mode="sum", include_last_offset=True,
                      per_sample_weights=torch.linspace(0, 1, 8)))
bag = nn.EmbeddingBag(10, 4, mode="sum", padding_idx=0)
out = bag(torch.tensor([[0, 1, 2], [3, 0, 0]]))
print(out.grad_fn.__class__.__name__, out.shape, bag)
