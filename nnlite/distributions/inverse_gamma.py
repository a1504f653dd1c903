"""``InverseGamma(concentration, rate)``: ``1 / X`` for ``X ~ Gamma(concentration, rate)``,
a TransformedDistribution through ``PowerTransform(-1)`` as torch's (same samples)."""

from __future__ import annotations

import nnlite
from nnlite._tensor import Tensor
from nnlite.distributions import constraints
from nnlite.distributions.gamma import Gamma
from nnlite.distributions.transformed_distribution import TransformedDistribution
from nnlite.distributions.transforms import PowerTransform


class InverseGamma(TransformedDistribution):
    """Density ``rate^c x^(-c-1) exp(-rate / x) / Gamma(c)`` on ``x > 0``.

    Example:
        >>> InverseGamma(torch.tensor([2.0]), torch.tensor([3.0])).rsample()
    """

    arg_constraints = {"concentration": constraints.positive, "rate": constraints.positive}
    support = constraints.positive
    has_rsample = True
    _expand_params: tuple = ()

    def __init__(self, concentration, rate, validate_args=None) -> None:
        base_dist = Gamma(concentration, rate, validate_args=validate_args)
        neg_one = -base_dist.rate.new_ones(())
        super().__init__(base_dist, PowerTransform(neg_one), validate_args=validate_args)

    @property
    def concentration(self) -> Tensor:
        return self.base_dist.concentration

    @property
    def rate(self) -> Tensor:
        return self.base_dist.rate

    @property
    def mean(self) -> Tensor:
        result = self.rate / (self.concentration - 1)
        return nnlite.where(self.concentration > 1, result, nnlite.full_like(result,
                                                                             float("inf")))

    @property
    def mode(self) -> Tensor:
        return self.rate / (self.concentration + 1)

    @property
    def variance(self) -> Tensor:
        result = self.rate.pow(2) / ((self.concentration - 1).pow(2) * (self.concentration - 2))
        return nnlite.where(self.concentration > 2, result, nnlite.full_like(result,
                                                                             float("inf")))

    def entropy(self) -> Tensor:
        c = self.concentration
        return c + self.rate.log() + c.lgamma() - (1 + c) * c.digamma()
