"""Ops that mix or reorder channels (dim 1): ``F.channel_shuffle`` and
``F.local_response_norm`` (a composite of differentiable ops)."""

from __future__ import annotations

import numpy as np

from nnlite._tensor import Tensor
from nnlite.autograd.function import Node, record
from nnlite.ops.nn.padding import pad


class ChannelShuffleBackward0(Node):
    """A permutation of the channels: its gradient is the inverse shuffle, torch's
    ``channel_shuffle(g, C / groups)``."""

    def backward(self, g):
        return (channel_shuffle(g, g.shape[1] // self.groups),)


def channel_shuffle(input: Tensor, groups: int) -> Tensor:
    """(N, C, *) with channels ``[g0 c0, g0 c1, ..., g1 c0, ...]`` reordered to
    ``[g0 c0, g1 c0, ..., g0 c1, ...]`` (ShuffleNet's shuffle; node ChannelShuffleBackward0)."""
    if input.dim() <= 2:
        raise RuntimeError("channel_shuffle expects input to have more than 2 dimensions, but "
                           f"got input with sizes {list(input.shape)}")
    if groups <= 0:
        raise RuntimeError(f"Number of groups to divide channels in must be positive. Value of "
                           f"groups:{groups}")
    c = input.shape[1]
    if c % groups:
        raise RuntimeError(f"Number of channels must be divisible by groups. Got {c} channels "
                           f"and {groups} groups.")
    n, rest = input.shape[0], tuple(input.shape[2:])
    x = input._data.reshape((n, groups, c // groups) + rest).swapaxes(1, 2)
    out = Tensor._wrap(np.ascontiguousarray(x).reshape((n, c) + rest))
    node = record(out, ChannelShuffleBackward0, (input,))
    if node is not None:
        node.groups = groups
    return out


def local_response_norm(input: Tensor, size: int, alpha: float = 1e-4, beta: float = 0.75,
                        k: float = 1.0) -> Tensor:
    """``x / (k + alpha/size * sum_{c' near c} x_{c'}^2)^beta`` over a window of ``size``
    channels (zero padded: ``size//2`` before, ``(size-1)//2`` after), as torch's."""
    dim = input.dim()
    if dim < 3:
        raise ValueError(f"Expected 3D or higher dimensionality input (got {dim} dimensions)")
    if input.numel() == 0:
        return input
    c = input.shape[1]
    sq = input * input
    pads = (0, 0) * (dim - 2) + (size // 2, (size - 1) // 2)
    padded = pad(sq, pads)
    win = padded[:, 0:c]
    for j in range(1, size):
        win = win + padded[:, j:j + c]
    div = (win * (alpha / size) + k) ** beta
    return input / div
