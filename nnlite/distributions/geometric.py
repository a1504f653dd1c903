"""``Geometric(probs | logits)``: the number of failures before the first success, sampled by
inversion of one uniform in ``[tiny, 1)`` as torch's (so a seed gives torch's counts)."""

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
from nnlite.nn import functional as F


class Geometric(Distribution):
    """``P(k) = (1 - p)**k p`` for integers ``k >= 0``; ``probs`` must be in ``(0, 1]``.

    Example:
        >>> Geometric(torch.tensor([0.3])).sample()
    """

    _expand_params = ('probs', 'logits')
    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.nonnegative_integer

    def __init__(self, probs=None, logits=None, validate_args=None) -> None:
        if (probs is None) == (logits is None):
            raise ValueError("Either `probs` or `logits` must be specified, but not both.")
        if probs is not None:
            (self.__dict__["probs"],) = broadcast_all(probs)
        else:
            (self.__dict__["logits"],) = broadcast_all(logits)
        param = self.__dict__.get("probs", self.__dict__.get("logits"))
        super().__init__(param.shape, validate_args=validate_args)
        if self._validate_args and probs is not None:
            value = self.probs
            valid = value > 0
            if not bool(valid.all()):
                raise ValueError(f"Expected parameter probs ({type(value).__name__} of shape "
                                 f"{tuple(value.shape)}) of distribution {self!r} to be "
                                 f"positive but found invalid values:\n{value[~valid]}")

    probs = lazy_property("probs", lambda self: logits_to_probs(self.logits, is_binary=True))
    logits = lazy_property("logits", lambda self: probs_to_logits(self.probs, is_binary=True))

    @property
    def mean(self) -> Tensor:
        return 1.0 / self.probs - 1.0

    @property
    def mode(self) -> Tensor:
        return nnlite.zeros_like(self.probs)

    @property
    def variance(self) -> Tensor:
        return (1.0 / self.probs - 1.0) / self.probs

    def sample(self, sample_shape=Size()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        tiny = nnlite.finfo(self.probs.dtype).tiny
        with nnlite.no_grad():
            u = nnlite.empty(shape, dtype=self.probs.dtype).uniform_(tiny, 1)
            return (u.log() / (-self.probs).log1p()).floor()

    def log_prob(self, value: Tensor) -> Tensor:
        self._validate_sample(value)
        value, probs = broadcast_all(value, self.probs)
        # P(0) = 1 when p == 1: 0 * log(0) must count as 0
        probs = nnlite.where((probs == 1) & (value == 0), nnlite.zeros_like(probs), probs)
        return value * (-probs).log1p() + self.probs.log()

    def entropy(self) -> Tensor:
        return F.binary_cross_entropy_with_logits(self.logits, self.probs,
                                                  reduction="none") / self.probs
