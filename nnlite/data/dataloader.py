"""``DataLoader``: batches of a ``Dataset``, in order or shuffled by a seeded generator.

Single-process (``num_workers`` is accepted and ignored): on a CPU framework whose ops already use
every core, worker processes would only add pickling. The loader can report where it is in an
epoch (``state_dict``) and continue from there (``load_state_dict``), so a checkpoint taken in the
middle of an epoch resumes with exactly the same batches.
"""

from __future__ import annotations

import itertools
import numbers
from collections.abc import Callable, Iterator

import numpy as np

from nnlite import _dtype as D
from nnlite._tensor import Tensor
from nnlite.data.sampler import (  # noqa: F401 - torch.utils.data.dataloader has them too
    BatchSampler,
    RandomSampler,
    Sampler,
    SequentialSampler,
    SubsetRandomSampler,
    WeightedRandomSampler,
)
from nnlite.ops.creation import empty

# A pass of up to this many indices is drawn whole when it starts, so that a checkpoint taken
# mid-pass (state_dict) holds its order and every random draw of the pass is already made (a
# resumed pass then leaves the generators exactly where the uninterrupted one does). Longer
# passes -- RandomSampler(ds, replacement=True, num_samples=int(1e10)) -- are drawn lazily, a
# batch at a time, as torch does.
_EAGER_LIMIT = 1 << 20


class _IndexStream:
    """One pass's indices, handed out ``take(k)`` at a time."""

    def __init__(self, it, order: np.ndarray | None = None, start: int = 0) -> None:
        self._it = it
        self._order = order  # the whole pass, when drawn up front
        self._pos = start

    def take(self, k: int) -> np.ndarray:
        if self._order is not None:
            out = self._order[self._pos : self._pos + k]
            self._pos += len(out)
            return out
        return np.fromiter(itertools.islice(self._it, k), dtype=np.int64)

    def order(self) -> np.ndarray:
        if self._order is None:
            raise RuntimeError(
                f"DataLoader.state_dict(): this pass has more than {_EAGER_LIMIT} samples and "
                "is drawn lazily, so its index order is not recorded")
        return self._order


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
        self._stream: _IndexStream | None = None  # the current pass's indices, drawn lazily
        self._done = 0  # batches of the current pass already yielded
        self._resume = False

    def __len__(self) -> int:
        return len(self.batch_sampler) if self._auto_collation else len(self.sampler)

    def __iter__(self) -> Iterator:
        if not self._resume:
            # torch's iterator draws a base seed (for workers) from the loader's generator at
            # every new pass, shuffled or not; drawing it too keeps the global stream in step.
            empty((), dtype=D.int64).random_(generator=self.generator)
            if self._plain_batches():
                sampler = self.batch_sampler.sampler
                it = iter(sampler)
                eager = len(sampler) <= _EAGER_LIMIT
                self._stream = _IndexStream(
                    it, np.fromiter(it, dtype=np.int64) if eager else None)
            self._done = 0
        self._resume = False
        if not self._plain_batches():
            return self._iter_generic()
        return self._iter_batched(self._stream)

    def _plain_batches(self) -> bool:
        # nnlite's own BatchSampler (not a subclass with its own __iter__): its batches are
        # consecutive runs of its sampler's indices, so they come from the index stream.
        return type(self.batch_sampler) is BatchSampler

    def _iter_batched(self, stream: _IndexStream) -> Iterator:
        fast = self._default_collate and hasattr(self.dataset, "_batch")
        bs, drop_last = self.batch_sampler.batch_size, self.batch_sampler.drop_last
        while True:
            idx = stream.take(bs)
            if len(idx) == 0 or (len(idx) < bs and drop_last):
                return
            if fast:
                out = self.dataset._batch(idx)
            else:
                out = self.collate_fn([self.dataset[int(j)] for j in idx])
            self._done += 1
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
        order = self._stream.order() if self._stream is not None else np.zeros(0, np.int64)
        return {"order": Tensor._wrap(order.copy()), "batches_done": int(self._done)}

    def load_state_dict(self, state: dict) -> None:
        """Make the next ``iter()`` continue the recorded pass after its yielded batches (a pass
        that had finished starts afresh)."""
        order = state["order"]
        order = np.asarray(order._data if isinstance(order, Tensor) else order, dtype=np.int64)
        done = int(state["batches_done"])
        n = len(self.batch_sampler.sampler if self._plain_batches() else self.sampler)
        if len(order) != n:
            raise ValueError(f"DataLoader state is for {len(order)} samples, the dataset has "
                             f"{n}")
        bs = self.batch_sampler.batch_size if self._plain_batches() else 1
        self._stream = _IndexStream(iter(()), order, done * bs)
        self._done = done
        self._resume = 0 < done < len(self)
