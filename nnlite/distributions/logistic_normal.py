"""``LogisticNormal(loc, scale)``: a Normal in ``K - 1`` dims pushed onto the ``K``-simplex by
``StickBreakingTransform`` (a shape-changing transform), as torch's."""

from __future__ import annotations

from nnlite._tensor import Tensor
from nnlite.distributions import constraints
from nnlite.distributions.normal import Normal
from nnlite.distributions.transformed_distribution import TransformedDistribution
from nnlite.distributions.transforms import StickBreakingTransform


class LogisticNormal(TransformedDistribution):
    """``StickBreakingTransform()(X)`` for ``X ~ Normal(loc, scale)`` over the last dim.

    Example:
        >>> LogisticNormal(torch.zeros(3), torch.ones(3)).sample()   # 4 entries summing to 1
    """

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.simplex
    has_rsample = True
    _expand_params: tuple = ()

    def __init__(self, loc, scale, validate_args=None) -> None:
        base_dist = Normal(loc, scale, validate_args=validate_args)
        if not base_dist.batch_shape:
            base_dist = base_dist.expand([1])
        super().__init__(base_dist, StickBreakingTransform(), validate_args=validate_args)

    @property
    def loc(self) -> Tensor:
        return self.base_dist.base_dist.loc

    @property
    def scale(self) -> Tensor:
        return self.base_dist.base_dist.scale
