# Gradient clipping in an LSTM regression loop: clip_grad_norm_ returns the total norm.
import torch
from torch import nn

torch.manual_seed(1)
lstm = nn.LSTM(input_size=3, hidden_size=8, num_layers=2, batch_first=True)
head = nn.Linear(8, 1)
params = list(lstm.parameters()) + list(head.parameters())
opt = torch.optim.Adam(params, lr=0.01)
x = torch.randn(6, 10, 3)
y = x.sum(dim=(1, 2)).unsqueeze(1) * 0.1
for step in range(15):
    opt.zero_grad()
    out, (h, c) = lstm(x)
    pred = head(out[:, -1])
    loss = nn.functional.mse_loss(pred, y)
    loss.backward()
    total = nn.utils.clip_grad_norm_(params, max_norm=0.5)
    if step % 5 == 0:
        print(step, f"loss={loss.item():.5f}", f"norm={total.item():.5f}")
    opt.step()
nn.utils.clip_grad_value_(params, clip_value=0.01)
print("max |grad| after clip_value:", max(p.grad.abs().max().item() for p in params))
print("h", tuple(h.shape), "c", tuple(c.shape))
norm_inf = nn.utils.clip_grad_norm_(params, max_norm=1.0, norm_type=float("inf"))
print("inf norm", round(norm_inf.item(), 6))
vec = nn.utils.parameters_to_vector(head.parameters())
print("head vector", vec.shape, round(vec.sum().item(), 5))
nn.utils.vector_to_parameters(vec * 2, head.parameters())
print("doubled", round(head.bias.item(), 5))
