"""``Categorical`` (an index in ``0..K-1``) and ``OneHotCategorical`` (its one-hot vector)."""

from __future__ import annotations

import nnlite
from nnlite._tensor import Size, Tensor
from nnlite.distributions import constraints
from nnlite.distributions.bernoulli import _lazy
from nnlite.distributions.distribution import Distribution, logits_to_probs, probs_to_logits
from nnlite.nn import functional as F


class Categorical(Distribution):
    """A distribution over ``K`` categories given ``probs`` (any non-negative weights, normalised
    over the last dim) or ``logits`` (unnormalised log-probabilities).

    ``sample`` draws with ``multinomial`` as PyTorch does, so a seed gives the same indices.

    Example:
        >>> d = Categorical(logits=torch.tensor([0.0, 1.0, 2.0]))
        >>> d.sample((4,)).shape, d.log_prob(torch.tensor(2))
    """

    _expand_params = ('probs', 'logits', '_param')
    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}
    has_enumerate_support = True

    def __init__(self, probs=None, logits=None, validate_args=None) -> None:
        if (probs is None) == (logits is None):
            raise ValueError("Either `probs` or `logits` must be specified, but not both.")
        if probs is not None:
            if probs.dim() < 1:
                raise ValueError("`probs` parameter must be at least one-dimensional.")
            self.__dict__["probs"] = probs / probs.sum(-1, keepdim=True)
            param = self.probs
        else:
            if logits.dim() < 1:
                raise ValueError("`logits` parameter must be at least one-dimensional.")
            self.__dict__["logits"] = logits - logits.logsumexp(dim=-1, keepdim=True)
            param = self.logits
        self._param = param
        self._num_events = param.shape[-1]
        batch_shape = param.shape[:-1] if param.dim() > 1 else Size()
        super().__init__(batch_shape, validate_args=validate_args)

    probs = _lazy("probs", lambda self: logits_to_probs(self.logits))
    logits = _lazy("logits", lambda self: probs_to_logits(self.probs))

    @property
    def param_shape(self) -> Size:
        return self._param.shape

    @property
    def mean(self) -> Tensor:
        return nnlite.full(self._extended_shape(), float("nan"), dtype=self.probs.dtype)

    @property
    def mode(self) -> Tensor:
        return self.probs.argmax(-1)

    @property
    def variance(self) -> Tensor:
        return nnlite.full(self._extended_shape(), float("nan"), dtype=self.probs.dtype)

    def sample(self, sample_shape=Size()) -> Tensor:
        sample_shape = Size(sample_shape)
        probs_2d = self.probs.reshape(-1, self._num_events)
        with nnlite.no_grad():
            samples_2d = nnlite.multinomial(probs_2d, sample_shape.numel(), True).T
        return samples_2d.reshape(self._extended_shape(sample_shape))

    @constraints.dependent_property(is_discrete=True, event_dim=0)
    def support(self):
        return constraints.integer_interval(0, self._num_events - 1)

    def log_prob(self, value: Tensor) -> Tensor:
        self._validate_sample(value)
        value = value.long().unsqueeze(-1)
        value, log_pmf = nnlite.broadcast_tensors(value, self.logits)
        value = value[..., :1]
        return log_pmf.gather(-1, value).squeeze(-1)

    def entropy(self) -> Tensor:
        min_real = nnlite.finfo(self.logits.dtype).min
        logits = self.logits.clamp(min=min_real)
        return -(logits * self.probs).sum(-1)

    def enumerate_support(self, expand: bool = True) -> Tensor:
        values = nnlite.arange(self._num_events, dtype=nnlite.long)
        values = values.view((-1,) + (1,) * len(self.batch_shape))
        return values.expand((-1,) + tuple(self.batch_shape)) if expand else values


class CategoryCounts(Distribution):
    """What the vector-valued distributions over ``K`` categories share (OneHotCategorical,
    Multinomial): a ``Categorical`` of the same ``probs``/``logits`` underneath, and an event
    of the last dim."""

    _expand_dists = ('_categorical',)
    def __init__(self, probs=None, logits=None, validate_args=None) -> None:
        self._categorical = Categorical(probs, logits)
        param = self._categorical._param
        super().__init__(self._categorical.batch_shape, param.shape[-1:],
                         validate_args=validate_args)

    @property
    def probs(self) -> Tensor:
        return self._categorical.probs

    @property
    def logits(self) -> Tensor:
        return self._categorical.logits

    @property
    def param_shape(self) -> Size:
        return self._categorical.param_shape


class OneHotCategorical(CategoryCounts):
    """``Categorical`` whose samples are one-hot vectors of length ``K`` (same draws)."""

    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}
    support = constraints.one_hot
    has_enumerate_support = True

    @property
    def mean(self) -> Tensor:
        return self._categorical.probs

    @property
    def variance(self) -> Tensor:
        p = self._categorical.probs
        return p * (1 - p)

    def sample(self, sample_shape=Size()) -> Tensor:
        indices = self._categorical.sample(sample_shape)
        return F.one_hot(indices, self._categorical._num_events).to(self.probs.dtype)

    def log_prob(self, value: Tensor) -> Tensor:
        self._validate_sample(value)
        return self._categorical.log_prob(value.max(-1)[1])

    def entropy(self) -> Tensor:
        return self._categorical.entropy()


class OneHotCategoricalStraightThrough(OneHotCategorical):
    """``OneHotCategorical`` with the straight-through gradient (Bengio et al., 2013):
    ``rsample`` is the one-hot sample in value and ``probs`` in gradient."""

    has_rsample = True

    def rsample(self, sample_shape=Size()) -> Tensor:
        samples = self.sample(sample_shape)
        probs = self._categorical.probs
        return samples + (probs - probs.detach())
