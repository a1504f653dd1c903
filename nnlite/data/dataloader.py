"""``DataLoader``: batches of a ``Dataset``, in order or shuffled by a seeded generator.

Single-process (``num_workers`` is accepted and ignored): on a CPU framework whose ops already use
every core, worker processes would only add pickling. The loader can report where it is in an
epoch (``state_dict``) and continue from there (``load_state_dict``), so a checkpoint taken in the
middle of an epoch resumes with exactly the same batches.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Iterator

import numpy as np

from nnlite import _dtype as D
from nnlite._tensor import Tensor


class Sampler:
    """Yields dataset indices; subclasses define ``__iter__`` (and usually ``__len__``)."""

    def __init__(self, data_source=None) -> None:
        pass


class SequentialSampler(Sampler):
    def __init__(self, data_source) -> None:
        self.data_source = data_source

    def __iter__(self) -> Iterator[int]:
        return iter(range(len(self.data_source)))

    def __len__(self) -> int:
        return len(self.data_source)


class RandomSampler(Sampler):
    """A random permutation of the indices per pass, drawn from ``generator`` (or the global one)."""

    def __init__(self, data_source, replacement=False, num_samples=None, generator=None) -> None:
        self.data_source = data_source
        self.replacement = replacement
        self._num_samples = num_samples
        self.generator = generator

    @property
    def num_samples(self) -> int:
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def __iter__(self) -> Iterator[int]:
        # Draw for draw what torch.utils.data.RandomSampler does, so that the same seed gives
        # the same order as PyTorch.
        from nnlite._random import Generator
        from nnlite.ops.creation import empty, randint, randperm

        n = len(self.data_source)
        g = self.generator
        if g is None:
            seed = int(empty((), dtype=D.int64).random_().item())
            g = Generator().manual_seed(seed)
        out: list[int] = []
        if self.replacement:
            for _ in range(self.num_samples // 32):
                out += randint(0, n, (32,), generator=g).tolist()
            out += randint(0, n, (self.num_samples % 32,), generator=g).tolist()
            return iter(out)
        for _ in range(self.num_samples // n):
            out += randperm(n, generator=g).tolist()
        out += randperm(n, generator=g).tolist()[: self.num_samples % n]
        return iter(out)

    def __len__(self) -> int:
        return self.num_samples


class BatchSampler(Sampler):
    """Groups the indices of ``sampler`` into lists of ``batch_size``."""

    def __init__(self, sampler, batch_size: int, drop_last: bool) -> None:
        if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size <= 0:
            raise ValueError(
                f"batch_size should be a positive integer value, but got batch_size={batch_size}"
            )
        self.sampler, self.batch_size, self.drop_last = sampler, batch_size, drop_last

    def __iter__(self) -> Iterator[list[int]]:
        batch = []
        for i in self.sampler:
            batch.append(i)
            if len(batch) == self.batch_size:
                yield batch
                batch = []
        if batch and not self.drop_last:
            yield batch

    def __len__(self) -> int:
        n = len(self.sampler)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)


def default_collate(batch):
    """Merge a list of samples into a batch: tensors and arrays are stacked along a new first
    dimension, Python ints/floats become int64/float64 tensors, tuples/lists/dicts are collated
    field by field (as ``torch.utils.data.default_collate``)."""
    elem = batch[0]
    if isinstance(elem, Tensor):
        return Tensor._wrap(np.stack([b._data for b in batch]))
    if isinstance(elem, np.ndarray):
        return Tensor._wrap(np.stack(batch))
    if isinstance(elem, (bool, np.bool_)):
        return Tensor._wrap(np.asarray(batch, dtype=np.bool_))
    if isinstance(elem, numbers.Integral):
        return Tensor._wrap(np.asarray(batch, dtype=np.int64))
    if isinstance(elem, numbers.Real):
        return Tensor._wrap(np.asarray(batch, dtype=np.float64))
    if isinstance(elem, (str, bytes)):
        return list(batch)
    if isinstance(elem, dict):
        return {k: default_collate([b[k] for b in batch]) for k in elem}
    if isinstance(elem, (tuple, list)):
        if any(len(b) != len(elem) for b in batch):
            raise RuntimeError("each element in list of batch should be of equal size")
        return type(elem)(default_collate(list(f)) for f in zip(*batch)) if isinstance(
            elem, tuple) else [default_collate(list(f)) for f in zip(*batch)]
    raise TypeError(f"default_collate: batch must contain tensors, numbers, dicts or lists; "
                    f"found {type(elem).__name__}")


class DataLoader:
    """Iterate over ``dataset`` in batches.

    Args:
        dataset: a ``Dataset`` (``__getitem__`` and ``__len__``).
        batch_size: samples per batch (``None`` yields single samples, uncollated).
        shuffle: a fresh random order each pass, drawn from ``generator`` (default: nnlite's
            global generator, so ``nnlite.manual_seed`` fixes it).
        drop_last: drop the last batch when it is smaller than ``batch_size``.
        collate_fn: merges a list of samples into a batch (default: ``default_collate``).

    Example:
        >>> loader = DataLoader(TensorDataset(x, y), batch_size=64, shuffle=True)
        >>> for xb, yb in loader: ...
    """

    def __init__(self, dataset, batch_size: int | None = 1, shuffle: bool | None = None,
                 sampler=None, batch_sampler=None, num_workers: int = 0,
                 collate_fn: Callable | None = None, pin_memory: bool = False,
                 drop_last: bool = False, timeout: float = 0, worker_init_fn=None,
                 generator=None, **_unused) -> None:
        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None and (batch_size != 1 or shuffle or sampler is not None
                                          or drop_last):
            raise ValueError("batch_sampler option is mutually exclusive with batch_size, "
                             "shuffle, sampler, and drop_last")
        self.dataset = dataset
        self.num_workers = num_workers
        self.generator = generator
        self.drop_last = drop_last
        if batch_sampler is not None:
            batch_size, drop_last = None, False
        if sampler is None:
            sampler = (RandomSampler(dataset, generator=generator) if shuffle
                       else SequentialSampler(dataset))
        if batch_size is not None and batch_sampler is None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)
        self.batch_size = batch_size
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self._auto_collation = batch_sampler is not None
        self.collate_fn = collate_fn or (default_collate if self._auto_collation else None)
        self._default_collate = collate_fn is None
        self._order: np.ndarray | None = None  # the current pass's index order
        self._done = 0  # batches of the current pass already yielded
        self._resume = False

    def __len__(self) -> int:
        return len(self.batch_sampler) if self._auto_collation else len(self.sampler)

    def _batches(self, order: np.ndarray) -> list:
        if not isinstance(self.batch_sampler, BatchSampler):
            return None
        bs, n = self.batch_size, len(order)
        stop = n - n % bs if self.drop_last else n
        return [order[i : i + bs] for i in range(0, stop, bs)]

    def __iter__(self) -> Iterator:
        if not self._resume:
            # torch's iterator draws a base seed (for workers) from the loader's generator at
            # every new pass, shuffled or not; drawing it too keeps the global stream in step.
            from nnlite.ops.creation import empty

            empty((), dtype=D.int64).random_(generator=self.generator)
            if isinstance(self.batch_sampler, BatchSampler):
                self._order = np.fromiter(iter(self.sampler), dtype=np.int64)
            self._done = 0
        self._resume = False
        if not isinstance(self.batch_sampler, BatchSampler):
            return self._iter_generic()
        return self._iter_batched(self._batches(self._order), self._done)

    def _iter_batched(self, batches, start) -> Iterator:
        fast = self._default_collate and hasattr(self.dataset, "_batch")
        for i in range(start, len(batches)):
            idx = batches[i]
            if fast:
                out = self.dataset._batch(idx)
            else:
                out = self.collate_fn([self.dataset[int(j)] for j in idx])
            self._done = i + 1
            yield out

    def _iter_generic(self) -> Iterator:
        if self._auto_collation:
            for idx in self.batch_sampler:
                yield self.collate_fn([self.dataset[j] for j in idx])
        else:
            for j in self.sampler:
                sample = self.dataset[j]
                yield self.collate_fn(sample) if self.collate_fn else sample

    def state_dict(self) -> dict:
        """Where the current pass stands: its index order and the batches already yielded."""
        order = self._order if self._order is not None else np.zeros(0, np.int64)
        return {"order": Tensor._wrap(order.copy()), "batches_done": int(self._done)}

    def load_state_dict(self, state: dict) -> None:
        """Make the next ``iter()`` continue the recorded pass after its yielded batches (a pass
        that had finished starts afresh)."""
        order = state["order"]
        order = np.asarray(order._data if isinstance(order, Tensor) else order, dtype=np.int64)
        done = int(state["batches_done"])
        if len(order) != len(self.sampler):
            raise ValueError(f"DataLoader state is for {len(order)} samples, the dataset has "
                             f"{len(self.sampler)}")
        self._order, self._done = order, done
        self._resume = 0 < done < len(self)
