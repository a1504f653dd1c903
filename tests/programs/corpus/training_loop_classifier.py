# Classification: an MLP on two spirals, CrossEntropyLoss, Adam, accuracy per epoch.
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
n = 200
t = torch.linspace(0, 3 * math.pi, n)
a = torch.stack([t * torch.cos(t), t * torch.sin(t)], 1) / 10
b = -a
X = torch.cat([a, b]) + 0.05 * torch.randn(2 * n, 2)
Y = torch.cat([torch.zeros(n, dtype=torch.long), torch.ones(n, dtype=torch.long)])


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(2, 32)
        self.fc2 = nn.Linear(32, 32)
        self.fc3 = nn.Linear(32, 2)

    def forward(self, x):
        return self.fc3(F.relu(self.fc2(F.tanh(self.fc1(x)))))


net = Net()
opt = torch.optim.Adam(net.parameters(), lr=0.01)
for epoch in range(60):
    opt.zero_grad()
    out = net(X)
    loss = F.cross_entropy(out, Y)
    loss.backward()
    opt.step()
    if epoch % 15 == 0:
        acc = (out.argmax(1) == Y).float().mean()
        print(f"epoch {epoch} loss {loss.item():.4f} acc {acc.item():.3f}")
with torch.no_grad():
    print("final acc", (net(X).argmax(1) == Y).float().mean().item())
