"""``MultivariateNormal(loc, covariance_matrix | precision_matrix | scale_tril)``: the Gaussian
in ``d`` dims through its lower Cholesky factor ``L`` (``Sigma = L L^T``); ``rsample`` is
``loc + L @ eps`` with torch's normal draws, so a seed gives torch's samples and gradients flow
to every parameter."""

from __future__ import annotations

import math

import nnlite
from nnlite._tensor import Size, Tensor
from nnlite.distributions import constraints
from nnlite.distributions.bernoulli import _lazy
from nnlite.distributions.distribution import Distribution


def _precision_to_scale_tril(P: Tensor) -> Tensor:
    # torch's route: the Cholesky factor of the flipped precision gives L^-1 without inverting P
    Lf = nnlite.linalg.cholesky(nnlite.flip(P, (-2, -1)))
    L_inv = nnlite.transpose(nnlite.flip(Lf, (-2, -1)), -2, -1)
    eye = nnlite.eye(P.shape[-1], dtype=P.dtype)
    return nnlite.linalg.solve_triangular(L_inv, eye, upper=False)


def _mahalanobis(L: Tensor, x: Tensor) -> Tensor:
    """``x^T (L L^T)^-1 x`` batch-wise (``L`` and ``x`` broadcast)."""
    shape = nnlite.broadcast_shapes(L.shape[:-2], x.shape[:-1])
    n = x.shape[-1]
    Lb = L.expand(tuple(shape) + (n, n))
    xb = x.expand(tuple(shape) + (n,)).unsqueeze(-1)
    return nnlite.linalg.solve_triangular(Lb, xb, upper=False).squeeze(-1).pow(2).sum(-1)


class MultivariateNormal(Distribution):
    """``N(loc, Sigma)``, given exactly one of ``covariance_matrix``, ``precision_matrix`` or
    ``scale_tril`` (lower triangular, positive diagonal).

    Example:
        >>> d = MultivariateNormal(torch.zeros(2), scale_tril=torch.eye(2))
        >>> d.rsample((3,)).shape
        torch.Size([3, 2])
    """

    _expand_params = ('loc', 'scale_tril', 'covariance_matrix', 'precision_matrix')
    arg_constraints = {"loc": constraints.real_vector,
                       "covariance_matrix": constraints.positive_definite,
                       "precision_matrix": constraints.positive_definite,
                       "scale_tril": constraints.lower_cholesky}
    support = constraints.real_vector
    has_rsample = True

    def __init__(self, loc, covariance_matrix=None, precision_matrix=None, scale_tril=None,
                 validate_args=None) -> None:
        if loc.dim() < 1:
            raise ValueError("loc must be at least one-dimensional.")
        if (covariance_matrix is not None) + (scale_tril is not None) + (
                precision_matrix is not None) != 1:
            raise ValueError("Exactly one of covariance_matrix or precision_matrix or "
                             "scale_tril may be specified.")
        given = scale_tril if scale_tril is not None else (
            covariance_matrix if covariance_matrix is not None else precision_matrix)
        name = ("scale_tril" if scale_tril is not None else "covariance_matrix"
                if covariance_matrix is not None else "precision_matrix")
        if given.dim() < 2:
            raise ValueError(f"{name} matrix must be at least two-dimensional, with optional "
                             "leading batch dimensions")
        batch_shape = tuple(nnlite.broadcast_shapes(given.shape[:-2], loc.shape[:-1]))
        self.__dict__[name] = given.expand(batch_shape + (-1, -1))
        self.loc = loc.expand(batch_shape + (-1,))
        super().__init__(Size(batch_shape), Size(self.loc.shape[-1:]),
                         validate_args=validate_args)
        if scale_tril is not None:
            self._unbroadcasted_scale_tril = scale_tril
        elif covariance_matrix is not None:
            self._unbroadcasted_scale_tril = nnlite.linalg.cholesky(covariance_matrix)
        else:
            self._unbroadcasted_scale_tril = _precision_to_scale_tril(precision_matrix)

    def _full(self, matrix: Tensor) -> Tensor:
        return matrix.expand(tuple(self._batch_shape) + tuple(self._event_shape) * 2)

    # the parametrizations not given are derived on first use, as torch's lazy properties
    scale_tril = _lazy("scale_tril", lambda self: self._full(self._unbroadcasted_scale_tril))
    covariance_matrix = _lazy("covariance_matrix", lambda self: self._full(
        nnlite.matmul(self._unbroadcasted_scale_tril, self._unbroadcasted_scale_tril.mT)))
    precision_matrix = _lazy("precision_matrix", lambda self: self._full(nnlite.linalg.inv(
        nnlite.matmul(self._unbroadcasted_scale_tril, self._unbroadcasted_scale_tril.mT))))

    @property
    def mean(self) -> Tensor:
        return self.loc

    @property
    def mode(self) -> Tensor:
        return self.loc

    @property
    def variance(self) -> Tensor:
        shape = tuple(self._batch_shape) + tuple(self._event_shape)
        return self._unbroadcasted_scale_tril.pow(2).sum(-1).expand(shape)

    def rsample(self, sample_shape=Size()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        eps = nnlite.empty(shape, dtype=self.loc.dtype).normal_()
        return self.loc + nnlite.matmul(self._unbroadcasted_scale_tril,
                                        eps.unsqueeze(-1)).squeeze(-1)

    def _half_log_det(self) -> Tensor:
        return self._unbroadcasted_scale_tril.diagonal(dim1=-2, dim2=-1).log().sum(-1)

    def log_prob(self, value: Tensor) -> Tensor:
        if self._validate_args:
            if not isinstance(value, Tensor):
                raise ValueError("The value argument to log_prob must be a Tensor")
            try:
                nnlite.broadcast_shapes(value.shape, self._extended_shape())
            except RuntimeError as err:
                raise ValueError(f"Value is not broadcastable with batch_shape+event_shape: "
                                 f"{value.shape} vs {self._extended_shape()}.") from err
        diff = value - self.loc
        M = _mahalanobis(self._unbroadcasted_scale_tril, diff)
        return -0.5 * (self._event_shape[0] * math.log(2 * math.pi) + M) - self._half_log_det()

    def entropy(self) -> Tensor:
        H = (0.5 * self._event_shape[0] * (1.0 + math.log(2 * math.pi))
             + self._half_log_det())
        return H if len(self._batch_shape) == 0 else H.expand(self._batch_shape)
