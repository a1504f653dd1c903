"""``F.conv_tbc``: a 1-D convolution over time-batch-channel input (fairseq's layout), as the
composite of ``conv1d`` on the permuted input.

``out[t, b, o] = bias[o] + sum_{k, c} input[t + k - pad, b, c] * weight[k, c, o]``.

Example:
    >>> x = torch.randn(10, 2, 4)  # (time, batch, in channels)
    >>> F.conv_tbc(x, torch.randn(3, 4, 6), torch.zeros(6), pad=1).shape
    torch.Size([10, 2, 6])
"""

from __future__ import annotations

from nnlite._tensor import Tensor
from nnlite.autograd.function import Node, record
from nnlite.autograd.grad_mode import no_grad
from nnlite.ops import shape as _shape
from nnlite.ops.nn import conv as _conv
from nnlite.ops.nn import padding as _padding

__all__ = ["conv_tbc"]


def conv_tbc(input: Tensor, weight: Tensor, bias: Tensor, pad: int = 0) -> Tensor:
    """Convolution of ``input`` (T, B, C_in) with ``weight`` (K, C_in, C_out) and ``bias``
    (C_out,), zero-padded by ``pad`` steps on both ends of time: (T + 2 pad - K + 1, B, C_out)."""
    if input.dim() != 3:
        raise RuntimeError("Input must have 3 dims: time, batch, in_channel")
    if weight.dim() != 3:
        raise RuntimeError("Weight tensor must have 3 dims: kernel_width, in_channels, "
                           "out_channels.")
    if bias.dim() != 1:
        raise RuntimeError("Bias must be 1-D")
    if input.shape[2] != weight.shape[1]:
        raise RuntimeError("Input dim 2 (input channels) is not == dim 1 in the weight tensor")
    if weight.shape[2] != bias.shape[0]:
        raise RuntimeError("Bias size must equal dim 2 in the weight tensor (output channels).")
    pad = int(pad)
    with no_grad():
        y = _conv.conv(1, input.permute(1, 2, 0), weight.permute(2, 1, 0), bias, 1, pad, 1, 1)
        out = Tensor._wrap(y.permute(2, 0, 1).contiguous()._data)
    node = record(out, ConvTbcBackward0, (input, weight, bias))
    if node is not None:
        node.save_for_backward(input, weight)
        node.pad = pad
    return out


class ConvTbcBackward0(Node):
    """``gx = conv_tbc(g, flip(w)^T)`` cropped to the input, ``gw[k] = x_pad[k:k+T']^T g``
    (over time and batch), ``gb = sum g``: differentiable ops, so double backward works."""

    def backward(self, g):
        x, w = self._unpacked_saved
        pad = self.pad
        kw, c_in, c_out = w.shape
        t_in = x.shape[0]
        nig = self.needs_input_grad
        gx = gw = gb = None
        if nig[0]:
            wt = w.flip((0,)).transpose(1, 2)
            full = conv_tbc(g, wt, g.new_zeros((c_in,)), kw - 1)
            gx = full[pad:pad + t_in]
        if nig[1]:
            xp = _padding.pad(x, (0, 0, 0, 0, pad, pad))
            t_out = g.shape[0]
            g2 = g.reshape(-1, c_out)
            gw = _shape.stack([xp[k:k + t_out].reshape(-1, c_in).t().matmul(g2)
                               for k in range(kw)])
        if nig[2]:
            gb = g.sum((0, 1))
        return gx, gw, gb
