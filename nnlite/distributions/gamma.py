"""``Gamma(concentration, rate)`` and ``Chi2(df)``: torch's Marsaglia-Tsang draws (so a seed
gives torch's samples), reparameterized through the implicit gradient ``dx/dalpha`` of the
standard gamma sample (torch's ``_standard_gamma`` backward)."""

from __future__ import annotations

import nnlite
from nnlite._tensor import Size, Tensor
from nnlite.autograd.function import Function
from nnlite.distributions import constraints
from nnlite.distributions.distribution import broadcast_all
from nnlite.distributions.exp_family import ExponentialFamily
from nnlite.ops import incomplete_gamma_beta as _S


def standard_gamma(alpha: Tensor) -> Tensor:
    """``torch._standard_gamma(alpha)`` with its reparameterized gradient."""
    return nnlite._standard_gamma(alpha)


class _GammaIncX(Function):
    """``P(a, x)`` with its derivative in ``x`` (``a`` is not differentiated, as in torch)."""

    @staticmethod
    def forward(ctx, a, x):
        ctx.save_for_backward(a, x)
        return Tensor._wrap(_S.gammainc(a._data, x._data).astype(x._data.dtype))

    @staticmethod
    def backward(ctx, grad):
        a, x = ctx.saved_tensors
        dens = ((a - 1) * x.log() - x - nnlite.lgamma(a)).exp()
        return None, grad * dens


class Gamma(ExponentialFamily):
    """Density ``rate**c x**(c - 1) exp(-rate x) / Gamma(c)`` on ``x >= 0``.

    Example:
        >>> Gamma(torch.tensor([2.0]), torch.tensor([1.0])).rsample()
    """

    _expand_params = ('concentration', 'rate')
    arg_constraints = {"concentration": constraints.positive, "rate": constraints.positive}
    support = constraints.nonnegative
    has_rsample = True

    def __init__(self, concentration, rate, validate_args=None) -> None:
        self.concentration, self.rate = broadcast_all(concentration, rate)
        super().__init__(self.concentration.shape, validate_args=validate_args)

    @property
    def mean(self) -> Tensor:
        return self.concentration / self.rate

    @property
    def mode(self) -> Tensor:
        return ((self.concentration - 1) / self.rate).clamp(min=0)

    @property
    def variance(self) -> Tensor:
        return self.concentration / self.rate.pow(2)

    def rsample(self, sample_shape=Size()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        value = standard_gamma(self.concentration.expand(shape)) / self.rate.expand(shape)
        value.detach().clamp_(min=nnlite.finfo(value.dtype).tiny)
        return value

    def log_prob(self, value: Tensor) -> Tensor:
        self._validate_sample(value)
        return (nnlite.xlogy(self.concentration, self.rate)
                + nnlite.xlogy(self.concentration - 1, value)
                - self.rate * value - nnlite.lgamma(self.concentration))

    def cdf(self, value: Tensor) -> Tensor:
        self._validate_sample(value)
        c, x = nnlite.broadcast_tensors(self.concentration, self.rate * value)
        return _GammaIncX.apply(c, x)

    def entropy(self) -> Tensor:
        c = self.concentration
        return c - self.rate.log() + nnlite.lgamma(c) + (1.0 - c) * nnlite.digamma(c)


class Chi2(Gamma):
    """``Gamma(df / 2, 1 / 2)``."""

    _expand_params = ('concentration', 'rate')
    arg_constraints = {"df": constraints.positive}

    def __init__(self, df, validate_args=None) -> None:
        (df,) = broadcast_all(df)
        super().__init__(0.5 * df, 0.5, validate_args=validate_args)

    @property
    def df(self) -> Tensor:
        return self.concentration * 2
