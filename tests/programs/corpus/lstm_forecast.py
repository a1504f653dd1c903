# Time-series forecasting with an LSTM: sliding windows over a noisy sine, a 2-layer
# batch_first LSTM with a Linear head on the last step, trained with Adam + ReduceLROnPlateau,
# then an autoregressive rollout.
import math

import torch
import torch.nn as nn

torch.manual_seed(0)
t = torch.arange(0, 200, dtype=torch.float32)
series = torch.sin(2 * math.pi * t / 25) + 0.05 * torch.randn(200)
W = 12
X = torch.stack([series[i:i + W] for i in range(len(series) - W)]).unsqueeze(-1)
Y = series[W:].unsqueeze(-1)
print(X.shape, Y.shape)
split = 150
Xtr, Ytr, Xte, Yte = X[:split], Y[:split], X[split:], Y[split:]


class Forecaster(nn.Module):
    def __init__(self, hidden=16):
        super().__init__()
        self.lstm = nn.LSTM(input_size=1, hidden_size=hidden, num_layers=2, batch_first=True,
                            dropout=0.0)
        self.head = nn.Linear(hidden, 1)

    def forward(self, x, state=None):
        out, state = self.lstm(x, state)
        return self.head(out[:, -1]), state


model = Forecaster()
opt = torch.optim.Adam(model.parameters(), lr=0.01)
sched = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, mode="min", factor=0.5, patience=1)
loss_fn = nn.MSELoss()
for epoch in range(6):
    model.train()
    perm = torch.randperm(split)
    for i in range(0, split, 50):
        idx = perm[i:i + 50]
        pred, _ = model(Xtr[idx])
        loss = loss_fn(pred, Ytr[idx])
        opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
    model.eval()
    with torch.no_grad():
        val = loss_fn(model(Xte)[0], Yte).item()
    sched.step(val)
    print(f"epoch {epoch} train {loss.item():.5f} val {val:.5f} lr {opt.param_groups[0]['lr']}")
with torch.no_grad():
    window = Xte[:1].clone()
    preds = []
    for _ in range(5):
        p, _ = model(window)
        preds.append(round(p.item(), 4))
        window = torch.cat([window[:, 1:], p.view(1, 1, 1)], dim=1)
print(preds)
h0 = torch.zeros(2, 3, 16)
c0 = torch.zeros(2, 3, 16)
out, (h, c) = model.lstm(X[:3], (h0, c0))
print(out.shape, h.shape, c.shape, torch.allclose(out[:, -1], h[-1]))
print([n for n, _ in model.lstm.named_parameters()][:4])
