# Activation checkpointing, weight/spectral normalisation and sliding blocks (after the
# torch.utils.checkpoint, torch.nn.utils.parametrizations and nn.Unfold docs): a small conv
# net whose middle block is checkpointed (dropout inside: same mask in the recomputation),
# a spectral-normalised head, an unfold-based "convolution" checked against conv2d.
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils import parametrizations
from torch.utils.checkpoint import checkpoint, checkpoint_sequential

torch.manual_seed(0)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = parametrizations.weight_norm(nn.Conv2d(1, 4, 3, padding=1))
        self.block = nn.Sequential(nn.Conv2d(4, 4, 3, padding=1), nn.ReLU(), nn.Dropout(0.2))
        self.head = parametrizations.spectral_norm(nn.Linear(4 * 6 * 6, 3))

    def forward(self, x):
        x = F.relu(self.stem(x))
        x = checkpoint(self.block, x, use_reentrant=True)
        return self.head(x.flatten(1))


net = Net()
print(sorted(net.state_dict().keys()))
opt = torch.optim.SGD(net.parameters(), lr=0.05)
x = torch.randn(5, 1, 6, 6)
y = torch.tensor([0, 1, 2, 1, 0])
for step in range(6):
    loss = F.cross_entropy(net(x), y)
    opt.zero_grad()
    loss.backward()
    opt.step()
    print(step, round(loss.item(), 5))
net.eval()
print(net(x).argmax(1).tolist())

seq = nn.Sequential(*[nn.Linear(6, 6) for _ in range(4)])
inp = torch.randn(2, 6, requires_grad=True)
out = checkpoint_sequential(seq, 2, inp, use_reentrant=False)
out.sum().backward()
print(round(inp.grad.sum().item(), 5), out.grad_fn.__class__.__name__)

img = torch.randn(2, 3, 5, 5)
w = torch.randn(4, 3, 3, 3)
cols = F.unfold(img, kernel_size=3, padding=1)
via_unfold = (w.view(4, -1) @ cols).view(2, 4, 5, 5)
print(cols.shape, torch.allclose(via_unfold, F.conv2d(img, w, padding=1), atol=1e-5))
fold = nn.Fold(output_size=(5, 5), kernel_size=3, padding=1)
print(fold, fold(cols).shape, (fold(cols) / fold(torch.ones_like(cols)) - img).abs().max() < 1e-5)

lin = nn.utils.weight_norm(nn.Linear(3, 2))
print([n for n, _ in lin.named_parameters()])
nn.utils.remove_weight_norm(lin)
print([n for n, _ in lin.named_parameters()])
