# A small CNN on synthetic 1x12x12 images: Dataset subclass, DataLoader, BatchNorm2d, Dropout,
# train/eval modes and accuracy.
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset, random_split

torch.manual_seed(0)


class Stripes(Dataset):
    """Horizontal (label 0) or vertical (label 1) stripes plus noise."""

    def __init__(self, n):
        self.labels = torch.randint(0, 2, (n,))
        base = torch.zeros(n, 1, 12, 12)
        base[self.labels == 0, :, ::3, :] = 1.0
        base[self.labels == 1, :, :, ::3] = 1.0
        self.images = base + 0.3 * torch.randn(n, 1, 12, 12)

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, i):
        return self.images[i], self.labels[i]


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(6)
        self.conv2 = nn.Conv2d(6, 8, 3)
        self.drop = nn.Dropout(0.25)
        self.fc = nn.Linear(8 * 2 * 2, 2)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.bn1(self.conv1(x))), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = torch.flatten(x, 1)
        return self.fc(self.drop(x))


full = Stripes(160)
train_ds, test_ds = random_split(full, [128, 32], generator=torch.Generator().manual_seed(42))
train_loader = DataLoader(train_ds, batch_size=16, shuffle=True)
test_loader = DataLoader(test_ds, batch_size=32)
net = Net()
opt = torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9)
crit = nn.CrossEntropyLoss()
for epoch in range(3):
    net.train()
    running = 0.0
    for i, (xb, yb) in enumerate(train_loader):
        opt.zero_grad()
        loss = crit(net(xb), yb)
        loss.backward()
        opt.step()
        running += loss.item()
    net.eval()
    correct = total = 0
    with torch.no_grad():
        for xb, yb in test_loader:
            pred = net(xb).argmax(dim=1)
            correct += (pred == yb).sum().item()
            total += yb.size(0)
    print(f"epoch {epoch}: train loss {running / len(train_loader):.4f}, acc {correct}/{total}")
print(net.bn1.running_mean)
print(sum(p.numel() for p in net.parameters() if p.requires_grad), "parameters")
