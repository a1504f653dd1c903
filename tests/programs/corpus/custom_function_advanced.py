# Custom autograd Functions: mark_dirty, mark_non_differentiable, set_materialize_grads,
# needs_input_grad, non-tensor arguments, and gradcheck.
import torch
from torch.autograd import Function, gradcheck


class ScaleInPlace(Function):
    @staticmethod
    def forward(ctx, x, factor):
        ctx.factor = factor
        x.mul_(factor)
        ctx.mark_dirty(x)
        return x

    @staticmethod
    def backward(ctx, g):
        return g * ctx.factor, None


class SortWithIndex(Function):
    @staticmethod
    def forward(ctx, x):
        vals, idx = x.sort()
        ctx.mark_non_differentiable(idx)
        ctx.save_for_backward(idx)
        return vals, idx

    @staticmethod
    def backward(ctx, g_vals, g_idx):
        (idx,) = ctx.saved_tensors
        out = torch.zeros_like(g_vals)
        out.scatter_(-1, idx, g_vals)
        return out


class TwoOut(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.set_materialize_grads(False)
        ctx.save_for_backward(x)
        return x * 2, x**2

    @staticmethod
    def backward(ctx, g1, g2):
        (x,) = ctx.saved_tensors
        print("got None:", g1 is None, g2 is None, ctx.needs_input_grad)
        grad = torch.zeros_like(x)
        if g1 is not None:
            grad = grad + 2 * g1
        if g2 is not None:
            grad = grad + 2 * x * g2
        return grad


class Clamp(Function):
    @staticmethod
    def forward(ctx, x, lo, hi):
        ctx.save_for_backward(x)
        ctx.lo, ctx.hi = lo, hi
        return x.clamp(lo, hi)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        mask = (x >= ctx.lo) & (x <= ctx.hi)
        return g * mask, None, None


torch.manual_seed(0)
x = torch.randn(4, requires_grad=True)
y = x.clone()
out = ScaleInPlace.apply(y, 3.0)
print(out is y, out.grad_fn.name().startswith("ScaleInPlace"), type(out.grad_fn).__name__)
out.sum().backward()
print(x.grad)
vals, idx = SortWithIndex.apply(x)
print(vals.requires_grad, idx.requires_grad, idx.dtype)
(vals * torch.arange(4.0)).sum().backward()
print(x.grad)
x.grad = None
a, b = TwoOut.apply(x)
a.sum().backward()
print(x.grad)
x.grad = None
c = Clamp.apply(x, -0.5, 0.5)
c.sum().backward()
print(x.grad, type(c.grad_fn).__name__)
xd = torch.randn(5, dtype=torch.float64, requires_grad=True)
print(gradcheck(lambda t: Clamp.apply(t, -0.3, 0.3), (xd,)))
print(gradcheck(lambda t: SortWithIndex.apply(t)[0], (xd,)))
try:
    ScaleInPlace.apply(torch.randn(2, requires_grad=True), 2.0)
except RuntimeError as e:
    print("RuntimeError:", str(e)[:70])
