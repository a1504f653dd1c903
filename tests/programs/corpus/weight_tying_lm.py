# A tiny language model whose output projection shares the embedding matrix (weight tying).
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
vocab, dim = 20, 16


class TiedLM(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(vocab, dim)
        self.rnn = nn.GRU(dim, dim, batch_first=True)
        self.decoder = nn.Linear(dim, vocab)
        self.decoder.weight = self.embed.weight  # tie

    def forward(self, idx):
        h, _ = self.rnn(self.embed(idx))
        return self.decoder(h)


model = TiedLM()
print(model.decoder.weight is model.embed.weight)
names = [n for n, _ in model.named_parameters()]
print(names)
print(sum(p.numel() for p in model.parameters()), len(list(model.parameters())))
print(sorted(model.state_dict().keys()))
print(
    model.state_dict()["decoder.weight"].data_ptr() == model.state_dict()["embed.weight"].data_ptr()
)
data = torch.randint(0, vocab, (8, 12))
opt = torch.optim.Adam(model.parameters(), lr=1e-2)
for step in range(20):
    logits = model(data[:, :-1])
    loss = F.cross_entropy(logits.reshape(-1, vocab), data[:, 1:].reshape(-1))
    opt.zero_grad()
    loss.backward()
    opt.step()
    if step % 5 == 0:
        print(step, round(loss.item(), 4))
print(model.embed.weight.grad.shape, torch.equal(model.embed.weight, model.decoder.weight))
sd = model.state_dict()
fresh = TiedLM()
fresh.load_state_dict(sd)
print(
    fresh.decoder.weight is fresh.embed.weight, torch.equal(fresh.embed.weight, model.embed.weight)
)
with torch.no_grad():
    idx = torch.tensor([[1]])
    for _ in range(8):
        nxt = model(idx)[:, -1].argmax(-1, keepdim=True)
        idx = torch.cat([idx, nxt], dim=1)
print(idx.tolist())
