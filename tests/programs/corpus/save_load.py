# Saving and loading: state_dict to a file, into a fresh model; optimizer state.
import torch
import torch.nn as nn

torch.manual_seed(0)
model = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 2))
opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
x = torch.randn(16, 4)
for _ in range(3):
    opt.zero_grad()
    model(x).pow(2).mean().backward()
    opt.step()
torch.save(model.state_dict(), "model_weights.pth")
model2 = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 2))
print(model2.load_state_dict(torch.load("model_weights.pth", weights_only=True)))
model.eval()
model2.eval()
print(torch.equal(model(x), model2(x)))
print(model2[1].running_mean, model2[1].num_batches_tracked)
torch.save({"epoch": 3, "model_state_dict": model.state_dict(),
            "optimizer_state_dict": opt.state_dict(), "loss": 0.25}, "checkpoint.tar")
ck = torch.load("checkpoint.tar")
opt2 = torch.optim.SGD(model2.parameters(), lr=0.5, momentum=0.9)
opt2.load_state_dict(ck["optimizer_state_dict"])
print(ck["epoch"], ck["loss"], opt2.param_groups[0]["lr"], len(opt2.state))
print(sorted(ck["model_state_dict"].keys()))
