import torch, torch.nn as nn, torch.autograd as autograd
torch.manual_seed(0)
D = nn.Sequential(nn.Linear(2, 16), nn.LeakyReLU(0.2), nn.Linear(16, 1))
G = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 2))
oD = torch.optim.Adam(D.parameters(), lr=1e-3, betas=(0.5, 0.9)); oG = torch.optim.Adam(G.parameters(), lr=1e-3, betas=(0.5, 0.9))
def gradient_penalty(D, real, fake):
    alpha = torch.rand(real.size(0), 1).expand_as(real)
    interpolates = (alpha * real + ((1 - alpha) * fake)).requires_grad_(True)
    d_interpolates = D(interpolates)
    gradients = autograd.grad(outputs=d_interpolates, inputs=interpolates,
                              grad_outputs=torch.ones(d_interpolates.size()),
                              create_graph=True, retain_graph=True, only_inputs=True)[0]
    return ((gradients.norm(2, dim=1) - 1) ** 2).mean() * 10
for it in range(20):
    real = torch.randn(32, 2) * 0.5 + 1
    z = torch.randn(32, 4)
    fake = G(z).detach()
    oD.zero_grad()
    d_loss = -D(real).mean() + D(fake).mean() + gradient_penalty(D, real, fake)
    d_loss.backward(); oD.step()
    if it % 5 == 0:
        oG.zero_grad(); g_loss = -D(G(z)).mean(); g_loss.backward(); oG.step()
        print(it, round(d_loss.item(), 5), round(g_loss.item(), 5))
