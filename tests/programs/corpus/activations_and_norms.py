# Activation functions and normalization layers: outputs, grad_fn names, reprs, running stats.
import torch
import torch.nn as nn

torch.manual_seed(0)
x = torch.randn(2, 4, 3, 3, requires_grad=True)
acts = [
    nn.SiLU(),
    nn.Mish(),
    nn.Hardswish(),
    nn.Hardsigmoid(),
    nn.PReLU(),
    nn.Softplus(beta=2.0),
    nn.Threshold(0.1, -1.0),
    nn.ELU(alpha=0.5),
    nn.SELU(),
    nn.CELU(),
    nn.GELU(approximate="tanh"),
    nn.LogSigmoid(),
    nn.Softsign(),
    nn.Tanhshrink(),
    nn.Hardtanh(-0.5, 0.5),
    nn.ReLU6(),
    nn.LeakyReLU(0.2),
    nn.Softshrink(0.3),
    nn.Hardshrink(0.3),
    nn.RReLU().eval(),
]
for a in acts:
    y = a(x)
    (g,) = torch.autograd.grad(y.sum(), x)
    print(f"{str(a):42s} {y.sum().item():9.4f} {y.grad_fn.name():22s} {g.sum().item():9.4f}")
print(nn.GLU(dim=1)(x).shape, nn.Softmax2d()(x).sum(1)[0, 0])
norms = [
    nn.BatchNorm2d(4),
    nn.GroupNorm(2, 4),
    nn.InstanceNorm2d(4, affine=True),
    nn.LayerNorm([4, 3, 3]),
    nn.LocalResponseNorm(2),
    nn.InstanceNorm2d(4, track_running_stats=True),
]
for n in norms:
    y = n(x)
    (g,) = torch.autograd.grad((y * y).sum(), x)
    print(
        f"{str(n):80s} {round(y.mean().item(), 4) + 0.0:8.4f} {y.std().item():8.5f}"
        f" {y.grad_fn.name():28s} {g.abs().sum().item():.4f}"
    )
bn = norms[0]
print(bn.running_mean, bn.running_var, bn.num_batches_tracked)
bn.eval()
print(bn(x).mean().item() != 0)
print(norms[-1].running_mean)
rms = nn.RMSNorm(3)
print(rms, rms(x)[0, 0, 0], rms(x).grad_fn.name())
print(sorted(nn.GroupNorm(2, 4).state_dict().keys()), sorted(norms[-1].state_dict().keys()))
