"""``Uniform(low, high)``: uniform on ``[low, high)``, reparameterized."""

from __future__ import annotations

import nnlite
from nnlite._tensor import Size, Tensor
from nnlite.distributions.distribution import Distribution, broadcast_all, real


class Uniform(Distribution):
    """Uniform on ``[low, high)``; ``rsample`` is ``low + rand * (high - low)`` as PyTorch's."""

    arg_constraints = {"low": real, "high": real}
    has_rsample = True

    def __init__(self, low, high, validate_args=None) -> None:
        self.low, self.high = broadcast_all(low, high)
        super().__init__(self.low.shape, validate_args=validate_args)
        if self._validate_args and not bool((self.low < self.high).all()):
            raise ValueError(f"Expected parameter low (Tensor of shape {tuple(self.low.shape)}) "
                             f"of distribution {self!r} to satisfy the constraint "
                             f"LessThan(upper_bound=high), but found invalid values:\n{self.low}")

    @property
    def mean(self) -> Tensor:
        return (self.high + self.low) / 2

    @property
    def stddev(self) -> Tensor:
        return (self.high - self.low) / 12**0.5

    @property
    def variance(self) -> Tensor:
        return (self.high - self.low).pow(2) / 12

    def rsample(self, sample_shape=Size()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        rand = nnlite.rand(shape, dtype=self.low.dtype)
        return self.low + rand * (self.high - self.low)

    def _in_support(self, v):
        return (self.low._data <= v) & (v < self.high._data)

    def log_prob(self, value: Tensor) -> Tensor:
        self._validate_sample(value)
        lb = self.low.le(value).type_as(self.low)
        ub = self.high.gt(value).type_as(self.low)
        return nnlite.log(lb.mul(ub)) - nnlite.log(self.high - self.low)

    def cdf(self, value: Tensor) -> Tensor:
        return ((value - self.low) / (self.high - self.low)).clamp(min=0, max=1)

    def icdf(self, value: Tensor) -> Tensor:
        return value * (self.high - self.low) + self.low

    def entropy(self) -> Tensor:
        return nnlite.log(self.high - self.low)
