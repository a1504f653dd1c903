# Learning-rate schedulers: the lr after each step.
import torch
from torch.optim import lr_scheduler


def lrs(make, steps=12, metric=None):
    p = torch.zeros(1, requires_grad=True)
    opt = torch.optim.SGD([p], lr=0.1, momentum=0.9)
    sched = make(opt)
    out = []
    for i in range(steps):
        opt.step()
        if metric is None:
            sched.step()
        else:
            sched.step(metric[i])
        out.append(round(opt.param_groups[0]["lr"], 6))
    return out


print(lrs(lambda o: lr_scheduler.StepLR(o, step_size=3, gamma=0.5)))
print(lrs(lambda o: lr_scheduler.MultiStepLR(o, milestones=[2, 5], gamma=0.1)))
print(lrs(lambda o: lr_scheduler.ExponentialLR(o, gamma=0.9)))
print(lrs(lambda o: lr_scheduler.CosineAnnealingLR(o, T_max=10, eta_min=0.001)))
print(lrs(lambda o: lr_scheduler.OneCycleLR(o, max_lr=1.0, total_steps=12)))
print(lrs(lambda o: lr_scheduler.LambdaLR(o, lambda e: 1 / (e + 1))))
print(lrs(lambda o: lr_scheduler.LinearLR(o, start_factor=0.25, total_iters=4)))
print(lrs(lambda o: lr_scheduler.ReduceLROnPlateau(o, patience=1, factor=0.5),
          metric=[1.0, 0.9, 0.9, 0.9, 0.9, 0.8, 0.8, 0.8, 0.8, 0.8, 0.8, 0.8]))
print(lrs(lambda o: lr_scheduler.CosineAnnealingWarmRestarts(o, T_0=4)))
print(lrs(lambda o: lr_scheduler.SequentialLR(
    o, [lr_scheduler.LinearLR(o, 0.1, total_iters=3), lr_scheduler.ExponentialLR(o, 0.8)],
    milestones=[3])))
s = lr_scheduler.StepLR(torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=1.0), 2)
print(s.get_last_lr(), s.state_dict()["step_size"])
