"""``HalfNormal(scale)`` and ``LogNormal(loc, scale)``: the Normal folded at 0 and
exponentiated, sampled from ``Normal`` exactly as torch's transformed distributions are."""

from __future__ import annotations

import math

import nnlite
from nnlite._tensor import Size, Tensor
from nnlite.distributions import constraints
from nnlite.distributions.distribution import Distribution, broadcast_all
from nnlite.distributions.normal import Normal


class HalfNormal(Distribution):
    """``|X|`` for ``X ~ Normal(0, scale)``.

    Example:
        >>> HalfNormal(torch.tensor([1.0])).sample()
    """

    _expand_dists = ('base_dist',)
    arg_constraints = {"scale": constraints.positive}
    support = constraints.nonnegative
    has_rsample = True

    def __init__(self, scale, validate_args=None) -> None:
        (scale,) = broadcast_all(scale)
        # the parameters live on the base (torch's is a TransformedDistribution of it)
        self.base_dist = Normal(0, scale, validate_args=False)
        super().__init__(scale.shape, validate_args=validate_args)

    @property
    def scale(self) -> Tensor:
        return self.base_dist.scale

    @property
    def mean(self) -> Tensor:
        return self.scale * math.sqrt(2 / math.pi)

    @property
    def mode(self) -> Tensor:
        return nnlite.zeros_like(self.scale)

    @property
    def variance(self) -> Tensor:
        return self.scale.pow(2) * (1 - 2 / math.pi)

    def rsample(self, sample_shape=Size()) -> Tensor:
        return self.base_dist.rsample(sample_shape).abs()

    def sample(self, sample_shape=Size()) -> Tensor:
        with nnlite.no_grad():
            return self.base_dist.sample(sample_shape).abs()

    def log_prob(self, value: Tensor) -> Tensor:
        self._validate_sample(value)
        lp = self.base_dist.log_prob(value) + math.log(2)
        return nnlite.where(value >= 0, lp, -math.inf)

    def cdf(self, value: Tensor) -> Tensor:
        return 2 * self.base_dist.cdf(value) - 1

    def icdf(self, value: Tensor) -> Tensor:
        return self.base_dist.icdf((value + 1) / 2)

    def entropy(self) -> Tensor:
        return self.base_dist.entropy() - math.log(2)


class LogNormal(Distribution):
    """``exp(X)`` for ``X ~ Normal(loc, scale)``.

    Example:
        >>> LogNormal(torch.tensor([0.0]), torch.tensor([0.5])).sample()
    """

    _expand_dists = ('base_dist',)
    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.positive
    has_rsample = True

    def __init__(self, loc, scale, validate_args=None) -> None:
        self.base_dist = Normal(loc, scale, validate_args=validate_args)
        super().__init__(self.base_dist.loc.shape, validate_args=validate_args)

    @property
    def loc(self) -> Tensor:
        return self.base_dist.loc

    @property
    def scale(self) -> Tensor:
        return self.base_dist.scale

    @property
    def mean(self) -> Tensor:
        return (self.loc + self.scale.pow(2) / 2).exp()

    @property
    def mode(self) -> Tensor:
        return (self.loc - self.scale.square()).exp()

    @property
    def variance(self) -> Tensor:
        s2 = self.scale.pow(2)
        return s2.expm1() * (2 * self.loc + s2).exp()

    def rsample(self, sample_shape=Size()) -> Tensor:
        return self.base_dist.rsample(sample_shape).exp()

    def sample(self, sample_shape=Size()) -> Tensor:
        with nnlite.no_grad():
            return self.base_dist.sample(sample_shape).exp()

    def log_prob(self, value: Tensor) -> Tensor:
        self._validate_sample(value)
        y = value.log()
        return self.base_dist.log_prob(y) - y

    def cdf(self, value: Tensor) -> Tensor:
        return self.base_dist.cdf(value.log())

    def icdf(self, value: Tensor) -> Tensor:
        return self.base_dist.icdf(value).exp()

    def entropy(self) -> Tensor:
        return self.base_dist.entropy() + self.loc
