# torch.utils.checkpoint: checkpoint() (non-reentrant) and checkpoint_sequential give the same
# gradients as the plain forward, with dropout's RNG state preserved.
import torch
import torch.nn as nn
from torch.utils.checkpoint import checkpoint, checkpoint_sequential

torch.manual_seed(0)
block = nn.Sequential(nn.Linear(8, 16), nn.GELU(), nn.Linear(16, 8))
x = torch.randn(4, 8, requires_grad=True)
y = block(x).pow(2).sum()
y.backward()
g_plain = [p.grad.clone() for p in block.parameters()]
gx = x.grad.clone()
block.zero_grad()
x.grad = None
y2 = checkpoint(block, x, use_reentrant=False).pow(2).sum()
y2.backward()
print(f"{y.item():.5f} {y2.item():.5f}")
print(all(torch.allclose(a, p.grad) for a, p in zip(g_plain, block.parameters())),
      torch.allclose(gx, x.grad))


def fn(a, b, scale=1.0):
    return (a * b).tanh() * scale


a = torch.randn(3, requires_grad=True)
b = torch.randn(3, requires_grad=True)
out = checkpoint(fn, a, b, use_reentrant=False, scale=2.0)
out.sum().backward()
print(a.grad, b.grad)

seq = nn.Sequential(*[nn.Sequential(nn.Linear(6, 6), nn.ReLU()) for _ in range(4)])
inp = torch.randn(5, 6, requires_grad=True)
seq(inp).sum().backward()
ref = [p.grad.clone() for p in seq.parameters()]
seq.zero_grad()
out = checkpoint_sequential(seq, 2, inp, use_reentrant=False)
out.sum().backward()
print(all(torch.allclose(r, p.grad) for r, p in zip(ref, seq.parameters())))

drop = nn.Sequential(nn.Linear(5, 5), nn.Dropout(0.5))
z = torch.randn(3, 5, requires_grad=True)
torch.manual_seed(3)
o1 = drop(z)
o1.sum().backward()
g1 = z.grad.clone()
z.grad = None
torch.manual_seed(3)
o2 = checkpoint(drop, z, use_reentrant=False, preserve_rng_state=True)
o2.sum().backward()
print(torch.equal(o1, o2), torch.allclose(g1, z.grad))
