# A tiny GAN on a 1-D Gaussian: two optimizers, detach, BCE with logits and real/fake labels.
import torch
from torch import nn

torch.manual_seed(3)
G = nn.Sequential(nn.Linear(2, 16), nn.LeakyReLU(0.2), nn.Linear(16, 1))
D = nn.Sequential(nn.Linear(1, 16), nn.LeakyReLU(0.2), nn.Linear(16, 1))
opt_g = torch.optim.Adam(G.parameters(), lr=2e-3, betas=(0.5, 0.999))
opt_d = torch.optim.Adam(D.parameters(), lr=2e-3, betas=(0.5, 0.999))
bce = nn.BCEWithLogitsLoss()
for step in range(40):
    real = torch.randn(32, 1) * 0.5 + 2.0
    z = torch.randn(32, 2)
    fake = G(z)
    opt_d.zero_grad()
    d_loss = bce(D(real), torch.ones(32, 1)) + bce(D(fake.detach()), torch.zeros(32, 1))
    d_loss.backward()
    opt_d.step()
    opt_g.zero_grad()
    g_loss = bce(D(fake), torch.ones(32, 1))
    g_loss.backward()
    opt_g.step()
    if step % 10 == 9:
        print(step, f"D {d_loss.item():.4f}", f"G {g_loss.item():.4f}",
              f"fake mean {fake.mean().item():.4f}")
with torch.no_grad():
    s = G(torch.randn(500, 2))
print(f"{s.mean().item():.3f} {s.std().item():.3f}")
