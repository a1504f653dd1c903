# Fine-tuning: a pretrained-like backbone frozen with requires_grad_(False), a new head, an
# optimizer over only the trainable parameters, then unfreezing with param groups at different
# learning rates, a scheduler acting on both groups.
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(1)
backbone = nn.Sequential(
    nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2),
    nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten())
model = nn.Sequential(backbone, nn.Linear(16, 5))
for p in backbone.parameters():
    p.requires_grad_(False)
model[1] = nn.Linear(16, 3)
trainable = [n for n, p in model.named_parameters() if p.requires_grad]
print("trainable:", trainable)
print("frozen count:", sum(p.numel() for p in model.parameters() if not p.requires_grad))
opt = torch.optim.SGD(filter(lambda p: p.requires_grad, model.parameters()), lr=0.1, momentum=0.9)
x = torch.randn(16, 3, 8, 8)
y = torch.randint(0, 3, (16,))
backbone.eval()
before = backbone[0].weight.clone()
for step in range(4):
    opt.zero_grad()
    loss = F.cross_entropy(model(x), y)
    loss.backward()
    opt.step()
    print(step, round(loss.item(), 5), backbone[0].weight.grad is None)
print("backbone unchanged:", torch.equal(before, backbone[0].weight))
print("bn running mean kept:", backbone[1].running_mean.abs().sum().item() == 0)
for p in backbone.parameters():
    p.requires_grad_(True)
opt = torch.optim.Adam([
    {"params": backbone.parameters(), "lr": 1e-4},
    {"params": model[1].parameters()},
], lr=1e-2, weight_decay=1e-4)
sched = torch.optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
model.train()
for step in range(4):
    opt.zero_grad()
    loss = F.cross_entropy(model(x), y)
    loss.backward()
    opt.step()
    sched.step()
    print(step, f"{loss.item():.5f}", [g["lr"] for g in opt.param_groups])
print([len(g["params"]) for g in opt.param_groups], opt.param_groups[0]["weight_decay"])
print(f"{(before - backbone[0].weight).abs().max().item():.6f}")
print(sched.get_last_lr())
