"""The closed-form KL pairs torch registers for ``Geometric`` and ``Pareto`` (infinite where
the first support is not inside the second)."""

from __future__ import annotations

import math

import nnlite
from nnlite.distributions.dirichlet import Beta
from nnlite.distributions.exponential import Exponential
from nnlite.distributions.gamma import Gamma
from nnlite.distributions.geometric import Geometric
from nnlite.distributions.gumbel import Gumbel
from nnlite.distributions.kl import _inf_where, _infinite_like, register_kl
from nnlite.distributions.laplace import Laplace
from nnlite.distributions.normal import Normal
from nnlite.distributions.uniform import Uniform
from nnlite.distributions.weibull import Pareto


@register_kl(Geometric, Geometric)
def _kl_geometric_geometric(p, q):
    return -p.entropy() - nnlite.log1p(-q.probs) / p.probs - q.logits


@register_kl(Pareto, Pareto)
def _kl_pareto_pareto(p, q):
    scale_ratio = p.scale / q.scale
    alpha_ratio = q.alpha / p.alpha
    result = q.alpha * scale_ratio.log() - alpha_ratio.log() + alpha_ratio - 1
    return _inf_where(p.support.lower_bound < q.support.lower_bound, result)


@register_kl(Pareto, Exponential)
def _kl_pareto_exponential(p, q):
    scale_rate_prod = p.scale * q.rate
    result = ((p.alpha / scale_rate_prod).log() - p.alpha.reciprocal()
              + p.alpha * scale_rate_prod / (p.alpha - 1) - 1)
    return _inf_where(p.alpha <= 1, result)


@register_kl(Pareto, Gamma)
def _kl_pareto_gamma(p, q):
    common_term = p.scale.log() + p.alpha.reciprocal()
    t1 = p.alpha.log() - common_term
    t2 = q.concentration.lgamma() - q.concentration * q.rate.log()
    t3 = (1 - q.concentration) * common_term
    t4 = q.rate * p.alpha * p.scale / (p.alpha - 1)
    return _inf_where(p.alpha <= 1, t1 + t2 + t3 + t4 - 1)


@register_kl(Pareto, Normal)
def _kl_pareto_normal(p, q):
    var_normal = 2 * q.scale.pow(2)
    common_term = p.scale / (p.alpha - 1)
    t1 = (math.sqrt(2 * math.pi) * q.scale * p.alpha / p.scale).log()
    t2 = p.alpha.reciprocal()
    t3 = p.alpha * common_term.pow(2) / (p.alpha - 2)
    t4 = (p.alpha * common_term - q.loc).pow(2)
    return _inf_where(p.alpha <= 2, t1 - t2 + (t3 + t4) / var_normal - 1)


@register_kl(Pareto, Beta)
@register_kl(Pareto, Uniform)
def _kl_pareto_infinity(p, q):
    return _infinite_like(p.scale)


@register_kl(Uniform, Pareto)
def _kl_uniform_pareto(p, q):
    support_uniform = p.high - p.low
    t1 = (q.alpha * q.scale.pow(q.alpha) * support_uniform).log()
    t2 = (nnlite.xlogy(p.high, p.high) - nnlite.xlogy(p.low, p.low)
          - support_uniform) / support_uniform
    return _inf_where(p.low < q.support.lower_bound, t2 * (q.alpha + 1) - t1)


@register_kl(Exponential, Pareto)
def _kl_exponential_pareto(p, q):
    return _infinite_like(p.rate)


@register_kl(Beta, Pareto)
def _kl_beta_pareto(p, q):
    return _infinite_like(p.concentration1)


@register_kl(Gamma, Pareto)
def _kl_gamma_pareto(p, q):
    return _infinite_like(p.concentration)


@register_kl(Normal, Pareto)
@register_kl(Laplace, Pareto)
@register_kl(Gumbel, Pareto)
def _kl_location_scale_pareto(p, q):
    return _infinite_like(p.loc)
