import torch, torch.nn as nn, os, math, random
import numpy as np
def seed_everything(seed):
    random.seed(seed); np.random.seed(seed); torch.manual_seed(seed)
    torch.cuda.manual_seed_all(seed)
    torch.backends.cudnn.deterministic = True
    torch.backends.cudnn.benchmark = False
seed_everything(42)
torch.use_deterministic_algorithms(True)
torch.set_float32_matmul_precision("high")
device = "cuda" if torch.cuda.is_available() else "cpu"
print(device, torch.get_num_threads() > 0)
model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2)).to(device)
opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.01)
scaler = torch.cuda.amp.GradScaler(enabled=False)
sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda e: 0.95 ** e)
X = torch.randn(32, 4, device=device); Y = torch.randint(0, 2, (32,), device=device)
for epoch in range(3):
    with torch.autocast(device_type="cpu", enabled=False):
        out = model(X); loss = nn.functional.cross_entropy(out, Y)
    opt.zero_grad(set_to_none=True)
    scaler.scale(loss).backward()
    scaler.unscale_(opt)
    nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    scaler.step(opt); scaler.update(); sched.step()
    print(epoch, f"{loss.item():.6f}", sched.get_last_lr()[0])
ckpt = {"epoch": 3, "model": model.state_dict(), "optimizer": opt.state_dict(), "scheduler": sched.state_dict(), "loss": loss.item()}
torch.save(ckpt, "ckpt.pth")
ck = torch.load("ckpt.pth", map_location="cpu", weights_only=True)
model2 = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
res = model2.load_state_dict(ck["model"], strict=False)
print(res, res.missing_keys)
opt2 = torch.optim.AdamW(model2.parameters(), lr=1e-3); opt2.load_state_dict(ck["optimizer"])
print(opt2.state_dict()["state"][0]["step"], ck["epoch"], round(ck["loss"], 6))
print(torch.equal(model2[0].weight, model[0].weight))
@torch.no_grad()
def evaluate(m):
    return m(X).argmax(1).eq(Y).float().mean().item()
print(round(evaluate(model2), 4))
with torch.inference_mode():
    print(model(X[:2]).shape, torch.is_inference_mode_enabled())
print(torch.is_grad_enabled())
n_params = sum(p.numel() for p in model.parameters())
print(f"{n_params/1e3:.2f}K params", model[0].weight.dtype, model[0].weight.device, model[0].weight.is_leaf)
g = torch.Generator(device="cpu"); g.manual_seed(0); print(torch.randn(2, generator=g), g.initial_seed())
state = torch.get_rng_state(); a = torch.rand(2); torch.set_rng_state(state); b = torch.rand(2); print(torch.equal(a, b))
print(torch.__version__ is not None, isinstance(torch.__version__, str))
x = torch.arange(6).reshape(2, 3)
print(x.to(dtype=torch.float32).mean(dim=-1, keepdim=True), x.float().std(unbiased=False), x.numpy().sum())
print(torch.tensor(np.array([1.0, 2.0])).dtype, torch.from_numpy(np.ones(2, dtype=np.float32)).dtype)
print(torch.tensor([1, 2]).tolist(), torch.tensor(5).item(), torch.zeros(2, 2).numel())
