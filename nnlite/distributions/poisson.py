"""``Poisson(rate)``: torch's sampler (Hoermann's transformed rejection for rate >= 10, the
product of uniforms below), so a seed gives torch's counts."""

from __future__ import annotations

import nnlite
from nnlite._tensor import Size, Tensor
from nnlite.distributions import constraints
from nnlite.distributions.distribution import broadcast_all
from nnlite.distributions.exp_family import ExponentialFamily


class Poisson(ExponentialFamily):
    """``P(k) = rate**k exp(-rate) / k!`` for integers ``k >= 0``.

    Example:
        >>> Poisson(torch.tensor([4.0])).sample()
    """

    _expand_params = ('rate',)
    arg_constraints = {"rate": constraints.nonnegative}
    support = constraints.nonnegative_integer

    def __init__(self, rate, validate_args=None) -> None:
        (self.rate,) = broadcast_all(rate)
        super().__init__(self.rate.shape, validate_args=validate_args)

    @property
    def mean(self) -> Tensor:
        return self.rate

    @property
    def mode(self) -> Tensor:
        return self.rate.floor()

    @property
    def variance(self) -> Tensor:
        return self.rate

    def sample(self, sample_shape=Size()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        with nnlite.no_grad():
            return nnlite.poisson(self.rate.expand(shape))

    def log_prob(self, value: Tensor) -> Tensor:
        self._validate_sample(value)
        rate, value = broadcast_all(self.rate, value)
        return value.xlogy(rate) - rate - (value + 1).lgamma()
