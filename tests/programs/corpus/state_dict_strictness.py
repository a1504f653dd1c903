# load_state_dict strictness: missing/unexpected keys, size mismatches and their messages.
import torch
import torch.nn as nn

torch.manual_seed(0)


class Net(nn.Module):
    def __init__(self, hidden=8, extra=False):
        super().__init__()
        self.fc1 = nn.Linear(4, hidden)
        self.bn = nn.BatchNorm1d(hidden)
        self.fc2 = nn.Linear(hidden, 2)
        if extra:
            self.head = nn.Linear(2, 2)


src = Net()
sd = src.state_dict()
print(list(sd.keys()))
res = Net().load_state_dict(sd)
print(res, res.missing_keys, res.unexpected_keys)
res = Net(extra=True).load_state_dict(sd, strict=False)
print("missing:", res.missing_keys, "unexpected:", res.unexpected_keys)
try:
    Net(extra=True).load_state_dict(sd)
except RuntimeError as e:
    print(type(e).__name__, str(e).splitlines()[0])
    print(str(e).splitlines()[1])
big = dict(sd)
big["fc3.weight"] = torch.zeros(2, 2)
try:
    Net().load_state_dict(big)
except RuntimeError as e:
    print(str(e).splitlines()[1])
try:
    Net(hidden=16).load_state_dict(sd)
except RuntimeError as e:
    lines = str(e).splitlines()
    print(len(lines), lines[1])
res = Net().load_state_dict({k: v for k, v in sd.items() if not k.startswith("bn")}, strict=False)
print(res.missing_keys)
# prefix surgery: a checkpoint saved from a wrapper
wrapped = {"module." + k: v for k, v in sd.items()}
clean = {k.removeprefix("module."): v for k, v in wrapped.items()}
print(Net().load_state_dict(clean))
# loading into a submodule
fc = nn.Linear(4, 8)
fc.load_state_dict({k[4:]: v for k, v in sd.items() if k.startswith("fc1.")})
print(torch.equal(fc.weight, src.fc1.weight))
print(sd["bn.num_batches_tracked"], sd["bn.num_batches_tracked"].dtype)
try:
    nn.Linear(4, 8).load_state_dict({"weight": torch.zeros(8, 4)})
except RuntimeError as e:
    print(str(e).replace("\t", " ").splitlines()[1])
opt = torch.optim.SGD(src.parameters(), lr=0.1)
try:
    opt.load_state_dict({"state": {}, "param_groups": []})
except ValueError as e:
    print(type(e).__name__, e)
