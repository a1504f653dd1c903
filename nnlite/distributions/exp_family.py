"""``ExponentialFamily``: the base of the families with density ``h(x) exp(<t(x), theta> -
F(theta))`` (torch's Bernoulli, Beta, ContinuousBernoulli, Dirichlet, Exponential, Gamma,
Normal, Poisson, Wishart). A subclass that gives ``_natural_params`` (``theta``) and
``_log_normalizer`` (``F``) gets ``entropy`` and, against its own type, ``kl_divergence`` as
the Bregman divergence of ``F`` through autograd."""

from __future__ import annotations

import nnlite
from nnlite.distributions.distribution import Distribution


class ExponentialFamily(Distribution):
    """A distribution of an exponential family (see the module docstring)."""

    @property
    def _natural_params(self) -> tuple:
        raise NotImplementedError

    def _log_normalizer(self, *natural_params):
        raise NotImplementedError

    @property
    def _mean_carrier_measure(self) -> float:
        raise NotImplementedError

    def entropy(self):
        """``F(theta) - <theta, grad F(theta)> - E[log h(x)]``."""
        result = -self._mean_carrier_measure
        nparams = [p.detach().requires_grad_() for p in self._natural_params]
        lg_normal = self._log_normalizer(*nparams)
        gradients = nnlite.autograd.grad(lg_normal.sum(), nparams, create_graph=True)
        result = result + lg_normal
        for p, g in zip(nparams, gradients):
            result = result - (p * g).reshape(tuple(self._batch_shape) + (-1,)).sum(-1)
        return result
