# The optimizers on one small problem: SGD (momentum, nesterov), Adam, AdamW, RMSprop, Adagrad,
# Adadelta.
import torch

torch.manual_seed(0)
X = torch.randn(32, 5)
y = X @ torch.randn(5, 1)


def fit(make, steps=25):
    torch.manual_seed(1)
    model = torch.nn.Linear(5, 1)
    opt = make(model.parameters())
    for _ in range(steps):
        opt.zero_grad()
        loss = torch.nn.functional.mse_loss(model(X), y)
        loss.backward()
        opt.step()
    return loss.item(), model.weight.detach()[0, :2].tolist()


for name, make in [
    ("sgd", lambda p: torch.optim.SGD(p, lr=0.05)),
    ("momentum", lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9, weight_decay=1e-3)),
    ("nesterov", lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9, nesterov=True)),
    ("adam", lambda p: torch.optim.Adam(p, lr=0.05)),
    ("amsgrad", lambda p: torch.optim.Adam(p, lr=0.05, amsgrad=True)),
    ("adamw", lambda p: torch.optim.AdamW(p, lr=0.05, weight_decay=0.1)),
    ("rmsprop", lambda p: torch.optim.RMSprop(p, lr=0.01)),
    ("adagrad", lambda p: torch.optim.Adagrad(p, lr=0.3)),
    ("adadelta", lambda p: torch.optim.Adadelta(p, lr=1.0)),
]:
    loss, w = fit(make)
    print(f"{name:9s} {loss:.5f} {[round(v, 4) for v in w]}")
opt = torch.optim.SGD([{"params": [torch.zeros(1, requires_grad=True)], "lr": 0.1},
                       {"params": [torch.zeros(1, requires_grad=True)]}], lr=0.01, momentum=0.5)
print([g["lr"] for g in opt.param_groups], opt.param_groups[1]["momentum"])
print(opt)
