"""``Distribution``: the base of ``torch.distributions``' classes, and the helpers they share.

Samples are drawn with the same nnlite ops, in the same order, as PyTorch draws them
(``normal``, ``rand``, ``bernoulli``, ``multinomial``), so a seed gives PyTorch's samples.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

import nnlite
from nnlite._tensor import Size, Tensor

_validate_default = True


def broadcast_all(*values):
    """Numbers become tensors of the default dtype (or of the tensors' dtype); all broadcast."""
    tensors = [v for v in values if isinstance(v, Tensor)]
    if not all(isinstance(v, (Tensor, numbers.Number)) for v in values):
        raise ValueError("Input arguments must all be instances of numbers.Number, "
                         "torch.Tensor or objects implementing __torch_function__.")
    dtype = tensors[0].dtype if tensors else nnlite.get_default_dtype()
    vals = [v if isinstance(v, Tensor) else nnlite.tensor(float(v), dtype=dtype) for v in values]
    return tuple(nnlite.broadcast_tensors(*vals))


def probs_to_logits(probs: Tensor, is_binary: bool = False) -> Tensor:
    eps = nnlite.finfo(probs.dtype).eps
    p = probs.clamp(min=eps, max=1 - eps)
    return p.log() - (-p).log1p() if is_binary else p.log()


def logits_to_probs(logits: Tensor, is_binary: bool = False) -> Tensor:
    return logits.sigmoid() if is_binary else nnlite.softmax(logits, -1)


class _Constraint:
    """A set of values (``torch.distributions.constraints``): ``check`` says where a value lies
    in it; ``event_dim`` is how many rightmost dims make one value."""

    def __init__(self, name: str, check, text: str, event_dim: int = 0,
                 is_discrete: bool = False) -> None:
        self.name, self._check, self._text = name, check, text
        self.event_dim, self.is_discrete = event_dim, is_discrete

    def check(self, value: Tensor) -> np.ndarray:
        return self._check(value._data)

    def __repr__(self) -> str:
        return self._text


def greater_than(lo: float) -> _Constraint:
    return _Constraint("positive", lambda a: a > lo, f"GreaterThan(lower_bound={float(lo)})")


real = _Constraint("real", lambda a: a == a, "Real()")
unit_interval = _Constraint("unit_interval", lambda a: (a >= 0) & (a <= 1),
                            "Interval(lower_bound=0.0, upper_bound=1.0)")
simplex = _Constraint("simplex", lambda a: np.all(a >= 0, axis=-1)
                      & (np.abs(a.sum(-1) - 1) < 1e-6), "Simplex()", event_dim=1)
positive = _Constraint("positive", lambda a: a > 0, "GreaterThan(lower_bound=0.0)")
nonnegative = _Constraint("nonnegative", lambda a: a >= 0, "GreaterThanEq(lower_bound=0.0)")
nonnegative_integer = _Constraint("nonnegative_integer", lambda a: (a >= 0) & (a == np.floor(a)),
                                  "IntegerGreaterThan(lower_bound=0)", is_discrete=True)
real_vector = _Constraint("real_vector", lambda a: np.all(a == a, axis=-1),
                          "IndependentConstraint(Real(), 1)", event_dim=1)


def _lower_cholesky(a):
    lower = np.all(np.abs(np.triu(a, 1)) == 0, axis=(-2, -1))
    return lower & np.all(np.diagonal(a, axis1=-2, axis2=-1) > 0, axis=-1)


def _positive_definite(a):
    sym = np.all(np.isclose(a, np.swapaxes(a, -1, -2), atol=1e-6), axis=(-2, -1))
    with np.errstate(invalid="ignore"):
        return sym & np.all(np.linalg.eigvalsh(a) > 0, axis=-1)


lower_cholesky = _Constraint("lower_cholesky", _lower_cholesky, "LowerCholesky()", event_dim=2)
positive_definite = _Constraint("positive_definite", _positive_definite, "PositiveDefinite()",
                                event_dim=2)


def sum_rightmost(value: Tensor, dim: int) -> Tensor:
    """Sum out the ``dim`` rightmost dims (``torch.distributions.utils._sum_rightmost``)."""
    if dim == 0:
        return value
    return value.reshape(value.shape[:-dim] + (-1,)).sum(-1)


class Distribution:
    """A batch of probability distributions (``batch_shape``) over values of ``event_shape``.

    Subclasses define ``arg_constraints``, ``sample``/``rsample``, ``log_prob``, ``entropy``,
    ``mean`` and ``variance``.
    """

    has_rsample = False
    has_enumerate_support = False
    arg_constraints: dict = {}
    support = None

    @staticmethod
    def set_default_validate_args(value: bool) -> None:
        global _validate_default
        _validate_default = bool(value)

    def __init__(self, batch_shape=Size(), event_shape=Size(), validate_args=None) -> None:
        self._batch_shape = Size(batch_shape)
        self._event_shape = Size(event_shape)
        self._validate_args = _validate_default if validate_args is None else validate_args
        if self._validate_args:
            for name, constraint in self.arg_constraints.items():
                if name not in self.__dict__ and isinstance(getattr(type(self), name, None),
                                                            property):
                    continue  # a parameter not given (probs vs logits)
                value = getattr(self, name)
                if not np.all(constraint.check(value)):
                    raise ValueError(
                        f"Expected parameter {name} (Tensor of shape {tuple(value.shape)}) of "
                        f"distribution {self!r} to satisfy the constraint {constraint!r}, but "
                        f"found invalid values:\n{value}")

    @property
    def batch_shape(self) -> Size:
        return self._batch_shape

    @property
    def event_shape(self) -> Size:
        return self._event_shape

    def _extended_shape(self, sample_shape=Size()) -> Size:
        return Size(tuple(sample_shape) + tuple(self._batch_shape) + tuple(self._event_shape))

    def sample(self, sample_shape=Size()) -> Tensor:
        with nnlite.no_grad():
            return self.rsample(sample_shape)

    def sample_n(self, n: int) -> Tensor:
        return self.sample(Size((n,)))

    def rsample(self, sample_shape=Size()) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__} has no reparameterized sampler")

    def log_prob(self, value: Tensor) -> Tensor:
        raise NotImplementedError

    def _in_support(self, value: np.ndarray):
        """Where ``value`` lies in the support (subclasses with a bounded support say)."""
        return True

    def _validate_sample(self, value) -> None:
        if not self._validate_args:
            return
        if not isinstance(value, Tensor):
            raise ValueError("The value argument to log_prob must be a Tensor")
        if not np.all(self._in_support(value._data)):
            raise ValueError(f"Expected value argument ({type(value).__name__} of shape "
                             f"{tuple(value.shape)}) to be within the support of the "
                             f"distribution {self!r}, but found invalid values:\n{value}")

    def cdf(self, value: Tensor) -> Tensor:
        raise NotImplementedError

    def icdf(self, value: Tensor) -> Tensor:
        raise NotImplementedError

    def entropy(self) -> Tensor:
        raise NotImplementedError

    def perplexity(self) -> Tensor:
        return self.entropy().exp()

    @property
    def mean(self) -> Tensor:
        raise NotImplementedError

    @property
    def mode(self) -> Tensor:
        raise NotImplementedError

    @property
    def variance(self) -> Tensor:
        raise NotImplementedError

    @property
    def stddev(self) -> Tensor:
        return self.variance.sqrt()

    def __repr__(self) -> str:
        names = [k for k in self.arg_constraints if k in self.__dict__]
        parts = []
        for p in names:
            v = self.__dict__[p]
            parts.append(f"{p}: {v.item() if v.numel() == 1 else v.size()}")
        return f"{type(self).__name__}({', '.join(parts)})"


LOG_SQRT_2PI = math.log(math.sqrt(2 * math.pi))
