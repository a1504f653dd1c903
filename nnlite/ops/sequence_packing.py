"""The op under ``nn.utils.rnn.pack_padded_sequence``: the packed rows of a padded batch, one
node (torch's ``_pack_padded_sequence`` and its PackPaddedSequenceBackward0)."""

from __future__ import annotations

import numpy as np

from nnlite._tensor import Tensor
from nnlite.autograd.function import Node, record
from nnlite.ops.shape import put_at


class PackPaddedSequenceBackward0(Node):
    """Packing's backward: the packed rows' gradients written back at their (step, batch)
    places of the padded input, zeros at the padding (differentiable: a write into zeros,
    whose own backward reads the rows again)."""

    def backward(self, g):
        zeros = Tensor._wrap(np.zeros((self.n_rows,) + tuple(g.shape[1:]), g._data.dtype))
        return (put_at(zeros, (self.pos,), g).reshape(self.in_shape),)


def pack_rows(input: Tensor, pos: np.ndarray) -> Tensor:
    """Rows ``pos`` of ``input`` viewed as (steps * batch, *): the packed ``data`` (one node,
    as torch's ``_pack_padded_sequence``)."""
    shape = tuple(input.shape)
    arr = input._data.reshape((shape[0] * shape[1],) + shape[2:])[pos]
    out = Tensor._wrap(arr)
    node = record(out, PackPaddedSequenceBackward0, (input,))
    if node is not None:
        node.in_shape, node.n_rows = shape, shape[0] * shape[1]
        node.save(pos=pos)
    return out
