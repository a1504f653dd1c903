"""``kl_divergence`` among LowRankMultivariateNormal and MultivariateNormal (the three pairs
torch has), through the capacitance factors: no ``n x n`` inverse of a low-rank covariance."""

from __future__ import annotations

import nnlite
from nnlite._tensor import Tensor
from nnlite.distributions.kl import register_kl
from nnlite.distributions.lowrank_multivariate_normal import (
    LowRankMultivariateNormal,
    _lowrank_logdet,
    _lowrank_mahalanobis,
)
from nnlite.distributions.multivariate_normal import MultivariateNormal, _mahalanobis

_GAP = " " * 26  # torch's messages carry the indentation of a continued string literal


def _trace_xxt(m: Tensor) -> Tensor:
    """``trace(M M^T)`` batch-wise: the sum of squares of each matrix."""
    return m.pow(2).sum((-2, -1))


def _check_events(p, q, what: str) -> None:
    if p.event_shape != q.event_shape:
        raise ValueError(f"KL-divergence between two {what} with{_GAP}different event shapes "
                         "cannot be computed")


def _q_lowrank_terms(p, q):
    """``log|Sigma_q|``, the Mahalanobis term and ``A = C_q^-1/2 W_q^T D_q^-1``."""
    W, Dq, C = q._unbroadcasted_cov_factor, q._unbroadcasted_cov_diag, q._capacitance_tril
    logdet = _lowrank_logdet(W, Dq, C)
    maha = _lowrank_mahalanobis(W, Dq, q.loc - p.loc, C)
    A = nnlite.linalg.solve_triangular(C, W.mT / Dq.unsqueeze(-2), upper=False)
    return logdet, maha, A


@register_kl(LowRankMultivariateNormal, LowRankMultivariateNormal)
def _kl_lowrank_lowrank(p, q):
    _check_events(p, q, "Low Rank Multivariate Normals")
    q_logdet, term3, A = _q_lowrank_terms(p, q)
    term1 = q_logdet - _lowrank_logdet(p._unbroadcasted_cov_factor, p._unbroadcasted_cov_diag,
                                       p._capacitance_tril)
    Dp, Dq = p._unbroadcasted_cov_diag, q._unbroadcasted_cov_diag
    Wp = p._unbroadcasted_cov_factor
    term21 = (Dp / Dq).sum(-1)
    term22 = _trace_xxt(Wp * Dq.rsqrt().unsqueeze(-1))
    term23 = _trace_xxt(A * Dp.sqrt().unsqueeze(-2))
    term24 = _trace_xxt(A.matmul(Wp))
    return 0.5 * (term1 + term21 + term22 - term23 - term24 + term3 - p.event_shape[0])


@register_kl(MultivariateNormal, LowRankMultivariateNormal)
def _kl_mvn_lowrank(p, q):
    _check_events(p, q, "(Low Rank) Multivariate Normals")
    q_logdet, term3, A = _q_lowrank_terms(p, q)
    Lp = p._unbroadcasted_scale_tril
    term1 = q_logdet - 2 * Lp.diagonal(dim1=-2, dim2=-1).log().sum(-1)
    term21 = _trace_xxt(Lp * q._unbroadcasted_cov_diag.rsqrt().unsqueeze(-1))
    term22 = _trace_xxt(A.matmul(Lp))
    return 0.5 * (term1 + term21 - term22 + term3 - p.event_shape[0])


@register_kl(LowRankMultivariateNormal, MultivariateNormal)
def _kl_lowrank_mvn(p, q):
    _check_events(p, q, "(Low Rank) Multivariate Normals")
    Lq = q._unbroadcasted_scale_tril
    term1 = (2 * Lq.diagonal(dim1=-2, dim2=-1).log().sum(-1)
             - _lowrank_logdet(p._unbroadcasted_cov_factor, p._unbroadcasted_cov_diag,
                               p._capacitance_tril))
    term3 = _mahalanobis(Lq, q.loc - p.loc)
    batch = tuple(nnlite.broadcast_shapes(Lq.shape[:-2],
                                          p._unbroadcasted_cov_factor.shape[:-2]))
    n = p.event_shape[0]
    Lq = Lq.expand(batch + (n, n))
    Wp = p._unbroadcasted_cov_factor.expand(batch + (n, p.cov_factor.shape[-1]))
    Dp_sqrt = nnlite.diag_embed(p._unbroadcasted_cov_diag.sqrt()).expand(batch + (n, n))
    term21 = _trace_xxt(nnlite.linalg.solve_triangular(Lq, Wp, upper=False))
    term22 = _trace_xxt(nnlite.linalg.solve_triangular(Lq, Dp_sqrt, upper=False))
    return 0.5 * (term1 + term21 + term22 + term3 - p.event_shape[0])
