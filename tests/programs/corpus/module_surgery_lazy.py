# Model surgery: replacing layers by name, freezing by prefix, register_parameter/module,
# LazyLinear shape inference, ModuleDict/ParameterList, apply() for init, to_empty on meta.
import torch
import torch.nn as nn

torch.manual_seed(0)
model = nn.Sequential(
    nn.Conv2d(1, 4, 3),
    nn.ReLU(),
    nn.Sequential(nn.Conv2d(4, 8, 3), nn.ReLU()),
    nn.Flatten(),
    nn.LazyLinear(10),
)
print(model[-1])
out = model(torch.randn(2, 1, 8, 8))
print(out.shape, model[-1], model[-1].weight.shape)
for name, module in model.named_modules():
    if isinstance(module, nn.ReLU):
        print("relu at", repr(name))
for name, m in list(model.named_children()):
    if isinstance(m, nn.ReLU):
        setattr(model, name, nn.LeakyReLU(0.1))
model[2][1] = nn.GELU()
print(model)
for name, p in model.named_parameters():
    p.requires_grad_(not name.startswith("0."))
print([n for n, p in model.named_parameters() if p.requires_grad])
print(sum(p.numel() for p in model.parameters() if p.requires_grad))
print(model.get_submodule("2.0"), model.get_parameter("2.0.bias").shape)


def init(m):
    if isinstance(m, (nn.Conv2d, nn.Linear)):
        nn.init.constant_(m.bias, 0.1)
        nn.init.xavier_uniform_(m.weight)


model.apply(init)
print(model[0].bias, model[4].bias[:3])


class Custom(nn.Module):
    def __init__(self):
        super().__init__()
        self.register_parameter("scale", nn.Parameter(torch.ones(3)))
        self.register_parameter("unused", None)
        self.register_module("proj", nn.Linear(3, 3))
        self.heads = nn.ModuleDict({"a": nn.Linear(3, 1), "b": nn.Linear(3, 2)})
        self.gains = nn.ParameterList([nn.Parameter(torch.full((1,), float(i))) for i in range(2)])

    def forward(self, x):
        h = self.proj(x * self.scale) * self.gains[1]
        return {k: head(h) for k, head in self.heads.items()}


c = Custom()
print([n for n, _ in c.named_parameters()])
print({k: v.shape for k, v in c(torch.randn(4, 3)).items()})
print(c.unused, "unused" in dict(c.named_parameters()))
del c.heads["b"]
c.heads["c"] = nn.Identity()
print(list(c.heads.keys()), len(c.gains))
print(c)
with torch.device("cpu"):
    big = nn.Linear(100, 100)
print(big.weight.device, big.weight.is_meta)
big = big.to_empty(device="cpu")
print(big.weight.device, big.weight.shape)
frozen = nn.Linear(2, 2).requires_grad_(False)
print(all(not p.requires_grad for p in frozen.parameters()))
print(model.training, model.eval().training, model[0].training)
print(len(list(model.modules())), len(list(model.children())), len(list(model.buffers())))
