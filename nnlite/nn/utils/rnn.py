"""``nnlite.nn.utils.rnn``: padding a list of variable-length sequences into one batch."""

from __future__ import annotations

from collections.abc import Iterable

from nnlite._tensor import Tensor
from nnlite.nn.padding import pad
from nnlite.ops.shape import stack

__all__ = ["pad_sequence", "unpad_sequence"]


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
