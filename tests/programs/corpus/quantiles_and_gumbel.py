# Robust statistics with quantile/nanquantile, and discrete sampling with the Gumbel-softmax
# trick (soft and straight-through hard samples) in a tiny categorical VAE-style step.
import torch

torch.manual_seed(0)
data = torch.randn(200, 3) * torch.tensor([1.0, 2.0, 0.5]) + torch.tensor([0.0, 1.0, -1.0])
q = torch.tensor([0.05, 0.25, 0.5, 0.75, 0.95])
print(torch.quantile(data, q, dim=0))
iqr = data.quantile(0.75, dim=0) - data.quantile(0.25, dim=0)
print("iqr", iqr)
for mode in ("linear", "lower", "higher", "midpoint", "nearest"):
    print(mode, torch.quantile(data[:11, 0], 0.4, interpolation=mode).item())
with_nan = data[:10, 1].clone()
with_nan[3] = float("nan")
print(torch.quantile(with_nan, 0.5), torch.nanquantile(with_nan, 0.5))

logits = torch.nn.Parameter(torch.zeros(4, 5))
target = torch.tensor([0, 1, 2, 3])
opt = torch.optim.Adam([logits], lr=0.1)
for step in range(30):
    opt.zero_grad()
    sample = torch.nn.functional.gumbel_softmax(logits, tau=0.5, hard=True)
    loss = -(sample * torch.nn.functional.one_hot(target, 5)).sum()
    loss.backward()
    opt.step()
    if step % 10 == 0:
        print(step, loss.item(), sample.argmax(-1).tolist())
print(logits.softmax(-1).argmax(-1).tolist())
soft = torch.nn.functional.gumbel_softmax(logits.detach(), tau=2.0)
print(torch.allclose(soft.sum(-1), torch.ones(4)), soft.shape, soft.argmax(-1).tolist())
