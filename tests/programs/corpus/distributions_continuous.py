# Continuous distributions beyond Normal: fit an Exponential rate and a Laplace location by
# maximum likelihood, reparameterized Gumbel/LogNormal samples, cdf/icdf round trips and KLs.
import torch
from torch.distributions import Exponential, Gumbel, HalfNormal, Laplace, LogNormal, kl_divergence

torch.manual_seed(0)
data = Exponential(torch.tensor(2.5)).sample((500,))
print("sample mean", f"{data.mean().item():.4f}")
log_rate = torch.zeros((), requires_grad=True)
opt = torch.optim.Adam([log_rate], lr=0.1)
for step in range(60):
    opt.zero_grad()
    nll = -Exponential(log_rate.exp()).log_prob(data).mean()
    nll.backward()
    opt.step()
print("fitted rate", f"{log_rate.exp().item():.3f}", "mle", f"{1 / data.mean().item():.3f}")

noisy = Laplace(torch.tensor(1.5), torch.tensor(0.5)).sample((300,))
loc = torch.zeros((), requires_grad=True)
opt = torch.optim.SGD([loc], lr=0.5)
for _ in range(80):
    opt.zero_grad()
    (-Laplace(loc, 0.5).log_prob(noisy).mean()).backward()
    opt.step()
print("laplace loc", f"{loc.item():.3f}", "median", f"{noisy.median().item():.3f}")

for d in (Gumbel(torch.tensor([0.0, 1.0]), torch.tensor([1.0, 0.5])),
          HalfNormal(torch.tensor([1.0, 2.0])),
          LogNormal(torch.tensor([0.0, 0.3]), torch.tensor([0.25, 0.5]))):
    x = d.rsample((3,))
    p = torch.tensor([0.1, 0.9])
    print(type(d).__name__, x[0], f"{d.log_prob(x).sum().item():.4f}", d.mean, d.entropy())
    print("  icdf(cdf)", torch.allclose(d.icdf(d.cdf(x)), x, atol=1e-4), d.icdf(p))
print(kl_divergence(Exponential(torch.tensor(1.0)), Exponential(torch.tensor(3.0))))
print(kl_divergence(Laplace(0.0, 1.0), Laplace(1.0, 2.0)))
print(kl_divergence(LogNormal(0.0, 1.0), LogNormal(0.5, 0.5)))
