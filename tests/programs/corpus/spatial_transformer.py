# A spatial transformer (after PyTorch's spatial transformer networks tutorial): a small
# localisation net predicts an affine map, F.affine_grid + F.grid_sample warp the input, and the
# whole thing trains to undo a known shift. Also prints the padding modes side by side.
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
images = torch.rand(6, 1, 10, 10)
shift = torch.tensor([[1.0, 0.0, 0.25], [0.0, 1.0, -0.2]]).expand(6, 2, 3)
targets = F.grid_sample(images, F.affine_grid(shift, images.size(), align_corners=False),
                        align_corners=False)


class STN(nn.Module):
    def __init__(self):
        super().__init__()
        self.loc = nn.Sequential(nn.Conv2d(1, 4, 3), nn.MaxPool2d(2), nn.ReLU(),
                                 nn.Flatten(), nn.Linear(4 * 4 * 4, 6))
        self.loc[-1].weight.data.zero_()
        self.loc[-1].bias.data.copy_(torch.tensor([1.0, 0, 0, 0, 1, 0]))

    def forward(self, x):
        theta = self.loc(x).view(-1, 2, 3)
        grid = F.affine_grid(theta, x.size(), align_corners=False)
        return F.grid_sample(x, grid, align_corners=False), theta


model = STN()
opt = torch.optim.Adam(model.parameters(), lr=0.02)
for step in range(12):
    out, theta = model(images)
    loss = F.mse_loss(out, targets)
    opt.zero_grad()
    loss.backward()
    opt.step()
    if step % 4 == 0:
        print(step, round(loss.item(), 6))
print(theta[0].detach())
img = torch.arange(16.0).view(1, 1, 4, 4)
grid = torch.tensor([[[[-1.3, -0.9], [0.2, 0.45]], [[1.2, 1.4], [-0.6, 0.1]]]])
for pad in ("zeros", "border", "reflection"):
    for mode in ("bilinear", "nearest"):
        y = F.grid_sample(img, grid, mode=mode, padding_mode=pad, align_corners=True)
        print(pad, mode, y.flatten().tolist(), y.grad_fn)
