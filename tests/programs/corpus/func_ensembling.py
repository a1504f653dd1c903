# Model ensembling with torch.func: stack_module_state over several models, vmap of
# functional_call over the stacked weights (same and different minibatches), grad over params,
# compared with running each model on its own.
import copy

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.func import functional_call, grad, grad_and_value, stack_module_state, vmap

torch.manual_seed(0)


class SimpleMLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(10, 16)
        self.fc2 = nn.Linear(16, 3)

    def forward(self, x):
        return self.fc2(F.relu(self.fc1(x)))


num_models = 4
models = [SimpleMLP() for _ in range(num_models)]
data = torch.randn(num_models, 8, 10)
minibatch = data[0]
predictions_diff = [m(data[i]) for i, m in enumerate(models)]
predictions_same = [m(minibatch) for m in models]
params, buffers = stack_module_state(models)
print(sorted(params), [tuple(v.shape) for _, v in sorted(params.items())])
base = copy.deepcopy(models[0]).to("meta")


def fmodel(params, buffers, x):
    return functional_call(base, (params, buffers), (x,))


out_diff = vmap(fmodel)(params, buffers, data)
out_same = vmap(fmodel, in_dims=(0, 0, None))(params, buffers, minibatch)
print(out_diff.shape, torch.allclose(out_diff, torch.stack(predictions_diff), atol=1e-6))
print(out_same.shape, torch.allclose(out_same, torch.stack(predictions_same), atol=1e-6))
targets = torch.randint(0, 3, (8,))


def loss_fn(p, b, x, t):
    return F.cross_entropy(fmodel(p, b, x), t)


grads = vmap(grad(loss_fn), in_dims=(0, 0, None, None))(params, buffers, minibatch, targets)
for k in sorted(grads):
    print(k, tuple(grads[k].shape), f"{grads[k].abs().sum().item():.5f}")
models[2].zero_grad()
F.cross_entropy(models[2](minibatch), targets).backward()
print(torch.allclose(grads["fc1.weight"][2], models[2].fc1.weight.grad, atol=1e-6))
g, v = grad_and_value(loss_fn)({k: p[1] for k, p in params.items()},
                               {k: b[1] for k, b in buffers.items()}, minibatch, targets)
print(f"{v.item():.5f}", sorted(g))
one = dict(models[0].named_parameters())
print(torch.allclose(functional_call(models[0], one, (minibatch,)), predictions_same[0]))
new = {k: torch.zeros_like(p) for k, p in one.items()}
print(functional_call(models[0], new, minibatch).abs().sum().item())
print(models[0].fc1.weight.abs().sum().item() > 0)
