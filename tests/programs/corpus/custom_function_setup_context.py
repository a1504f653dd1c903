import torch
torch.manual_seed(0)
from torch.autograd import Function
from torch.autograd.function import once_differentiable
class MyMul(Function):
    @staticmethod
    def forward(x, y):
        return x * y
    @staticmethod
    def setup_context(ctx, inputs, output):
        x, y = inputs
        ctx.save_for_backward(x, y)
    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        print("needs", ctx.needs_input_grad)
        return g * y if ctx.needs_input_grad[0] else None, g * x if ctx.needs_input_grad[1] else None
a = torch.randn(3, requires_grad=True); b = torch.randn(3)
MyMul.apply(a, b).sum().backward(); print(a.grad)
class Sort(Function):
    @staticmethod
    def forward(ctx, x):
        v, i = x.sort()
        ctx.mark_non_differentiable(i)
        ctx.save_for_backward(i)
        return v, i
    @staticmethod
    @once_differentiable
    def backward(ctx, gv, gi):
        i, = ctx.saved_tensors
        out = torch.zeros_like(gv); out[i] = gv
        return out
x = torch.tensor([3., 1., 2.], requires_grad=True)
v, i = Sort.apply(x)
print(v, i, i.requires_grad, v.grad_fn.__class__.__name__)
(v * torch.tensor([1., 2., 3.])).sum().backward(); print(x.grad)
class Mat(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.set_materialize_grads(False)
        return x.clone(), x.clone()
    @staticmethod
    def backward(ctx, g1, g2):
        print("g2 is None:", g2 is None)
        return g1
x = torch.ones(2, requires_grad=True)
o1, o2 = Mat.apply(x); o1.sum().backward(); print(x.grad)
class Sq(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x); return x ** 2
    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors; return 2 * x * g
x = torch.tensor([3.], requires_grad=True)
y = Sq.apply(x)
g, = torch.autograd.grad(y, x, create_graph=True); g2, = torch.autograd.grad(g, x)
print(g, g2)
print(torch.autograd.gradcheck(Sq.apply, (torch.randn(3, dtype=torch.double, requires_grad=True),)))
class Bad(Function):
    @staticmethod
    def forward(ctx, x): return x * 2
    @staticmethod
    def backward(ctx, g): return g * 3
try:
    torch.autograd.gradcheck(Bad.apply, (torch.randn(2, dtype=torch.double, requires_grad=True),))
except Exception as e:
    print(type(e).__name__, str(e).split("\n")[0])
print(torch.autograd.gradcheck(Bad.apply, (torch.randn(2, dtype=torch.double, requires_grad=True),), raise_exception=False))
