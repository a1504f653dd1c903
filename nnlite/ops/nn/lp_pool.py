"""``F.lp_pool1d/2d/3d``: power-average pooling, ``(sum_window x^p)^(1/p)``, as torch's
composite: ``avg_pool(x^p) * prod(kernel)``, sign-preserving relu, then the ``1/p`` power (so
its graph and numbers are torch's: ``PowBackward0 <- MulBackward0 <- ... <- AvgPool2DBackward0``).
"""

from __future__ import annotations

from nnlite._tensor import Tensor
from nnlite.ops import elementwise as _E
from nnlite.ops.nn import activations as _A
from nnlite.ops.nn import pool as _P
from nnlite.ops.nn.conv import _tuple

__all__ = ["lp_pool1d", "lp_pool2d", "lp_pool3d"]


def _lp_pool(nd: int, input: Tensor, norm_type, kernel_size, stride, ceil_mode) -> Tensor:
    k = _tuple(kernel_size, nd, "kernel_size")
    out = _P.avg_pool(nd, input.pow(norm_type), kernel_size, stride, 0, ceil_mode)
    size = 1
    for v in k:
        size *= v
    return (_E.sign(out) * _A.relu(_E.abs(out))).mul(size).pow(1.0 / norm_type)


def lp_pool1d(input: Tensor, norm_type, kernel_size, stride=None,
              ceil_mode: bool = False) -> Tensor:
    """Power-average pooling over (N, C, L): ``(sum_{window} x^p)^(1/p)``.

    Example:
        >>> F.lp_pool1d(torch.tensor([[[3.0, 4.0]]]), 2, 2)
        tensor([[[5.]]])
    """
    return _lp_pool(1, input, norm_type, kernel_size, stride, ceil_mode)


def lp_pool2d(input: Tensor, norm_type, kernel_size, stride=None,
              ceil_mode: bool = False) -> Tensor:
    """Power-average pooling over (N, C, H, W) windows (see :func:`lp_pool1d`)."""
    return _lp_pool(2, input, norm_type, kernel_size, stride, ceil_mode)


def lp_pool3d(input: Tensor, norm_type, kernel_size, stride=None,
              ceil_mode: bool = False) -> Tensor:
    """Power-average pooling over (N, C, D, H, W) windows (see :func:`lp_pool1d`)."""
    return _lp_pool(3, input, norm_type, kernel_size, stride, ceil_mode)
