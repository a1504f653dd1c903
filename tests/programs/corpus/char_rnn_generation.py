# A character-level GRU language model: train a few steps, then sample with multinomial.
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
text = "hello world, hello torch, hello nnlite. " * 4
chars = sorted(set(text))
stoi = {c: i for i, c in enumerate(chars)}
data = torch.tensor([stoi[c] for c in text])


class CharRNN(nn.Module):
    def __init__(self, vocab, hidden=32):
        super().__init__()
        self.emb = nn.Embedding(vocab, 16)
        self.rnn = nn.GRU(16, hidden, batch_first=True)
        self.head = nn.Linear(hidden, vocab)

    def forward(self, x, h=None):
        out, h = self.rnn(self.emb(x), h)
        return self.head(out), h


model = CharRNN(len(chars))
opt = torch.optim.Adam(model.parameters(), lr=0.01)
seq = 16
for step in range(40):
    ix = torch.randint(0, len(data) - seq - 1, (8,))
    x = torch.stack([data[i:i + seq] for i in ix])
    y = torch.stack([data[i + 1:i + seq + 1] for i in ix])
    logits, _ = model(x)
    loss = F.cross_entropy(logits.reshape(-1, len(chars)), y.reshape(-1))
    opt.zero_grad()
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    opt.step()
    if step % 10 == 0:
        print(step, round(loss.item(), 4))
model.eval()
idx = torch.tensor([[stoi["h"]]])
h = None
out = "h"
with torch.no_grad():
    for _ in range(30):
        logits, h = model(idx, h)
        probs = F.softmax(logits[:, -1] / 0.8, dim=-1)
        idx = torch.multinomial(probs, num_samples=1)
        out += chars[idx.item()]
print(repr(out))
