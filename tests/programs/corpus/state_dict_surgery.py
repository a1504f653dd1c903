# state_dict surgery: load_state_dict(strict=False) and its missing/unexpected keys, renaming
# keys with a prefix (DataParallel "module."), dropping a head, shape mismatch errors,
# OrderedDict order, _metadata, and partial loading into a bigger model.
from collections import OrderedDict

import torch
import torch.nn as nn

torch.manual_seed(0)


class Small(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.ReLU())
        self.head = nn.Linear(8, 3)

    def forward(self, x):
        return self.head(self.features(x))


class Bigger(Small):
    def __init__(self):
        super().__init__()
        self.head = nn.Linear(8, 5)
        self.extra = nn.Linear(5, 2)


src = Small()
sd = src.state_dict()
print(type(sd).__name__, list(sd.keys()))
print(sd["features.1.num_batches_tracked"], sd["features.1.running_var"].dtype)
dst = Bigger()
try:
    dst.load_state_dict(sd)
except RuntimeError as e:
    print("RuntimeError:", str(e).splitlines()[0])
filtered = {k: v for k, v in sd.items() if not k.startswith("head.")}
res = dst.load_state_dict(filtered, strict=False)
print(type(res).__name__, res.missing_keys, res.unexpected_keys)
print(torch.equal(dst.features[0].weight, src.features[0].weight))
wrapped = OrderedDict(("module." + k, v) for k, v in sd.items())
res = Small().load_state_dict(wrapped, strict=False)
print(len(res.missing_keys), len(res.unexpected_keys), res.unexpected_keys[:2])
unwrapped = {k.removeprefix("module."): v for k, v in wrapped.items()}
fresh = Small()
print(fresh.load_state_dict(unwrapped))
print(torch.equal(fresh.head.bias, src.head.bias))
bad = dict(sd)
bad["head.weight"] = torch.zeros(2, 8)
try:
    Small().load_state_dict(bad)
except RuntimeError as e:
    lines = str(e).splitlines()
    print(lines[0])
    print(lines[1].strip())
sd2 = src.state_dict(prefix="backbone.")
print(list(sd2)[:2])
keep = src.state_dict(keep_vars=True)
print(type(keep["head.weight"]).__name__, keep["head.weight"].requires_grad,
      sd["head.weight"].requires_grad)
print(src.features.state_dict().keys())
sd["head.bias"].add_(1.0)
print(torch.equal(sd["head.bias"], src.head.bias))
copy_sd = {k: v.clone() for k, v in src.state_dict().items()}
copy_sd["head.bias"].zero_()
print(src.head.bias.abs().sum().item() > 0)
print(hasattr(src.state_dict(), "_metadata"))
new_head = nn.Linear(8, 3)
new_head.load_state_dict({"weight": src.head.weight.detach() * 2, "bias": src.head.bias.detach()})
print(f"{(new_head.weight / src.head.weight).mean().item():.3f}")
print(src.get_submodule("features.0"), src.get_parameter("head.bias").shape)
