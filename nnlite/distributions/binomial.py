"""``Binomial(total_count, probs | logits)``: torch's sampler (BTRS for n p >= 10, geometric
inversion below), so a seed gives torch's counts."""

from __future__ import annotations

import nnlite
from nnlite._tensor import Size, Tensor
from nnlite.distributions import constraints
from nnlite.distributions.bernoulli import _lazy
from nnlite.distributions.distribution import (
    Distribution,
    broadcast_all,
    logits_to_probs,
    probs_to_logits,
)


def _clamp_by_zero(x: Tensor) -> Tensor:
    return (x.clamp(min=0) + x - x.clamp(max=0)) / 2


class Binomial(Distribution):
    """The number of successes in ``total_count`` trials of probability ``probs``.

    Example:
        >>> Binomial(10, torch.tensor([0.3])).sample()
    """

    _expand_params = ('total_count', 'probs', 'logits')
    arg_constraints = {"total_count": constraints.nonnegative_integer,
                       "probs": constraints.unit_interval, "logits": constraints.real}
    has_enumerate_support = True

    def __init__(self, total_count=1, probs=None, logits=None, validate_args=None) -> None:
        if (probs is None) == (logits is None):
            raise ValueError("Either `probs` or `logits` must be specified, but not both.")
        if probs is not None:
            self.total_count, p = broadcast_all(total_count, probs)
            self.total_count = self.total_count.type_as(p)
            self.__dict__["probs"] = p
        else:
            self.total_count, lg = broadcast_all(total_count, logits)
            self.total_count = self.total_count.type_as(lg)
            self.__dict__["logits"] = lg
        param = self.__dict__.get("probs", self.__dict__.get("logits"))
        super().__init__(param.shape, validate_args=validate_args)

    probs = _lazy("probs", lambda self: logits_to_probs(self.logits, is_binary=True))
    logits = _lazy("logits", lambda self: probs_to_logits(self.probs, is_binary=True))

    @constraints.dependent_property(is_discrete=True, event_dim=0)
    def support(self):
        return constraints.integer_interval(0, self.total_count)

    @property
    def mean(self) -> Tensor:
        return self.total_count * self.probs

    @property
    def mode(self) -> Tensor:
        return ((self.total_count + 1) * self.probs).floor().clamp(max=self.total_count)

    @property
    def variance(self) -> Tensor:
        return self.total_count * self.probs * (1 - self.probs)

    def sample(self, sample_shape=Size()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        with nnlite.no_grad():
            return nnlite.binomial(self.total_count.expand(shape), self.probs.expand(shape))

    def log_prob(self, value: Tensor) -> Tensor:
        self._validate_sample(value)
        log_factorial_n = nnlite.lgamma(self.total_count + 1)
        log_factorial_k = nnlite.lgamma(value + 1)
        log_factorial_nmk = nnlite.lgamma(self.total_count - value + 1)
        normalize_term = (self.total_count * _clamp_by_zero(self.logits)
                          + self.total_count * nnlite.log1p(nnlite.exp(-nnlite.abs(self.logits)))
                          - log_factorial_n)
        return value * self.logits - log_factorial_k - log_factorial_nmk - normalize_term

    def enumerate_support(self, expand: bool = True) -> Tensor:
        total = int(self.total_count.max())
        if not int(self.total_count.min()) == total:
            raise NotImplementedError("Inhomogeneous total count not supported by "
                                      "`enumerate_support`.")
        values = nnlite.arange(1 + total, dtype=self.probs.dtype)
        values = values.view((-1,) + (1,) * len(self._batch_shape))
        if expand:
            values = values.expand((-1,) + tuple(self._batch_shape))
        return values

    def entropy(self) -> Tensor:
        total = int(self.total_count.max())
        if not int(self.total_count.min()) == total:
            raise NotImplementedError("Inhomogeneous total count not supported by `entropy`.")
        log_prob = self.log_prob(self.enumerate_support(False))
        return -(nnlite.exp(log_prob) * log_prob).sum(0)


