"""Dropout."""

from __future__ import annotations

from nnlite._tensor import Tensor
from nnlite.nn.module import Module
from nnlite.ops.nn import dropout as _D
from nnlite.ops.nn.functional_activations import inplace_activation


class Dropout(Module):
    """In training, zero each element with probability ``p`` and scale the rest by
    ``1/(1-p)``; the identity in eval. The mask is drawn from nnlite's seeded generator."""

    def __init__(self, p: float = 0.5, inplace: bool = False) -> None:
        super().__init__()
        _D.check_probability(p)
        self.p = p
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        # F.dropout's argument handling, on the op (nn modules do not call nn.functional)
        p = self.p
        _D.check_probability(p)
        if self.inplace and self.training and p > 0:
            return inplace_activation(input, _D.dropout, "dropout_", p, self.training)
        return _D.dropout(input, p, self.training)

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"


class Dropout1d(Dropout):
    """Zero whole channels of (N, C, L) / (C, L) input with probability ``p`` (training only)."""

    def forward(self, input: Tensor) -> Tensor:
        return _D.dropout1d(input, self.p, self.training, self.inplace)


class Dropout2d(Dropout):
    """Zero whole channels of (N, C, H, W) input with probability ``p`` (training only)."""

    def forward(self, input: Tensor) -> Tensor:
        return _D.dropout2d(input, self.p, self.training, self.inplace)


class Dropout3d(Dropout):
    """Zero whole channels of (N, C, D, H, W) input with probability ``p`` (training only)."""

    def forward(self, input: Tensor) -> Tensor:
        return _D.dropout3d(input, self.p, self.training, self.inplace)
