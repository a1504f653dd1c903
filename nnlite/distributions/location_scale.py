"""``LocationScale``: what the distributions of ``loc + scale * Z`` share (Normal, Laplace,
Gumbel, Cauchy): the two broadcast parameters, their constraints, the real support, a
reparameterized sampler and ``mode == loc``."""

from __future__ import annotations

from nnlite._tensor import Tensor
from nnlite.distributions import constraints
from nnlite.distributions.distribution import Distribution, broadcast_all


class LocationScale(Distribution):
    """A batch of distributions of ``loc + scale * Z`` for a fixed standard ``Z``.

    Subclasses give the density, the sampler and the moments of their ``Z``; ``mean`` defaults
    to ``loc`` (a ``Z`` of mean zero).
    """

    _expand_params = ('loc', 'scale')
    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.real
    has_rsample = True

    def __init__(self, loc, scale, validate_args=None) -> None:
        self.loc, self.scale = broadcast_all(loc, scale)
        super().__init__(self.loc.shape, validate_args=validate_args)

    @property
    def mean(self) -> Tensor:
        return self.loc

    @property
    def mode(self) -> Tensor:
        return self.loc
