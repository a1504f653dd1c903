# A map-style Dataset of variable-length sequences, a bucketing batch sampler, a padding
# collate_fn, and an IterableDataset.
import torch
from torch.nn.utils.rnn import pad_sequence
from torch.utils.data import DataLoader, Dataset, IterableDataset, Sampler, get_worker_info

torch.manual_seed(0)


class Sequences(Dataset):
    def __init__(self, n):
        g = torch.Generator().manual_seed(1)
        self.lengths = torch.randint(1, 7, (n,), generator=g).tolist()
        self.items = [torch.arange(L) + i for i, L in enumerate(self.lengths)]
        self.labels = [i % 3 for i in range(n)]

    def __len__(self):
        return len(self.items)

    def __getitem__(self, i):
        return self.items[i], self.labels[i]


class BucketSampler(Sampler):
    """Yields batches of indices with similar lengths."""

    def __init__(self, lengths, batch_size):
        self.lengths, self.batch_size = lengths, batch_size

    def __iter__(self):
        order = sorted(range(len(self.lengths)), key=lambda i: (self.lengths[i], i))
        batches = [order[i : i + self.batch_size] for i in range(0, len(order), self.batch_size)]
        perm = torch.randperm(len(batches)).tolist()
        for p in perm:
            yield batches[p]

    def __len__(self):
        return (len(self.lengths) + self.batch_size - 1) // self.batch_size


def collate(batch):
    seqs, labels = zip(*batch)
    lengths = torch.tensor([len(s) for s in seqs])
    padded = pad_sequence(seqs, batch_first=True, padding_value=-1)
    return padded, lengths, torch.tensor(labels)


ds = Sequences(10)
print(len(ds), ds.lengths)
loader = DataLoader(ds, batch_sampler=BucketSampler(ds.lengths, 4), collate_fn=collate)
print(len(loader))
for padded, lengths, labels in loader:
    print(padded.shape, lengths.tolist(), labels.tolist())
    print(padded)
default = DataLoader(ds, batch_size=1, shuffle=False)
first = next(iter(default))
print(type(first).__name__, first[0], first[1])


class Squares(IterableDataset):
    def __init__(self, start, end):
        self.start, self.end = start, end

    def __iter__(self):
        info = get_worker_info()
        print("worker info:", info)
        for i in range(self.start, self.end):
            yield torch.tensor([i, i * i])


it = DataLoader(Squares(0, 7), batch_size=3)
for b in it:
    print(b.tolist())
dl = DataLoader(list(range(10)), batch_size=4, drop_last=True, shuffle=True)
print([b.tolist() for b in dl])
dicts = [{"x": torch.tensor([float(i)]), "name": f"n{i}", "k": i} for i in range(3)]
batch = next(iter(DataLoader(dicts, batch_size=3)))
print(batch)
