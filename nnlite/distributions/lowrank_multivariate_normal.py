"""``LowRankMultivariateNormal(loc, cov_factor, cov_diag)``: the Gaussian with covariance
``W W^T + diag(D)``; ``log_prob`` and ``entropy`` work through the small ``m x m``
capacitance ``I + W^T D^-1 W`` (Woodbury identity, determinant lemma), never the ``n x n``
covariance. ``rsample`` is ``loc + W eps_W + sqrt(D) eps_D`` with torch's two normal draws, so
a seed gives torch's samples."""

from __future__ import annotations

import math

import nnlite
from nnlite._tensor import Size, Tensor
from nnlite.distributions import constraints
from nnlite.distributions.distribution import Distribution, lazy_property
from nnlite.distributions.multivariate_normal import _mahalanobis


def _batch_mv(mat: Tensor, vec: Tensor) -> Tensor:
    return nnlite.matmul(mat, vec.unsqueeze(-1)).squeeze(-1)


def _capacitance_tril(W: Tensor, D: Tensor) -> Tensor:
    """The Cholesky factor of ``I + W^T D^-1 W``."""
    m = W.shape[-1]
    K = nnlite.matmul(W.mT / D.unsqueeze(-2), W) + nnlite.eye(m, dtype=W.dtype)
    return nnlite.linalg.cholesky(K)


def _lowrank_logdet(W: Tensor, D: Tensor, cap_tril: Tensor) -> Tensor:
    """``log|W W^T + D| = log|C| + log|D|``."""
    return 2 * cap_tril.diagonal(dim1=-2, dim2=-1).log().sum(-1) + D.log().sum(-1)


def _lowrank_mahalanobis(W: Tensor, D: Tensor, x: Tensor, cap_tril: Tensor) -> Tensor:
    """``x^T (W W^T + D)^-1 x = x^T D^-1 x - |C^-1/2 W^T D^-1 x|^2``."""
    Wt_Dinv_x = _batch_mv(W.mT / D.unsqueeze(-2), x)
    return (x.pow(2) / D).sum(-1) - _mahalanobis(cap_tril, Wt_Dinv_x)


class LowRankMultivariateNormal(Distribution):
    """``N(loc, cov_factor @ cov_factor.T + diag(cov_diag))``.

    Args:
        loc: ``batch_shape + (n,)``.
        cov_factor: ``batch_shape + (n, m)``, the low-rank part ``W``.
        cov_diag: ``batch_shape + (n,)``, positive.

    Example:
        >>> d = LowRankMultivariateNormal(torch.zeros(2), torch.tensor([[1.0], [0.0]]),
        ...                               torch.ones(2))
        >>> d.rsample((3,)).shape
        torch.Size([3, 2])
    """

    arg_constraints = {"loc": constraints.real_vector,
                       "cov_factor": constraints.independent(constraints.real, 2),
                       "cov_diag": constraints.independent(constraints.positive, 1)}
    support = constraints.real_vector
    has_rsample = True
    _expand_params = ("loc", "cov_diag", "cov_factor", "variance", "scale_tril",
                      "covariance_matrix", "precision_matrix")

    def __init__(self, loc, cov_factor, cov_diag, validate_args=None) -> None:
        if loc.dim() < 1:
            raise ValueError("loc must be at least one-dimensional.")
        event_shape = loc.shape[-1:]
        if cov_factor.dim() < 2:
            raise ValueError("cov_factor must be at least two-dimensional, with optional "
                             "leading batch dimensions")
        if cov_factor.shape[-2:-1] != event_shape:
            raise ValueError(f"cov_factor must be a batch of matrices with shape "
                             f"{event_shape[0]} x m")
        if cov_diag.shape[-1:] != event_shape:
            raise ValueError(f"cov_diag must be a batch of vectors with shape {event_shape}")
        try:
            loc_, self.cov_factor, cov_diag_ = nnlite.broadcast_tensors(
                loc.unsqueeze(-1), cov_factor, cov_diag.unsqueeze(-1))
        except RuntimeError as err:
            raise ValueError(f"Incompatible batch shapes: loc {loc.shape}, cov_factor "
                             f"{cov_factor.shape}, cov_diag {cov_diag.shape}") from err
        self.loc = loc_[..., 0]
        self.cov_diag = cov_diag_[..., 0]
        self._unbroadcasted_cov_factor = cov_factor
        self._unbroadcasted_cov_diag = cov_diag
        self._capacitance_tril = _capacitance_tril(cov_factor, cov_diag)
        super().__init__(self.loc.shape[:-1], event_shape, validate_args=validate_args)

    def _full(self, matrix: Tensor) -> Tensor:
        return matrix.expand(tuple(self._batch_shape) + tuple(self._event_shape) * 2)

    @property
    def mean(self) -> Tensor:
        return self.loc

    @property
    def mode(self) -> Tensor:
        return self.loc

    variance = lazy_property("variance", lambda self: (
        self._unbroadcasted_cov_factor.pow(2).sum(-1) + self._unbroadcasted_cov_diag).expand(
            tuple(self._batch_shape) + tuple(self._event_shape)))

    def _scale_tril(self) -> Tensor:
        # D^1/2 chol(I + D^-1/2 W W^T D^-1/2): a Cholesky factor of W W^T + D
        n = self._event_shape[0]
        d_sqrt = self._unbroadcasted_cov_diag.sqrt().unsqueeze(-1)
        Dinvsqrt_W = self._unbroadcasted_cov_factor / d_sqrt
        K = nnlite.matmul(Dinvsqrt_W, Dinvsqrt_W.mT) + nnlite.eye(n, dtype=d_sqrt.dtype)
        return self._full(d_sqrt * nnlite.linalg.cholesky(K))

    def _precision(self) -> Tensor:
        Wt_Dinv = self._unbroadcasted_cov_factor.mT / self._unbroadcasted_cov_diag.unsqueeze(-2)
        A = nnlite.linalg.solve_triangular(self._capacitance_tril, Wt_Dinv, upper=False)
        return self._full(nnlite.diag_embed(self._unbroadcasted_cov_diag.reciprocal())
                          - nnlite.matmul(A.mT, A))

    scale_tril = lazy_property("scale_tril", _scale_tril)
    covariance_matrix = lazy_property("covariance_matrix", lambda self: self._full(
        nnlite.matmul(self._unbroadcasted_cov_factor, self._unbroadcasted_cov_factor.mT)
        + nnlite.diag_embed(self._unbroadcasted_cov_diag)))
    precision_matrix = lazy_property("precision_matrix", _precision)

    def rsample(self, sample_shape=Size()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        w_shape = tuple(shape[:-1]) + tuple(self.cov_factor.shape[-1:])
        eps_W = nnlite.empty(w_shape, dtype=self.loc.dtype).normal_()
        eps_D = nnlite.empty(shape, dtype=self.loc.dtype).normal_()
        return (self.loc + _batch_mv(self._unbroadcasted_cov_factor, eps_W)
                + self._unbroadcasted_cov_diag.sqrt() * eps_D)

    def _log_det(self) -> Tensor:
        return _lowrank_logdet(self._unbroadcasted_cov_factor, self._unbroadcasted_cov_diag,
                               self._capacitance_tril)

    def log_prob(self, value: Tensor) -> Tensor:
        self._validate_sample(value)
        M = _lowrank_mahalanobis(self._unbroadcasted_cov_factor, self._unbroadcasted_cov_diag,
                                 value - self.loc, self._capacitance_tril)
        return -0.5 * (self._event_shape[0] * math.log(2 * math.pi) + self._log_det() + M)

    def entropy(self) -> Tensor:
        H = 0.5 * (self._event_shape[0] * (1.0 + math.log(2 * math.pi)) + self._log_det())
        return H if len(self._batch_shape) == 0 else H.expand(self._batch_shape)
