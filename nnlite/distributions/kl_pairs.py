"""Closed-form ``kl_divergence`` rules for the distributions added with MultivariateNormal,
Beta, Gamma, Dirichlet, Poisson, Binomial, Cauchy, Independent and TransformedDistribution
(torch's formulas); registered on import of :mod:`nnlite.distributions`."""

from __future__ import annotations

import math

import nnlite
from nnlite.distributions.binomial import Binomial
from nnlite.distributions.cauchy import Cauchy
from nnlite.distributions.dirichlet import Beta, Dirichlet
from nnlite.distributions.distribution import sum_rightmost
from nnlite.distributions.gamma import Gamma
from nnlite.distributions.independent import Independent
from nnlite.distributions.kl import kl_divergence, register_kl
from nnlite.distributions.multivariate_normal import MultivariateNormal, _mahalanobis
from nnlite.distributions.poisson import Poisson
from nnlite.distributions.transformed_distribution import TransformedDistribution


@register_kl(MultivariateNormal, MultivariateNormal)
def _kl_mvn_mvn(p, q):
    if p.event_shape != q.event_shape:
        raise ValueError("KL-divergence between two Multivariate Normals with different event "
                         "shapes cannot be computed")
    Lp, Lq = p._unbroadcasted_scale_tril, q._unbroadcasted_scale_tril
    half_term1 = (Lq.diagonal(dim1=-2, dim2=-1).log().sum(-1)
                  - Lp.diagonal(dim1=-2, dim2=-1).log().sum(-1))
    shape = tuple(nnlite.broadcast_shapes(Lq.shape[:-2], Lp.shape[:-2]))
    n = p.event_shape[0]
    sol = nnlite.linalg.solve_triangular(Lq.expand(shape + (n, n)), Lp.expand(shape + (n, n)),
                                         upper=False)
    term2 = sol.pow(2).sum((-2, -1))
    term3 = _mahalanobis(Lq, q.loc - p.loc)
    return half_term1 + 0.5 * (term2 + term3 - n)


@register_kl(Beta, Beta)
def _kl_beta_beta(p, q):
    sum_p = p.concentration1 + p.concentration0
    sum_q = q.concentration1 + q.concentration0
    t1 = q.concentration1.lgamma() + q.concentration0.lgamma() + sum_p.lgamma()
    t2 = p.concentration1.lgamma() + p.concentration0.lgamma() + sum_q.lgamma()
    t3 = (p.concentration1 - q.concentration1) * nnlite.digamma(p.concentration1)
    t4 = (p.concentration0 - q.concentration0) * nnlite.digamma(p.concentration0)
    t5 = (sum_q - sum_p) * nnlite.digamma(sum_p)
    return t1 - t2 + t3 + t4 + t5


@register_kl(Gamma, Gamma)
def _kl_gamma_gamma(p, q):
    t1 = q.concentration * nnlite.log(p.rate / q.rate)
    t2 = nnlite.lgamma(q.concentration) - nnlite.lgamma(p.concentration)
    t3 = (p.concentration - q.concentration) * nnlite.digamma(p.concentration)
    t4 = (q.rate - p.rate) * (p.concentration / p.rate)
    return t1 + t2 + t3 + t4


@register_kl(Dirichlet, Dirichlet)
def _kl_dirichlet_dirichlet(p, q):
    sum_p = p.concentration.sum(-1)
    sum_q = q.concentration.sum(-1)
    t1 = sum_p.lgamma() - sum_q.lgamma()
    t2 = (p.concentration.lgamma() - q.concentration.lgamma()).sum(-1)
    t3 = p.concentration - q.concentration
    t4 = p.concentration.digamma() - sum_p.digamma().unsqueeze(-1)
    return t1 - t2 + (t3 * t4).sum(-1)


@register_kl(Poisson, Poisson)
def _kl_poisson_poisson(p, q):
    return p.rate * (nnlite.log(p.rate) - nnlite.log(q.rate)) - (p.rate - q.rate)


@register_kl(Binomial, Binomial)
def _kl_binomial_binomial(p, q):
    if bool((p.total_count < q.total_count).any()):
        raise NotImplementedError("KL between Binomials where q.total_count > p.total_count "
                                  "is not implemented")
    kl = p.total_count * (p.probs * (p.logits - q.logits) + (-p.probs).log1p()
                          - (-q.probs).log1p())
    return nnlite.where(p.total_count > q.total_count, nnlite.full_like(kl, math.inf), kl)


@register_kl(Cauchy, Cauchy)
def _kl_cauchy_cauchy(p, q):
    t1 = ((p.scale + q.scale).pow(2) + (p.loc - q.loc).pow(2)).log()
    t2 = (4 * p.scale * q.scale).log()
    return t1 - t2


@register_kl(Independent, Independent)
def _kl_independent_independent(p, q):
    if p.reinterpreted_batch_ndims != q.reinterpreted_batch_ndims:
        raise NotImplementedError
    return sum_rightmost(kl_divergence(p.base_dist, q.base_dist), p.reinterpreted_batch_ndims)


@register_kl(TransformedDistribution, TransformedDistribution)
def _kl_transformed_transformed(p, q):
    if p.transforms != q.transforms:
        raise NotImplementedError
    if p.event_shape != q.event_shape:
        raise NotImplementedError
    return kl_divergence(p.base_dist, q.base_dist)
