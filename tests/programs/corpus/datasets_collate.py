# Custom Dataset / collate_fn / Subset / random_split / ConcatDataset / TensorDataset, with
# DataLoader(num_workers=0), shuffling under a seeded Generator, drop_last, and padding collate.
import torch
from torch.nn.utils.rnn import pad_sequence
from torch.utils.data import (ConcatDataset, DataLoader, Dataset, Subset, TensorDataset,
                              random_split, default_collate)


class Squares(Dataset):
    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        return {"x": torch.tensor([float(i)]), "y": i * i, "name": f"item{i}"}


ds = Squares(10)
print(len(ds), ds[3])
batch = next(iter(DataLoader(ds, batch_size=4)))
print(batch["x"].shape, batch["y"], batch["name"])
g = torch.Generator().manual_seed(42)
train, val = random_split(ds, [7, 3], generator=g)
print(type(train).__name__, len(train), len(val), train.indices, val.indices)
parts = random_split(range(10), [0.5, 0.3, 0.2], generator=torch.Generator().manual_seed(1))
print([list(p) for p in parts])
sub = Subset(ds, [9, 0, 4])
print([sub[i]["y"] for i in range(len(sub))])
td = TensorDataset(torch.arange(6).float().view(6, 1), torch.arange(6) % 2)
print(td[2], len(td), td.tensors[1])
cat = ConcatDataset([td, TensorDataset(torch.ones(2, 1), torch.zeros(2, dtype=torch.long))])
print(len(cat), cat[6], cat.cumulative_sizes)
for xb, yb in DataLoader(cat, batch_size=3, shuffle=True, generator=torch.Generator().manual_seed(0)):
    print(xb.flatten().tolist(), yb.tolist())
print(len(DataLoader(cat, batch_size=3, drop_last=True)), len(DataLoader(cat, batch_size=3)))


class Sentences(Dataset):
    def __init__(self):
        torch.manual_seed(0)
        self.data = [torch.randint(1, 9, (n,)) for n in (3, 5, 2, 4, 1)]

    def __len__(self):
        return len(self.data)

    def __getitem__(self, i):
        return self.data[i], len(self.data[i])


def pad_collate(batch):
    seqs, lens = zip(*batch)
    return pad_sequence(seqs, batch_first=True, padding_value=0), torch.tensor(lens)


for padded, lens in DataLoader(Sentences(), batch_size=2, collate_fn=pad_collate):
    print(padded.tolist(), lens.tolist())
print(default_collate([(1, 2.0), (3, 4.0)]))
print(default_collate([torch.zeros(2), torch.ones(2)]))
print(default_collate([{"a": [1, 2]}, {"a": [3, 4]}]))
loader = DataLoader(td, batch_size=4, sampler=torch.utils.data.SequentialSampler(td))
print([b[1].tolist() for b in loader])
bs = torch.utils.data.BatchSampler(range(7), batch_size=3, drop_last=False)
print(list(bs))
