# Label smoothing, class weights, ignore_index and an early-stopping loop keeping the best model.
import copy

import torch
import torch.nn as nn

torch.manual_seed(0)
logits = torch.randn(6, 4, requires_grad=True)
target = torch.tensor([0, 1, 2, 3, -100, 1])
for ls in (0.0, 0.1, 0.3):
    crit = nn.CrossEntropyLoss(label_smoothing=ls, ignore_index=-100)
    print(ls, f"{crit(logits, target).item():.6f}")
w = torch.tensor([1.0, 2.0, 0.5, 1.0])
crit = nn.CrossEntropyLoss(weight=w, label_smoothing=0.2, ignore_index=-100)
loss = crit(logits, target)
loss.backward()
print(
    f"{loss.item():.6f}",
    loss.grad_fn.name(),
    logits.grad.sum(1).abs().max().item() < 1e-6,
    logits.grad[0],
)
none = nn.CrossEntropyLoss(reduction="none", label_smoothing=0.1)(logits, target.clamp(min=0))
print(none.shape, none)
probs = torch.softmax(torch.randn(6, 4), 1)
print(f"{nn.CrossEntropyLoss(label_smoothing=0.1)(logits, probs).item():.6f}")

X = torch.randn(120, 5)
y = (X[:, 0] + 0.5 * X[:, 1] > 0).long()
Xtr, ytr, Xva, yva = X[:80], y[:80], X[80:], y[80:]
model = nn.Sequential(nn.Linear(5, 32), nn.ReLU(), nn.Dropout(0.2), nn.Linear(32, 2))
opt = torch.optim.SGD(model.parameters(), lr=0.5)
crit = nn.CrossEntropyLoss(label_smoothing=0.05)
best, best_state, patience, bad = float("inf"), None, 3, 0
for epoch in range(40):
    model.train()
    opt.zero_grad()
    loss = crit(model(Xtr), ytr)
    loss.backward()
    opt.step()
    model.eval()
    with torch.no_grad():
        val = crit(model(Xva), yva).item()
    if val < best - 1e-4:
        best, bad = val, 0
        best_state = copy.deepcopy(model.state_dict())
    else:
        bad += 1
    print(f"epoch {epoch} train {loss.item():.4f} val {val:.4f} bad {bad}")
    if bad >= patience:
        print("early stop at", epoch)
        break
model.load_state_dict(best_state)
with torch.no_grad():
    acc = (model(Xva).argmax(1) == yva).float().mean()
print(f"best {best:.4f} acc {acc.item():.3f}")
