# Higher-order gradients with torch.autograd.grad(create_graph=True), Hessian-vector products.
import torch

x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
y = (x ** 3).sum()
(g,) = torch.autograd.grad(y, x, create_graph=True)
print("dy/dx", g)
(g2,) = torch.autograd.grad(g.sum(), x)
print("d2y/dx2 summed", g2)
w = torch.tensor([[1.0, 0.5], [0.5, 2.0]], dtype=torch.float64, requires_grad=True)
v = torch.tensor([1.0, -1.0], dtype=torch.float64)
p = torch.tensor([0.3, -0.7], dtype=torch.float64, requires_grad=True)
f = (p @ w @ p) + torch.sin(p).sum()
(gp,) = torch.autograd.grad(f, p, create_graph=True)
(hvp,) = torch.autograd.grad(gp @ v, p)
print("hvp", hvp)
from torch.autograd.functional import hessian, jacobian

print(jacobian(lambda t: t ** 2, torch.tensor([1.0, 2.0])))
print(hessian(lambda t: (t ** 3).sum(), torch.tensor([1.0, 2.0])))
z = torch.tensor(2.0, requires_grad=True)
out = z ** 4
(d1,) = torch.autograd.grad(out, z, create_graph=True)
(d2,) = torch.autograd.grad(d1, z, create_graph=True)
(d3,) = torch.autograd.grad(d2, z)
print(d1.item(), d2.item(), d3.item())
