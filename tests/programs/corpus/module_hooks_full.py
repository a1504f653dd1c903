# nn.Module hooks: forward pre-hooks that rewrite the input, forward hooks with_kwargs, full
# backward hooks and backward pre-hooks that scale gradients, global-free state_dict hooks,
# hook removal through handles and in a context.
import torch
import torch.nn as nn

torch.manual_seed(0)
net = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))
log = []


def pre(mod, args):
    log.append(("pre", type(mod).__name__, tuple(args[0].shape)))
    return (args[0] * 2,)


def fwd(mod, args, out):
    log.append(("fwd", type(mod).__name__, f"{out.sum().item():.4f}"))
    return out + 1


h_pre = net[0].register_forward_pre_hook(pre)
h_fwd = net[2].register_forward_hook(fwd)
x = torch.randn(5, 3, requires_grad=True)
y = net(x)
print(log)
print(f"{y.sum().item():.5f}")
ref = net[2](net[1](net[0].forward(x * 2)))
print(torch.allclose(y, ref + 1 - 1) or torch.allclose(y, ref))
h_pre.remove()
h_fwd.remove()
print(len(net[0]._forward_pre_hooks), len(net[2]._forward_hooks))


class Scaled(nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(3, 3)

    def forward(self, x, scale=1.0):
        return self.lin(x) * scale


m = Scaled()
seen = []
m.register_forward_pre_hook(lambda mod, args, kwargs: seen.append(sorted(kwargs)), with_kwargs=True)
m.register_forward_hook(lambda mod, args, kwargs, out: seen.append(kwargs.get("scale")),
                        with_kwargs=True)
m(torch.randn(2, 3), scale=3.0)
print(seen)

grads = []
lin = nn.Linear(4, 2)
lin.register_full_backward_pre_hook(lambda mod, gout: (gout[0] * 10,))
lin.register_full_backward_hook(lambda mod, gin, gout: grads.append(
    (tuple(gin[0].shape), f"{gout[0].abs().sum().item():.4f}")))
inp = torch.randn(3, 4, requires_grad=True)
lin(inp).sum().backward()
print(grads)
print(inp.grad.abs().sum().item() > 0, f"{lin.bias.grad.tolist()}")

t = torch.randn(3, requires_grad=True)
h = t.register_hook(lambda g: g * 0 + 1)
(t * t).sum().backward()
print(t.grad)
h.remove()
t.grad = None
(t * 3).sum().backward()
print(t.grad)
acc = []
q = torch.ones(2, requires_grad=True)
q.register_post_accumulate_grad_hook(lambda p: acc.append(p.grad.clone()))
(q * 4).sum().backward()
print(acc)
calls = []
net.register_module_forward = None
for name, mod in net.named_modules():
    if name:
        mod.register_forward_hook(lambda m, i, o, name=name: calls.append(name))
net(torch.randn(1, 3))
print(calls)
