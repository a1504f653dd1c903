# A custom Function whose backward is itself differentiable: double backward, gradgradcheck.
import torch


class Square(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x ** 2

    @staticmethod
    def backward(ctx, grad_out):
        (x,) = ctx.saved_tensors
        return grad_out * 2 * x


class Cube(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        result = x ** 3
        ctx.save_for_backward(x)
        return result

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return grad_output * 3 * x ** 2


x = torch.rand(3, 3, requires_grad=True, dtype=torch.double)
print(torch.autograd.gradcheck(Square.apply, x))
print(torch.autograd.gradgradcheck(Square.apply, x))
print(torch.autograd.gradgradcheck(Cube.apply, x))
t = torch.tensor([1.0, 2.0], requires_grad=True)
y = Cube.apply(t).sum()
(g,) = torch.autograd.grad(y, t, create_graph=True)
(gg,) = torch.autograd.grad(g.sum(), t)
print(g, gg)


class MulConst(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, k):
        ctx.k = k
        return x * k

    @staticmethod
    def backward(ctx, g):
        return g * ctx.k, None


z = torch.tensor([1.0, -3.0], requires_grad=True)
MulConst.apply(z, 2.5).sum().backward()
print(z.grad)
