"""``Bernoulli(probs=... | logits=...)``: 1 with probability ``probs``, else 0."""

from __future__ import annotations

import nnlite
from nnlite._tensor import Size, Tensor
from nnlite.distributions import constraints
from nnlite.distributions.distribution import (
    broadcast_all,
    lazy_property,
    logits_to_probs,
    probs_to_logits,
)
from nnlite.distributions.exp_family import ExponentialFamily
from nnlite.nn import functional as F

_lazy = lazy_property


class Bernoulli(ExponentialFamily):
    """Exactly one of ``probs`` or ``logits``; samples are floats 0./1. of the batch shape."""

    _expand_params = ('probs', 'logits')
    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.boolean
    has_enumerate_support = True

    def __init__(self, probs=None, logits=None, validate_args=None) -> None:
        if (probs is None) == (logits is None):
            raise ValueError("Either `probs` or `logits` must be specified, but not both.")
        if probs is not None:
            (self.__dict__["probs"],) = broadcast_all(probs)
            shape = self.probs.shape
        else:
            (self.__dict__["logits"],) = broadcast_all(logits)
            shape = self.logits.shape
        super().__init__(shape, validate_args=validate_args)

    probs = _lazy("probs", lambda self: logits_to_probs(self.logits, is_binary=True))
    logits = _lazy("logits", lambda self: probs_to_logits(self.probs, is_binary=True))

    @property
    def param_shape(self) -> Size:
        return self.__dict__["probs" if "probs" in self.__dict__ else "logits"].shape

    @property
    def mean(self) -> Tensor:
        return self.probs

    @property
    def variance(self) -> Tensor:
        return self.probs * (1 - self.probs)

    def sample(self, sample_shape=Size()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        with nnlite.no_grad():
            return nnlite.bernoulli(self.probs.expand(shape))

    def log_prob(self, value: Tensor) -> Tensor:
        self._validate_sample(value)
        logits, value = broadcast_all(self.logits, value)
        return -F.binary_cross_entropy_with_logits(logits, value, reduction="none")

    def entropy(self) -> Tensor:
        return F.binary_cross_entropy_with_logits(self.logits, self.probs, reduction="none")

    def enumerate_support(self, expand: bool = True) -> Tensor:
        values = nnlite.arange(2, dtype=self.probs.dtype)
        values = values.view((-1,) + (1,) * len(self.batch_shape))
        return values.expand((-1,) + tuple(self.batch_shape)) if expand else values
