# torch.nn.functional: activations, losses, padding, one_hot, normalize, interpolate.
import torch
import torch.nn.functional as F

torch.manual_seed(0)
x = torch.randn(3, 4)
print(F.relu(x), F.gelu(x), F.silu(x), F.leaky_relu(x, 0.1), sep="\n")
print(F.softmax(x, dim=1), F.log_softmax(x, dim=0), sep="\n")
target = torch.tensor([1, 0, 3])
print(F.cross_entropy(x, target), F.cross_entropy(x, target, label_smoothing=0.1))
print(F.nll_loss(F.log_softmax(x, 1), target, reduction="sum"))
print(F.mse_loss(x, torch.zeros_like(x)), F.l1_loss(x, torch.ones_like(x)))
print(F.smooth_l1_loss(x, torch.zeros_like(x)), F.huber_loss(x, torch.zeros_like(x), delta=0.5))
print(F.binary_cross_entropy(torch.sigmoid(x), (x > 0).float()))
print(F.one_hot(target, 5))
print(F.pad(torch.ones(2, 2), (1, 1, 0, 1), value=-1.0))
print(F.normalize(x, dim=1).norm(dim=1))
print(F.cosine_similarity(x[0:1], x[1:2]), F.pairwise_distance(x[0:1], x[1:2]))
print(F.interpolate(torch.arange(4.0).view(1, 1, 4), scale_factor=2, mode="nearest"))
print(F.dropout(torch.ones(8), p=0.5, training=True))
print(F.kl_div(F.log_softmax(x, 1), F.softmax(x.flip(1), 1), reduction="batchmean"))
print(F.embedding(torch.tensor([[0, 2]]), torch.arange(6.0).view(3, 2)))
