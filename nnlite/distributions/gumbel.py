"""``Gumbel(loc, scale)``: sampled as torch's transformed uniform,
``loc - scale * log(-log(u))`` with ``u ~ Uniform(tiny, 1 - eps)``, in the same op order."""

from __future__ import annotations

import math

import nnlite
from nnlite._tensor import Size, Tensor
from nnlite.distributions.location_scale import LocationScale

_EULER = 0.57721566490153286060


class Gumbel(LocationScale):
    """The type-I extreme value distribution, ``cdf = exp(-exp(-(x - loc) / scale))``.

    Example:
        >>> Gumbel(torch.tensor([1.0]), torch.tensor([2.0])).sample()
    """

    @property
    def mean(self) -> Tensor:
        return self.loc + self.scale * _EULER

    @property
    def stddev(self) -> Tensor:
        return (math.pi / math.sqrt(6)) * self.scale

    @property
    def variance(self) -> Tensor:
        return self.stddev.pow(2)

    def rsample(self, sample_shape=Size()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        fi = nnlite.finfo(self.loc.dtype)
        low = nnlite.full_like(self.loc, fi.tiny)
        high = nnlite.full_like(self.loc, 1 - fi.eps)
        u = low + nnlite.rand(shape, dtype=self.loc.dtype) * (high - low)
        # torch's transforms in order: ExpTransform().inv, Affine(0, -1), ExpTransform().inv,
        # Affine(loc, -scale)
        y = 0.0 + (-1.0) * u.log()
        return self.loc + (-self.scale) * y.log()

    def log_prob(self, value: Tensor) -> Tensor:
        self._validate_sample(value)
        z = (value - self.loc) / self.scale
        return -(self.scale.log() + z + nnlite.exp(-z))

    def cdf(self, value: Tensor) -> Tensor:
        return nnlite.exp(-nnlite.exp(-(value - self.loc) / self.scale))

    def icdf(self, value: Tensor) -> Tensor:
        return self.loc - self.scale * nnlite.log(-nnlite.log(value))

    def entropy(self) -> Tensor:
        return self.scale.log() + (1 + _EULER)
