"""Bijections for ``TransformedDistribution`` (``torch.distributions.transforms``): the base
``Transform``, ``Compose`` and the elementwise ones (``Exp``, ``Affine``, ``Sigmoid``,
``Softplus``, ``Tanh``, ``Power``, ``Abs``); the vector/matrix ones (``Softmax``,
``StickBreaking``, ``LowerCholesky``, ``PositiveDefinite``, ``CorrCholesky``) and the combining
ones (``Cat``, ``Stack``, ``Independent``, ``Reshape``, ``CumulativeDistribution``) live in
their own modules and are re-exported here. Each has ``inv``, ``sign`` and
``log_abs_det_jacobian(x, y)`` written in Tensor ops, so gradients flow through them."""

from __future__ import annotations

import math
import numbers

import nnlite
from nnlite.distributions import constraints
from nnlite.distributions.distribution import broadcast_all
from nnlite.distributions.transform_base import (
    ComposeTransform,
    Transform,
    _InverseTransform,  # noqa: F401 (torch.distributions.transforms has it)
    identity_transform,
)
from nnlite.distributions.transforms_combining import (
    CatTransform,
    CumulativeDistributionTransform,
    IndependentTransform,
    ReshapeTransform,
    StackTransform,
)
from nnlite.distributions.transforms_simplex_matrix import (
    CorrCholeskyTransform,
    LowerCholeskyTransform,
    PositiveDefiniteTransform,
    SoftmaxTransform,
    StickBreakingTransform,
)
from nnlite.nn import functional as F

__all__ = ["AbsTransform", "AffineTransform", "CatTransform", "ComposeTransform",
           "CorrCholeskyTransform", "CumulativeDistributionTransform", "ExpTransform",
           "IndependentTransform", "LowerCholeskyTransform", "PositiveDefiniteTransform",
           "PowerTransform", "ReshapeTransform", "SigmoidTransform", "SoftmaxTransform",
           "SoftplusTransform", "StackTransform", "StickBreakingTransform", "TanhTransform",
           "Transform", "identity_transform"]

real = constraints.real


def _independent(c, event_dim: int):
    return constraints.independent(c, event_dim) if event_dim else c


class ExpTransform(Transform):
    """``y = exp(x)``; ``log|dy/dx| = x``."""

    codomain = constraints.positive
    bijective = True
    sign = 1

    def _call(self, x):
        return x.exp()

    def _inverse(self, y):
        return y.log()

    def log_abs_det_jacobian(self, x, y):
        return x

    def __eq__(self, other):
        return isinstance(other, ExpTransform)

    __hash__ = object.__hash__


class SigmoidTransform(Transform):
    """``y = sigmoid(x)``, clipped to ``[tiny, 1 - eps]`` as torch's so ``inv`` stays finite."""

    codomain = constraints.unit_interval
    bijective = True
    sign = 1

    def _call(self, x):
        fi = nnlite.finfo(x.dtype)
        return nnlite.clamp(nnlite.sigmoid(x), min=fi.tiny, max=1.0 - fi.eps)

    def _inverse(self, y):
        fi = nnlite.finfo(y.dtype)
        y = y.clamp(min=fi.tiny, max=1.0 - fi.eps)
        return y.log() - (-y).log1p()

    def log_abs_det_jacobian(self, x, y):
        return -F.softplus(-x) - F.softplus(x)

    def __eq__(self, other):
        return isinstance(other, SigmoidTransform)

    __hash__ = object.__hash__


class TanhTransform(Transform):
    """``y = tanh(x)``; ``log|dy/dx| = 2 (log 2 - x - softplus(-2x))`` (stable for large x)."""

    codomain = constraints.interval(-1.0, 1.0)
    bijective = True
    sign = 1

    def _call(self, x):
        return x.tanh()

    def _inverse(self, y):
        return nnlite.atanh(y)

    def log_abs_det_jacobian(self, x, y):
        return 2.0 * (math.log(2.0) - x - F.softplus(-2.0 * x))

    def __eq__(self, other):
        return isinstance(other, TanhTransform)

    __hash__ = object.__hash__


class AffineTransform(Transform):
    """``y = loc + scale * x``; with ``event_dim`` > 0 the log-determinant sums that many
    rightmost dims."""

    bijective = True

    def __init__(self, loc, scale, event_dim: int = 0, cache_size: int = 0) -> None:
        super().__init__(cache_size)
        self.loc, self.scale, self._event_dim = loc, scale, event_dim

    def with_cache(self, cache_size: int = 1):
        if self._cache_size == cache_size:
            return self
        return AffineTransform(self.loc, self.scale, self._event_dim, cache_size=cache_size)

    def forward_shape(self, shape):
        return nnlite.broadcast_shapes(shape, getattr(self.loc, "shape", ()),
                                       getattr(self.scale, "shape", ()))

    inverse_shape = forward_shape

    @property
    def domain(self):
        return _independent(real, self._event_dim)

    @property
    def codomain(self):
        return _independent(real, self._event_dim)

    @property
    def event_dim(self):
        return self._event_dim

    @property
    def sign(self):
        if isinstance(self.scale, numbers.Real):
            return 1 if float(self.scale) > 0 else -1 if float(self.scale) < 0 else 0
        return self.scale.sign()

    def _call(self, x):
        return self.loc + self.scale * x

    def _inverse(self, y):
        return (y - self.loc) / self.scale

    def log_abs_det_jacobian(self, x, y):
        shape = x.shape
        scale = self.scale
        if isinstance(scale, numbers.Real):
            result = nnlite.full_like(x, math.log(abs(scale)))
        else:
            result = scale.abs().log()
        if self._event_dim:
            result_size = result.shape[:result.dim() - self._event_dim] + (-1,)
            result = result.reshape(result_size).sum(-1)
            shape = shape[:len(shape) - self._event_dim]
        return result.expand(shape)

    def __eq__(self, other):
        if not isinstance(other, AffineTransform):
            return False
        for a, b in ((self.loc, other.loc), (self.scale, other.scale)):
            if isinstance(a, numbers.Number) and isinstance(b, numbers.Number):
                if a != b:
                    return False
            elif isinstance(a, numbers.Number) or isinstance(b, numbers.Number):
                other_t = b if isinstance(a, numbers.Number) else a
                num = a if isinstance(a, numbers.Number) else b
                if not bool((other_t == num).all()):
                    return False
            elif a.shape != b.shape or not bool((a == b).all()):
                return False
        return True

    __hash__ = object.__hash__


class PowerTransform(Transform):
    """``y = x ** exponent`` on the positive reals; ``log|dy/dx| = log|exponent y / x|``."""

    domain = constraints.positive
    codomain = constraints.positive
    bijective = True

    def __init__(self, exponent, cache_size: int = 0) -> None:
        super().__init__(cache_size)
        (self.exponent,) = broadcast_all(exponent)

    def with_cache(self, cache_size: int = 1):
        if self._cache_size == cache_size:
            return self
        return PowerTransform(self.exponent, cache_size=cache_size)

    @property
    def sign(self):
        return self.exponent.sign()

    def _call(self, x):
        return x.pow(self.exponent)

    def _inverse(self, y):
        return y.pow(1 / self.exponent)

    def log_abs_det_jacobian(self, x, y):
        return (self.exponent * y / x).abs().log()

    def forward_shape(self, shape):
        return nnlite.broadcast_shapes(shape, self.exponent.shape)

    def inverse_shape(self, shape):
        return nnlite.broadcast_shapes(shape, self.exponent.shape)

    def __eq__(self, other):
        return isinstance(other, PowerTransform) and bool(self.exponent.eq(other.exponent).all())

    __hash__ = object.__hash__


class AbsTransform(Transform):
    """``y = |x|`` (not bijective: ``inv`` returns the non-negative root)."""

    codomain = constraints.positive

    def _call(self, x):
        return x.abs()

    def _inverse(self, y):
        return y

    def __eq__(self, other):
        return isinstance(other, AbsTransform)

    __hash__ = object.__hash__


class SoftplusTransform(Transform):
    """``y = log(1 + exp(x))``; ``log|dy/dx| = -softplus(-x)``."""

    codomain = constraints.positive
    bijective = True
    sign = 1

    def _call(self, x):
        return F.softplus(x)

    def _inverse(self, y):
        return (-y).expm1().neg().log() + y

    def log_abs_det_jacobian(self, x, y):
        return -F.softplus(-x)

    def __eq__(self, other):
        return isinstance(other, SoftplusTransform)

    __hash__ = object.__hash__

