# train()/eval() behaviour, forward hooks, tensor hooks, gradient clipping, freezing.
import torch
import torch.nn as nn

torch.manual_seed(0)
model = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Dropout(0.5),
                      nn.Linear(8, 1))
x = torch.randn(5, 4)
seen = []
handle = model[0].register_forward_hook(lambda m, i, o: seen.append(tuple(o.shape)))
print(model(x).flatten())
model.eval()
print(model(x).flatten())
handle.remove()
model(x)
print(seen)
model.train()
w = model[4].weight
w.register_hook(lambda g: g * 0.5)
model(x).sum().backward()
print(w.grad)
total = torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=0.1)
print(round(total.item(), 5), round(sum(p.grad.norm() ** 2 for p in model.parameters()).sqrt().item(), 5))
torch.nn.utils.clip_grad_value_(model.parameters(), 0.01)
print(model[0].bias.grad.abs().max() <= 0.01)
for p in model[0].parameters():
    p.requires_grad_(False)
opt = torch.optim.SGD(model.parameters(), lr=0.1, weight_decay=0.1)
opt.zero_grad()
model(x).sum().backward()
before = model[0].weight.clone()
opt.step()
print(torch.equal(before, model[0].weight), sum(p.requires_grad for p in model.parameters()))
vec = torch.nn.utils.parameters_to_vector(model.parameters())
print(vec.shape)
