"""``F.unfold`` (im2col: every sliding block of a batched image as a column) and its adjoint
``F.fold`` (col2im: columns summed back into an image, overlaps added).

``unfold`` pads, then gathers the block positions (one index array for the (kernel position,
block) pairs, torch's row order ``c * kH * kW + i * kW + j``); ``fold`` adds the columns into a
zero padded image and crops it. Each is one node (torch's ``Im2ColBackward0``,
``Col2ImBackward0``) whose backward is the other op: both are linear, each the other's adjoint,
so every order of derivative works.
"""

from __future__ import annotations

import numpy as np

from nnlite._tensor import Tensor
from nnlite.autograd.function import Node, record

_W = Tensor._wrap


def _pair(v, name: str) -> tuple:
    if isinstance(v, (tuple, list)):
        if len(v) != 2:
            raise RuntimeError(f"It is expected {name} equals to 2, but got size {len(v)}")
        return int(v[0]), int(v[1])
    return int(v), int(v)


def _geometry(size, kernel_size, dilation, padding, stride):
    k, d, p, s = (_pair(kernel_size, "kernel_size"), _pair(dilation, "dilation"),
                  _pair(padding, "padding"), _pair(stride, "stride"))
    if min(k) <= 0:
        raise RuntimeError(f"kernel size should be greater than zero, but got kernel_height: "
                           f"{k[0]} kernel_width: {k[1]}")
    if min(s) <= 0:
        raise RuntimeError(f"stride should be greater than zero, but got stride_height: {s[0]} "
                           f"stride_width: {s[1]}")
    if min(d) <= 0:
        raise RuntimeError(f"dilation should be greater than zero, but got dilation_height: "
                           f"{d[0]} dilation_width: {d[1]}")
    if min(p) < 0:
        raise RuntimeError(f"padding should be non-negative, but got pad_height: {p[0]} "
                           f"pad_width: {p[1]}")
    blocks = tuple((size[i] + 2 * p[i] - d[i] * (k[i] - 1) - 1) // s[i] + 1 for i in range(2))
    return k, d, p, s, blocks


def _block_index(padded_w: int, k, d, s, blocks) -> np.ndarray:
    """Flat positions in the padded image of (kernel row, kernel col, block row, block col)."""
    ki = np.arange(k[0])[:, None, None, None] * d[0]
    kj = np.arange(k[1])[None, :, None, None] * d[1]
    oh = np.arange(blocks[0])[None, None, :, None] * s[0]
    ow = np.arange(blocks[1])[None, None, None, :] * s[1]
    return ((oh + ki) * padded_w + (ow + kj)).reshape(-1).astype(np.int64)


class Im2ColBackward0(Node):
    def backward(self, g):
        return (fold(g, *self.params),)


def unfold(input: Tensor, kernel_size, dilation=1, padding=0, stride=1) -> Tensor:
    """(N, C, H, W) -> (N, C * kH * kW, L): each column one sliding block (L blocks)."""
    if input.dim() not in (3, 4):
        raise RuntimeError(
            "Expected 3D or 4D (batch mode) tensor with possibly 0 batch size and other "
            f"non-zero dimensions for input, but got: {list(input.shape)}")
    xd = input._data
    batched = xd.ndim == 4
    x = xd if batched else xd[None]
    n, c, h, w = x.shape
    k, d, p, s, blocks = _geometry((h, w), kernel_size, dilation, padding, stride)
    if min(blocks) <= 0:
        raise RuntimeError(
            f"Given input with spatial size ({h}, {w}), kernel_size=({k[0]}, {k[1]}), "
            f"dilation=({d[0]}, {d[1]}), padding=({p[0]}, {p[1]}), calculated shape of the array "
            f"of sliding blocks as ({blocks[0]}, {blocks[1]}), but its components must be at "
            "least one.")
    xp = np.pad(x, ((0, 0), (0, 0), (p[0], p[0]), (p[1], p[1]))) if any(p) else x
    idx = _block_index(w + 2 * p[1], k, d, s, blocks)
    cols = xp.reshape(n, c, -1)[:, :, idx]
    cols = cols.reshape(n, c * k[0] * k[1], blocks[0] * blocks[1])
    out = _W(cols if batched else cols[0])
    node = record(out, Im2ColBackward0, (input,))
    if node is not None:
        node.params = ((h, w), k, d, p, s)
    return out


class Col2ImBackward0(Node):
    def backward(self, g):
        return (unfold(g, *self.params),)


def fold(input: Tensor, output_size, kernel_size, dilation=1, padding=0, stride=1) -> Tensor:
    """(N, C * kH * kW, L) -> (N, C, H, W) with ``(H, W) = output_size``: every column added
    back at its block's place (the adjoint of :func:`unfold`)."""
    if input.dim() not in (2, 3):
        raise RuntimeError(
            "Expected 2D or 3D (batch mode) tensor with possibly 0 batch size and non-zero "
            f"dimensions for input, but got: {list(input.shape)}")
    batched = input.dim() == 3
    x = input._data if batched else input._data[None]
    n, ck, length = x.shape
    out_hw = _pair(output_size, "output_size")
    k, d, p, s, blocks = _geometry(out_hw, kernel_size, dilation, padding, stride)
    if ck % (k[0] * k[1]):
        raise RuntimeError(
            "Expected size of input's dimension 1 to be divisible by the product of "
            f"kernel_size, but got input.size(1)={ck} and kernel_size=({k[0]}, {k[1]}).")
    if length != blocks[0] * blocks[1]:
        raise RuntimeError(
            f"Given output_size=({out_hw[0]}, {out_hw[1]}), kernel_size=({k[0]}, {k[1]}), "
            f"dilation=({d[0]}, {d[1]}), padding=({p[0]}, {p[1]}), stride=({s[0]}, {s[1]}), "
            "expected size of input's dimension 2 to match the calculated number of sliding "
            f"blocks {blocks[0]} * {blocks[1]} = {blocks[0] * blocks[1]}, but got "
            f"input.size(2)={length}.")
    c = ck // (k[0] * k[1])
    hp, wp = out_hw[0] + 2 * p[0], out_hw[1] + 2 * p[1]
    idx = _block_index(wp, k, d, s, blocks)
    xd = x.reshape(n, c, k[0] * k[1] * length)
    # each padded pixel's sum over the (kernel position, block) pairs that land on it
    img = np.zeros((n, c, hp * wp), xd.dtype)
    if idx.size:
        order = np.argsort(idx, kind="stable")
        starts = np.flatnonzero(np.r_[True, np.diff(idx[order]) != 0])
        img[:, :, idx[order][starts]] = np.add.reduceat(xd[:, :, order], starts, axis=2)
    img = img.reshape(n, c, hp, wp)
    if any(p):
        img = img[:, :, p[0]:p[0] + out_hw[0], p[1]:p[1] + out_hw[1]]
    out = _W(np.ascontiguousarray(img if batched else img[0]))
    node = record(out, Col2ImBackward0, (input,))
    if node is not None:
        node.params = (k, d, p, s)
    return out
