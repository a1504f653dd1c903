# Weight initialisation: nn.init functions, Module.apply, seeded defaults.
import torch
import torch.nn as nn

torch.manual_seed(0)
lin = nn.Linear(5, 3)
print(lin.weight, lin.bias)
w = torch.empty(3, 5)
nn.init.xavier_uniform_(w)
print(w)
nn.init.kaiming_normal_(w, mode="fan_out", nonlinearity="relu")
print(w.std() > 0, w[0])
nn.init.constant_(w, 0.3)
print(w.sum())
nn.init.orthogonal_(w)
print((w @ w.T).diagonal())
nn.init.trunc_normal_(w, std=0.02)
print(w.abs().max() <= 0.04)
print(nn.init.calculate_gain("leaky_relu", 0.2), nn.init.calculate_gain("tanh"))


def init_weights(m):
    if isinstance(m, nn.Linear):
        torch.nn.init.normal_(m.weight, std=0.01)
        m.bias.data.fill_(0.01)


net = nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 2))
net.apply(init_weights)
print(net[1].weight, net[1].bias)
emb = nn.Embedding(4, 3)
print(emb.weight)
conv = nn.Conv1d(2, 3, 2)
print(conv.weight.shape, conv.bias)
