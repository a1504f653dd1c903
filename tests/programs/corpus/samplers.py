# Samplers: sequential, random (with replacement), subset, weighted, batch; the endless loader.
import torch
from torch.utils.data import (BatchSampler, DataLoader, RandomSampler, SequentialSampler,
                              SubsetRandomSampler, TensorDataset, WeightedRandomSampler)

torch.manual_seed(3)
ds = TensorDataset(torch.arange(10) * 10)
print(list(SequentialSampler(ds)))
print(list(RandomSampler(ds)))
print(list(RandomSampler(ds, replacement=True, num_samples=15)))
print(list(RandomSampler(ds, num_samples=13)))
print(list(SubsetRandomSampler([1, 3, 5, 7])))
print(list(WeightedRandomSampler([0.1, 0.9, 0.4, 0.7], 8)))
print(list(WeightedRandomSampler([0.1, 0.9, 0.4, 0.7], 3, replacement=False)))
print(list(BatchSampler(SequentialSampler(range(10)), batch_size=3, drop_last=False)))
print(list(BatchSampler(RandomSampler(range(10)), batch_size=4, drop_last=True)))
endless = DataLoader(ds, sampler=RandomSampler(ds, replacement=True, num_samples=int(1e10)),
                     batch_size=4)
it = iter(endless)
for step in range(3):
    (xb,) = next(it)
    print(step, xb.tolist())
print(len(endless))
g = torch.Generator()
g.manual_seed(11)
print([b[0].tolist() for b in DataLoader(ds, batch_size=5, shuffle=True, generator=g)])
imbalanced = TensorDataset(torch.tensor([0] * 8 + [1] * 2))
w = [1.0 / 8] * 8 + [1.0 / 2] * 2
loader = DataLoader(imbalanced, batch_size=5, sampler=WeightedRandomSampler(w, 20))
print([b[0].sum().item() for b in loader])
