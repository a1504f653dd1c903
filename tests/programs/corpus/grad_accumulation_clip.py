# Gradient accumulation over micro-batches (loss / steps), clip_grad_norm_ with various norm
# types, clip_grad_value_, and a check that accumulating equals one big batch.
import torch
import torch.nn as nn

torch.manual_seed(0)
model = nn.Sequential(nn.Linear(6, 12), nn.Tanh(), nn.Linear(12, 1))
ref = nn.Sequential(nn.Linear(6, 12), nn.Tanh(), nn.Linear(12, 1))
ref.load_state_dict(model.state_dict())
X = torch.randn(32, 6)
Y = X.sum(1, keepdim=True).sin()
loss_fn = nn.MSELoss()
accum = 4
opt = torch.optim.SGD(model.parameters(), lr=0.05)
opt.zero_grad(set_to_none=True)
for i, (xb, yb) in enumerate(zip(X.chunk(accum), Y.chunk(accum))):
    loss = loss_fn(model(xb), yb) / accum
    loss.backward()
    print(i, f"{loss.item():.6f}", f"{model[0].weight.grad.norm().item():.6f}")
loss_fn(ref(X), Y).backward()
print(all(torch.allclose(a.grad, b.grad, atol=1e-6) for a, b in zip(model.parameters(),
                                                                      ref.parameters())))
for nt in (2.0, 1.0, float("inf"), 3):
    grads = [p.grad.clone() for p in model.parameters()]
    total = torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=0.05, norm_type=nt)
    print(nt, f"{total.item():.6f}", total.dtype, total.shape)
    for p, g in zip(model.parameters(), grads):
        p.grad.copy_(g)
total = torch.nn.utils.clip_grad_norm_(model.parameters(), 0.05)
after = torch.nn.utils.get_total_norm([p.grad for p in model.parameters()])
print(f"{total.item():.6f} {after.item():.6f}")
torch.nn.utils.clip_grad_value_(model.parameters(), clip_value=0.001)
print(max(p.grad.abs().max().item() for p in model.parameters()) <= 0.001)
opt.step()
print(f"{model[2].bias.item():.6f}")
vec = torch.nn.utils.parameters_to_vector(model.parameters())
print(vec.shape, f"{vec.sum().item():.5f}")
torch.nn.utils.vector_to_parameters(vec * 0.5, model.parameters())
print(f"{model[0].weight.sum().item():.5f}")
p = nn.Parameter(torch.ones(3))
p.grad = torch.tensor([float("nan"), 1.0, 1.0])
try:
    torch.nn.utils.clip_grad_norm_([p], 1.0, error_if_nonfinite=True)
except RuntimeError as e:
    print("RuntimeError", str(e)[:40])
print(torch.nn.utils.clip_grad_norm_([p], 1.0))
