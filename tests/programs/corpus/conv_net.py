# A small CNN: Conv2d, BatchNorm2d, MaxPool2d, Dropout, train and eval modes.
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 4, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(4)
        self.conv2 = nn.Conv2d(4, 8, 3)
        self.dropout = nn.Dropout(0.25)
        self.fc = nn.Linear(8 * 3 * 3, 3)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.bn1(self.conv1(x))), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = self.dropout(torch.flatten(x, 1))
        return self.fc(x)


net = Net()
print(net)
x = torch.randn(6, 1, 16, 16)
y = torch.tensor([0, 1, 2, 0, 1, 2])
opt = torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9)
for step in range(8):
    out = net(x)
    loss = F.cross_entropy(out, y)
    opt.zero_grad()
    loss.backward()
    opt.step()
    print(step, f"{loss.item():.4f}")
net.eval()
with torch.no_grad():
    print(net(x).argmax(1), net.bn1.running_var)
print(F.avg_pool2d(x[:1], 4).shape, nn.AdaptiveAvgPool2d((2, 2))(x[:1]).shape)
