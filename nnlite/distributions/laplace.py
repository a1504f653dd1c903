"""``Laplace(loc, scale)``, reparameterized through an inverse-cdf of ``uniform_`` draws, as
torch's."""

from __future__ import annotations

import math

import nnlite
from nnlite._tensor import Size, Tensor
from nnlite.distributions.location_scale import LocationScale


class Laplace(LocationScale):
    """Density ``exp(-|x - loc| / scale) / (2 scale)``.

    Example:
        >>> Laplace(torch.tensor([0.0]), torch.tensor([1.0])).sample()
    """

    @property
    def variance(self) -> Tensor:
        return 2 * self.scale.pow(2)

    @property
    def stddev(self) -> Tensor:
        return math.sqrt(2) * self.scale

    def rsample(self, sample_shape=Size()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        eps = nnlite.finfo(self.loc.dtype).eps
        u = nnlite.empty(shape, dtype=self.loc.dtype).uniform_(eps - 1, 1)
        return self.loc - self.scale * u.sign() * nnlite.log1p(-u.abs())

    def log_prob(self, value: Tensor) -> Tensor:
        self._validate_sample(value)
        return -nnlite.log(2 * self.scale) - nnlite.abs(value - self.loc) / self.scale

    def cdf(self, value: Tensor) -> Tensor:
        return 0.5 - 0.5 * (value - self.loc).sign() * nnlite.expm1(
            -(value - self.loc).abs() / self.scale)

    def icdf(self, value: Tensor) -> Tensor:
        term = value - 0.5
        return self.loc - self.scale * term.sign() * nnlite.log1p(-2 * term.abs())

    def entropy(self) -> Tensor:
        return 1 + nnlite.log(2 * self.scale)
