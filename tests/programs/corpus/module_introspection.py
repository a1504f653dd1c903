# Walking a model: named_parameters / named_buffers / named_modules / named_children / children /
# modules printing, parameter counts, requires_grad tables, apply() with an init function,
# Module repr with nested containers, extra_repr, and type/dtype changes.
import torch
import torch.nn as nn

torch.manual_seed(0)


class Block(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.conv = nn.Conv2d(c, c, 3, padding=1, bias=False)
        self.bn = nn.BatchNorm2d(c)
        self.act = nn.ReLU()

    def forward(self, x):
        return self.act(self.bn(self.conv(x))) + x


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 4, 3)
        self.blocks = nn.ModuleList([Block(4) for _ in range(2)])
        self.heads = nn.ModuleDict({"cls": nn.Linear(4, 10), "reg": nn.Linear(4, 1)})
        self.scale = nn.Parameter(torch.ones(1))
        self.register_buffer("step", torch.tensor(0))
        self.register_buffer("tmp", torch.zeros(2), persistent=False)

    def forward(self, x):
        x = self.stem(x)
        for b in self.blocks:
            x = b(x)
        x = x.mean((2, 3))
        return self.heads["cls"](x) * self.scale, self.heads["reg"](x)


net = Net()
print(net)
for name, p in net.named_parameters():
    print(f"{name:28s} {str(tuple(p.shape)):16s} {p.numel():5d} {p.requires_grad}")
print([n for n, _ in net.named_buffers()])
print([n for n, _ in net.named_children()])
print([type(m).__name__ for m in net.children()])
print(len(list(net.modules())), [n for n, _ in net.named_modules()][:6])
print(sum(p.numel() for p in net.parameters()),
      sum(p.numel() for p in net.parameters() if p.requires_grad))
print(list(net.state_dict().keys())[-4:])
print(len(list(net.named_parameters(recurse=False))), list(net.named_buffers(recurse=False))[0])


def init(m):
    if isinstance(m, nn.Linear):
        nn.init.constant_(m.weight, 0.1)
        nn.init.zeros_(m.bias)


net.apply(init)
print(net.heads.cls.weight.sum().item())
net.double()
print(net.stem.weight.dtype, net.step.dtype, net.blocks[0].bn.running_mean.dtype)
net.float()
out = net(torch.randn(2, 3, 8, 8))
print([tuple(o.shape) for o in out])
net.requires_grad_(False)
print(any(p.requires_grad for p in net.parameters()))
net.blocks[1].requires_grad_(True)
print([n for n, p in net.named_parameters() if p.requires_grad])
print(net.training, net.eval().training, net.blocks[0].bn.training)
print(net.train().blocks[0].bn.training)
print(nn.Sequential(nn.Linear(2, 2), nn.Sequential(nn.ReLU(), nn.Identity())))
seq = nn.Sequential()
seq.add_module("first", nn.Linear(2, 3))
seq.append(nn.Sigmoid())
print(seq, len(seq), seq[-1], seq[0:1])
print(nn.ModuleList([nn.ReLU(), nn.Tanh()]).extend([nn.GELU()]))
print(nn.ParameterDict({"a": nn.Parameter(torch.zeros(2, 2))}))
