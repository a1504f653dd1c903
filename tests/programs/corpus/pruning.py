# torch.nn.utils.prune: l1/random unstructured, ln_structured, global pruning, masks as buffers,
# weight_orig as the parameter, remove() to make it permanent.
import torch
import torch.nn as nn
import torch.nn.utils.prune as prune

torch.manual_seed(0)


class LeNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 4, 3)
        self.conv2 = nn.Conv2d(4, 8, 3)
        self.fc1 = nn.Linear(8 * 2 * 2, 16)
        self.fc2 = nn.Linear(16, 10)

    def forward(self, x):
        x = nn.functional.max_pool2d(nn.functional.relu(self.conv1(x)), 2)
        x = nn.functional.relu(self.conv2(x))
        x = x.flatten(1)
        return self.fc2(nn.functional.relu(self.fc1(x)))


model = LeNet()
module = model.conv1
print(list(module.named_parameters())[0][0], list(module.named_buffers()))
prune.random_unstructured(module, name="weight", amount=0.3)
print(sorted(n for n, _ in module.named_parameters()), [n for n, _ in module.named_buffers()])
print(int((module.weight_mask == 0).sum()), module.weight_mask.numel())
print(torch.equal(module.weight, module.weight_orig * module.weight_mask))
prune.l1_unstructured(module, name="bias", amount=2)
print(module.bias_mask)
print(len(module._forward_pre_hooks))
prune.ln_structured(model.conv2, name="weight", amount=0.5, n=2, dim=0)
kept = (model.conv2.weight.flatten(1).abs().sum(1) != 0).int()
print(kept)
prune.remove(module, "weight")
print(sorted(n for n, _ in module.named_parameters()), [n for n, _ in module.named_buffers()])
print(prune.is_pruned(model), prune.is_pruned(model.fc2))

model = LeNet()
parameters_to_prune = ((model.conv1, "weight"), (model.conv2, "weight"),
                       (model.fc1, "weight"), (model.fc2, "weight"))
prune.global_unstructured(parameters_to_prune, pruning_method=prune.L1Unstructured, amount=0.2)
total = 0
for m, n in parameters_to_prune:
    z = int((getattr(m, n) == 0).sum())
    total += z
    print(type(m).__name__, f"{100.0 * z / getattr(m, n).nelement():.2f}%")
all_w = sum(getattr(m, n).nelement() for m, n in parameters_to_prune)
print(f"Global sparsity: {100.0 * total / all_w:.2f}%")
print(sorted(model.state_dict().keys()))
out = model(torch.randn(2, 1, 10, 10))
out.sum().backward()
print(model.fc1.weight_orig.grad.eq(0).sum().item() >= int((model.fc1.weight_mask == 0).sum()))
