"""``Distribution``: the base of ``torch.distributions``' classes, and the helpers they share.

Samples are drawn with the same nnlite ops, in the same order, as PyTorch draws them
(``normal``, ``rand``, ``bernoulli``, ``multinomial``), so a seed gives PyTorch's samples.
"""

from __future__ import annotations

import math
import numbers
import warnings

import nnlite
from nnlite._tensor import Size, Tensor
from nnlite.distributions import constraints

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


def clamp_probs(probs: Tensor) -> Tensor:
    """``probs`` clamped into ``[eps, 1 - eps]`` of its dtype (``distributions.utils``)."""
    eps = nnlite.finfo(probs.dtype).eps
    return probs.clamp(min=eps, max=1 - eps)


def clamped_uniforms(shape, dtype) -> Tensor:
    """``rand(shape)`` clamped into ``[eps, 1 - eps]``: the uniform draws the relaxed
    (Gumbel / logistic) samplers take logs of, as torch's."""
    return clamp_probs(nnlite.rand(shape, dtype=dtype))


def logits_to_probs(logits: Tensor, is_binary: bool = False) -> Tensor:
    return logits.sigmoid() if is_binary else nnlite.softmax(logits, -1)


class lazy_property(property):
    """A parameter derived from another on first use and then stored (``probs`` <->
    ``logits``); validation skips one not yet computed, as torch's ``lazy_property``."""

    def __init__(self, name: str, compute) -> None:
        def get(obj):
            if name not in obj.__dict__:
                obj.__dict__[name] = compute(obj)
            return obj.__dict__[name]

        super().__init__(get)


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
    # What ``expand`` broadcasts: the Tensor attributes (when present) and the nested
    # distributions whose leading dims are this distribution's batch shape. A class that sets
    # either (or defines ``expand``) owns the rule; a subclass with its own ``__init__`` must
    # declare its own, as torch asks of it.
    _expand_params: tuple = ()
    _expand_dists: tuple = ()

    @property
    def support(self):
        """The set the values lie in (a ``constraints.Constraint``)."""
        raise NotImplementedError

    @staticmethod
    def set_default_validate_args(value: bool) -> None:
        global _validate_default
        if value not in (True, False):
            raise ValueError
        _validate_default = bool(value)

    def __init__(self, batch_shape=Size(), event_shape=Size(), validate_args=None) -> None:
        self._batch_shape = Size(batch_shape)
        self._event_shape = Size(event_shape)
        self._validate_args = _validate_default if validate_args is None else validate_args
        if self._validate_args:
            for name, constraint in self.arg_constraints.items():
                if constraints.is_dependent(constraint):
                    continue
                if name not in self.__dict__ and isinstance(getattr(type(self), name, None),
                                                            lazy_property):
                    continue  # a parameter not given (probs vs logits)
                value = getattr(self, name)
                if not bool(constraint.check(value).all()):
                    raise ValueError(
                        f"Expected parameter {name} ({type(value).__name__} of shape "
                        f"{tuple(value.shape)}) of distribution {self!r} to satisfy the "
                        f"constraint {constraint!r}, but found invalid values:\n{value}")

    def expand(self, batch_shape, _instance=None):
        """A new distribution of batch shape ``batch_shape`` sharing this one's parameters
        (``Tensor.expand`` views; no new checks of the arguments), as torch's ``expand``.

        Raises:
            NotImplementedError: for a class that does not say how (torch's rule for a
                subclass that defines its own ``__init__`` but not ``expand``).
            RuntimeError: when a parameter cannot be expanded to ``batch_shape``.
        """
        owner = next(c for c in type(self).__mro__
                     if "_expand_params" in c.__dict__ or "_expand_dists" in c.__dict__
                     or "expand" in c.__dict__)
        if owner is Distribution:
            raise NotImplementedError
        if _instance is None and type(self).__init__ is not owner.__init__:
            public = next(c for c in type(self).__mro__[1:]
                          if c.__module__.startswith("nnlite.distributions"))
            raise NotImplementedError(
                f"Subclass {type(self).__name__} of {public.__name__} that defines a custom "
                "__init__ method must also define a custom .expand() method.")
        batch_shape = Size(batch_shape)
        new = type(self).__new__(type(self)) if _instance is None else _instance
        for name, value in self.__dict__.items():
            new.__dict__.setdefault(name, value)
        kept = len(self._batch_shape)
        for name in self._expand_params:
            value = self.__dict__.get(name)
            if isinstance(value, Tensor):
                new.__dict__[name] = value.expand(tuple(batch_shape) + tuple(value.shape[kept:]))
        self._expand_nested(new, batch_shape)
        Distribution.__init__(new, batch_shape, self._event_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    def _expand_nested(self, new, batch_shape: Size) -> None:
        """Expand the nested distributions into ``new`` (their extra batch dims kept)."""
        kept = len(self._batch_shape)
        for name in self._expand_dists:
            dist = self.__dict__[name]
            new.__dict__[name] = dist.expand(tuple(batch_shape)
                                             + tuple(dist.batch_shape[kept:]))

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

    def _validate_sample(self, value) -> None:
        """torch's checks of a value given to ``log_prob``/``cdf``/...: a Tensor, of a shape
        that broadcasts with ``batch_shape + event_shape``, inside ``support``."""
        if not self._validate_args:
            return
        if not isinstance(value, Tensor):
            raise ValueError("The value argument to log_prob must be a Tensor")
        event_dim_start = value.dim() - len(self._event_shape)
        if value.shape[event_dim_start:] != self._event_shape:
            raise ValueError(f"The right-most size of value must match event_shape: "
                             f"{value.size()} vs {self._event_shape}.")
        actual_shape = value.size()
        expected_shape = Size(tuple(self._batch_shape) + tuple(self._event_shape))
        for i, j in zip(reversed(actual_shape), reversed(expected_shape)):
            if i != 1 and j != 1 and i != j:
                raise ValueError(f"Value is not broadcastable with batch_shape+event_shape: "
                                 f"{actual_shape} vs {expected_shape}.")
        try:
            support = self.support
        except NotImplementedError:
            warnings.warn(f"{type(self)} does not define `support` to enable sample "
                          "validation. Please initialize the distribution with "
                          "`validate_args=False` to turn off validation.", stacklevel=2)
            return
        if not bool(support.check(value).all()):
            raise ValueError(f"Expected value argument ({type(value).__name__} of shape "
                             f"{tuple(value.shape)}) to be within the support ({support!r}) "
                             f"of the distribution {self!r}, but found invalid values:\n"
                             f"{value}")

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
            parts.append(f"{p}: {v if v.numel() == 1 else v.size()}")
        return f"{type(self).__name__}({', '.join(parts)})"


LOG_SQRT_2PI = math.log(math.sqrt(2 * math.pi))
