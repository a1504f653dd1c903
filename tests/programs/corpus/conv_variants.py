# Convolution and pooling variants: Conv1d/Conv3d, groups, dilation, ConvTranspose, PixelShuffle,
# MaxUnpool, Bilinear, Fold/Unfold, upsampling.
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
x1 = torch.randn(2, 4, 16, requires_grad=True)
c1 = nn.Conv1d(4, 6, kernel_size=3, stride=2, padding=1, dilation=2, groups=2)
y1 = c1(x1)
print(c1, y1.shape, y1.grad_fn.name(), f"{y1.sum().item():.4f}")
c1p = nn.Conv1d(4, 4, 5, padding="same", padding_mode="reflect")
print(c1p(x1).shape, f"{c1p(x1).mean().item():.5f}")
x3 = torch.randn(1, 2, 5, 6, 6)
c3 = nn.Conv3d(2, 3, (3, 3, 3), padding=(1, 0, 0))
print(
    c3(x3).shape, f"{c3(x3).std().item():.5f}", nn.MaxPool3d(2)(x3).shape, nn.AvgPool3d(2)(x3).shape
)
x2 = torch.randn(2, 8, 5, 5, requires_grad=True)
ct = nn.ConvTranspose2d(8, 3, 3, stride=2, padding=1, output_padding=1)
print(ct(x2).shape, f"{ct(x2).sum().item():.4f}")
ct1 = nn.ConvTranspose1d(4, 2, 4, stride=2)
print(ct1(x1).shape)
ps = nn.PixelShuffle(2)
print(ps(x2).shape, torch.equal(nn.PixelUnshuffle(2)(ps(x2)), x2))
pool = nn.MaxPool2d(2, return_indices=True)
p, idx = pool(x2)
un = nn.MaxUnpool2d(2)(p, idx, output_size=x2.shape)
print(p.shape, idx[0, 0], un.shape, (un != 0).sum().item())
bil = nn.Bilinear(3, 4, 2)
print(bil(torch.randn(5, 3), torch.randn(5, 4)).shape, [k for k in bil.state_dict()])
cols = F.unfold(x2, kernel_size=2, stride=1)
print(cols.shape, F.fold(cols, (5, 5), kernel_size=2).shape)
print(
    F.interpolate(x2, scale_factor=2, mode="nearest").shape,
    f"{F.interpolate(x2, size=(7, 7), mode='bilinear', align_corners=False).sum().item():.4f}",
    f"{F.interpolate(x1, scale_factor=1.5, mode='linear').sum().item():.4f}",
)
print(nn.AdaptiveMaxPool2d((2, 3))(x2).shape, nn.AdaptiveAvgPool1d(5)(x1).shape)
dw = nn.Conv2d(8, 8, 3, groups=8, bias=False)
print(dw.weight.shape, dw(x2).shape)
loss = ct(x2).pow(2).mean() + y1.pow(2).mean()
loss.backward()
print(f"{x2.grad.abs().sum().item():.4f} {x1.grad.abs().sum().item():.4f}")
print(
    F.conv2d(x2, torch.ones(2, 8, 1, 1), stride=(2, 1)).shape,
    F.avg_pool2d(x2, 3, 1, 1, count_include_pad=False).shape,
)
print(
    nn.ZeroPad2d((1, 0, 2, 0))(x2).shape,
    nn.ReflectionPad1d(2)(x1).shape,
    nn.ReplicationPad2d(1)(x2).shape,
    F.pad(x1, (1, 1), value=3.0)[0, 0, 0].item(),
)
