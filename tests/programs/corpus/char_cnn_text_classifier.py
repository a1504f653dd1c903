# A character-level CNN text classifier: embedding, Conv1d filters of several widths,
# max-over-time pooling, dropout, and a training loop with accuracy.
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
texts = [
    "good movie",
    "great film",
    "loved it",
    "bad movie",
    "awful film",
    "hated it",
    "nice story",
    "terrible plot",
    "fine acting",
    "poor acting",
    "superb",
    "boring",
]
labels = torch.tensor([1, 1, 1, 0, 0, 0, 1, 0, 1, 0, 1, 0])
chars = sorted(set("".join(texts)))
stoi = {c: i + 1 for i, c in enumerate(chars)}
max_len = max(len(t) for t in texts)
X = torch.zeros(len(texts), max_len, dtype=torch.long)
for i, t in enumerate(texts):
    X[i, : len(t)] = torch.tensor([stoi[c] for c in t])
print(len(chars), X.shape, X[0])


class CharCNN(nn.Module):
    def __init__(self, vocab, dim=12, n_filters=8, widths=(2, 3, 4)):
        super().__init__()
        self.emb = nn.Embedding(vocab, dim, padding_idx=0)
        self.convs = nn.ModuleList(nn.Conv1d(dim, n_filters, w) for w in widths)
        self.drop = nn.Dropout(0.3)
        self.fc = nn.Linear(n_filters * len(widths), 2)

    def forward(self, x):
        e = self.emb(x).transpose(1, 2)
        pooled = [F.relu(c(e)).max(dim=2).values for c in self.convs]
        return self.fc(self.drop(torch.cat(pooled, dim=1)))


model = CharCNN(len(chars) + 1)
print(model)
opt = torch.optim.Adam(model.parameters(), lr=0.02)
for epoch in range(25):
    model.train()
    logits = model(X)
    loss = F.cross_entropy(logits, labels)
    opt.zero_grad()
    loss.backward()
    opt.step()
    if epoch % 6 == 0:
        acc = (logits.argmax(1) == labels).float().mean().item()
        print(f"epoch {epoch:2d} loss {loss.item():.4f} acc {acc:.3f}")
model.eval()
with torch.no_grad():
    probs = F.softmax(model(X), dim=1)
print(probs[:3], probs.argmax(1).tolist())
print(model.emb.weight.grad[0].abs().sum().item(), model.emb.weight[0].abs().sum().item())
