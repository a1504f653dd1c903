"""``Exponential(rate)``, reparameterized: ``rsample`` is ``Exp(1) / rate`` drawn with
``exponential_`` as torch draws it."""

from __future__ import annotations

import nnlite
from nnlite._tensor import Size, Tensor
from nnlite.distributions import constraints
from nnlite.distributions.distribution import broadcast_all
from nnlite.distributions.exp_family import ExponentialFamily


class Exponential(ExponentialFamily):
    """Density ``rate * exp(-rate * x)`` on ``x >= 0``.

    Example:
        >>> Exponential(torch.tensor([2.0])).sample()   # the same number as PyTorch's
    """

    _expand_params = ('rate',)
    arg_constraints = {"rate": constraints.positive}
    support = constraints.nonnegative
    has_rsample = True

    def __init__(self, rate, validate_args=None) -> None:
        (self.rate,) = broadcast_all(rate)
        super().__init__(self.rate.shape, validate_args=validate_args)

    @property
    def mean(self) -> Tensor:
        return self.rate.reciprocal()

    @property
    def mode(self) -> Tensor:
        return nnlite.zeros_like(self.rate)

    @property
    def stddev(self) -> Tensor:
        return self.rate.reciprocal()

    @property
    def variance(self) -> Tensor:
        return self.rate.pow(-2)

    def rsample(self, sample_shape=Size()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        return nnlite.empty(shape, dtype=self.rate.dtype).exponential_() / self.rate

    def sample(self, sample_shape=Size()) -> Tensor:
        with nnlite.no_grad():
            return self.rsample(sample_shape)

    def log_prob(self, value: Tensor) -> Tensor:
        self._validate_sample(value)
        return self.rate.log() - self.rate * value

    def cdf(self, value: Tensor) -> Tensor:
        return 1 - nnlite.exp(-self.rate * value)

    def icdf(self, value: Tensor) -> Tensor:
        return -nnlite.log1p(-value) / self.rate

    def entropy(self) -> Tensor:
        return 1.0 - nnlite.log(self.rate)
