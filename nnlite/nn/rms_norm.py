"""``nn.RMSNorm``: root-mean-square normalisation over the trailing dims (``F.rms_norm``)."""

from __future__ import annotations

from nnlite._tensor import Tensor, _check_device
from nnlite.nn import init
from nnlite.nn.module import Module
from nnlite.nn.parameter import Parameter
from nnlite.ops.creation import empty
from nnlite.ops.nn.rms_norm import rms_norm

__all__ = ["RMSNorm"]


class RMSNorm(Module):
    """``y = x / sqrt(mean(x^2) + eps) * weight`` over ``normalized_shape`` (weight ones).

    Example:
        >>> nn.RMSNorm([2, 3])(torch.randn(4, 2, 3)).shape
        torch.Size([4, 2, 3])
    """

    def __init__(self, normalized_shape, eps: float | None = None,
                 elementwise_affine: bool = True, device=None, dtype=None) -> None:
        _check_device(device)
        super().__init__()
        if isinstance(normalized_shape, int):
            normalized_shape = (normalized_shape,)
        self.normalized_shape = tuple(normalized_shape)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        if elementwise_affine:
            self.weight = Parameter(empty(self.normalized_shape, dtype=dtype))
        else:
            self.register_parameter("weight", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        if self.elementwise_affine:
            init.ones_(self.weight)

    def forward(self, x: Tensor) -> Tensor:
        return rms_norm(x, self.normalized_shape, self.weight, self.eps)

    def extra_repr(self) -> str:
        return ("{normalized_shape}, eps={eps}, elementwise_affine={elementwise_affine}"
                .format(**self.__dict__))
