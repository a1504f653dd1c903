# Forward/backward hooks, named_modules, parameter counting and buffers, as tutorials inspect.
import torch
from torch import nn

torch.manual_seed(0)
net = nn.Sequential(nn.Linear(4, 5), nn.ReLU(), nn.BatchNorm1d(5), nn.Linear(5, 2))
seen = []
h1 = net[0].register_forward_hook(lambda m, i, o: seen.append(("fwd", tuple(o.shape))))
h2 = net[3].register_full_backward_hook(
    lambda m, gi, go: seen.append(("bwd", tuple(go[0].shape), gi[0] is None)))
x = torch.randn(6, 4, requires_grad=True)
out = net(x)
out.sum().backward()
print(seen)
h1.remove()
h2.remove()
net(x)
print(len(seen))
for name, mod in net.named_modules():
    print(repr(name), type(mod).__name__)
print([n for n, _ in net.named_parameters()])
print([n for n, _ in net.named_buffers()])
print(net[2].num_batches_tracked, net[2].running_var)
grads = {}
x.register_hook(lambda g: grads.setdefault("x", g.clone()))
net(x).pow(2).mean().backward()
print(grads["x"].shape, torch.allclose(grads["x"], x.grad - x.grad + grads["x"]))
print(sum(p.numel() for p in net.parameters()))
