"""Bijections for ``TransformedDistribution`` (``torch.distributions.transforms``): ``Exp``,
``Affine``, ``Sigmoid``, ``Tanh`` and their ``Compose``; each has ``inv``, ``sign`` and
``log_abs_det_jacobian(x, y)`` written in Tensor ops, so gradients flow through them."""

from __future__ import annotations

import math
import numbers

import nnlite
from nnlite._tensor import Tensor
from nnlite.distributions import constraints
from nnlite.distributions.distribution import broadcast_all, sum_rightmost
from nnlite.nn import functional as F

__all__ = ["AbsTransform", "AffineTransform", "ComposeTransform", "ExpTransform",
           "PowerTransform", "SigmoidTransform", "TanhTransform", "Transform"]

real = constraints.real


def _independent(c, event_dim: int):
    return constraints.independent(c, event_dim) if event_dim else c


class Transform:
    """An invertible map ``y = T(x)`` with the log of its Jacobian's absolute determinant.

    Subclasses define ``_call``, ``_inverse`` and ``log_abs_det_jacobian``; ``inv`` is the
    inverse transform (``inv.inv is self``).
    """

    bijective = True
    sign = 1
    domain = real
    codomain = real

    def __init__(self, cache_size: int = 0) -> None:
        if cache_size not in (0, 1):
            raise ValueError("cache_size must be 0 or 1")
        self._cache_size = cache_size
        self._cached = None
        self._inv = None

    @property
    def event_dim(self) -> int:
        return max(self.domain.event_dim, self.codomain.event_dim)

    @property
    def inv(self) -> Transform:
        if self._inv is None:
            self._inv = _InverseTransform(self)
        return self._inv

    def __call__(self, x: Tensor) -> Tensor:
        if self._cache_size and self._cached is not None and self._cached[0] is x:
            return self._cached[1]
        y = self._call(x)
        if self._cache_size:
            self._cached = (x, y)
        return y

    def _inv_call(self, y: Tensor) -> Tensor:
        if self._cache_size and self._cached is not None and self._cached[1] is y:
            return self._cached[0]
        x = self._inverse(y)
        if self._cache_size:
            self._cached = (x, y)
        return x

    def _call(self, x):
        raise NotImplementedError

    def _inverse(self, y):
        raise NotImplementedError

    def log_abs_det_jacobian(self, x: Tensor, y: Tensor) -> Tensor:
        raise NotImplementedError

    def forward_shape(self, shape):
        return shape

    def inverse_shape(self, shape):
        return shape

    def __eq__(self, other) -> bool:
        return self is other

    def __ne__(self, other) -> bool:
        return not self.__eq__(other)

    __hash__ = object.__hash__

    def __repr__(self) -> str:
        return type(self).__name__ + "()"


class _InverseTransform(Transform):
    def __init__(self, transform: Transform) -> None:
        super().__init__(cache_size=transform._cache_size)
        self._inv = transform

    @property
    def domain(self):
        return self._inv.codomain

    @property
    def codomain(self):
        return self._inv.domain

    @property
    def sign(self):
        return self._inv.sign

    @property
    def inv(self):
        return self._inv

    def __call__(self, x):
        return self._inv._inv_call(x)

    def log_abs_det_jacobian(self, x, y):
        return -self._inv.log_abs_det_jacobian(y, x)

    def __eq__(self, other):
        return isinstance(other, _InverseTransform) and self._inv == other._inv

    __hash__ = object.__hash__


class ComposeTransform(Transform):
    """``parts[-1](...parts[0](x))``; an empty list is the identity."""

    def __init__(self, parts, cache_size: int = 0) -> None:
        super().__init__(cache_size)
        self.parts = list(parts)

    @property
    def domain(self):
        if not self.parts:
            return real
        dom = self.parts[0].domain
        event_dim = self.parts[-1].codomain.event_dim
        for part in reversed(self.parts):
            event_dim += part.domain.event_dim - part.codomain.event_dim
            event_dim = max(event_dim, part.domain.event_dim)
        return _independent(dom, event_dim - dom.event_dim) if event_dim > dom.event_dim else dom

    @property
    def codomain(self):
        if not self.parts:
            return real
        cod = self.parts[-1].codomain
        event_dim = self.parts[0].domain.event_dim
        for part in self.parts:
            event_dim += part.codomain.event_dim - part.domain.event_dim
            event_dim = max(event_dim, part.codomain.event_dim)
        return _independent(cod, event_dim - cod.event_dim) if event_dim > cod.event_dim else cod

    @property
    def sign(self):
        s = 1
        for p in self.parts:
            s = s * p.sign
        return s

    def _call(self, x):
        for p in self.parts:
            x = p(x)
        return x

    def _inverse(self, y):
        for p in reversed(self.parts):
            y = p.inv(y)
        return y

    def log_abs_det_jacobian(self, x, y):
        if not self.parts:
            return nnlite.zeros_like(x)
        xs = [x]
        for p in self.parts[:-1]:
            xs.append(p(xs[-1]))
        xs.append(y)
        terms = []
        event_dim = self.domain.event_dim
        for p, xi, yi in zip(self.parts, xs[:-1], xs[1:]):
            terms.append(sum_rightmost(p.log_abs_det_jacobian(xi, yi),
                                       event_dim - p.domain.event_dim))
            event_dim += p.codomain.event_dim - p.domain.event_dim
        out = terms[0]
        for t in terms[1:]:
            out = out + t
        return out

    def __eq__(self, other):
        return isinstance(other, ComposeTransform) and self.parts == other.parts

    __hash__ = object.__hash__

    def __repr__(self):
        inner = ",\n    ".join(repr(p) for p in self.parts)
        return f"{type(self).__name__}(\n    {inner}\n)"


class ExpTransform(Transform):
    """``y = exp(x)``; ``log|dy/dx| = x``."""

    codomain = constraints.positive

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

    def __init__(self, loc, scale, event_dim: int = 0, cache_size: int = 0) -> None:
        super().__init__(cache_size)
        self.loc, self.scale, self._event_dim = loc, scale, event_dim

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

    def __repr__(self):
        return f"AffineTransform(loc={self.loc}, scale={self.scale})"


class PowerTransform(Transform):
    """``y = x ** exponent`` on the positive reals; ``log|dy/dx| = log|exponent y / x|``."""

    domain = constraints.positive
    codomain = constraints.positive

    def __init__(self, exponent, cache_size: int = 0) -> None:
        super().__init__(cache_size)
        (self.exponent,) = broadcast_all(exponent)

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
