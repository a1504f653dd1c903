"""``GeneralizedPareto(loc, scale, concentration)``: the law of threshold exceedances, with
support ``[loc, loc - scale / concentration]`` for a negative concentration and
``[loc, inf)`` otherwise; ``rsample`` is the inverse cdf of one uniform draw, as torch's."""

from __future__ import annotations

import math

import nnlite
from nnlite._tensor import Size, Tensor
from nnlite.distributions import constraints
from nnlite.distributions.distribution import Distribution, broadcast_all

_NAN = float("nan")


class GeneralizedPareto(Distribution):
    """Survival ``(1 + c z)^(-1/c)`` for ``z = (x - loc) / scale`` (``exp(-z)`` at
    ``c = 0``).

    Example:
        >>> GeneralizedPareto(0.0, 1.0, 0.5).rsample((2,))
    """

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive,
                       "concentration": constraints.real}
    has_rsample = True
    _expand_params = ("loc", "scale", "concentration")

    def __init__(self, loc, scale, concentration, validate_args=None) -> None:
        self.loc, self.scale, self.concentration = broadcast_all(loc, scale, concentration)
        super().__init__(self.loc.shape, validate_args=validate_args)

    def _safe_concentration(self):
        eq_zero = nnlite.isclose(self.concentration, nnlite.zeros_like(self.concentration))
        return eq_zero, nnlite.where(eq_zero, nnlite.ones_like(self.concentration),
                                     self.concentration)

    def _z(self, x: Tensor) -> Tensor:
        return (x - self.loc) / self.scale

    def rsample(self, sample_shape=Size()) -> Tensor:
        u = nnlite.rand(self._extended_shape(sample_shape), dtype=self.loc.dtype)
        return self.icdf(u)

    def log_prob(self, value: Tensor) -> Tensor:
        self._validate_sample(value)
        z = self._z(value)
        eq_zero, safe = self._safe_concentration()
        y = 1 / safe + nnlite.ones_like(z)
        where_nonzero = nnlite.where(y == 0, y, y * nnlite.log1p(safe * z))
        return -self.scale.log() - nnlite.where(eq_zero, z, where_nonzero)

    def log_survival_function(self, value: Tensor) -> Tensor:
        self._validate_sample(value)
        z = self._z(value)
        eq_zero, safe = self._safe_concentration()
        return nnlite.where(eq_zero, -z, -nnlite.log1p(safe * z) / safe)

    def log_cdf(self, value: Tensor) -> Tensor:
        return nnlite.log1p(-nnlite.exp(self.log_survival_function(value)))

    def cdf(self, value: Tensor) -> Tensor:
        return nnlite.exp(self.log_cdf(value))

    def icdf(self, value: Tensor) -> Tensor:
        eq_zero, safe = self._safe_concentration()
        logu = nnlite.log1p(-value)
        where_nonzero = self.loc + self.scale / safe * nnlite.expm1(-safe * logu)
        return nnlite.where(eq_zero, self.loc - self.scale * logu, where_nonzero)

    @property
    def mean(self) -> Tensor:
        valid = self.concentration < 1
        safe = nnlite.where(valid, self.concentration, nnlite.full_like(self.concentration, 0.5))
        result = self.loc + self.scale / (1 - safe)
        return nnlite.where(valid, result, nnlite.full_like(result, _NAN))

    @property
    def variance(self) -> Tensor:
        valid = self.concentration < 0.5
        safe = nnlite.where(valid, self.concentration,
                            nnlite.full_like(self.concentration, 0.25))
        result = self.scale**2 / ((1 - safe) ** 2 * (1 - 2 * safe))
        return nnlite.where(valid, result, nnlite.full_like(result, _NAN))

    def entropy(self) -> Tensor:
        return (self.scale.log() + self.concentration + 1).expand(self._batch_shape)

    @property
    def mode(self) -> Tensor:
        return self.loc

    @constraints.dependent_property(is_discrete=False, event_dim=0)
    def support(self):
        lower = self.loc
        upper = nnlite.where(self.concentration < 0, lower - self.scale / self.concentration,
                             nnlite.full_like(lower, math.inf))
        return constraints.interval(lower, upper)
