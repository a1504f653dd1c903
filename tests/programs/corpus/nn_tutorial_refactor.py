# "What is torch.nn really?" style: from raw tensors to nn.Module, optim and DataLoader.
import math
import torch
import torch.nn.functional as F
from torch import nn, optim
from torch.utils.data import DataLoader, TensorDataset

torch.manual_seed(0)
n, d, c = 96, 12, 4
x_train = torch.randn(n, d)
y_train = (x_train[:, :c].argmax(1)).long()
x_valid = torch.randn(32, d)
y_valid = x_valid[:, :c].argmax(1)

weights = torch.randn(d, c) / math.sqrt(d)
weights.requires_grad_()
bias = torch.zeros(c, requires_grad=True)


def log_softmax(x):
    return x - x.exp().sum(-1).log().unsqueeze(-1)


def model(xb):
    return log_softmax(xb @ weights + bias)


def nll(input, target):
    return -input[range(target.shape[0]), target].mean()


def accuracy(out, yb):
    preds = torch.argmax(out, dim=1)
    return (preds == yb).float().mean()


bs, lr = 16, 0.5
print("start", nll(model(x_train[:bs]), y_train[:bs]).item(), accuracy(model(x_train[:bs]), y_train[:bs]).item())
for epoch in range(3):
    for i in range((n - 1) // bs + 1):
        xb = x_train[i * bs: i * bs + bs]
        yb = y_train[i * bs: i * bs + bs]
        loss = nll(model(xb), yb)
        loss.backward()
        with torch.no_grad():
            weights -= weights.grad * lr
            bias -= bias.grad * lr
            weights.grad.zero_()
            bias.grad.zero_()
    print("epoch", epoch, round(loss.item(), 5))
print("cross_entropy agrees:", torch.allclose(F.cross_entropy(x_train @ weights + bias, y_train),
                                              nll(model(x_train), y_train), atol=1e-6))


class Mnist_Logistic(nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(d, c)

    def forward(self, xb):
        return self.lin(xb)


def get_model():
    m = Mnist_Logistic()
    return m, optim.SGD(m.parameters(), lr=lr, momentum=0.9)


def loss_batch(model, loss_func, xb, yb, opt=None):
    loss = loss_func(model(xb), yb)
    if opt is not None:
        loss.backward()
        opt.step()
        opt.zero_grad()
    return loss.item(), len(xb)


train_dl = DataLoader(TensorDataset(x_train, y_train), batch_size=bs, shuffle=True)
valid_dl = DataLoader(TensorDataset(x_valid, y_valid), batch_size=bs * 2)
model2, opt = get_model()
for epoch in range(4):
    model2.train()
    for xb, yb in train_dl:
        loss_batch(model2, F.cross_entropy, xb, yb, opt)
    model2.eval()
    with torch.no_grad():
        losses, nums = zip(*[loss_batch(model2, F.cross_entropy, xb, yb) for xb, yb in valid_dl])
    val_loss = sum(l * k for l, k in zip(losses, nums)) / sum(nums)
    print(epoch, f"{val_loss:.5f}")
print(model2)
print([tuple(p.shape) for p in model2.parameters()])
