"""``Gumbel(loc, scale)``: sampled as torch's transformed uniform,
``loc - scale * log(-log(u))`` with ``u ~ Uniform(tiny, 1 - eps)``, in the same op order."""

from __future__ import annotations

import math

import nnlite
from nnlite._tensor import Size, Tensor
from nnlite.distributions.distribution import Distribution, broadcast_all, greater_than, real

_EULER = 0.57721566490153286060


class Gumbel(Distribution):
    """The type-I extreme value distribution, ``cdf = exp(-exp(-(x - loc) / scale))``.

    Example:
        >>> Gumbel(torch.tensor([1.0]), torch.tensor([2.0])).sample()
    """

    arg_constraints = {"loc": real, "scale": greater_than(0.0)}
    support = real
    has_rsample = True

    def __init__(self, loc, scale, validate_args=None) -> None:
        self.loc, self.scale = broadcast_all(loc, scale)
        super().__init__(self.loc.shape, validate_args=validate_args)

    @property
    def mean(self) -> Tensor:
        return self.loc + self.scale * _EULER

    @property
    def mode(self) -> Tensor:
        return self.loc

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

    def sample(self, sample_shape=Size()) -> Tensor:
        with nnlite.no_grad():
            return self.rsample(sample_shape)

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
