# A convolutional autoencoder: Conv2d/MaxPool2d encoder, ConvTranspose2d and Upsample decoder,
# Sigmoid output, BCE and MSE reconstruction losses, Adam, then encoding a batch in eval mode.
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)


class AE(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = nn.Sequential(
            nn.Conv2d(1, 8, 3, stride=2, padding=1), nn.ReLU(True),
            nn.Conv2d(8, 16, 3, stride=2, padding=1), nn.BatchNorm2d(16), nn.ReLU(True),
            nn.Flatten(), nn.Linear(16 * 4 * 4, 10))
        self.decoder_lin = nn.Sequential(nn.Linear(10, 16 * 4 * 4), nn.ReLU(True))
        self.unflatten = nn.Unflatten(dim=1, unflattened_size=(16, 4, 4))
        self.decoder = nn.Sequential(
            nn.ConvTranspose2d(16, 8, 3, stride=2, padding=1, output_padding=1),
            nn.BatchNorm2d(8), nn.ReLU(True),
            nn.ConvTranspose2d(8, 1, 3, stride=2, padding=1, output_padding=1))

    def forward(self, x):
        z = self.encoder(x)
        y = self.decoder(self.unflatten(self.decoder_lin(z)))
        return torch.sigmoid(y), z


model = AE()
print(model)
imgs = (torch.rand(12, 1, 16, 16) > 0.7).float()
opt = torch.optim.Adam(model.parameters(), lr=5e-3, weight_decay=1e-5)
for epoch in range(5):
    rec, z = model(imgs)
    loss = F.binary_cross_entropy(rec, imgs)
    opt.zero_grad()
    loss.backward()
    opt.step()
    print(epoch, tuple(rec.shape), tuple(z.shape), f"{loss.item():.5f}")
model.eval()
with torch.no_grad():
    rec, z = model(imgs[:2])
    print(f"{F.mse_loss(rec, imgs[:2]).item():.5f}", f"{z.std().item():.5f}")
up = nn.Sequential(nn.Upsample(scale_factor=2, mode="nearest"), nn.Conv2d(1, 1, 3, padding=1))
print(tuple(up(torch.randn(1, 1, 4, 4)).shape))
small = F.interpolate(imgs[:1], size=(8, 8), mode="bilinear", align_corners=False)
print(f"{small.sum().item():.4f}")
pooled, idx = F.max_pool2d(imgs[:1], 2, return_indices=True)
print(tuple(F.max_unpool2d(pooled, idx, 2).shape), int(idx.max()))
