"""``Kumaraswamy(concentration1, concentration0)``: ``(1 - (1 - U)^(1/b))^(1/a)`` for uniform
``U``, a Beta-like law on ``[0, 1]`` with a closed-form cdf; built, as torch's, as a
TransformedDistribution of ``Uniform(0, 1)`` so samples and gradients match torch's."""

from __future__ import annotations

import nnlite
from nnlite._tensor import Tensor
from nnlite.distributions import constraints
from nnlite.distributions.distribution import broadcast_all
from nnlite.distributions.gumbel import _EULER
from nnlite.distributions.transformed_distribution import TransformedDistribution
from nnlite.distributions.transforms import AffineTransform, PowerTransform
from nnlite.distributions.uniform import Uniform


def _moments(a: Tensor, b: Tensor, n: int) -> Tensor:
    """``E[X^n] = b B(1 + n/a, b)``."""
    arg1 = 1 + n / a
    return b * (nnlite.lgamma(arg1) + nnlite.lgamma(b) - nnlite.lgamma(arg1 + b)).exp()


class Kumaraswamy(TransformedDistribution):
    """Density ``a b x^(a-1) (1 - x^a)^(b-1)`` on ``[0, 1]`` (``a = concentration1``,
    ``b = concentration0``).

    Example:
        >>> Kumaraswamy(torch.tensor([1.0]), torch.tensor([1.0])).rsample()
    """

    arg_constraints = {"concentration1": constraints.positive,
                       "concentration0": constraints.positive}
    support = constraints.unit_interval
    has_rsample = True
    _expand_params = ("concentration1", "concentration0")

    def __init__(self, concentration1, concentration0, validate_args=None) -> None:
        self.concentration1, self.concentration0 = broadcast_all(concentration1, concentration0)
        base_dist = Uniform(nnlite.full_like(self.concentration0, 0),
                            nnlite.full_like(self.concentration0, 1),
                            validate_args=validate_args)
        transforms = [PowerTransform(exponent=self.concentration0.reciprocal()),
                      AffineTransform(loc=1.0, scale=-1.0),
                      PowerTransform(exponent=self.concentration1.reciprocal())]
        super().__init__(base_dist, transforms, validate_args=validate_args)

    @property
    def mean(self) -> Tensor:
        return _moments(self.concentration1, self.concentration0, 1)

    @property
    def mode(self) -> Tensor:
        # torch's expression (NaN wherever concentration0 > 1, as torch's is) kept for parity
        a, b = self.concentration1, self.concentration0
        log_mode = b.reciprocal() * (-b).log1p() - (-b * a).log1p()
        log_mode = nnlite.where((b < 1) | (a < 1), nnlite.full_like(log_mode, float("nan")),
                                log_mode)
        return log_mode.exp()

    @property
    def variance(self) -> Tensor:
        return (_moments(self.concentration1, self.concentration0, 2)
                - self.mean.pow(2))

    def entropy(self) -> Tensor:
        t1 = 1 - self.concentration1.reciprocal()
        t0 = 1 - self.concentration0.reciprocal()
        H0 = nnlite.digamma(self.concentration0 + 1) + _EULER
        return t0 + t1 * H0 - self.concentration1.log() - self.concentration0.log()
