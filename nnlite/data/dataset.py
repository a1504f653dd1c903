"""Datasets: ``Dataset``, ``IterableDataset``, ``ChainDataset``, ``StackDataset``,
``TensorDataset``, ``Subset``, ``ConcatDataset`` and ``random_split``.

The names and semantics are ``torch.utils.data``'s. A ``TensorDataset`` also answers a whole batch
of indices at once (``_batch``), which lets ``DataLoader`` gather a batch with one fancy-index per
tensor instead of one Python call per sample.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence

import numpy as np

from nnlite._tensor import Tensor
from nnlite.ops.creation import randperm


class Dataset:
    """An indexable collection of samples: subclasses define ``__getitem__`` and ``__len__``."""

    def __getitem__(self, index):
        raise NotImplementedError("Subclasses of Dataset should implement __getitem__.")

    def __add__(self, other: Dataset) -> ConcatDataset:
        return ConcatDataset([self, other])


class IterableDataset(Dataset):
    """A stream of samples: subclasses define ``__iter__`` (``torch.utils.data.IterableDataset``).
    A ``DataLoader`` batches it in the order it yields; it takes no sampler and no shuffle."""

    def __iter__(self):
        raise NotImplementedError("Subclasses of IterableDataset should implement __iter__.")

    def __add__(self, other) -> ChainDataset:
        return ChainDataset([self, other])


class ChainDataset(IterableDataset):
    """Several iterable datasets, one after the other."""

    def __init__(self, datasets) -> None:
        self.datasets = datasets

    def __iter__(self):
        for d in self.datasets:
            if not isinstance(d, IterableDataset):
                raise AssertionError("ChainDataset only supports IterableDataset")
            yield from d

    def __len__(self) -> int:
        return sum(len(d) for d in self.datasets)


class StackDataset(Dataset):
    """Samples of several datasets of one length side by side: ``StackDataset(a, b)[i]`` is
    ``(a[i], b[i])``, ``StackDataset(x=a, y=b)[i]`` is ``{"x": a[i], "y": b[i]}``."""

    def __init__(self, *args, **kwargs) -> None:
        if args and kwargs:
            raise ValueError("Supported either ``tuple``- (via ``args``) or``dict``- (via "
                             "``kwargs``) like input/output, but both types are given.")
        parts = list(args) or list(kwargs.values())
        if not parts:
            raise ValueError("At least one dataset should be passed")
        self._length = len(parts[0])
        if any(len(d) != self._length for d in parts):
            raise ValueError("Size mismatch between datasets")
        self.datasets = args if args else kwargs

    def __getitem__(self, index):
        if isinstance(self.datasets, dict):
            return {k: d[index] for k, d in self.datasets.items()}
        return tuple(d[index] for d in self.datasets)

    def __len__(self) -> int:
        return self._length


class TensorDataset(Dataset):
    """Samples are the rows of tensors that share their first dimension.

    Example:
        >>> ds = TensorDataset(nnlite.randn(100, 4), nnlite.arange(100))
        >>> x, y = ds[3]
    """

    def __init__(self, *tensors: Tensor) -> None:
        if not tensors:
            raise ValueError("TensorDataset needs at least one tensor")
        n = tensors[0].shape[0]
        if any(t.shape[0] != n for t in tensors):
            raise ValueError(
                "Size mismatch between tensors: first dimensions are "
                f"{[t.shape[0] for t in tensors]}"
            )
        self.tensors = tuple(tensors)

    def __getitem__(self, index):
        return tuple(t[index] for t in self.tensors)

    def __len__(self) -> int:
        return self.tensors[0].shape[0]

    def _batch(self, indices: np.ndarray) -> list:
        # a list, as default_collate makes of tuple samples
        return [Tensor._wrap(t._data[indices]) for t in self.tensors]


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices``, in that order."""

    def __init__(self, dataset: Dataset, indices: Sequence[int]) -> None:
        self.dataset = dataset
        self.indices = indices

    def __getitem__(self, idx):
        if isinstance(idx, list):
            return self.dataset[[self.indices[i] for i in idx]]
        return self.dataset[self.indices[idx]]

    def __len__(self) -> int:
        return len(self.indices)

    @property
    def _batch(self):
        # only when the wrapped dataset gathers whole batches (a user Dataset subclass does not:
        # the DataLoader then asks sample by sample)
        inner = self.dataset._batch
        idx = np.asarray(self.indices)
        return lambda indices: inner(idx[indices])


class ConcatDataset(Dataset):
    """The samples of several datasets, one after the other."""

    def __init__(self, datasets) -> None:
        self.datasets = list(datasets)
        if not self.datasets:
            raise ValueError("datasets should not be an empty iterable")
        self.cumulative_sizes = [int(s) for s in np.cumsum([len(d) for d in self.datasets])]  # ints, as torch

    def __len__(self) -> int:
        return int(self.cumulative_sizes[-1])

    def __getitem__(self, idx: int):
        if idx < 0:
            if -idx > len(self):
                raise ValueError("absolute value of index should not exceed dataset length")
            idx = len(self) + idx
        d = bisect.bisect_right(self.cumulative_sizes, idx)
        start = 0 if d == 0 else self.cumulative_sizes[d - 1]
        return self.datasets[d][idx - start]


def random_split(dataset: Dataset, lengths: Sequence, generator=None) -> list[Subset]:
    """Split ``dataset`` into non-overlapping random subsets of the given lengths.

    ``lengths`` are sizes summing to ``len(dataset)``, or fractions summing to 1 (the remainder
    of the floors is dealt round-robin, as PyTorch does).

    Example:
        >>> train, val = random_split(ds, [0.8, 0.2], generator=nnlite.Generator().manual_seed(0))
    """
    n = len(dataset)
    lengths = list(lengths)
    if math.isclose(sum(lengths), 1) and sum(lengths) <= 1:
        sizes = [int(math.floor(n * frac)) for frac in lengths]
        for i in range(n - sum(sizes)):
            sizes[i % len(sizes)] += 1
        lengths = sizes
    if sum(lengths) != n:
        raise ValueError("Sum of input lengths does not equal the length of the input dataset!")
    perm = randperm(n, generator=generator)._data  # the same stream as torch.utils.data
    out, offset = [], 0
    for length in lengths:
        out.append(Subset(dataset, perm[offset : offset + length].tolist()))
        offset += length
    return out
