# Normal distributions: sampling, log_prob, the reparameterization trick, KL divergence.
import torch
from torch.distributions import Bernoulli, Normal, Uniform, kl_divergence

torch.manual_seed(0)
n = Normal(torch.tensor([0.0, 2.0]), torch.tensor([1.0, 0.5]))
print(n, n.batch_shape, n.event_shape)
print(n.sample(), n.sample((3,)).shape)
print(n.log_prob(torch.tensor([0.5, 2.5])), n.entropy(), n.mean, n.stddev)
print(n.cdf(torch.tensor([0.0, 2.0])), n.icdf(torch.tensor([0.975, 0.5])))
mu = torch.zeros(4, requires_grad=True)
log_sigma = torch.zeros(4, requires_grad=True)
opt = torch.optim.SGD([mu, log_sigma], lr=0.1)
target = Normal(torch.tensor(1.0), torch.tensor(0.5))
for step in range(60):
    q = Normal(mu, log_sigma.exp())
    z = q.rsample((32,))
    loss = (q.log_prob(z) - target.log_prob(z)).mean()
    opt.zero_grad()
    loss.backward()
    opt.step()
print(mu.detach(), log_sigma.exp().detach())
print(kl_divergence(Normal(mu, log_sigma.exp()), target))
u = Uniform(-1.0, 3.0)
print(u.sample((4,)), u.log_prob(torch.tensor(0.0)), u.entropy(), u.mean, u.variance)
b = Bernoulli(logits=torch.tensor([-1.0, 0.0, 2.0]))
print(b.probs, b.sample(), b.log_prob(torch.tensor([0.0, 1.0, 1.0])), b.entropy())
