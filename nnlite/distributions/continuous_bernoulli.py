"""``ContinuousBernoulli(probs | logits, lims=(0.499, 0.501))``: the density ``C(p) p^x
(1-p)^(1-x)`` on ``[0, 1]`` (Loaiza-Ganem & Cunningham, 2019). Near ``p = 1/2`` the
normaliser and the moments are 0/0 forms, so inside ``lims`` they switch to torch's Taylor
expansions; ``rsample`` is the inverse cdf of one uniform draw, as torch's."""

from __future__ import annotations

import math

import nnlite
from nnlite._tensor import Size, Tensor
from nnlite.distributions import constraints
from nnlite.distributions.distribution import (
    broadcast_all,
    clamp_probs,
    lazy_property,
    logits_to_probs,
    probs_to_logits,
)
from nnlite.distributions.exp_family import ExponentialFamily
from nnlite.nn import functional as F


class ContinuousBernoulli(ExponentialFamily):
    """Exactly one of ``probs`` (clamped into ``(0, 1)``) or ``logits``.

    Example:
        >>> ContinuousBernoulli(torch.tensor([0.3])).rsample()
    """

    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.unit_interval
    has_rsample = True
    _mean_carrier_measure = 0
    _expand_params = ("probs", "logits", "_param")

    def __init__(self, probs=None, logits=None, lims=(0.499, 0.501), validate_args=None):
        if (probs is None) == (logits is None):
            raise ValueError("Either `probs` or `logits` must be specified, but not both.")
        if probs is not None:
            (p,) = broadcast_all(probs)
            # torch checks the raw probs whenever validate_args is given, even False
            if validate_args is not None and not bool(
                    self.arg_constraints["probs"].check(p).all()):
                raise ValueError("The parameter probs has invalid values")
            self.__dict__["probs"] = clamp_probs(p)
            self._param = self.__dict__["probs"]
        else:
            (self.__dict__["logits"],) = broadcast_all(logits)
            self._param = self.__dict__["logits"]
        self._lims = lims
        super().__init__(self._param.shape, validate_args=validate_args)

    logits = lazy_property("logits", lambda self: probs_to_logits(self.probs, is_binary=True))
    probs = lazy_property("probs", lambda self: clamp_probs(
        logits_to_probs(self.logits, is_binary=True)))

    @property
    def param_shape(self) -> Size:
        return self._param.shape

    def _outside_unstable_region(self) -> Tensor:
        return (self.probs <= self._lims[0]) | (self.probs > self._lims[1])

    def _cut_probs(self) -> Tensor:
        return nnlite.where(self._outside_unstable_region(), self.probs,
                            self._lims[0] * nnlite.ones_like(self.probs))

    def _cont_bern_log_norm(self) -> Tensor:
        """``log C(p)``, by its Taylor series in ``(p - 1/2)^2`` inside ``lims``."""
        cut = self._cut_probs()
        below = nnlite.where(cut <= 0.5, cut, nnlite.zeros_like(cut))
        above = nnlite.where(cut >= 0.5, cut, nnlite.ones_like(cut))
        log_norm = (nnlite.log1p(-cut) - cut.log()).abs().log() - nnlite.where(
            cut <= 0.5, nnlite.log1p(-2.0 * below), (2.0 * above - 1.0).log())
        x = (self.probs - 0.5).pow(2)
        taylor = math.log(2.0) + (4.0 / 3.0 + 104.0 / 45.0 * x) * x
        return nnlite.where(self._outside_unstable_region(), log_norm, taylor)

    @property
    def mean(self) -> Tensor:
        cut = self._cut_probs()
        mus = cut / (2.0 * cut - 1.0) + 1.0 / (nnlite.log1p(-cut) - cut.log())
        x = self.probs - 0.5
        taylor = 0.5 + (1.0 / 3.0 + 16.0 / 45.0 * x.pow(2)) * x
        return nnlite.where(self._outside_unstable_region(), mus, taylor)

    @property
    def stddev(self) -> Tensor:
        return self.variance.sqrt()

    @property
    def variance(self) -> Tensor:
        cut = self._cut_probs()
        vars_ = (cut * (cut - 1.0) / (1.0 - 2.0 * cut).pow(2)
                 + 1.0 / (nnlite.log1p(-cut) - cut.log()).pow(2))
        x = (self.probs - 0.5).pow(2)
        taylor = 1.0 / 12.0 - (1.0 / 15.0 - 128.0 / 945.0 * x) * x
        return nnlite.where(self._outside_unstable_region(), vars_, taylor)

    def sample(self, sample_shape=Size()) -> Tensor:
        u = nnlite.rand(self._extended_shape(sample_shape), dtype=self.probs.dtype)
        with nnlite.no_grad():
            return self.icdf(u)

    def rsample(self, sample_shape=Size()) -> Tensor:
        u = nnlite.rand(self._extended_shape(sample_shape), dtype=self.probs.dtype)
        return self.icdf(u)

    def log_prob(self, value: Tensor) -> Tensor:
        self._validate_sample(value)
        logits, value = broadcast_all(self.logits, value)
        return (-F.binary_cross_entropy_with_logits(logits, value, reduction="none")
                + self._cont_bern_log_norm())

    def cdf(self, value: Tensor) -> Tensor:
        self._validate_sample(value)
        cut = self._cut_probs()
        cdfs = ((cut.pow(value) * (1.0 - cut).pow(1.0 - value) + cut - 1.0)
                / (2.0 * cut - 1.0))
        unbounded = nnlite.where(self._outside_unstable_region(), cdfs, value)
        return nnlite.where(value <= 0.0, nnlite.zeros_like(value),
                            nnlite.where(value >= 1.0, nnlite.ones_like(value), unbounded))

    def icdf(self, value: Tensor) -> Tensor:
        cut = self._cut_probs()
        return nnlite.where(
            self._outside_unstable_region(),
            (nnlite.log1p(-cut + value * (2.0 * cut - 1.0)) - nnlite.log1p(-cut))
            / (cut.log() - nnlite.log1p(-cut)),
            value)

    def entropy(self) -> Tensor:
        log_probs0 = nnlite.log1p(-self.probs)
        log_probs1 = self.probs.log()
        return (self.mean * (log_probs0 - log_probs1) - self._cont_bern_log_norm()
                - log_probs0)

    @property
    def _natural_params(self):
        return (self.logits,)

    def _log_normalizer(self, x: Tensor) -> Tensor:
        """``log C`` as a function of the natural parameter (for the exponential-family
        entropy and KL)."""
        outside = (x <= self._lims[0] - 0.5) | (x > self._lims[1] - 0.5)
        cut = nnlite.where(outside, x, (self._lims[0] - 0.5) * nnlite.ones_like(x))
        log_norm = nnlite.expm1(cut).abs().log() - cut.abs().log()
        taylor = 0.5 * x + x.pow(2) / 24.0 - x.pow(4) / 2880.0
        return nnlite.where(outside, log_norm, taylor)
