"""``Normal(loc, scale)``: the Gaussian, reparameterized (``rsample`` keeps gradients)."""

from __future__ import annotations

import math

import nnlite
from nnlite._tensor import Size, Tensor
from nnlite.distributions.distribution import LOG_SQRT_2PI
from nnlite.distributions.exp_family import ExponentialFamily
from nnlite.distributions.location_scale import LocationScale


class Normal(LocationScale, ExponentialFamily):
    """``N(loc, scale**2)``; ``loc`` and ``scale`` broadcast to the batch shape.

    Example:
        >>> torch.manual_seed(0)
        >>> d = Normal(torch.tensor([0.0]), torch.tensor([1.0]))
        >>> d.sample()            # the same number as PyTorch's
        tensor([1.5410])
    """

    @property
    def stddev(self) -> Tensor:
        return self.scale

    @property
    def variance(self) -> Tensor:
        return self.stddev.pow(2)

    def sample(self, sample_shape=Size()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        with nnlite.no_grad():
            return nnlite.normal(self.loc.expand(shape), self.scale.expand(shape))

    def rsample(self, sample_shape=Size()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        eps = nnlite.empty(shape, dtype=self.loc.dtype).normal_()
        return self.loc + eps * self.scale

    def log_prob(self, value: Tensor) -> Tensor:
        self._validate_sample(value)
        var = self.scale**2
        log_scale = self.scale.log()
        return -((value - self.loc) ** 2) / (2 * var) - log_scale - LOG_SQRT_2PI

    def cdf(self, value: Tensor) -> Tensor:
        return 0.5 * (1 + nnlite.erf((value - self.loc) * self.scale.reciprocal()
                                     / math.sqrt(2)))

    def icdf(self, value: Tensor) -> Tensor:
        return self.loc + self.scale * nnlite.erfinv(2 * value - 1) * math.sqrt(2)

    def entropy(self) -> Tensor:
        return 0.5 + 0.5 * math.log(2 * math.pi) + nnlite.log(self.scale)
