# Knowledge distillation: a frozen teacher, a small student, KL divergence on softened
# logits (T^2 scaling) mixed with the hard-label loss.
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
X = torch.randn(64, 10)
y = (X[:, :3].sum(1) > 0).long() + (X[:, 3] > 1).long()
teacher = nn.Sequential(nn.Linear(10, 64), nn.ReLU(), nn.Linear(64, 3))
student = nn.Sequential(nn.Linear(10, 8), nn.ReLU(), nn.Linear(8, 3))
t_opt = torch.optim.Adam(teacher.parameters(), lr=0.01)
for _ in range(40):
    t_opt.zero_grad()
    F.cross_entropy(teacher(X), y).backward()
    t_opt.step()
teacher.eval()
for p in teacher.parameters():
    p.requires_grad_(False)
with torch.no_grad():
    t_acc = (teacher(X).argmax(1) == y).float().mean()
print(f"teacher acc {t_acc.item():.3f}")
T, alpha = 3.0, 0.7
opt = torch.optim.Adam(student.parameters(), lr=0.02)
kl = nn.KLDivLoss(reduction="batchmean")
for epoch in range(30):
    with torch.no_grad():
        soft = F.softmax(teacher(X) / T, dim=1)
    s_logits = student(X)
    distill = kl(F.log_softmax(s_logits / T, dim=1), soft) * T * T
    hard = F.cross_entropy(s_logits, y)
    loss = alpha * distill + (1 - alpha) * hard
    opt.zero_grad()
    loss.backward()
    opt.step()
    if epoch % 10 == 0:
        print(
            f"epoch {epoch} distill {distill.item():.5f} hard {hard.item():.5f} "
            f"{loss.grad_fn.name()}"
        )
with torch.no_grad():
    s_acc = (student(X).argmax(1) == y).float().mean()
    agree = (student(X).argmax(1) == teacher(X).argmax(1)).float().mean()
print(f"student acc {s_acc.item():.3f} agreement {agree.item():.3f}")
print(all(p.grad is None for p in teacher.parameters()))
print(F.kl_div(F.log_softmax(s_logits, 1), soft, reduction="none").shape)
print(
    F.softmax(torch.tensor([1.0, 2.0, 3.0]) / 0.5, 0),
    F.softmax(torch.tensor([1.0, 2.0, 3.0]) / 10, 0),
)
