# torch.nn.utils.parametrize: a symmetric-matrix parametrization, plus weight_norm and
# spectral_norm from torch.nn.utils.parametrizations, trained a few steps.
import torch
import torch.nn as nn
import torch.nn.utils.parametrize as P
from torch.nn.utils.parametrizations import spectral_norm, weight_norm

torch.manual_seed(0)


class Symmetric(nn.Module):
    def forward(self, X):
        return X.triu() + X.triu(1).transpose(-1, -2)


layer = nn.Linear(4, 4)
P.register_parametrization(layer, "weight", Symmetric())
print(P.is_parametrized(layer), P.is_parametrized(layer, "bias"))
print(torch.allclose(layer.weight, layer.weight.T))
print(sorted(n for n, _ in layer.named_parameters()))
print(type(layer.parametrizations.weight).__name__, len(layer.parametrizations.weight))
opt = torch.optim.SGD(layer.parameters(), lr=0.1)
x = torch.randn(8, 4)
for _ in range(3):
    opt.zero_grad()
    loss = layer(x).pow(2).mean()
    loss.backward()
    opt.step()
    print(f"{loss.item():.6f}")
print(torch.allclose(layer.weight, layer.weight.T))
with P.cached():
    w1 = layer.weight
    w2 = layer.weight
    print(w1 is w2)
P.remove_parametrizations(layer, "weight")
print(P.is_parametrized(layer), sorted(n for n, _ in layer.named_parameters()))

wn = weight_norm(nn.Linear(3, 5))
print(sorted(n for n, _ in wn.named_parameters()))
g = wn.parametrizations.weight.original0
v = wn.parametrizations.weight.original1
print(tuple(g.shape), tuple(v.shape))
print(torch.allclose(wn.weight, g * v / v.norm(dim=1, keepdim=True)))
out = wn(torch.randn(2, 3)).sum()
out.backward()
print(g.grad.shape, v.grad.abs().sum() > 0)

sn = spectral_norm(nn.Linear(6, 6))
sn.train()
for _ in range(15):
    sn(torch.randn(2, 6))
sv = torch.linalg.matrix_norm(sn.weight.detach(), ord=2)
print(f"{sv.item():.3f}")
print(sorted(k for k in sn.state_dict().keys()))

