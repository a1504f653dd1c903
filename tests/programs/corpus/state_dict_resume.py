# Checkpoint and resume: model + optimizer + scheduler state_dicts, training continues exactly.
import os
import torch
from torch import nn

torch.manual_seed(0)


def make():
    m = nn.Sequential(nn.Linear(3, 8), nn.ReLU(), nn.Linear(8, 1))
    o = torch.optim.Adam(m.parameters(), lr=0.01)
    s = torch.optim.lr_scheduler.StepLR(o, step_size=3, gamma=0.5)
    return m, o, s


x = torch.randn(16, 3)
y = x.sum(1, keepdim=True)
model, opt, sched = make()


def step(m, o, s):
    o.zero_grad()
    loss = nn.functional.mse_loss(m(x), y)
    loss.backward()
    o.step()
    s.step()
    return loss.item()


for _ in range(5):
    step(model, opt, sched)
torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "sched": sched.state_dict(),
            "epoch": 5}, "ckpt.pt")
cont = [round(step(model, opt, sched), 6) for _ in range(4)]
ck = torch.load("ckpt.pt")
m2, o2, s2 = make()
m2.load_state_dict(ck["model"])
o2.load_state_dict(ck["opt"])
s2.load_state_dict(ck["sched"])
resumed = [round(step(m2, o2, s2), 6) for _ in range(4)]
print(ck["epoch"], cont == resumed, cont)
print(sorted(ck["opt"]["state"][0].keys()), ck["opt"]["param_groups"][0]["lr"])
print(s2.get_last_lr(), os.path.exists("ckpt.pt"))
missing = m2.load_state_dict({k: v for k, v in ck["model"].items() if k != "2.bias"},
                             strict=False)
print(missing)
