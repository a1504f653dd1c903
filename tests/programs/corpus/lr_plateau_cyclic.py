# ReduceLROnPlateau on a validation metric, CyclicLR, PolynomialLR and OneCycleLR traces.
import torch
import torch.nn as nn
from torch.optim import lr_scheduler


def make_opt(lr=0.1, momentum=0.9):
    return torch.optim.SGD([nn.Parameter(torch.zeros(2))], lr=lr, momentum=momentum)


opt = make_opt()
plateau = lr_scheduler.ReduceLROnPlateau(
    opt, mode="min", factor=0.5, patience=2, cooldown=1, threshold=0.01, min_lr=0.01
)
metrics = [1.0, 0.9, 0.89, 0.895, 0.9, 0.91, 0.7, 0.71, 0.72, 0.73, 0.74, 0.75, 0.76]
for epoch, m in enumerate(metrics):
    opt.step()
    plateau.step(m)
    print(epoch, m, opt.param_groups[0]["lr"], plateau.num_bad_epochs, plateau.best)
print(plateau.get_last_lr())
opt = make_opt()
acc = lr_scheduler.ReduceLROnPlateau(opt, mode="max", factor=0.1, patience=0)
for a in [0.5, 0.6, 0.55, 0.65, 0.64]:
    acc.step(a)
print(opt.param_groups[0]["lr"])


def trace(sched_fn, steps, opt=None):
    opt = opt or make_opt()
    s = sched_fn(opt)
    out = []
    for _ in range(steps):
        opt.step()
        s.step()
        out.append(round(s.get_last_lr()[0], 5))
    return out


print(trace(lambda o: lr_scheduler.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=3), 10))
print(
    trace(
        lambda o: lr_scheduler.CyclicLR(
            o, base_lr=0.01, max_lr=0.1, step_size_up=2, mode="triangular2"
        ),
        10,
    )
)
print(
    trace(
        lambda o: lr_scheduler.CyclicLR(
            o, base_lr=0.01, max_lr=0.1, step_size_up=2, mode="exp_range", gamma=0.9
        ),
        8,
    )
)
print(trace(lambda o: lr_scheduler.PolynomialLR(o, total_iters=5, power=2.0), 7))
o = make_opt()
print(
    trace(
        lambda o: lr_scheduler.OneCycleLR(
            o, max_lr=1.0, epochs=2, steps_per_epoch=5, anneal_strategy="linear"
        ),
        10,
        o,
    )
)
print(o.param_groups[0]["momentum"])
print(trace(lambda o: lr_scheduler.MultiplicativeLR(o, lambda e: 0.9), 4))
print(trace(lambda o: lr_scheduler.CosineAnnealingLR(o, T_max=4, eta_min=0.001), 9))
o = make_opt()
s = lr_scheduler.StepLR(o, step_size=2, gamma=0.5)
for _ in range(3):
    o.step()
    s.step()
sd = s.state_dict()
print(sorted(sd.keys()), sd["last_epoch"], sd["_last_lr"])
