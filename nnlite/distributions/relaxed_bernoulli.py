"""``RelaxedBernoulli(temperature, probs | logits)`` (the binary Concrete / Gumbel-sigmoid) and
its logit-space base ``LogitRelaxedBernoulli``: reparameterized, seeded like torch's."""

from __future__ import annotations

from nnlite._tensor import Size, Tensor
from nnlite.distributions import constraints
from nnlite.distributions.distribution import (
    Distribution,
    broadcast_all,
    clamp_probs,
    clamped_uniforms,
    lazy_property,
    logits_to_probs,
    probs_to_logits,
)
from nnlite.distributions.transformed_distribution import TransformedDistribution
from nnlite.distributions.transforms import SigmoidTransform


class LogitRelaxedBernoulli(Distribution):
    """The logit of a ``RelaxedBernoulli``: ``(logit(u) + logit(p)) / temperature``."""

    _expand_params = ('probs', 'logits', '_param')
    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.real
    has_rsample = True

    def __init__(self, temperature, probs=None, logits=None, validate_args=None) -> None:
        self.temperature = temperature
        if (probs is None) == (logits is None):
            raise ValueError("Either `probs` or `logits` must be specified, but not both.")
        name = "probs" if probs is not None else "logits"
        (self.__dict__[name],) = broadcast_all(probs if probs is not None else logits)
        self._param = self.__dict__[name]
        super().__init__(self._param.shape, validate_args=validate_args)

    probs = lazy_property("probs", lambda self: logits_to_probs(self.logits, is_binary=True))
    logits = lazy_property("logits", lambda self: probs_to_logits(self.probs, is_binary=True))

    @property
    def param_shape(self) -> Size:
        return self._param.shape

    def rsample(self, sample_shape=Size()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        probs = clamp_probs(self.probs.expand(shape))
        uniforms = clamped_uniforms(shape, probs.dtype)
        return (uniforms.log() - (-uniforms).log1p() + probs.log()
                - (-probs).log1p()) / self.temperature

    def log_prob(self, value: Tensor) -> Tensor:
        self._validate_sample(value)
        logits, value = broadcast_all(self.logits, value)
        diff = logits - value.mul(self.temperature)
        return self.temperature.log() + diff - 2 * diff.exp().log1p()


class RelaxedBernoulli(TransformedDistribution):
    """``sigmoid`` of a ``LogitRelaxedBernoulli``: values in ``(0, 1)`` that approach 0/1
    samples of ``Bernoulli(probs)`` as ``temperature`` goes to 0.

    Example:
        >>> RelaxedBernoulli(torch.tensor(0.5), probs=torch.tensor([0.3])).rsample()
    """

    _expand_params = ()
    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.unit_interval
    has_rsample = True

    def __init__(self, temperature, probs=None, logits=None, validate_args=None) -> None:
        base_dist = LogitRelaxedBernoulli(temperature, probs, logits)
        super().__init__(base_dist, SigmoidTransform(), validate_args=validate_args)

    @property
    def temperature(self) -> Tensor:
        return self.base_dist.temperature

    @property
    def logits(self) -> Tensor:
        return self.base_dist.logits

    @property
    def probs(self) -> Tensor:
        return self.base_dist.probs
