"""Pooling layers: MaxPool1d/2d/3d, AvgPool1d/2d/3d, AdaptiveAvgPool2d/3d, AdaptiveMaxPool3d,
LPPool1d/2d/3d, FractionalMaxPool2d/3d (attributes and repr as PyTorch)."""

from __future__ import annotations

from nnlite._tensor import Tensor
from nnlite.nn.module import Module
from nnlite.ops.nn import adaptive_pool3d as _pool3d
from nnlite.ops.nn import fractional_pool as _fractional
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


def _repeat(v, n: int) -> tuple:
    """torch's ``_pair``/``_triple``: a sequence as a tuple, anything else repeated ``n`` times
    (values untouched: ratios stay floats)."""
    return tuple(v) if isinstance(v, (tuple, list)) else (v,) * n


class _FractionalMaxPoolNd(Module):
    """Shared body of FractionalMaxPool2d/3d: the checks and attributes of torch's classes;
    ``_random_samples`` (None unless given) is a buffer, as in torch."""

    _nd = 2
    __constants__ = ("kernel_size", "return_indices", "output_size", "output_ratio")

    def __init__(self, kernel_size, output_size=None, output_ratio=None,
                 return_indices: bool = False, _random_samples=None) -> None:
        super().__init__()
        nd = self._nd
        if nd == 3 and ((isinstance(kernel_size, int) and kernel_size <= 0) or (
                isinstance(kernel_size, (tuple, list)) and not all(k > 0 for k in kernel_size))):
            raise ValueError(f"kernel_size must be greater than 0, but got {kernel_size}")
        self.kernel_size = _repeat(kernel_size, nd)
        self.return_indices = return_indices
        self.register_buffer("_random_samples", _random_samples)
        self.output_size = _repeat(output_size, nd) if output_size is not None else None
        self.output_ratio = _repeat(output_ratio, nd) if output_ratio is not None else None
        if output_size is None and output_ratio is None:
            raise ValueError(f"FractionalMaxPool{nd}d requires specifying either an output "
                             "size, or a pooling ratio")
        if output_size is not None and output_ratio is not None:
            raise ValueError("only one of output_size and output_ratio may be specified")
        if self.output_ratio is not None and not all(0 < r < 1 for r in self.output_ratio):
            raise ValueError(f"output_ratio must be between 0 and 1 (got {output_ratio})")

    def forward(self, input: Tensor):
        return _fractional.fractional_max_pool(
            self._nd, input, self.kernel_size, self.output_size, self.output_ratio,
            self.return_indices, _random_samples=self._random_samples)


class FractionalMaxPool2d(_FractionalMaxPoolNd):
    """2-D fractional max pooling (Graham, 2014): ``kH x kW`` max windows at pseudo-random
    starts chosen so the output is ``output_size`` (or ``output_ratio`` of the input). The
    starts are drawn per sample and channel on every call unless ``_random_samples`` is given.

    Example:
        >>> nn.FractionalMaxPool2d(3, output_ratio=(0.5, 0.5))(torch.randn(1, 2, 10, 8)).shape
        torch.Size([1, 2, 5, 4])
    """

    _nd = 2


class FractionalMaxPool3d(_FractionalMaxPoolNd):
    """3-D fractional max pooling over (N, C, T, H, W) (see :class:`FractionalMaxPool2d`).

    Example:
        >>> nn.FractionalMaxPool3d(2, output_size=(2, 3, 3))(torch.randn(1, 2, 5, 6, 6)).shape
        torch.Size([1, 2, 2, 3, 3])
    """

    _nd = 3
