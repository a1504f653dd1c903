# Text classification: a bag-of-embeddings model (mean of nn.Embedding) on a toy corpus.
import torch
import torch.nn as nn

torch.manual_seed(0)
docs = [("good great fine", 1), ("bad awful poor", 0), ("great good", 1), ("poor bad bad", 0),
        ("fine good great", 1), ("awful poor", 0)]
vocab = {"<pad>": 0}
for text, _ in docs:
    for w in text.split():
        vocab.setdefault(w, len(vocab))


def encode(text, length=4):
    ids = [vocab[w] for w in text.split()][:length]
    return ids + [0] * (length - len(ids))


X = torch.tensor([encode(t) for t, _ in docs])
y = torch.tensor([label for _, label in docs])


class BagOfEmbeddings(nn.Module):
    def __init__(self, n, d):
        super().__init__()
        self.embedding = nn.Embedding(n, d, padding_idx=0)
        self.fc = nn.Linear(d, 2)

    def forward(self, ids):
        mask = (ids != 0).unsqueeze(-1).float()
        e = (self.embedding(ids) * mask).sum(1) / mask.sum(1)
        return self.fc(e)


model = BagOfEmbeddings(len(vocab), 8)
opt = torch.optim.SGD(model.parameters(), lr=0.5)
crit = nn.CrossEntropyLoss()
for epoch in range(40):
    loss = crit(model(X), y)
    opt.zero_grad()
    loss.backward()
    opt.step()
    if epoch % 10 == 0:
        print(epoch, f"{loss.item():.4f}")
print(model(torch.tensor([encode("good fine"), encode("bad poor")])).argmax(1))
print(model.embedding.weight[0], model.embedding.weight.grad[0])
