"""``Poisson(rate)``: torch's sampler (Hoermann's transformed rejection for rate >= 10, the
product of uniforms below), so a seed gives torch's counts."""

from __future__ import annotations

import nnlite
from nnlite._tensor import Size, Tensor
from nnlite.distributions import rejection_samplers as _samplers
from nnlite.distributions.distribution import (
    Distribution,
    broadcast_all,
    nonnegative,
    nonnegative_integer,
)


def poisson(rate: Tensor, generator=None) -> Tensor:
    """``torch.poisson(rate)``: one count per element (float, rate's dtype); no gradient."""
    return Tensor._wrap(_samplers.poisson(rate.detach()._data, generator))


class Poisson(Distribution):
    """``P(k) = rate**k exp(-rate) / k!`` for integers ``k >= 0``.

    Example:
        >>> Poisson(torch.tensor([4.0])).sample()
    """

    arg_constraints = {"rate": nonnegative}
    support = nonnegative_integer

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

    def _in_support(self, v):
        return nonnegative_integer._check(v)

    def sample(self, sample_shape=Size()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        with nnlite.no_grad():
            return poisson(self.rate.expand(shape).contiguous())

    def log_prob(self, value: Tensor) -> Tensor:
        self._validate_sample(value)
        rate, value = broadcast_all(self.rate, value)
        return value.xlogy(rate) - rate - (value + 1).lgamma()
