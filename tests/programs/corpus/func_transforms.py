# torch.func as in its tutorials: per-sample gradients with vmap(grad(...)) over functional_call,
# Jacobians and Hessians of a small function, jvp/vjp, and model ensembling with vmap.
import torch
from torch.func import functional_call, grad, hessian, jacfwd, jacrev, jvp, vjp, vmap

torch.manual_seed(0)
model = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Tanh(), torch.nn.Linear(8, 2))
params = {k: v.detach() for k, v in model.named_parameters()}
x = torch.randn(6, 4)
y = torch.randint(0, 2, (6,))


def loss_one(p, xi, yi):
    logits = functional_call(model, p, (xi.unsqueeze(0),))
    return torch.nn.functional.cross_entropy(logits, yi.unsqueeze(0))


per_sample = vmap(grad(loss_one), in_dims=(None, 0, 0))(params, x, y)
for k, g in per_sample.items():
    print(k, tuple(g.shape), f"{g.norm().item():.5f}")
loss = torch.nn.functional.cross_entropy(model(x), y)
loss.backward()
print("mean matches", torch.allclose(per_sample["0.weight"].mean(0), model[0].weight.grad,
                                     atol=1e-6))


def f(v):
    return (v.sin() * v.roll(1)).sum()


v = torch.tensor([0.3, -1.2, 0.8])
print(grad(f)(v))
print(jacrev(lambda t: t.exp() * t.sum())(v))
print(torch.allclose(jacfwd(torch.tanh)(v), jacrev(torch.tanh)(v)))
print(hessian(f)(v))
out, tangent_out = jvp(torch.sin, (v,), (torch.ones(3),))
print(out, tangent_out)
_, back = vjp(lambda t: t**2, v)
print(back(torch.ones(3)))

# ensembling: the same input through 3 models' stacked parameters
models = [torch.nn.Linear(4, 2) for _ in range(3)]
stacked = {k: torch.stack([dict(m.named_parameters())[k].detach() for m in models])
           for k in ("weight", "bias")}
ens = vmap(lambda p, xb: functional_call(models[0], p, (xb,)), in_dims=(0, None))(stacked, x)
print(tuple(ens.shape), torch.allclose(ens[1], models[1](x)))
