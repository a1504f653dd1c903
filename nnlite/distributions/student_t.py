"""``StudentT(df, loc, scale)``: ``loc + scale * X / sqrt(Z / df)`` with ``X`` normal and ``Z``
chi-squared, drawn as torch draws them (so a seed gives torch's samples), reparameterized."""

from __future__ import annotations

import math

import nnlite
from nnlite._tensor import Size, Tensor
from nnlite.distributions import constraints
from nnlite.distributions.distribution import Distribution, broadcast_all
from nnlite.distributions.gamma import Chi2


class StudentT(Distribution):
    """Student's t with ``df`` degrees of freedom, shifted by ``loc`` and scaled by ``scale``.

    Example:
        >>> StudentT(torch.tensor([3.0])).rsample()
    """

    _expand_params = ('df', 'loc', 'scale')
    _expand_dists = ('_chi2',)
    arg_constraints = {"df": constraints.positive, "loc": constraints.real,
                       "scale": constraints.positive}
    support = constraints.real
    has_rsample = True

    def __init__(self, df, loc=0.0, scale=1.0, validate_args=None) -> None:
        self.df, self.loc, self.scale = broadcast_all(df, loc, scale)
        self._chi2 = Chi2(self.df)
        super().__init__(self.df.shape, validate_args=validate_args)

    @property
    def mean(self) -> Tensor:
        return nnlite.where(self.df <= 1, nnlite.full_like(self.loc, math.nan), self.loc)

    @property
    def mode(self) -> Tensor:
        return self.loc

    @property
    def variance(self) -> Tensor:
        df = self.df
        finite = self.scale.pow(2) * df / nnlite.where(df > 2, df - 2, nnlite.ones_like(df))
        out = nnlite.where(df > 2, finite, nnlite.full_like(df, math.inf))
        return nnlite.where(df <= 1, nnlite.full_like(df, math.nan), out)

    def rsample(self, sample_shape=Size()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        X = nnlite.empty(shape, dtype=self.df.dtype).normal_()
        Z = self._chi2.rsample(sample_shape)
        Y = X * nnlite.rsqrt(Z / self.df)
        return self.loc + self.scale * Y

    def log_prob(self, value: Tensor) -> Tensor:
        self._validate_sample(value)
        y = (value - self.loc) / self.scale
        Z = (self.scale.log() + 0.5 * self.df.log() + 0.5 * math.log(math.pi)
             + nnlite.lgamma(0.5 * self.df) - nnlite.lgamma(0.5 * (self.df + 1.0)))
        return -0.5 * (self.df + 1.0) * nnlite.log1p(y**2.0 / self.df) - Z

    def entropy(self) -> Tensor:
        lbeta = (nnlite.lgamma(0.5 * self.df) + math.lgamma(0.5)
                 - nnlite.lgamma(0.5 * (self.df + 1)))
        return (self.scale.log()
                + 0.5 * (self.df + 1) * (nnlite.digamma(0.5 * (self.df + 1))
                                         - nnlite.digamma(0.5 * self.df))
                + 0.5 * self.df.log() + lbeta)
