# AdamW with linear warmup and cosine decay via LambdaLR, the way LM training scripts do it.
import math

import torch
import torch.nn as nn

torch.manual_seed(0)
model = nn.Sequential(nn.Linear(8, 32), nn.GELU(), nn.LayerNorm(32), nn.Linear(32, 8))
decay, no_decay = [], []
for name, p in model.named_parameters():
    (no_decay if p.ndim < 2 else decay).append(p)
print(len(decay), len(no_decay))
opt = torch.optim.AdamW(
    [{"params": decay, "weight_decay": 0.1}, {"params": no_decay, "weight_decay": 0.0}],
    lr=3e-3,
    betas=(0.9, 0.95),
)
warmup, total = 5, 30


def lr_lambda(step):
    if step < warmup:
        return (step + 1) / warmup
    progress = (step - warmup) / max(1, total - warmup)
    return 0.5 * (1.0 + math.cos(math.pi * progress))


sched = torch.optim.lr_scheduler.LambdaLR(opt, lr_lambda)
X = torch.randn(64, 8)
Y = X.flip(1) * 0.5
for step in range(total):
    loss = nn.functional.mse_loss(model(X), Y)
    opt.zero_grad(set_to_none=True)
    loss.backward()
    gnorm = torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
    opt.step()
    sched.step()
    if step % 5 == 0 or step == total - 1:
        print(
            f"step {step:2d} lr {sched.get_last_lr()[0]:.6f} loss {loss.item():.5f} "
            f"gnorm {gnorm.item():.4f}"
        )
print(opt.state_dict()["param_groups"][0]["lr"], opt.param_groups[1]["initial_lr"])
st = opt.state[decay[0]]
print(sorted(st.keys()), st["step"], st["exp_avg"].shape)
cos = torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(
    torch.optim.SGD([nn.Parameter(torch.zeros(1))], lr=1.0), T_0=3, T_mult=2, eta_min=0.01
)
vals = []
for _ in range(10):
    cos.optimizer.step()
    cos.step()
    vals.append(round(cos.get_last_lr()[0], 5))
print(vals)
