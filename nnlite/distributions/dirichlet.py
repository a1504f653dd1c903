"""``Dirichlet(concentration)`` and ``Beta(c1, c0)`` (a 2-component Dirichlet, as torch's):
torch's normalised-gamma draws, reparameterized through torch's ``_dirichlet_grad``."""

from __future__ import annotations

import numbers

import nnlite
from nnlite._tensor import Size, Tensor
from nnlite.autograd.function import Function
from nnlite.distributions import constraints
from nnlite.distributions.distribution import broadcast_all
from nnlite.distributions.exp_family import ExponentialFamily


class _Dirichlet(Function):
    @staticmethod
    def forward(ctx, concentration):
        x = nnlite._sample_dirichlet(concentration.detach())
        ctx.save_for_backward(x, concentration)
        return x

    @staticmethod
    def backward(ctx, grad):
        x, c = ctx.saved_tensors
        total = c.sum(-1, True).expand_as(c)
        return nnlite._dirichlet_grad(x, c, total) * (grad - (x * grad).sum(-1, True))


class Dirichlet(ExponentialFamily):
    """Density ``prod x_i**(c_i - 1) / B(c)`` on the simplex (event dim = last dim).

    Example:
        >>> Dirichlet(torch.tensor([0.5, 0.5])).rsample()
    """

    _expand_params = ('concentration',)
    arg_constraints = {"concentration": constraints.independent(constraints.positive, 1)}
    support = constraints.simplex
    has_rsample = True

    def __init__(self, concentration, validate_args=None) -> None:
        if concentration.dim() < 1:
            raise ValueError("`concentration` parameter must be at least one-dimensional.")
        self.concentration = concentration
        super().__init__(concentration.shape[:-1], concentration.shape[-1:],
                         validate_args=validate_args)

    @property
    def mean(self) -> Tensor:
        return self.concentration / self.concentration.sum(-1, True)

    @property
    def mode(self) -> Tensor:
        c = (self.concentration - 1).clamp(min=0.0)
        mode = c / c.sum(-1, True)
        mask = (self.concentration < 1).all(-1)
        # torch takes the argmax of the 0/0 = nan mode: the first component
        onehot = nnlite.nn.functional.one_hot(mode.argmax(-1),
                                              c.shape[-1]).to(mode.dtype)
        return nnlite.where(mask.unsqueeze(-1), onehot, mode)

    @property
    def variance(self) -> Tensor:
        con0 = self.concentration.sum(-1, True)
        return self.concentration * (con0 - self.concentration) / (con0.pow(2) * (con0 + 1))

    def rsample(self, sample_shape=Size()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        return _Dirichlet.apply(self.concentration.expand(shape))

    def log_prob(self, value: Tensor) -> Tensor:
        self._validate_sample(value)
        c = self.concentration
        return (nnlite.xlogy(c - 1.0, value).sum(-1) + nnlite.lgamma(c.sum(-1))
                - nnlite.lgamma(c).sum(-1))

    def entropy(self) -> Tensor:
        c = self.concentration
        k = c.size(-1)
        a0 = c.sum(-1)
        return (nnlite.lgamma(c).sum(-1) - nnlite.lgamma(a0) - (k - a0) * nnlite.digamma(a0)
                - ((c - 1.0) * nnlite.digamma(c)).sum(-1))


class Beta(ExponentialFamily):
    """Density ``x**(c1 - 1) (1 - x)**(c0 - 1) / B(c1, c0)`` on ``[0, 1]``.

    Example:
        >>> Beta(torch.tensor([0.5]), torch.tensor([0.5])).rsample()
    """

    _expand_dists = ('_dirichlet',)
    arg_constraints = {"concentration1": constraints.positive,
                       "concentration0": constraints.positive}
    support = constraints.unit_interval
    has_rsample = True

    def __init__(self, concentration1, concentration0, validate_args=None) -> None:
        if isinstance(concentration1, numbers.Real) and isinstance(concentration0, numbers.Real):
            both = nnlite.tensor([float(concentration1), float(concentration0)])
        else:
            c1, c0 = broadcast_all(concentration1, concentration0)
            both = nnlite.stack([c1, c0], -1)
        self._dirichlet = Dirichlet(both, validate_args=validate_args)
        super().__init__(self._dirichlet._batch_shape, validate_args=validate_args)

    @property
    def concentration1(self) -> Tensor:
        return self._dirichlet.concentration[..., 0]

    @property
    def concentration0(self) -> Tensor:
        return self._dirichlet.concentration[..., 1]

    @property
    def mean(self) -> Tensor:
        return self.concentration1 / (self.concentration1 + self.concentration0)

    @property
    def mode(self) -> Tensor:
        return self._dirichlet.mode[..., 0]

    @property
    def variance(self) -> Tensor:
        total = self.concentration1 + self.concentration0
        return self.concentration1 * self.concentration0 / (total.pow(2) * (total + 1))

    def rsample(self, sample_shape=Size()) -> Tensor:
        return self._dirichlet.rsample(sample_shape).select(-1, 0)

    def log_prob(self, value: Tensor) -> Tensor:
        self._validate_sample(value)
        heads_tails = nnlite.stack([value, 1.0 - value], -1)
        return self._dirichlet.log_prob(heads_tails)

    def entropy(self) -> Tensor:
        return self._dirichlet.entropy()
