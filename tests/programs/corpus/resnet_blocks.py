import torch, torch.nn as nn, torch.nn.functional as F
class BasicBlock(nn.Module):
    expansion = 1
    def __init__(self, in_planes, planes, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(in_planes, planes, kernel_size=3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, kernel_size=3, stride=1, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.shortcut = nn.Sequential()
        if stride != 1 or in_planes != planes:
            self.shortcut = nn.Sequential(nn.Conv2d(in_planes, planes, kernel_size=1, stride=stride, bias=False), nn.BatchNorm2d(planes))
    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        out += self.shortcut(x)
        return F.relu(out)
class ResNet(nn.Module):
    def __init__(self, num_classes=10):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 3, 1, 1, bias=False); self.bn1 = nn.BatchNorm2d(8)
        self.layer1 = nn.Sequential(BasicBlock(8, 8), BasicBlock(8, 16, 2))
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.linear = nn.Linear(16, num_classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.layer1(out)
        out = self.avgpool(out)
        out = torch.flatten(out, 1)
        return self.linear(out)
torch.manual_seed(3)
net = ResNet()
print(sum(p.numel() for p in net.parameters() if p.requires_grad))
opt = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9, weight_decay=5e-4, nesterov=True)
sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=5)
X = torch.randn(32, 3, 8, 8); Y = torch.randint(0, 10, (32,))
crit = nn.CrossEntropyLoss(label_smoothing=0.1)
for ep in range(5):
    net.train()
    opt.zero_grad()
    out = net(X); loss = crit(out, Y); loss.backward(); opt.step(); sched.step()
    _, predicted = out.max(1)
    print(ep, f"{loss.item():.5f}", predicted.eq(Y).sum().item(), sched.get_last_lr())
net.eval()
print(net(X[:2]).detach().numpy().round(3))
print([k for k in net.state_dict() if 'num_batches' in k][:2])
