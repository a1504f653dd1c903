# torch.autograd.functional: Jacobians, Hessians and vector products of small functions.
import torch
from torch.autograd.functional import hessian, hvp, jacobian, jvp, vhp, vjp

torch.manual_seed(0)


def f(x):
    return torch.stack([x[0] ** 2 * x[1], 5 * x[0] + torch.sin(x[1]), x.prod()])


def energy(x):
    return (x**3).sum() + x[0] * x[1]


x = torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64)
J = jacobian(f, x)
print("jacobian:\n", J)
H = hessian(energy, x)
print("hessian:\n", H)
v = torch.ones(3, dtype=torch.float64)
out, vjp_val = vjp(f, x, v)
print("vjp:", out, vjp_val)
out, jvp_val = jvp(f, x, v)
print("jvp:", jvp_val)
print("J^T v == vjp:", torch.allclose(J.t() @ v, vjp_val))
print("J v == jvp:", torch.allclose(J @ v, jvp_val))
_, hv = hvp(energy, x, v)
_, vh = vhp(energy, x, v)
print("hvp:", hv, "vhp:", vh, torch.allclose(H @ v, hv))


def two_inputs(a, b):
    return (a * b).sum(), a.exp() - b


a = torch.randn(2, 3)
b = torch.randn(2, 3)
jac = jacobian(two_inputs, (a, b))
print(len(jac), len(jac[0]), [tuple(j.shape) for row in jac for j in row])
Hs = hessian(lambda a, b: (a * b**2).sum(), (a, b))
print([[tuple(h.shape) for h in row] for row in Hs])
print("d2/db2 diag:", torch.diagonal(Hs[1][1].reshape(6, 6)))
Jc = jacobian(lambda z: z.softmax(0), torch.tensor([0.5, 1.0, -1.0]), create_graph=True)
print(Jc.requires_grad, Jc.sum(0))
Jv = jacobian(lambda z: z**2, torch.arange(4.0), vectorize=True)
print(Jv)
