"""MaxUnpool1d/2d/3d: the maxima a MaxPool returned put back at their positions, zeros elsewhere
(attributes and repr as PyTorch's)."""

from __future__ import annotations

from nnlite._tensor import Tensor
from nnlite.nn.module import Module
from nnlite.ops.nn import max_unpool as _unpool


def _ntuple(v, n: int) -> tuple:
    return tuple(v) if isinstance(v, (tuple, list)) else (v,) * n


class _MaxUnpoolNd(Module):
    _nd = 2

    def __init__(self, kernel_size, stride=None, padding=0) -> None:
        super().__init__()
        nd = self._nd
        self.kernel_size = _ntuple(kernel_size, nd)
        self.stride = _ntuple(stride if stride is not None else kernel_size, nd)
        self.padding = _ntuple(padding, nd)

    def forward(self, input: Tensor, indices: Tensor, output_size=None) -> Tensor:
        fn = getattr(_unpool, f"max_unpool{self._nd}d")
        return fn(input, indices, self.kernel_size, self.stride, self.padding, output_size)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class MaxUnpool1d(_MaxUnpoolNd):
    """Inverse of MaxPool1d over (N, C, L) or (C, L).

    Example:
        >>> pool, unpool = nn.MaxPool1d(2, return_indices=True), nn.MaxUnpool1d(2)
        >>> y, i = pool(torch.tensor([[[1.0, 3.0, 2.0, 0.0]]]))
        >>> unpool(y, i)
        tensor([[[0., 3., 2., 0.]]])
    """

    _nd = 1


class MaxUnpool2d(_MaxUnpoolNd):
    """Inverse of MaxPool2d over (N, C, H, W) or (C, H, W); ``output_size`` picks among the
    sizes a strided pool maps to the same output."""

    _nd = 2


class MaxUnpool3d(_MaxUnpoolNd):
    """Inverse of MaxPool3d over (N, C, D, H, W) or (C, D, H, W)."""

    _nd = 3
