"""``Multinomial(total_count, probs | logits)``: counts of ``total_count`` Categorical draws,
sampled as torch's (the same ``multinomial`` draws scattered into counts), so a seed gives
torch's counts."""

from __future__ import annotations

import math

import nnlite
from nnlite._tensor import Size, Tensor
from nnlite.distributions import constraints
from nnlite.distributions.binomial import Binomial
from nnlite.distributions.categorical import CategoryCounts
from nnlite.distributions.distribution import broadcast_all


class Multinomial(CategoryCounts):
    """Counts over ``K`` categories (the last dim) summing to ``total_count``.

    Example:
        >>> Multinomial(10, torch.tensor([1.0, 1.0, 2.0])).sample()
    """

    _expand_dists = ('_categorical',)
    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}

    def __init__(self, total_count=1, probs=None, logits=None, validate_args=None) -> None:
        if not isinstance(total_count, int):
            raise NotImplementedError("inhomogeneous total_count is not supported")
        self.total_count = total_count
        super().__init__(probs, logits, validate_args=validate_args)

    @property
    def mean(self) -> Tensor:
        return self.probs * self.total_count

    @property
    def variance(self) -> Tensor:
        return self.total_count * self.probs * (1 - self.probs)

    def entropy(self) -> Tensor:
        n = nnlite.tensor(float(self.total_count), dtype=self.probs.dtype)
        term1 = n * self._categorical.entropy() - nnlite.lgamma(n + 1)
        binomial = Binomial(self.total_count, self.probs)
        support = binomial.enumerate_support(expand=False)[1:]
        binomial_probs = nnlite.exp(binomial.log_prob(support))
        weights = nnlite.lgamma(support + 1)
        return term1 + (binomial_probs * weights).sum([0, -1])

    @constraints.dependent_property(is_discrete=True, event_dim=1)
    def support(self):
        return constraints.multinomial(self.total_count)

    def sample(self, sample_shape=Size()) -> Tensor:
        sample_shape = Size(sample_shape)
        samples = self._categorical.sample(Size((self.total_count,)) + sample_shape)
        idx = list(range(samples.dim()))
        idx.append(idx.pop(0))
        samples = samples.permute(*idx)
        counts = nnlite.zeros(self._extended_shape(sample_shape), dtype=samples.dtype)
        counts.scatter_add_(-1, samples, nnlite.ones_like(samples))
        return counts.type_as(self.probs)

    def log_prob(self, value: Tensor) -> Tensor:
        self._validate_sample(value)
        logits, value = broadcast_all(self.logits, value)
        log_factorial_n = nnlite.lgamma(value.sum(-1) + 1)
        log_factorial_xs = nnlite.lgamma(value + 1).sum(-1)
        logits = nnlite.where((value == 0) & (logits == -math.inf), nnlite.zeros_like(logits),
                              logits)
        log_powers = (logits * value).sum(-1)
        return log_factorial_n - log_factorial_xs + log_powers
