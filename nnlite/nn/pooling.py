"""Pooling layers: MaxPool1d/2d/3d, AvgPool1d/2d/3d, AdaptiveAvgPool2d/3d, AdaptiveMaxPool3d,
LPPool1d/2d/3d (attributes and repr as PyTorch)."""

from __future__ import annotations

from nnlite._tensor import Tensor
from nnlite.nn.module import Module
from nnlite.ops.nn import adaptive_pool3d as _pool3d
from nnlite.ops.nn import lp_pool as _lp_pool
from nnlite.ops.nn import pool as _pool
from nnlite.ops.nn.conv import _tuple


class _MaxPoolNd(Module):
    _nd = 2

    def __init__(self, kernel_size, stride=None, padding=0, dilation=1,
                 return_indices: bool = False, ceil_mode: bool = False) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if (stride is not None) else kernel_size
        self.padding = padding
        self.dilation = dilation
        self.return_indices = return_indices
        self.ceil_mode = ceil_mode

    def forward(self, input: Tensor):
        return _pool.max_pool(self._nd, input, self.kernel_size, self.stride, self.padding,
                                  self.dilation, self.ceil_mode, self.return_indices)

    def extra_repr(self) -> str:
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"dilation={self.dilation}, ceil_mode={self.ceil_mode}")


class MaxPool1d(_MaxPoolNd):
    """Max over sliding windows of (N, C, L) input; ``return_indices`` gives the argmax in L."""

    _nd = 1


class MaxPool2d(_MaxPoolNd):
    """Max over sliding (kH, kW) windows of (N, C, H, W) input (padding counts as -inf).

    Example:
        >>> nn.MaxPool2d(2)(torch.randn(1, 3, 8, 8)).shape
        torch.Size([1, 3, 4, 4])
    """

    _nd = 2


class MaxPool3d(_MaxPoolNd):
    """Max over sliding (kT, kH, kW) windows of (N, C, D, H, W) input.

    Example:
        >>> nn.MaxPool3d(2)(torch.randn(1, 3, 4, 8, 8)).shape
        torch.Size([1, 3, 2, 4, 4])
    """

    _nd = 3


class AvgPool1d(Module):
    """Mean over sliding windows of (N, C, L) input."""

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
                 count_include_pad: bool = True) -> None:
        super().__init__()
        self.kernel_size = _tuple(kernel_size, 1)
        self.stride = _tuple(stride if stride is not None else kernel_size, 1)
        self.padding = _tuple(padding, 1)
        self.ceil_mode = ceil_mode
        self.count_include_pad = count_include_pad

    def forward(self, input: Tensor) -> Tensor:
        return _pool.avg_pool(1, input, self.kernel_size, self.stride, self.padding,
                                  self.ceil_mode, self.count_include_pad)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class _AvgPoolNd(Module):
    """AvgPool2d/3d's shared state (kernel, stride, padding, divisor) as given, as torch's."""

    _nd = 2

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
                 count_include_pad: bool = True, divisor_override=None) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if (stride is not None) else kernel_size
        self.padding = padding
        self.ceil_mode = ceil_mode
        self.count_include_pad = count_include_pad
        self.divisor_override = divisor_override

    def forward(self, input: Tensor) -> Tensor:
        return _pool.avg_pool(self._nd, input, self.kernel_size, self.stride, self.padding,
                              self.ceil_mode, self.count_include_pad, self.divisor_override)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AvgPool2d(_AvgPoolNd):
    """Mean over sliding (kH, kW) windows of (N, C, H, W) input; zero padding counts in the
    divisor when ``count_include_pad`` (the default), as in PyTorch."""

    _nd = 2


class AvgPool3d(_AvgPoolNd):
    """Mean over sliding (kT, kH, kW) windows of (N, C, D, H, W) input (divisor as AvgPool2d's).

    Example:
        >>> nn.AvgPool3d(2, stride=1)(torch.randn(1, 2, 3, 4, 4)).shape
        torch.Size([1, 2, 2, 3, 3])
    """

    _nd = 3


class AdaptiveAvgPool2d(Module):
    """Average into a fixed (oH, oW) output whatever the input size (PyTorch's windows:
    ``[floor(i*H/oH), ceil((i+1)*H/oH))``). ``None`` in output_size keeps that input size."""

    def __init__(self, output_size) -> None:
        super().__init__()
        self.output_size = output_size

    def forward(self, input: Tensor) -> Tensor:
        return _pool.adaptive_avg_pool2d(input, self.output_size)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class AdaptiveAvgPool3d(AdaptiveAvgPool2d):
    """Average into a fixed (oD, oH, oW) output whatever the input size (PyTorch's windows).

    Example:
        >>> nn.AdaptiveAvgPool3d((1, 2, 2))(torch.randn(1, 3, 5, 7, 9)).shape
        torch.Size([1, 3, 1, 2, 2])
    """

    def forward(self, input: Tensor) -> Tensor:
        return _pool3d.adaptive_avg_pool3d(input, self.output_size)


class AdaptiveMaxPool3d(Module):
    """Max into a fixed (oD, oH, oW) output; ``return_indices`` also gives the flat argmax in
    each input volume (for MaxUnpool3d)."""

    def __init__(self, output_size, return_indices: bool = False) -> None:
        super().__init__()
        self.output_size = output_size
        self.return_indices = return_indices

    def forward(self, input: Tensor):
        return _pool3d.adaptive_max_pool3d(input, self.output_size, self.return_indices)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class _LPPoolNd(Module):
    _nd = 2

    def __init__(self, norm_type: float, kernel_size, stride=None,
                 ceil_mode: bool = False) -> None:
        super().__init__()
        self.norm_type = norm_type
        self.kernel_size = kernel_size
        self.stride = stride
        self.ceil_mode = ceil_mode

    def forward(self, input: Tensor) -> Tensor:
        return _lp_pool._lp_pool(self._nd, input, self.norm_type, self.kernel_size,
                                 self.stride, self.ceil_mode)

    def extra_repr(self) -> str:
        return (f"norm_type={self.norm_type}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}, ceil_mode={self.ceil_mode}")


class LPPool1d(_LPPoolNd):
    """Power-average pooling ``(sum_window x^p)^(1/p)`` over (N, C, L) (p = 1: sum pooling,
    p = inf would be max pooling)."""

    _nd = 1


class LPPool2d(_LPPoolNd):
    """Power-average pooling over (N, C, H, W) windows."""

    _nd = 2


class LPPool3d(_LPPoolNd):
    """Power-average pooling over (N, C, D, H, W) windows."""

    _nd = 3
