"""``nn.AlphaDropout`` / ``nn.FeatureAlphaDropout``: dropout for SELU networks
(``F.alpha_dropout`` / ``F.feature_alpha_dropout``)."""

from __future__ import annotations

from nnlite._tensor import Tensor
from nnlite.nn.module import Module
from nnlite.ops.nn import alpha_dropout as _ad

__all__ = ["AlphaDropout", "FeatureAlphaDropout"]


class _AlphaDropoutNd(Module):
    def __init__(self, p: float = 0.5, inplace: bool = False) -> None:
        super().__init__()
        if p < 0 or p > 1:
            raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
        self.p, self.inplace = p, inplace

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"


class AlphaDropout(_AlphaDropoutNd):
    """Alpha dropout of single elements in training mode; identity in eval.

    Example:
        >>> nn.AlphaDropout(0.2)(torch.randn(20, 16)).shape
        torch.Size([20, 16])
    """

    def forward(self, input: Tensor) -> Tensor:
        return _ad.alpha_dropout(input, self.p, self.training)


class FeatureAlphaDropout(_AlphaDropoutNd):
    """Alpha dropout of whole channels in training mode; identity in eval."""

    def forward(self, input: Tensor) -> Tensor:
        return _ad.feature_alpha_dropout(input, self.p, self.training)
