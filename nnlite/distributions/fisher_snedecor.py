"""``FisherSnedecor(df1, df2)``: the F distribution, sampled as torch's: the ratio of two
Gamma draws ``Gamma(df/2, df)`` (reparameterized through the Gamma sampler's gradient)."""

from __future__ import annotations

import nnlite
from nnlite._tensor import Size, Tensor
from nnlite.distributions import constraints
from nnlite.distributions.distribution import Distribution, broadcast_all
from nnlite.distributions.gamma import Gamma

_NAN = float("nan")


class FisherSnedecor(Distribution):
    """``(X1 / df1) / (X2 / df2)`` for independent chi-square ``X1``, ``X2``.

    Example:
        >>> FisherSnedecor(torch.tensor([1.0]), torch.tensor([2.0])).sample()
    """

    arg_constraints = {"df1": constraints.positive, "df2": constraints.positive}
    support = constraints.positive
    has_rsample = True
    _expand_params = ("df1", "df2")
    _expand_dists = ("_gamma1", "_gamma2")

    def __init__(self, df1, df2, validate_args=None) -> None:
        self.df1, self.df2 = broadcast_all(df1, df2)
        self._gamma1 = Gamma(self.df1 * 0.5, self.df1)
        self._gamma2 = Gamma(self.df2 * 0.5, self.df2)
        super().__init__(self.df1.shape, validate_args=validate_args)

    @property
    def mean(self) -> Tensor:
        df2 = nnlite.where(self.df2 <= 2, nnlite.full_like(self.df2, _NAN), self.df2)
        return df2 / (df2 - 2)

    @property
    def mode(self) -> Tensor:
        mode = (self.df1 - 2) / self.df1 * self.df2 / (self.df2 + 2)
        return nnlite.where(self.df1 <= 2, nnlite.full_like(mode, _NAN), mode)

    @property
    def variance(self) -> Tensor:
        df2 = nnlite.where(self.df2 <= 4, nnlite.full_like(self.df2, _NAN), self.df2)
        return (2 * df2.pow(2) * (self.df1 + df2 - 2)
                / (self.df1 * (df2 - 2).pow(2) * (df2 - 4)))

    def rsample(self, sample_shape=Size()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        X1 = self._gamma1.rsample(sample_shape).view(shape)
        X2 = self._gamma2.rsample(sample_shape).view(shape)
        tiny = nnlite.finfo(X2.dtype).tiny
        return (X1 / X2.clamp(min=tiny)).clamp(min=tiny)

    def log_prob(self, value: Tensor) -> Tensor:
        self._validate_sample(value)
        ct1 = self.df1 * 0.5
        ct2 = self.df2 * 0.5
        ct3 = self.df1 / self.df2
        t1 = (ct1 + ct2).lgamma() - ct1.lgamma() - ct2.lgamma()
        t2 = ct1 * ct3.log() + (ct1 - 1) * nnlite.log(value)
        t3 = (ct1 + ct2) * nnlite.log1p(ct3 * value)
        return t1 + t2 - t3
