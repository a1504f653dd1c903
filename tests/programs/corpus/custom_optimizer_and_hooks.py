# Writing an optimizer by subclassing torch.optim.Optimizer, plus optimizer step hooks.
import torch
import torch.nn as nn
from torch.optim import Optimizer


class SignSGD(Optimizer):
    """Momentum on the sign of the gradient (a user-written optimizer)."""

    def __init__(self, params, lr=1e-2, momentum=0.9, weight_decay=0.0):
        if lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        defaults = dict(lr=lr, momentum=momentum, weight_decay=weight_decay)
        super().__init__(params, defaults)

    @torch.no_grad()
    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                d_p = p.grad
                if group["weight_decay"] != 0:
                    d_p = d_p.add(p, alpha=group["weight_decay"])
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = 0
                    state["buf"] = torch.zeros_like(p)
                state["step"] += 1
                buf = state["buf"]
                buf.mul_(group["momentum"]).add_(torch.sign(d_p), alpha=1 - group["momentum"])
                p.add_(buf, alpha=-group["lr"])
        return loss


torch.manual_seed(0)
model = nn.Sequential(nn.Linear(3, 8), nn.Tanh(), nn.Linear(8, 1))
opt = SignSGD(model.parameters(), lr=0.02, weight_decay=1e-3)
print(opt)
print(opt.defaults, len(opt.param_groups[0]["params"]))
try:
    SignSGD(model.parameters(), lr=-1)
except ValueError as e:
    print("ValueError:", e)
calls = []
pre = opt.register_step_pre_hook(lambda o, args, kwargs: calls.append("pre"))
post = opt.register_step_post_hook(lambda o, args, kwargs: calls.append("post"))
x = torch.randn(32, 3)
y = x[:, :1] * 2 - x[:, 1:2]


def closure():
    opt.zero_grad()
    loss = nn.functional.mse_loss(model(x), y)
    loss.backward()
    return loss


for step in range(30):
    loss = opt.step(closure)
    if step % 10 == 0:
        print(step, f"{loss.item():.5f}")
print(calls[:4], len(calls))
pre.remove()
post.remove()
opt.step(closure)
print(len(calls))
state = opt.state[model[0].weight]
print(state["step"], state["buf"].shape, sorted(opt.state_dict()["state"][0].keys()))
sd = opt.state_dict()
opt2 = SignSGD(model.parameters(), lr=0.5)
opt2.load_state_dict(sd)
print(opt2.param_groups[0]["lr"], opt2.state[model[0].weight]["step"])
for g in opt.param_groups:
    g["lr"] *= 0.1
print(opt.param_groups[0]["lr"])
opt.zero_grad(set_to_none=False)
print(model[0].weight.grad.abs().sum().item())
opt.zero_grad()
print(model[0].weight.grad)
