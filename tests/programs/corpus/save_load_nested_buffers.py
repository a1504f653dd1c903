# torch.save / torch.load of nested containers, in memory and on disk, with a training resume.
import io
import os
import tempfile

import torch
import torch.nn as nn

torch.manual_seed(0)
model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 1))
opt = torch.optim.Adam(model.parameters(), lr=0.01)
x, y = torch.randn(10, 3), torch.randn(10, 1)
for _ in range(3):
    opt.zero_grad()
    nn.functional.mse_loss(model(x), y).backward()
    opt.step()
ckpt = {
    "epoch": 3,
    "model": model.state_dict(),
    "optim": opt.state_dict(),
    "history": [0.5, 0.25, 0.125],
    "meta": {"name": "tiny", "tags": ["a", "b"], "shape": (3, 4), "nested": {"t": torch.arange(3)}},
    "tensors": [torch.ones(2), torch.zeros(1, dtype=torch.int64)],
}
buf = io.BytesIO()
torch.save(ckpt, buf)
buf.seek(0)
back = torch.load(buf)
print(sorted(back.keys()))
print(back["epoch"], back["history"], back["meta"]["name"], back["meta"]["tags"])
print(back["meta"]["nested"]["t"], back["tensors"])
print(type(back["model"]).__name__, list(back["model"].keys()))
print(sorted(back["optim"]["state"].keys()), back["optim"]["param_groups"][0]["lr"])
with tempfile.TemporaryDirectory() as d:
    path = os.path.join(d, "ckpt.pt")
    torch.save(ckpt, path)
    loaded = torch.load(path, weights_only=True)
    model2 = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 1))
    opt2 = torch.optim.Adam(model2.parameters(), lr=0.01)
    model2.load_state_dict(loaded["model"])
    opt2.load_state_dict(loaded["optim"])
    for m, o in ((model, opt), (model2, opt2)):
        o.zero_grad()
        nn.functional.mse_loss(m(x), y).backward()
        o.step()
    print(all(torch.equal(a, b) for a, b in zip(model.parameters(), model2.parameters())))
    print(opt2.state_dict()["state"][0]["step"])
    torch.save(model.state_dict(), path)
    sd = torch.load(path, map_location="cpu")
    print({k: tuple(v.shape) for k, v in sd.items()})
    torch.save(torch.tensor([1.5, 2.5]), path)
    print(torch.load(path))
    torch.save([torch.eye(2), {"k": torch.tensor(3)}], path)
    print(torch.load(path))


class WithBuffers(nn.Module):
    def __init__(self):
        super().__init__()
        self.register_buffer("running", torch.zeros(3))
        self.register_buffer("scratch", torch.ones(2), persistent=False)
        self.w = nn.Parameter(torch.randn(3))


m = WithBuffers()
print(list(m.state_dict().keys()), [n for n, _ in m.named_buffers()])
m.running += 1
m2 = WithBuffers()
m2.load_state_dict(m.state_dict())
print(m2.running, m2.scratch)
