"""``Wishart(df, covariance_matrix | precision_matrix | scale_tril)``: the law of ``X X^T``
for ``df`` Gaussian columns of covariance ``Sigma``; ``rsample`` is torch's Bartlett
construction (chi-square diagonal, normal strict lower triangle), including torch's
correction pass, which as torch's redraws every sample once and warns "Singular sample
detected." (its test marks positive-definite samples as singular) — so a seed gives torch's
samples."""

from __future__ import annotations

import math
import numbers
import warnings

import nnlite
from nnlite._tensor import Size, Tensor
from nnlite.distributions import constraints
from nnlite.distributions.distribution import lazy_property
from nnlite.distributions.exp_family import ExponentialFamily
from nnlite.distributions.gamma import Chi2
from nnlite.distributions.multivariate_normal import _precision_to_scale_tril
from nnlite.distributions.transforms_simplex_matrix import vec_to_tril_matrix

_LOG_2 = math.log(2)


def _cholesky_solve(B: Tensor, L: Tensor) -> Tensor:
    """``(L L^T)^-1 B`` by two triangular solves (``torch.cholesky_solve``)."""
    shape = tuple(nnlite.broadcast_shapes(B.shape[:-2], L.shape[:-2]))
    L = L.expand(shape + tuple(L.shape[-2:]))
    B = B.expand(shape + tuple(B.shape[-2:]))
    Y = nnlite.linalg.solve_triangular(L, B, upper=False)
    return nnlite.linalg.solve_triangular(L.mT, Y, upper=True)


def _mvdigamma(x: Tensor, p: int) -> Tensor:
    if not bool(x.gt((p - 1) / 2).all()):
        raise AssertionError("Wrong domain for multivariate digamma function.")
    half = nnlite.arange(p, dtype=x.dtype).div(2).expand(tuple(x.shape) + (-1,))
    return nnlite.digamma(x.unsqueeze(-1) - half).sum(-1)


class Wishart(ExponentialFamily):
    """Positive-definite ``p x p`` matrices; ``df > p - 1``.

    Example:
        >>> Wishart(torch.tensor(5.0), covariance_matrix=torch.eye(2)).rsample()
    """

    support = constraints.positive_definite
    has_rsample = True
    _mean_carrier_measure = 0
    _expand_params = ("df", "covariance_matrix", "precision_matrix", "scale_tril")

    @property
    def arg_constraints(self):
        return {"covariance_matrix": constraints.positive_definite,
                "precision_matrix": constraints.positive_definite,
                "scale_tril": constraints.lower_cholesky,
                "df": constraints.greater_than(self.event_shape[-1] - 1)}

    def __init__(self, df, covariance_matrix=None, precision_matrix=None, scale_tril=None,
                 validate_args=None) -> None:
        given = [m for m in (covariance_matrix, precision_matrix, scale_tril) if m is not None]
        if len(given) != 1:
            raise AssertionError("Exactly one of covariance_matrix or precision_matrix or "
                                 "scale_tril may be specified.")
        param = given[0]
        if param.dim() < 2:
            raise ValueError("scale_tril must be at least two-dimensional, with optional "
                             "leading batch dimensions")
        if isinstance(df, numbers.Number):
            batch_shape = Size(param.shape[:-2])
            self.df = nnlite.tensor(df, dtype=param.dtype)
        else:
            batch_shape = Size(nnlite.broadcast_shapes(param.shape[:-2], df.shape))
            self.df = df.expand(batch_shape)
        event_shape = param.shape[-2:]
        if bool(self.df.le(event_shape[-1] - 1).any()):
            raise ValueError(f"Value of df={df} expected to be greater than ndim - 1 = "
                             f"{event_shape[-1] - 1}.")
        name = ("scale_tril" if scale_tril is not None else "covariance_matrix"
                if covariance_matrix is not None else "precision_matrix")
        self.__dict__[name] = param.expand(tuple(batch_shape) + (-1, -1))
        if bool(self.df.lt(event_shape[-1]).any()):
            warnings.warn("Low df values detected. Singular samples are highly likely to occur "
                          "for ndim - 1 < df < ndim.", stacklevel=2)
        super().__init__(batch_shape, event_shape, validate_args=validate_args)
        if scale_tril is not None:
            self._unbroadcasted_scale_tril = scale_tril
        elif covariance_matrix is not None:
            self._unbroadcasted_scale_tril = nnlite.linalg.cholesky(covariance_matrix)
        else:
            self._unbroadcasted_scale_tril = _precision_to_scale_tril(precision_matrix)
        self._dist_chi2 = self._chi2()

    def _chi2(self):
        # the k-th diagonal entry of the Bartlett factor is sqrt(chi2(df - k))
        p = self._event_shape[-1]
        ks = nnlite.arange(p, dtype=self._unbroadcasted_scale_tril.dtype)
        return Chi2(df=self.df.unsqueeze(-1) - ks.expand(tuple(self._batch_shape) + (-1,)))

    def _expand_nested(self, new, batch_shape: Size) -> None:
        new._unbroadcasted_scale_tril = self._unbroadcasted_scale_tril.expand(
            tuple(batch_shape) + tuple(self._event_shape))
        new._batch_shape = Size(batch_shape)
        new._dist_chi2 = new._chi2()

    def _full(self, m: Tensor) -> Tensor:
        return m.expand(tuple(self._batch_shape) + tuple(self._event_shape))

    scale_tril = lazy_property("scale_tril", lambda self: self._full(
        self._unbroadcasted_scale_tril))
    covariance_matrix = lazy_property("covariance_matrix", lambda self: self._full(
        nnlite.matmul(self._unbroadcasted_scale_tril, self._unbroadcasted_scale_tril.mT)))
    precision_matrix = lazy_property("precision_matrix", lambda self: self._full(
        _cholesky_solve(nnlite.eye(self._event_shape[-1],
                                   dtype=self._unbroadcasted_scale_tril.dtype),
                        self._unbroadcasted_scale_tril)))

    def _df_matrix(self) -> Tensor:
        return self.df.reshape(tuple(self._batch_shape) + (1, 1))

    @property
    def mean(self) -> Tensor:
        return self._df_matrix() * self.covariance_matrix

    @property
    def mode(self) -> Tensor:
        factor = self.df - self.covariance_matrix.shape[-1] - 1
        factor = nnlite.where(factor <= 0, nnlite.full_like(factor, float("nan")), factor)
        return factor.reshape(tuple(self._batch_shape) + (1, 1)) * self.covariance_matrix

    @property
    def variance(self) -> Tensor:
        V = self.covariance_matrix
        diag_V = V.diagonal(dim1=-2, dim2=-1)
        return self._df_matrix() * (V.pow(2) + diag_V.unsqueeze(-1) * diag_V.unsqueeze(-2))

    def _bartlett_sampling(self, sample_shape=Size()) -> Tensor:
        p = self._event_shape[-1]
        chi = self._dist_chi2.rsample(sample_shape).sqrt()
        diag = nnlite.diag_embed(chi.clamp(min=nnlite.finfo(chi.dtype).eps))
        below = nnlite.randn(tuple(sample_shape) + tuple(self._batch_shape) + (p * (p - 1) // 2,),
                             dtype=diag.dtype)
        noise = diag + vec_to_tril_matrix(below, diag=-1)
        chol = nnlite.matmul(self._unbroadcasted_scale_tril, noise)
        return nnlite.matmul(chol, chol.mT)

    def _flag(self, sample: Tensor) -> Tensor:
        flag = self.support.check(sample)
        if self._batch_shape:
            flag = flag.amax(tuple(range(-len(self._batch_shape), 0)))
        return flag

    def rsample(self, sample_shape=Size(), max_try_correction=None) -> Tensor:
        if max_try_correction is None:
            max_try_correction = 10
        sample_shape = Size(sample_shape)
        sample = self._bartlett_sampling(sample_shape)
        # torch's flag is the support check itself (True = positive definite), so its
        # "correction" redraws exactly the good samples; kept for the same draws
        flag = self._flag(sample)
        if not bool(flag.any()):
            return sample
        warnings.warn("Singular sample detected.", stacklevel=2)
        rest = tuple(self._batch_shape) + tuple(self._event_shape)
        rows = list(sample.reshape((-1,) + rest).unbind(0))
        flat_flag = flag.reshape(-1).tolist()
        for _ in range(max_try_correction):
            where = [i for i, f in enumerate(flat_flag) if f]
            new = self._bartlett_sampling(Size((len(where),)))
            for k, i in enumerate(where):
                rows[i] = new[k]
            new_flag = (~self._flag(new)).reshape(-1).tolist()
            for k, i in enumerate(where):
                flat_flag[i] = new_flag[k]
            if not any(flat_flag):
                break
        return nnlite.stack(rows).reshape(tuple(sample_shape) + rest)

    def log_prob(self, value: Tensor) -> Tensor:
        self._validate_sample(value)
        nu, p = self.df, self._event_shape[-1]
        half_log_det = self._unbroadcasted_scale_tril.diagonal(dim1=-2, dim2=-1).log().sum(-1)
        return (-nu * (p * _LOG_2 / 2 + half_log_det) - nnlite.mvlgamma(nu / 2, p=p)
                + (nu - p - 1) / 2 * nnlite.linalg.slogdet(value)[1]
                - _cholesky_solve(value, self._unbroadcasted_scale_tril)
                .diagonal(dim1=-2, dim2=-1).sum(dim=-1) / 2)

    def entropy(self) -> Tensor:
        nu, p = self.df, self._event_shape[-1]
        half_log_det = self._unbroadcasted_scale_tril.diagonal(dim1=-2, dim2=-1).log().sum(-1)
        return ((p + 1) * (p * _LOG_2 / 2 + half_log_det) + nnlite.mvlgamma(nu / 2, p=p)
                - (nu - p - 1) / 2 * _mvdigamma(nu / 2, p=p) + nu * p / 2)

    @property
    def _natural_params(self):
        p = self._event_shape[-1]
        return -self.precision_matrix / 2, (self.df - p - 1) / 2

    def _log_normalizer(self, x, y):
        p = self._event_shape[-1]
        return ((y + (p + 1) / 2) * (-nnlite.linalg.slogdet(-2 * x)[1] + _LOG_2 * p)
                + nnlite.mvlgamma(y + (p + 1) / 2, p=p))
