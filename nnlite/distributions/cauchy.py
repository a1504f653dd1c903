"""``Cauchy(loc, scale)``: reparameterized with torch's ``cauchy_`` draws (a float64 uniform
``u`` per element, ``tan(pi * (u - 0.5))``), so a seed gives torch's samples."""

from __future__ import annotations

import math

import numpy as np

import nnlite
from nnlite import _random as _R
from nnlite._tensor import Size, Tensor
from nnlite.distributions import constraints
from nnlite.distributions.location_scale import LocationScale
from nnlite.distributions.transformed_distribution import TransformedDistribution
from nnlite.distributions.transforms import AbsTransform


def standard_cauchy(shape, dtype) -> Tensor:
    """``torch.empty(shape, dtype=dtype).cauchy_()`` from the global generator."""
    u = _R._unit_uniform(_R._gen(), _R._numel(shape), np.float64)
    vals = np.tan(math.pi * (u - 0.5))
    return Tensor._wrap(vals.astype(nnlite.empty(0, dtype=dtype)._data.dtype).reshape(shape))


class Cauchy(LocationScale):
    """Density ``1 / (pi * scale * (1 + ((x - loc) / scale)**2))``; no mean or variance.

    Example:
        >>> Cauchy(torch.tensor([0.0]), torch.tensor([1.0])).sample()
    """

    @property
    def mean(self) -> Tensor:
        return nnlite.full(self._extended_shape(), math.nan, dtype=self.loc.dtype)

    @property
    def variance(self) -> Tensor:
        return nnlite.full(self._extended_shape(), math.inf, dtype=self.loc.dtype)

    def rsample(self, sample_shape=Size()) -> Tensor:
        eps = standard_cauchy(self._extended_shape(sample_shape), self.loc.dtype)
        return self.loc + eps * self.scale

    def log_prob(self, value: Tensor) -> Tensor:
        self._validate_sample(value)
        return (-math.log(math.pi) - self.scale.log()
                - (((value - self.loc) / self.scale) ** 2).log1p())

    def cdf(self, value: Tensor) -> Tensor:
        return nnlite.atan((value - self.loc) / self.scale) / math.pi + 0.5

    def icdf(self, value: Tensor) -> Tensor:
        return nnlite.tan(math.pi * (value - 0.5)) * self.scale + self.loc

    def entropy(self) -> Tensor:
        return math.log(4 * math.pi) + self.scale.log()


class HalfCauchy(TransformedDistribution):
    """``|X|`` for ``X ~ Cauchy(0, scale)``.

    Example:
        >>> HalfCauchy(torch.tensor([1.0])).sample()
    """

    _expand_params = ()
    arg_constraints = {"scale": constraints.positive}
    support = constraints.nonnegative
    has_rsample = True

    def __init__(self, scale, validate_args=None) -> None:
        base_dist = Cauchy(0, scale, validate_args=False)
        super().__init__(base_dist, AbsTransform(), validate_args=validate_args)

    @property
    def scale(self) -> Tensor:
        return self.base_dist.scale

    @property
    def mean(self) -> Tensor:
        return nnlite.full(self._extended_shape(), math.inf, dtype=self.scale.dtype)

    @property
    def mode(self) -> Tensor:
        return nnlite.zeros_like(self.scale)

    @property
    def variance(self) -> Tensor:
        return self.base_dist.variance

    def log_prob(self, value: Tensor) -> Tensor:
        self._validate_sample(value)
        value = nnlite.as_tensor(value, dtype=self.base_dist.scale.dtype)
        log_prob = self.base_dist.log_prob(value) + math.log(2)
        return nnlite.where(value >= 0, log_prob, -math.inf)

    def cdf(self, value: Tensor) -> Tensor:
        self._validate_sample(value)
        return 2 * self.base_dist.cdf(value) - 1

    def icdf(self, prob: Tensor) -> Tensor:
        return self.base_dist.icdf((prob + 1) / 2)

    def entropy(self) -> Tensor:
        return self.base_dist.entropy() - math.log(2)
