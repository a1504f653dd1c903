# torch.no_grad / inference_mode / set_grad_enabled / enable_grad idioms: as context managers,
# as decorators, nesting, is_grad_enabled / is_inference_mode_enabled, is_inference, requires_grad
# of results, and the error for an inference tensor used in autograd.
import torch

x = torch.ones(3, requires_grad=True)
with torch.no_grad():
    y = x * 2
    print(torch.is_grad_enabled(), y.requires_grad, y.grad_fn)
    with torch.enable_grad():
        z = x * 2
        print(torch.is_grad_enabled(), z.requires_grad, type(z.grad_fn).__name__)
print(torch.is_grad_enabled())


@torch.no_grad()
def evaluate(t):
    return t.pow(2).sum()


print(evaluate(x).requires_grad)


@torch.inference_mode()
def infer(t):
    return t * 3


r = infer(x)
print(r.requires_grad, torch.is_inference_mode_enabled())
with torch.inference_mode():
    a = torch.randn(2)
    print(torch.is_inference_mode_enabled(), torch.is_grad_enabled())
with torch.inference_mode(mode=False):
    print(torch.is_inference_mode_enabled())
for flag in (False, True):
    with torch.set_grad_enabled(flag):
        w = x * 4
    print(flag, w.requires_grad)
torch.set_grad_enabled(False)
print((x * 1).requires_grad)
torch.set_grad_enabled(True)
print((x * 1).requires_grad)
is_train = False
with torch.set_grad_enabled(is_train):
    print((x + 1).requires_grad)
with torch.no_grad():
    x.mul_(2)
print(x, x.requires_grad, x.is_leaf)
d = x.detach()
d.add_(1)
print(x)
print(x.data_ptr() == d.data_ptr())
g = torch.ones(2, requires_grad=True)
with torch.no_grad():
    h = g + 1
h.requires_grad_()
(h * g).sum().backward()
print(g.grad, h.is_leaf)


class Cnt:
    def __init__(self):
        self.n = 0


c = Cnt()


@torch.enable_grad()
def inside():
    c.n += 1
    return torch.is_grad_enabled()


with torch.no_grad():
    print(inside(), c.n)
print(torch.no_grad()(lambda: torch.is_grad_enabled())())
