# Sampling: multinomial with and without replacement, temperature, top-k, Categorical.
import torch
import torch.nn.functional as F

torch.manual_seed(42)
weights = torch.tensor([0.1, 10.0, 3.0, 0.0, 1.0])
print(torch.multinomial(weights, 4))
print(torch.multinomial(weights, 10, replacement=True))
probs = torch.softmax(torch.randn(3, 6), dim=-1)
print(torch.multinomial(probs, 2))
logits = torch.randn(2, 8)
for temperature in (0.5, 1.0, 2.0):
    print(temperature, torch.multinomial(F.softmax(logits / temperature, -1), 3, True).tolist())
v, i = torch.topk(logits, 3, dim=-1)
print(v, i)
masked = logits.clone()
masked[masked < v[:, [-1]]] = -float("inf")
print(torch.multinomial(F.softmax(masked, -1), 5, replacement=True))
dist = torch.distributions.Categorical(logits=logits)
s = dist.sample((4,))
print(s, dist.log_prob(s))
print(torch.randperm(10), torch.randint(0, 5, (2, 3)), torch.bernoulli(torch.full((6,), 0.3)))
g = torch.Generator().manual_seed(7)
print(torch.rand(3, generator=g), torch.normal(0.0, 1.0, (3,), generator=g))
print(torch.argmax(probs, 1), torch.max(probs, 1))
