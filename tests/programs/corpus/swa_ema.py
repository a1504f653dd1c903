# Stochastic weight averaging and an EMA of the weights, as in PyTorch's optim docs: train with a
# cosine schedule, switch to SWALR, average, recompute BatchNorm statistics, evaluate.
import torch
from torch.optim.swa_utils import SWALR, AveragedModel, get_ema_multi_avg_fn, update_bn

torch.manual_seed(0)
X = torch.randn(96, 5)
y = (X[:, :2].sum(1, keepdim=True) > 0).float()
loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(X, y), batch_size=32)

model = torch.nn.Sequential(torch.nn.Linear(5, 16), torch.nn.BatchNorm1d(16), torch.nn.ReLU(),
                            torch.nn.Linear(16, 1))
opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=20)
swa_model = AveragedModel(model)
ema_model = AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(0.9))
swa_sched = SWALR(opt, swa_lr=0.02, anneal_epochs=3, anneal_strategy="linear")
loss_fn = torch.nn.BCEWithLogitsLoss()
for epoch in range(12):
    for xb, yb in loader:
        opt.zero_grad()
        loss = loss_fn(model(xb), yb)
        loss.backward()
        opt.step()
        ema_model.update_parameters(model)
    if epoch >= 6:
        swa_model.update_parameters(model)
        swa_sched.step()
    else:
        sched.step()
    print(epoch, f"{loss.item():.4f}", f"{opt.param_groups[0]['lr']:.5f}")

update_bn(loader, swa_model)
swa_model.eval()
ema_model.eval()
with torch.no_grad():
    for name, m in (("swa", swa_model), ("ema", ema_model)):
        acc = ((m(X) > 0).float() == y).float().mean().item()
        print(name, int(m.n_averaged), f"{loss_fn(m(X), y).item():.4f}", f"{acc:.3f}")
print(list(swa_model.state_dict())[:3], swa_model.state_dict()["n_averaged"])
print(swa_model.module[1].running_mean[:3])
