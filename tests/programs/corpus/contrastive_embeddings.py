# Contrastive learning on embeddings: F.normalize, cosine similarity, pairwise distances,
# an InfoNCE loss over a similarity matrix, and a margin-based contrastive loss.
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
encoder = nn.Sequential(nn.Linear(6, 16), nn.ReLU(), nn.Linear(16, 4))
x = torch.randn(8, 6)
aug1 = x + 0.1 * torch.randn_like(x)
aug2 = x + 0.1 * torch.randn_like(x)
z1 = F.normalize(encoder(aug1), dim=1)
z2 = F.normalize(encoder(aug2), dim=1)
print(z1.norm(dim=1), z1.grad_fn.name())
print(F.cosine_similarity(z1, z2, dim=1))
print(F.pairwise_distance(z1, z2).shape, F.pairwise_distance(z1, z2, p=1)[:3])
sim = z1 @ z2.t() / 0.5
labels = torch.arange(8)
loss = (F.cross_entropy(sim, labels) + F.cross_entropy(sim.t(), labels)) / 2
print(f"info_nce {loss.item():.5f}", loss.grad_fn.name())
opt = torch.optim.SGD(encoder.parameters(), lr=0.3, momentum=0.9)
for step in range(15):
    z1 = F.normalize(encoder(x + 0.1 * torch.randn_like(x)), dim=1)
    z2 = F.normalize(encoder(x + 0.1 * torch.randn_like(x)), dim=1)
    logits = z1 @ z2.T / 0.2
    loss = F.cross_entropy(logits, labels)
    opt.zero_grad()
    loss.backward()
    opt.step()
    if step % 5 == 0:
        acc = (logits.argmax(1) == labels).float().mean()
        print(f"step {step} loss {loss.item():.4f} top1 {acc.item():.3f}")


def contrastive(a, b, same, margin=1.0):
    d = F.pairwise_distance(a, b)
    return (same * d.pow(2) + (1 - same) * F.relu(margin - d).pow(2)).mean()


same = torch.tensor([1.0, 0.0, 1.0, 0.0, 1.0, 0.0, 1.0, 0.0])
print(f"{contrastive(z1, z2.roll(1, 0), same).item():.5f}")
print(torch.cdist(z1, z2).argmin(1).tolist())
emb = nn.Embedding(5, 3, max_norm=1.0)
out = emb(torch.tensor([0, 1, 1, 4]))
print(out.norm(dim=1) <= 1.0 + 1e-6, emb.weight.norm(dim=1)[[0, 1, 4]] <= 1.0 + 1e-6)
print(F.cosine_embedding_loss(z1, z2, torch.ones(8)).item() >= 0)
