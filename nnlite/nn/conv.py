"""Convolution layers: Conv1d/2d/3d and ConvTranspose1d/2d/3d (channels first), initialised and
printed as PyTorch's."""

from __future__ import annotations

import math

from nnlite._tensor import Tensor, _check_device
from nnlite.nn import init
from nnlite.nn.module import Module
from nnlite.nn.parameter import Parameter
from nnlite.ops.creation import empty
from nnlite.ops.nn import conv as _conv

_PADDING_MODES = {"zeros", "reflect", "replicate", "circular"}


def _ntuple(v, n: int) -> tuple:
    if isinstance(v, (tuple, list)):
        return tuple(v)
    return (v,) * n


class _ConvNd(Module):
    """Shared state of Conv1d/Conv2d: the attributes and state_dict keys of PyTorch's _ConvNd."""

    _nd = 2

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0,
                 dilation=1, groups: int = 1, bias: bool = True, padding_mode: str = "zeros",
                 device=None, dtype=None) -> None:
        _check_device(device)
        super().__init__()
        nd = self._nd
        if groups <= 0:
            raise ValueError("groups must be a positive integer")
        if in_channels % groups != 0:
            raise ValueError("in_channels must be divisible by groups")
        if out_channels % groups != 0:
            raise ValueError("out_channels must be divisible by groups")
        kernel_size = _ntuple(kernel_size, nd)
        stride = _ntuple(stride, nd)
        dilation = _ntuple(dilation, nd)
        if isinstance(padding, str):
            valid_padding_strings = {"same", "valid"}
            if padding not in valid_padding_strings:
                raise ValueError(
                    f"Invalid padding string {padding!r}, should be one of {valid_padding_strings}"
                )
            if padding == "same" and any(s != 1 for s in stride):
                raise ValueError("padding='same' is not supported for strided convolutions")
        else:
            padding = _ntuple(padding, nd)
        if padding_mode not in _PADDING_MODES:
            raise ValueError(
                f"padding_mode must be one of {_PADDING_MODES}, but got "
                f"padding_mode='{padding_mode}'"
            )
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = kernel_size
        self.stride = stride
        self.padding = padding
        self.dilation = dilation
        self.transposed = False
        self.output_padding = (0,) * nd
        self.groups = groups
        self.padding_mode = padding_mode
        if isinstance(padding, str):
            rp = [0, 0] * nd
            if padding == "same":
                for d, k, i in zip(dilation, kernel_size, range(nd - 1, -1, -1)):
                    total = d * (k - 1)
                    rp[2 * i] = total // 2
                    rp[2 * i + 1] = total - total // 2
            self._reversed_padding_repeated_twice = rp
        else:
            self._reversed_padding_repeated_twice = tuple(
                p for p in reversed(padding) for _ in range(2)
            )
        self.weight = Parameter(
            empty((out_channels, in_channels // groups) + kernel_size, dtype=dtype)
        )
        if bias:
            self.bias = Parameter(empty(out_channels, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        # PyTorch's init: kaiming_uniform_(a=sqrt(5)) gives U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            if fan_in != 0:
                bound = 1 / math.sqrt(fan_in)
                init.uniform_(self.bias, -bound, bound)

    def _conv_forward(self, input: Tensor, weight: Tensor, bias: Tensor | None) -> Tensor:
        if self.padding_mode != "zeros":
            input = _conv.pad_mode(input, self._reversed_padding_repeated_twice,
                                       self.padding_mode)
            return _conv.conv(self._nd, input, weight, bias, self.stride, 0, self.dilation,
                                  self.groups)
        return _conv.conv(self._nd, input, weight, bias, self.stride, self.padding,
                              self.dilation, self.groups)

    def forward(self, input: Tensor) -> Tensor:
        return self._conv_forward(input, self.weight, self.bias)

    def extra_repr(self) -> str:
        nd = self._nd
        s = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
             f"stride={self.stride}")
        if self.padding != (0,) * nd:
            s += f", padding={self.padding}"
        if self.dilation != (1,) * nd:
            s += f", dilation={self.dilation}"
        if self.output_padding != (0,) * nd:
            s += f", output_padding={self.output_padding}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"
        return s


class Conv1d(_ConvNd):
    """1-D convolution over (N, C_in, L) or unbatched (C_in, L) input.

    ``y[n, o] = b[o] + sum_{c, k} W[o, c, k] * x_pad[n, g*Cg + c, l*stride + k*dilation]``.

    Example:
        >>> conv = nn.Conv1d(4, 8, 3, padding=1)
        >>> conv(torch.randn(2, 4, 10)).shape
        torch.Size([2, 8, 10])
    """

    _nd = 1


class Conv2d(_ConvNd):
    """2-D convolution over (N, C_in, H, W) or unbatched (C_in, H, W) input (cross-correlation,
    as in PyTorch), computed as im2col + one BLAS product.

    Example:
        >>> conv = nn.Conv2d(3, 8, 3, padding=1)
        >>> conv(torch.randn(2, 3, 28, 28)).shape
        torch.Size([2, 8, 28, 28])
    """

    _nd = 2


class Conv3d(_ConvNd):
    """3-D convolution over (N, C_in, D, H, W) or unbatched (C_in, D, H, W) input, computed as
    conv2d is (im2col over the three spatial dims + one BLAS product).

    Example:
        >>> conv = nn.Conv3d(2, 4, 3, padding=1)
        >>> conv(torch.randn(1, 2, 5, 6, 7)).shape
        torch.Size([1, 4, 5, 6, 7])
    """

    _nd = 3


class _ConvTransposeNd(_ConvNd):
    """Shared state of ConvTranspose1d/2d: weight (in, out/groups, *k), PyTorch's init order."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0,
                 output_padding=0, groups: int = 1, bias: bool = True, dilation=1,
                 padding_mode: str = "zeros", device=None, dtype=None) -> None:
        _check_device(device)
        if padding_mode != "zeros":
            raise ValueError(
                f'Only "zeros" padding mode is supported for {self.__class__.__name__}')
        Module.__init__(self)
        nd = self._nd
        if groups <= 0:
            raise ValueError("groups must be a positive integer")
        if in_channels % groups != 0:
            raise ValueError("in_channels must be divisible by groups")
        if out_channels % groups != 0:
            raise ValueError("out_channels must be divisible by groups")
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = _ntuple(kernel_size, nd)
        self.stride = _ntuple(stride, nd)
        self.padding = _ntuple(padding, nd)
        self.dilation = _ntuple(dilation, nd)
        self.transposed = True
        self.output_padding = _ntuple(output_padding, nd)
        self.groups = groups
        self.padding_mode = padding_mode
        self._reversed_padding_repeated_twice = tuple(
            p for p in reversed(self.padding) for _ in range(2))
        self.weight = Parameter(
            empty((in_channels, out_channels // groups) + self.kernel_size, dtype=dtype))
        if bias:
            self.bias = Parameter(empty(out_channels, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def _output_padding(self, input: Tensor, output_size) -> tuple:
        nd = self._nd
        if output_size is None:
            return self.output_padding
        has_batch_dim = input.dim() == nd + 2
        non_spatial = 2 if has_batch_dim else 1
        output_size = list(output_size)
        if len(output_size) == non_spatial + nd:
            output_size = output_size[non_spatial:]
        if len(output_size) != nd:
            raise ValueError(
                f"ConvTranspose{nd}D: for {input.dim()}D input, output_size must have {nd} or "
                f"{non_spatial + nd} elements (got {len(output_size)})")
        min_sizes, max_sizes = [], []
        for d in range(nd):
            size = ((input.size(d + non_spatial) - 1) * self.stride[d] - 2 * self.padding[d]
                    + self.dilation[d] * (self.kernel_size[d] - 1) + 1)
            min_sizes.append(size)
            max_sizes.append(size + self.stride[d] - 1)
        for size, lo, hi in zip(output_size, min_sizes, max_sizes):
            if size < lo or size > hi:
                raise ValueError(
                    f"requested an output size of {output_size}, but valid sizes range from "
                    f"{min_sizes} to {max_sizes} (for an input of {input.size()[2:]})")
        return tuple(int(output_size[d]) - min_sizes[d] for d in range(nd))

    def forward(self, input: Tensor, output_size=None) -> Tensor:
        op = self._output_padding(input, output_size)
        return _conv.conv_transpose(self._nd, input, self.weight, self.bias, self.stride,
                                        self.padding, op, self.groups, self.dilation)


class ConvTranspose1d(_ConvTransposeNd):
    """1-D transposed convolution (the gradient of Conv1d w.r.t. its input) over (N, C_in, L).

    Example:
        >>> up = nn.ConvTranspose1d(4, 2, 3, stride=2)
        >>> up(torch.randn(1, 4, 5)).shape
        torch.Size([1, 2, 11])
    """

    _nd = 1


class ConvTranspose2d(_ConvTransposeNd):
    """2-D transposed convolution (the gradient of Conv2d w.r.t. its input) over (N, C_in, H, W):
    output size ``(H - 1) * stride - 2 * padding + dilation * (k - 1) + output_padding + 1``.

    Example:
        >>> up = nn.ConvTranspose2d(8, 4, 4, stride=2, padding=1)
        >>> up(torch.randn(2, 8, 7, 7)).shape
        torch.Size([2, 4, 14, 14])
    """

    _nd = 2


class ConvTranspose3d(_ConvTransposeNd):
    """3-D transposed convolution (the gradient of Conv3d w.r.t. its input) over
    (N, C_in, D, H, W).

    Example:
        >>> up = nn.ConvTranspose3d(4, 2, 2, stride=2)
        >>> up(torch.randn(1, 4, 3, 3, 3)).shape
        torch.Size([1, 2, 6, 6, 6])
    """

    _nd = 3
