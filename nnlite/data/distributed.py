"""DistributedSampler: each rank's shard of the dataset (``torch.utils.data.distributed``)."""

from __future__ import annotations

import math
from collections.abc import Iterator

from nnlite._random import Generator, randperm
from nnlite.data.dataloader import Sampler
from nnlite.distributed import process_group as pg


class DistributedSampler(Sampler):
    """Yield the indices of this rank's shard; all ranks together cover the dataset.

    The order is torch's for the same arguments: shuffle with ``randperm(len(dataset))`` from
    a generator seeded ``seed + epoch``, pad (repeating the first indices) or drop to a
    multiple of ``num_replicas``, then rank ``r`` takes every ``num_replicas``-th index from
    ``r``. Call ``set_epoch(epoch)`` before each epoch so every epoch has a new order.

    Args:
        dataset: anything with ``len``.
        num_replicas, rank: default to the process group's world size and rank.
        shuffle: permute the indices (default True).
        seed: the shuffle seed; must be the same on every rank.
        drop_last: drop the tail instead of padding so shards are equal-length.

    Example:
        >>> sampler = DistributedSampler(train_set)
        >>> loader = DataLoader(train_set, batch_size=32, sampler=sampler)
        >>> for epoch in range(3):
        ...     sampler.set_epoch(epoch)
    """

    def __init__(self, dataset, num_replicas: int | None = None, rank: int | None = None,
                 shuffle: bool = True, seed: int = 0, drop_last: bool = False) -> None:
        if num_replicas is None or rank is None:
            if not pg.is_initialized():
                raise RuntimeError("Requires distributed package to be available")
            if num_replicas is None:
                num_replicas = pg.get_world_size()
            if rank is None:
                rank = pg.get_rank()
        if rank >= num_replicas or rank < 0:
            raise ValueError(
                f"Invalid rank {rank}, rank should be in the interval [0, {num_replicas - 1}]"
            )
        self.dataset = dataset
        self.num_replicas = num_replicas
        self.rank = rank
        self.epoch = 0
        self.drop_last = drop_last
        n = len(dataset)
        if self.drop_last and n % self.num_replicas != 0:
            self.num_samples = math.ceil((n - self.num_replicas) / self.num_replicas)
        else:
            self.num_samples = math.ceil(n / self.num_replicas)
        self.total_size = self.num_samples * self.num_replicas
        self.shuffle = shuffle
        self.seed = seed

    def __iter__(self) -> Iterator[int]:
        n = len(self.dataset)
        if self.shuffle:
            g = Generator()
            g.manual_seed(self.seed + self.epoch)
            indices = randperm(g, n).tolist()
        else:
            indices = list(range(n))
        if not self.drop_last:
            pad = self.total_size - len(indices)
            if pad <= len(indices):
                indices += indices[:pad]
            else:
                indices += (indices * math.ceil(pad / len(indices)))[:pad]
        else:
            indices = indices[: self.total_size]
        if len(indices) != self.total_size:
            raise AssertionError("DistributedSampler: padding went wrong")  # pragma: no cover
        indices = indices[self.rank:self.total_size:self.num_replicas]
        return iter(indices)

    def __len__(self) -> int:
        return self.num_samples

    def set_epoch(self, epoch: int) -> None:
        """Set the epoch (before each epoch) so shuffling differs between epochs."""
        self.epoch = epoch
