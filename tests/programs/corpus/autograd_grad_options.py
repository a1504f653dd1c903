# torch.autograd.grad options: grad_outputs, allow_unused, materialize_grads, retain_graph,
# is_grads_batched, inputs= in backward, and gradient accumulation semantics.
import torch

torch.manual_seed(0)
x = torch.randn(3, requires_grad=True)
w = torch.randn(3, requires_grad=True)
unused = torch.randn(2, requires_grad=True)
y = (x * w).exp()
(gx,) = torch.autograd.grad(y, x, grad_outputs=torch.ones(3), retain_graph=True)
print(gx)
gx, gu = torch.autograd.grad(y.sum(), [x, unused], allow_unused=True, retain_graph=True)
print(gu is None, gx.shape)
gx, gu = torch.autograd.grad(
    y.sum(), [x, unused], allow_unused=True, materialize_grads=True, retain_graph=True
)
print(gu)
try:
    torch.autograd.grad(y.sum(), [x, unused], retain_graph=True)
except RuntimeError as e:
    print("RuntimeError:", str(e)[:75])
eye = torch.eye(3)
(jac,) = torch.autograd.grad(y, x, grad_outputs=eye, is_grads_batched=True, retain_graph=True)
print(jac)
y.sum().backward(inputs=[w], retain_graph=True)
print(x.grad, w.grad)
y.sum().backward(retain_graph=True)
y.sum().backward()
print(x.grad, w.grad)
try:
    y.sum().backward()
except RuntimeError as e:
    print("RuntimeError:", str(e)[:70])
z = torch.tensor(2.0, requires_grad=True)
f = z**3
(g,) = torch.autograd.grad(f, z, create_graph=True)
(g2,) = torch.autograd.grad(g, z, create_graph=True)
(g3,) = torch.autograd.grad(g2, z)
print(g.item(), g2.item(), g3.item(), g.requires_grad, g3.requires_grad)
try:
    (x * 2).backward()
except RuntimeError as e:
    print("RuntimeError:", e)
outs = torch.autograd.grad([x.sum(), (x**2).sum()], x)
print(outs)
print(torch.autograd.grad((x * 2).sum(), x, torch.tensor(3.0))[0])
