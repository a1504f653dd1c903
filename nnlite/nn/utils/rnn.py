"""``nnlite.nn.utils.rnn``: variable-length sequences: padding them into one batch, packing
them (:class:`PackedSequence`, what RNN/LSTM/GRU take) and back."""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Iterable

import numpy as np

from nnlite._dtype import float32, float64
from nnlite._tensor import Tensor, tensor
from nnlite.nn.padding import pad
from nnlite.ops.creation import full
from nnlite.ops.sequence_packing import pack_rows as _pack_rows
from nnlite.ops.shape import cat, stack

__all__ = [
    "PackedSequence",
    "invert_permutation",
    "pack_padded_sequence",
    "pack_sequence",
    "pad_packed_sequence",
    "pad_sequence",
    "unpack_sequence",
    "unpad_sequence",
]


def pad_sequence(sequences, batch_first: bool = False, padding_value: float = 0.0,
                 padding_side: str = "right") -> Tensor:
    """Stack sequences of shapes (L_i, *) into (T, B, *) (``batch_first``: (B, T, *)) with
    ``T = max L_i``, filling with ``padding_value`` on ``padding_side``. Differentiable.

    Example:
        >>> pad_sequence([torch.ones(2, 3), torch.ones(4, 3)]).shape
        torch.Size([4, 2, 3])
    """
    if not isinstance(sequences, Iterable):
        raise RuntimeError(  # noqa: TRY004 - PyTorch raises RuntimeError here
            "pad_sequence: Expected iterable for input sequences, but got arg of "
            f"type: {type(sequences)}")
    sequences = tuple(sequences)
    if not sequences:
        raise RuntimeError("received an empty list of sequences")
    if padding_side not in ("left", "right"):
        raise RuntimeError(
            f"Expected padding_side to be one of left or right, but got {padding_side}.")
    trailing = tuple(sequences[0].shape[1:])
    for s in sequences[1:]:
        if tuple(s.shape[1:]) != trailing:
            for d, (a, b) in enumerate(zip(trailing, s.shape[1:])):
                if a != b:
                    raise RuntimeError(f"The size of tensor a ({a}) must match the size of "
                                       f"tensor b ({b}) at non-singleton dimension {d + 1}")
            raise RuntimeError("pad_sequence: all sequences must have the same number of dims")
    longest = max(s.shape[0] for s in sequences)
    padded = []
    for s in sequences:
        extra = longest - s.shape[0]
        if extra:
            pads = (0, 0) * len(trailing) + ((extra, 0) if padding_side == "left" else (0, extra))
            s = pad(s, pads, value=float(padding_value))
        padded.append(s)
    return stack(padded, 0 if batch_first else 1)


def unpad_sequence(padded_sequences: Tensor, lengths, batch_first: bool = False) -> list:
    """The inverse of right-side :func:`pad_sequence`: a list of (L_i, *) tensors."""
    if not batch_first:
        padded_sequences = padded_sequences.transpose(0, 1)
    out = []
    for seq, n in zip(padded_sequences.unbind(0), lengths):
        out.append(seq[: int(n)])
    return out


# ---- packed sequences ------------------------------------------------------------------------


_PackedFields = namedtuple("PackedSequence_", "data batch_sizes sorted_indices unsorted_indices")


class PackedSequence(_PackedFields):
    """A batch of variable-length sequences, packed time-major without padding (as torch's).

    ``data`` holds step 0 of every sequence, then step 1 of those at least 2 long, ...;
    ``batch_sizes[t]`` is how many sequences have a step ``t``; sequences are ordered by
    decreasing length inside ``data`` and ``sorted_indices`` (None when they came sorted)
    maps that order to the original batch, ``unsorted_indices`` back. Build one with
    :func:`pack_padded_sequence` or :func:`pack_sequence`; RNN/LSTM/GRU take and return them.

    Example:
        >>> p = pack_sequence([torch.ones(3, 2), torch.ones(1, 2)])
        >>> p.batch_sizes
        tensor([2, 1, 1])
    """

    def __new__(cls, data, batch_sizes=None, sorted_indices=None, unsorted_indices=None):
        if unsorted_indices is None and sorted_indices is not None:
            unsorted_indices = invert_permutation(sorted_indices)
        if batch_sizes is None:
            if isinstance(data, (list, tuple)) and len(data) == 2:
                data, batch_sizes = data
            else:
                raise ValueError("PackedSequence needs batch_sizes: build it with "
                                 "pack_padded_sequence or pack_sequence")
        return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)

    def _map(self, fn):
        return type(self)(fn(self.data), self.batch_sizes, self.sorted_indices,
                          self.unsorted_indices)

    def to(self, *args, **kwargs):
        """The same packing with ``data.to(*args, **kwargs)`` (indices stay int64)."""
        data = self.data.to(*args, **kwargs)
        return self if data is self.data else self._map(lambda d: data)

    def cpu(self, *args, **kwargs):
        return self

    def cuda(self, *args, **kwargs):
        return self.to("cuda", *args, **kwargs)

    def double(self):
        return self.to(dtype=float64)

    def float(self):
        return self.to(dtype=float32)

    def detach(self):
        return self._map(lambda d: d.detach())

    @property
    def is_cuda(self) -> bool:
        return False

    def is_pinned(self) -> bool:
        return False


def invert_permutation(permutation):
    """The inverse of a permutation tensor (None stays None)."""
    if permutation is None:
        return None
    perm = np.asarray(permutation.numpy(), dtype=np.int64)
    inv = np.empty_like(perm)
    inv[perm] = np.arange(perm.size, dtype=np.int64)
    return tensor(inv)


def _lengths_array(lengths) -> np.ndarray:
    if isinstance(lengths, Tensor):
        if lengths.dim() != 1:
            raise RuntimeError("'lengths' argument should be a 1D CPU int64 tensor, but got "
                               f"{lengths.dim()}D {lengths.device} {lengths.dtype} tensor")
        arr = lengths.numpy()
    else:
        arr = np.asarray(lengths)
    return arr.astype(np.int64).reshape(-1)


def _packed_positions(batch_sizes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(time step, sorted batch row) of every row of packed ``data``, in order."""
    steps = np.repeat(np.arange(batch_sizes.size, dtype=np.int64), batch_sizes)
    starts = np.repeat(np.cumsum(batch_sizes) - batch_sizes, batch_sizes)
    return steps, np.arange(steps.size, dtype=np.int64) - starts


def pack_padded_sequence(input: Tensor, lengths, batch_first: bool = False,
                         enforce_sorted: bool = True) -> PackedSequence:
    """Pack a padded batch (T, B, *) (``batch_first``: (B, T, *)) of sequences whose lengths
    are ``lengths`` (a list or 1-D int tensor). With ``enforce_sorted`` the lengths must be
    decreasing; otherwise they are sorted here and the permutation is kept in the result.
    Differentiable (``data.grad_fn`` is ``PackPaddedSequenceBackward0``).
    """
    lens = _lengths_array(lengths)
    if enforce_sorted:
        if np.any(lens[1:] > lens[:-1]):
            raise RuntimeError(
                "`lengths` array must be sorted in decreasing order when `enforce_sorted` is "
                "True. You can pass `enforce_sorted=False` to pack_padded_sequence and/or "
                "pack_sequence to sidestep this requirement if you do not need ONNX "
                "exportability.")
        sorted_indices = None
        order = np.arange(lens.size, dtype=np.int64)
    else:
        order = np.argsort(-lens, kind="stable").astype(np.int64)
        sorted_indices = tensor(order)
    if lens.size and lens.min() <= 0:
        raise RuntimeError("Length of all samples has to be greater than 0, but found an "
                           "element in 'lengths' that is <= 0")
    if not enforce_sorted:  # torch sorts the batch first (IndexSelectBackward0 under the node)
        input = input.index_select(0 if batch_first else 1, sorted_indices)
    steps, batch = (input.shape[1], input.shape[0]) if batch_first else input.shape[:2]
    if lens.size != batch:
        raise RuntimeError(f"Expected `len(lengths)` to be equal to batch_size, but got "
                           f"{lens.size} (batch_size={batch})")
    sl = lens[order]
    if sl.size and sl[0] > steps:
        raise RuntimeError(f"Expected sequence length to be smaller than or equal to "
                           f"{steps}, but got {sl[0]}")
    batch_sizes = (sl[None, :] > np.arange(int(sl[0]) if sl.size else 0)[:, None]).sum(1)
    t_idx, rows = _packed_positions(batch_sizes)
    # each packed row's position among the input's (step, batch) rows, flattened
    pos = rows * steps + t_idx if batch_first else t_idx * batch + rows
    data = _pack_rows(input, pos)
    return PackedSequence(data, tensor(batch_sizes.astype(np.int64)), sorted_indices, None)


def pad_packed_sequence(sequence: PackedSequence, batch_first: bool = False,
                        padding_value: float = 0.0, total_length=None):
    """The inverse of :func:`pack_padded_sequence`: ``(padded, lengths)`` with ``padded``
    (T, B, *) (``batch_first``: (B, T, *)), ``T = total_length or the longest``, and the
    int64 ``lengths`` in the original batch order."""
    bs = np.asarray(sequence.batch_sizes.numpy(), dtype=np.int64)
    steps = int(bs.size)
    if total_length is not None:
        if total_length < steps:
            raise ValueError(
                "Expected total_length to be at least the length of the longest sequence in "
                f"input, but got total_length={total_length} and max sequence length being "
                f"{steps}")
        steps = int(total_length)
    batch = int(bs[0]) if bs.size else 0
    t_idx, rows = _packed_positions(bs)
    data = sequence.data
    n = data.shape[0]
    # every (t, b) cell of the padded batch reads a packed row, or the extra padding row n
    src = np.full(steps * batch, n, dtype=np.int64)
    src[t_idx * batch + rows] = np.arange(n, dtype=np.int64)
    pad_row = full((1,) + tuple(data.shape[1:]), float(padding_value), dtype=data.dtype)
    padded = cat([data, pad_row], 0).index_select(0, tensor(src))
    padded = padded.reshape((steps, batch) + tuple(data.shape[1:]))
    lengths = (bs[None, :] > np.arange(batch)[:, None]).sum(1).astype(np.int64)
    if sequence.unsorted_indices is not None:
        unsorted = sequence.unsorted_indices
        padded = padded.index_select(1, unsorted)
        lengths = lengths[np.asarray(unsorted.numpy(), dtype=np.int64)]
    if batch_first:
        padded = padded.transpose(0, 1)
    return padded, tensor(lengths)


def pack_sequence(sequences, enforce_sorted: bool = True) -> PackedSequence:
    """Pack a list of (L_i, *) tensors (decreasing ``L_i`` unless ``enforce_sorted=False``)."""
    lengths = tensor([int(s.size(0)) for s in sequences])
    return pack_padded_sequence(pad_sequence(sequences), lengths,
                                enforce_sorted=enforce_sorted)


def unpack_sequence(packed_sequences: PackedSequence) -> list:
    """The list of (L_i, *) tensors a :class:`PackedSequence` holds, in the original order."""
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)
