"""``NegativeBinomial(total_count, probs | logits)``: failures before ``total_count``
successes, sampled as torch's Gamma-Poisson mixture (so a seed gives torch's counts)."""

from __future__ import annotations

import nnlite
from nnlite._tensor import Size, Tensor
from nnlite.distributions import constraints
from nnlite.distributions.distribution import (
    Distribution,
    broadcast_all,
    lazy_property,
    logits_to_probs,
    probs_to_logits,
)
from nnlite.distributions.gamma import Gamma
from nnlite.nn import functional as F


class NegativeBinomial(Distribution):
    """``P(k) = C(k + r - 1, k) p**k (1 - p)**r`` (``r = total_count``, ``p = probs``, the
    probability of each success counted).

    Example:
        >>> NegativeBinomial(5.0, torch.tensor([0.4])).sample()
    """

    _expand_params = ('total_count', 'probs', 'logits', '_param')
    arg_constraints = {"total_count": constraints.greater_than_eq(0),
                       "probs": constraints.half_open_interval(0.0, 1.0),
                       "logits": constraints.real}
    support = constraints.nonnegative_integer

    def __init__(self, total_count, probs=None, logits=None, validate_args=None) -> None:
        if (probs is None) == (logits is None):
            raise ValueError("Either `probs` or `logits` must be specified, but not both.")
        name = "probs" if probs is not None else "logits"
        self.total_count, param = broadcast_all(total_count, probs if probs is not None
                                                else logits)
        self.total_count = self.total_count.type_as(param)
        self.__dict__[name] = param
        self._param = param
        super().__init__(param.shape, validate_args=validate_args)

    probs = lazy_property("probs", lambda self: logits_to_probs(self.logits, is_binary=True))
    logits = lazy_property("logits", lambda self: probs_to_logits(self.probs, is_binary=True))

    @property
    def param_shape(self) -> Size:
        return self._param.shape

    @property
    def mean(self) -> Tensor:
        return self.total_count * nnlite.exp(self.logits)

    @property
    def mode(self) -> Tensor:
        return ((self.total_count - 1) * self.logits.exp()).floor().clamp(min=0.0)

    @property
    def variance(self) -> Tensor:
        return self.mean / nnlite.sigmoid(-self.logits)

    @property
    def _gamma(self) -> Gamma:
        # not validated: total_count may be zero
        return Gamma(self.total_count, nnlite.exp(-self.logits), validate_args=False)

    def sample(self, sample_shape=Size()) -> Tensor:
        with nnlite.no_grad():
            rate = self._gamma.sample(sample_shape)
            return nnlite.poisson(rate)

    def log_prob(self, value: Tensor) -> Tensor:
        self._validate_sample(value)
        log_unnormalized = (self.total_count * F.logsigmoid(-self.logits)
                            + value * F.logsigmoid(self.logits))
        log_normalization = (-nnlite.lgamma(self.total_count + value)
                             + nnlite.lgamma(1.0 + value) + nnlite.lgamma(self.total_count))
        # total_count == value == 0 has probability 1, though lgamma(0) is infinite
        log_normalization = log_normalization.masked_fill(self.total_count + value == 0.0, 0.0)
        return log_unnormalized - log_normalization
