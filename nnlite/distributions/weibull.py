"""``Weibull(scale, concentration)`` and ``Pareto(scale, alpha)``: transformed Exponentials as
torch's (``scale * E**(1/concentration)`` and ``scale * exp(E)``), so a seed gives torch's
samples and ``rsample`` keeps gradients."""

from __future__ import annotations

import nnlite
from nnlite._tensor import Tensor
from nnlite.distributions import constraints
from nnlite.distributions.distribution import broadcast_all
from nnlite.distributions.exponential import Exponential
from nnlite.distributions.transformed_distribution import TransformedDistribution
from nnlite.distributions.transforms import AffineTransform, ExpTransform, PowerTransform

_EULER = 0.57721566490153286060


class Weibull(TransformedDistribution):
    """Density ``(k/s) (x/s)**(k-1) exp(-(x/s)**k)`` on ``x > 0`` (``k = concentration``).

    Example:
        >>> Weibull(torch.tensor([1.0]), torch.tensor([2.0])).sample()
    """

    _expand_params = ('scale', 'concentration', 'concentration_reciprocal')
    arg_constraints = {"scale": constraints.positive, "concentration": constraints.positive}
    support = constraints.positive

    def __init__(self, scale, concentration, validate_args=None) -> None:
        self.scale, self.concentration = broadcast_all(scale, concentration)
        self.concentration_reciprocal = self.concentration.reciprocal()
        base_dist = Exponential(nnlite.ones_like(self.scale), validate_args=validate_args)
        transforms = [PowerTransform(exponent=self.concentration_reciprocal),
                      AffineTransform(loc=0, scale=self.scale)]
        super().__init__(base_dist, transforms, validate_args=validate_args)

    @property
    def mean(self) -> Tensor:
        return self.scale * nnlite.exp(nnlite.lgamma(1 + self.concentration_reciprocal))

    @property
    def mode(self) -> Tensor:
        return (self.scale * ((self.concentration - 1) / self.concentration)
                ** self.concentration.reciprocal())

    @property
    def variance(self) -> Tensor:
        return self.scale.pow(2) * (
            nnlite.exp(nnlite.lgamma(1 + 2 * self.concentration_reciprocal))
            - nnlite.exp(2 * nnlite.lgamma(1 + self.concentration_reciprocal)))

    def entropy(self) -> Tensor:
        return (_EULER * (1 - self.concentration_reciprocal)
                + nnlite.log(self.scale * self.concentration_reciprocal) + 1)


class Pareto(TransformedDistribution):
    """Density ``alpha scale**alpha / x**(alpha + 1)`` on ``x >= scale``.

    Example:
        >>> Pareto(torch.tensor([1.0]), torch.tensor([3.0])).sample()
    """

    _expand_params = ('scale', 'alpha')
    arg_constraints = {"alpha": constraints.positive, "scale": constraints.positive}

    def __init__(self, scale, alpha, validate_args=None) -> None:
        self.scale, self.alpha = broadcast_all(scale, alpha)
        base_dist = Exponential(self.alpha, validate_args=validate_args)
        transforms = [ExpTransform(), AffineTransform(loc=0, scale=self.scale)]
        super().__init__(base_dist, transforms, validate_args=validate_args)

    @property
    def mean(self) -> Tensor:
        a = self.alpha.clamp(min=1)  # infinite for alpha <= 1
        return a * self.scale / (a - 1)

    @property
    def mode(self) -> Tensor:
        return self.scale

    @property
    def variance(self) -> Tensor:
        a = self.alpha.clamp(min=2)  # infinite for alpha <= 2
        return self.scale.pow(2) * a / ((a - 1).pow(2) * (a - 2))

    @constraints.dependent_property(is_discrete=False, event_dim=0)
    def support(self):
        return constraints.greater_than_eq(self.scale)

    def entropy(self) -> Tensor:
        return (self.scale / self.alpha).log() + (1 + self.alpha.reciprocal())

