# Datasets and DataLoaders: a custom Dataset, TensorDataset, shuffling, epochs.
import torch
from torch.utils.data import DataLoader, Dataset, TensorDataset, random_split

torch.manual_seed(0)


class Squares(Dataset):
    def __init__(self, n):
        self.x = torch.arange(n, dtype=torch.float32)

    def __len__(self):
        return len(self.x)

    def __getitem__(self, i):
        return self.x[i], self.x[i] ** 2


ds = Squares(10)
print(len(ds), ds[3])
for xb, yb in DataLoader(ds, batch_size=4):
    print(xb.tolist(), yb.tolist())
for xb, yb in DataLoader(ds, batch_size=4, shuffle=True):
    print(xb.tolist())
X = torch.randn(64, 3)
y = X @ torch.tensor([1.0, -2.0, 0.5]) + 0.1
train, val = random_split(TensorDataset(X, y), [48, 16])
print(len(train), len(val))
model = torch.nn.Linear(3, 1)
opt = torch.optim.SGD(model.parameters(), lr=0.1)
loader = DataLoader(train, batch_size=16, shuffle=True, drop_last=True)
for epoch in range(5):
    total = 0.0
    for xb, yb in loader:
        loss = torch.nn.functional.mse_loss(model(xb).squeeze(1), yb)
        opt.zero_grad()
        loss.backward()
        opt.step()
        total += loss.item()
    print(epoch, f"{total / len(loader):.5f}")
def collate(batch):
    return torch.stack([b[0] for b in batch]), [round(float(b[1]), 3) for b in batch]
print(next(iter(DataLoader(val, batch_size=3, collate_fn=collate)))[1])
