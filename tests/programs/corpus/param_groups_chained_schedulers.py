# Optimizer parameter groups, add_param_group, and chained / sequential LR schedulers.
import torch
import torch.nn as nn
from torch.optim.lr_scheduler import (
    ChainedScheduler,
    ConstantLR,
    ExponentialLR,
    LinearLR,
    MultiStepLR,
    SequentialLR,
    StepLR,
)

torch.manual_seed(0)
model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
backbone, head = model[0], model[2]
opt = torch.optim.SGD(
    [
        {"params": backbone.parameters()},
        {"params": head.parameters(), "lr": 1e-2, "momentum": 0.5},
    ],
    lr=1e-3,
    momentum=0.9,
)
for i, g in enumerate(opt.param_groups):
    print(i, g["lr"], g["momentum"], g["weight_decay"], len(g["params"]))

extra = nn.Parameter(torch.zeros(3))
opt.add_param_group({"params": [extra], "lr": 0.5})
print(len(opt.param_groups), opt.param_groups[2]["momentum"], opt.param_groups[2]["nesterov"])

sched = ChainedScheduler(
    [ConstantLR(opt, factor=0.5, total_iters=2), ExponentialLR(opt, gamma=0.9)]
)
x, y = torch.randn(16, 4), torch.randint(0, 2, (16,))
for step in range(5):
    opt.zero_grad()
    loss = nn.functional.cross_entropy(model(x), y) + extra.pow(2).sum()
    loss.backward()
    opt.step()
    sched.step()
    print(step, [round(lr, 6) for lr in sched.get_last_lr()], f"{loss.item():.5f}")

opt2 = torch.optim.Adam(model.parameters(), lr=0.1)
warm = LinearLR(opt2, start_factor=0.1, total_iters=3)
decay = MultiStepLR(opt2, milestones=[2, 4], gamma=0.1)
seq = SequentialLR(opt2, schedulers=[warm, decay], milestones=[3])
lrs = []
for step in range(8):
    opt2.step()
    seq.step()
    lrs.append(round(opt2.param_groups[0]["lr"], 7))
print(lrs)
print(sorted(seq.state_dict().keys()))

opt3 = torch.optim.SGD(model.parameters(), lr=1.0)
s1 = StepLR(opt3, step_size=2, gamma=0.5)
s2 = ExponentialLR(opt3, gamma=0.9)
for step in range(4):
    opt3.step()
    s1.step()
    s2.step()
    print(step, round(opt3.param_groups[0]["lr"], 6), s1.last_epoch, s2.get_last_lr())
sd = opt.state_dict()
print(sorted(sd.keys()), [g["params"] for g in sd["param_groups"]])
print(sorted(sd["state"][0].keys()), sd["state"][0]["momentum_buffer"].shape)
