# A tiny Vision Transformer: patch embedding with a strided Conv2d, class token, learned
# positions, pre-norm TransformerEncoderLayers with GELU, and a few training steps.
import torch
import torch.nn as nn

torch.manual_seed(0)


class ViT(nn.Module):
    def __init__(self, img=8, patch=4, dim=16, depth=2, heads=2, n_classes=3):
        super().__init__()
        self.patch = nn.Conv2d(1, dim, kernel_size=patch, stride=patch)
        n = (img // patch) ** 2
        self.cls = nn.Parameter(torch.zeros(1, 1, dim))
        self.pos = nn.Parameter(torch.randn(1, n + 1, dim) * 0.02)
        layer = nn.TransformerEncoderLayer(
            dim,
            heads,
            dim_feedforward=32,
            dropout=0.0,
            activation="gelu",
            batch_first=True,
            norm_first=True,
        )
        self.encoder = nn.TransformerEncoder(layer, depth, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, n_classes)

    def forward(self, x):
        p = self.patch(x).flatten(2).transpose(1, 2)
        tok = torch.cat([self.cls.expand(x.shape[0], -1, -1), p], dim=1) + self.pos
        return self.head(self.norm(self.encoder(tok))[:, 0])


model = ViT()
print(sum(p.numel() for p in model.parameters()))
print([n for n, _ in model.named_parameters()][:8])
imgs = torch.randn(12, 1, 8, 8)
labels = torch.randint(0, 3, (12,))
print(model.patch(imgs).shape, model(imgs).shape)
opt = torch.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=0.05)
for step in range(12):
    loss = nn.functional.cross_entropy(model(imgs), labels)
    opt.zero_grad()
    loss.backward()
    opt.step()
    if step % 4 == 0:
        print(step, f"{loss.item():.5f}")
model.eval()
with torch.inference_mode():
    pred = model(imgs).argmax(1)
print(pred.tolist(), (pred == labels).sum().item())
print(model.encoder.layers[0].self_attn.in_proj_weight.shape, model.encoder.layers[0].norm_first)
