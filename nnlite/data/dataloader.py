"""``DataLoader``: batches of a ``Dataset``, in order or shuffled by a seeded generator.

Single-process (``num_workers`` is accepted and ignored): on a CPU framework whose ops already use
every core, worker processes would only add pickling. The loader can report where it is in an
epoch (``state_dict``) and continue from there (``load_state_dict``), so a checkpoint taken in the
middle of an epoch resumes with exactly the same batches.
"""

from __future__ import annotations

import itertools
import numbers
from collections.abc import Callable, Iterator, Mapping, Sequence

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
from nnlite.data.dataset import IterableDataset
from nnlite.ops.creation import empty

# A pass of up to this many indices is drawn whole when it starts, so that a checkpoint taken
# mid-pass (state_dict) holds its order and every random draw of the pass is already made (a
# resumed pass then leaves the generators exactly where the uninterrupted one does). Longer
# passes -- RandomSampler(ds, replacement=True, num_samples=int(1e10)) -- are drawn lazily, a
# batch at a time, as torch does.
_EAGER_LIMIT = 1 << 20


class _StreamSampler(Sampler):
    """The sampler of a loader over an ``IterableDataset`` (torch's
    ``_InfiniteConstantSampler``): the dataset yields its own samples, there are no indices."""

    def __init__(self, dataset) -> None:
        self.dataset = dataset

    def __iter__(self):
        while True:
            yield None


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


_COLLATE_TYPES = "tensors, numpy arrays, numbers, dicts or lists"


def _stack(arrays: list) -> Tensor:
    try:
        return Tensor._wrap(np.stack(arrays))
    except ValueError:
        sizes = [list(a.shape) for a in arrays]
        k = next(i for i, s in enumerate(sizes) if s != sizes[0])
        raise RuntimeError(f"stack expects each tensor to be equal size, but got {sizes[0]} at "
                           f"entry 0 and {sizes[k]} at entry {k}") from None


def _is_namedtuple(x) -> bool:
    return isinstance(x, tuple) and hasattr(x, "_fields")


def default_collate(batch):
    """Merge a list of samples into a batch as ``torch.utils.data.default_collate``: tensors and
    numpy arrays are stacked along a new first dimension (numpy scalars keep their dtype),
    Python floats become a float64 tensor, ints int64 and bools bool; strings stay a list;
    mappings (of their own type), namedtuples and sequences are collated field by field --
    a tuple of fields comes back as a list, as in torch."""
    elem = batch[0]
    if isinstance(elem, Tensor):
        return _stack([b._data for b in batch])
    if isinstance(elem, (np.ndarray, np.generic)) and not isinstance(elem, (np.str_, np.bytes_)):
        if elem.dtype.kind in "OUSV":
            raise TypeError(f"default_collate: batch must contain {_COLLATE_TYPES}; found "
                            f"{elem.dtype}")
        return _stack([np.asarray(b) for b in batch])
    if isinstance(elem, bool):
        return Tensor._wrap(np.asarray(batch, dtype=np.bool_))
    if isinstance(elem, float):
        return Tensor._wrap(np.asarray(batch, dtype=np.float64))
    if isinstance(elem, numbers.Integral):
        return Tensor._wrap(np.asarray(batch, dtype=np.int64))
    if isinstance(elem, (str, bytes)):
        return batch
    if isinstance(elem, Mapping):
        out = {k: default_collate([b[k] for b in batch]) for k in elem}
        try:
            return type(elem)(out)
        except TypeError:  # a mapping type that cannot be built from a dict
            return out
    if _is_namedtuple(elem):
        return type(elem)(*(default_collate(f) for f in zip(*batch)))
    if isinstance(elem, Sequence):
        if any(len(b) != len(elem) for b in batch):
            raise RuntimeError("each element in list of batch should be of equal size")
        fields = [default_collate(f) for f in zip(*batch)]  # torch passes the zip tuples on
        if isinstance(elem, tuple):
            return fields
        try:
            return type(elem)(fields)
        except TypeError:
            return fields
    raise TypeError(f"default_collate: batch must contain {_COLLATE_TYPES}; found {type(elem)}")


def default_convert(data):
    """``torch.utils.data.default_convert``: numpy arrays and scalars (inside mappings and
    sequences too) become tensors, everything else stays; what a loader without batching
    (``batch_size=None``) does to each sample."""
    if isinstance(data, Tensor):
        return data
    if isinstance(data, (np.ndarray, np.generic)) and data.dtype.kind not in "OUSV":
        return Tensor._wrap(np.asarray(data))
    if isinstance(data, Mapping):
        out = {k: default_convert(v) for k, v in data.items()}
        try:
            return type(data)(out)
        except TypeError:
            return out
    if _is_namedtuple(data):
        return type(data)(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, Sequence) and not isinstance(data, (str, bytes)):
        try:
            return type(data)([default_convert(d) for d in data])
        except TypeError:
            return [default_convert(d) for d in data]
    return data


def get_worker_info():
    """None: nnlite loads data in the calling process (no worker processes)."""
    return None


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
        self._iterable = isinstance(dataset, IterableDataset)
        if self._iterable:
            if shuffle not in (None, False):
                raise ValueError("DataLoader with IterableDataset: expected unspecified shuffle "
                                 f"option, but got shuffle={shuffle}")
            if sampler is not None:
                raise ValueError("DataLoader with IterableDataset: expected unspecified sampler "
                                 f"option, but got sampler={sampler}")
            if batch_sampler is not None:
                raise ValueError("DataLoader with IterableDataset: expected unspecified "
                                 f"batch_sampler option, but got batch_sampler={batch_sampler}")
        if num_workers < 0:
            raise ValueError("num_workers option should be non-negative; use num_workers=0 to "
                             "disable multiprocessing.")
        if timeout < 0:
            raise ValueError("timeout option should be non-negative")
        self.dataset = dataset
        self.num_workers = num_workers
        self.generator = generator
        self.drop_last = drop_last
        if batch_sampler is not None:
            batch_size, drop_last = None, False
        if sampler is None and self._iterable:
            sampler = _StreamSampler(dataset)
        elif sampler is None:
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
        if self._iterable:  # the dataset's own length (TypeError without one), in batches
            n = len(self.dataset)
            if self.batch_size is None:
                return n
            return n // self.batch_size if self.drop_last else -(-n // self.batch_size)
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
        if self._iterable:
            return self._iter_stream()
        if not self._plain_batches():
            return self._iter_generic()
        return self._iter_batched(self._stream)

    def _plain_batches(self) -> bool:
        # nnlite's own BatchSampler (not a subclass with its own __iter__): its batches are
        # consecutive runs of its sampler's indices, so they come from the index stream.
        return type(self.batch_sampler) is BatchSampler and not self._iterable

    def _iter_stream(self) -> Iterator:
        it = iter(self.dataset)
        if not self._auto_collation:
            for sample in it:
                self._done += 1
                yield self.collate_fn(sample) if self.collate_fn else default_convert(sample)
            return
        bs, drop_last = self.batch_size, self.drop_last
        while True:
            batch = list(itertools.islice(it, bs))
            if not batch or (len(batch) < bs and drop_last):
                return
            self._done += 1
            yield self.collate_fn(batch)

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
                yield self.collate_fn(sample) if self.collate_fn else default_convert(sample)

    def state_dict(self) -> dict:
        """Where the current pass stands: its index order and the batches already yielded."""
        if self._iterable:
            raise RuntimeError("DataLoader.state_dict(): an IterableDataset's position cannot "
                               "be recorded (it has no index order); checkpoint at an epoch end")
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
