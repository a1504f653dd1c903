"""``VonMises(loc, concentration)``: the circular normal on angles. ``log I_0`` and ``log I_1``
come from the Abramowitz-Stegun polynomial approximations torch uses (so values agree with
torch's to the rounding of the same ops); ``sample`` is Best and Fisher's rejection sampler in
float64 with torch's draws (three uniforms per round for every element until each accepts),
so a seed gives torch's samples."""

from __future__ import annotations

import math

import nnlite
from nnlite._tensor import Size, Tensor
from nnlite.distributions import constraints
from nnlite.distributions.distribution import Distribution, broadcast_all, lazy_property

# Abramowitz & Stegun 9.8.1-9.8.4: I_0, I_1 for x < 3.75 in (x / 3.75)^2, and
# sqrt(x) exp(-x) I_n(x) for x >= 3.75 in 3.75 / x
_I0_SMALL = (1.0, 3.5156229, 3.0899424, 1.2067492, 0.2659732, 0.360768e-1, 0.45813e-2)
_I0_LARGE = (0.39894228, 0.1328592e-1, 0.225319e-2, -0.157565e-2, 0.916281e-2,
             -0.2057706e-1, 0.2635537e-1, -0.1647633e-1, 0.392377e-2)
_I1_SMALL = (0.5, 0.87890594, 0.51498869, 0.15084934, 0.2658733e-1, 0.301532e-2, 0.32411e-3)
_I1_LARGE = (0.39894228, -0.3988024e-1, -0.362018e-2, 0.163801e-2, -0.1031555e-1,
             0.2282967e-1, -0.2895312e-1, 0.1787654e-1, -0.420059e-2)


def _horner(y: Tensor, coef) -> Tensor:
    result = coef[-1]
    for c in reversed(coef[:-1]):
        result = c + y * result
    return result


def _log_modified_bessel_fn(x: Tensor, order: int = 0) -> Tensor:
    """``log I_order(x)`` for ``x > 0`` and ``order`` 0 or 1."""
    if order not in (0, 1):
        raise AssertionError(f"order must be 0 or 1, got {order}")
    small = _horner((x / 3.75) * (x / 3.75), (_I0_SMALL, _I1_SMALL)[order])
    if order == 1:
        small = x.abs() * small
    small = small.log()
    large = x - 0.5 * x.log() + _horner(3.75 / x, (_I0_LARGE, _I1_LARGE)[order]).log()
    return nnlite.where(x < 3.75, small, large)


def _rejection_sample(loc, concentration, proposal_r, x):
    done = nnlite.zeros(x.shape, dtype=nnlite.bool)
    while not bool(done.all()):
        u1, u2, u3 = nnlite.rand((3,) + tuple(x.shape), dtype=loc.dtype).unbind()
        z = nnlite.cos(math.pi * u1)
        f = (1 + proposal_r * z) / (proposal_r + z)
        c = concentration * (proposal_r - f)
        accept = ((c * (2 - c) - u2) > 0) | ((c / u2).log() + 1 - c >= 0)
        if bool(accept.any()):
            x = nnlite.where(accept, (u3 - 0.5).sign() * f.acos(), x)
            done = done | accept
    return (x + math.pi + loc) % (2 * math.pi) - math.pi


class VonMises(Distribution):
    """Density ``exp(k cos(x - loc)) / (2 pi I_0(k))``; ``loc`` and values are angles (any
    real, read modulo ``2 pi``); samples lie in ``[-pi, pi)``.

    Example:
        >>> VonMises(torch.tensor([1.0]), torch.tensor([1.0])).sample()
    """

    arg_constraints = {"loc": constraints.real, "concentration": constraints.positive}
    support = constraints.real
    has_rsample = False
    _expand_params = ("loc", "concentration")

    def __init__(self, loc, concentration, validate_args=None) -> None:
        self.loc, self.concentration = broadcast_all(loc, concentration)
        super().__init__(self.loc.shape, Size(), validate_args=validate_args)

    def log_prob(self, value: Tensor) -> Tensor:
        self._validate_sample(value)
        log_prob = self.concentration * nnlite.cos(value - self.loc)
        return (log_prob - math.log(2 * math.pi)
                - _log_modified_bessel_fn(self.concentration, order=0))

    def _proposal_r(self) -> Tensor:
        kappa = self.concentration.to(nnlite.float64)
        tau = 1 + (1 + 4 * kappa**2).sqrt()
        rho = (tau - (2 * tau).sqrt()) / (2 * kappa)
        # the second-order Taylor expansion for small kappa, where the above cancels
        return nnlite.where(kappa < 1e-5, 1 / kappa + kappa, (1 + rho**2) / (2 * rho))

    def sample(self, sample_shape=Size()) -> Tensor:
        # float64 throughout: in float32 the loop can stall for tiny concentrations
        shape = self._extended_shape(sample_shape)
        with nnlite.no_grad():
            x = nnlite.empty(shape, dtype=nnlite.float64)
            loc = self.loc.to(nnlite.float64)
            kappa = self.concentration.to(nnlite.float64)
            return _rejection_sample(loc, kappa, self._proposal_r(), x).to(self.loc.dtype)

    @property
    def mean(self) -> Tensor:
        """The circular mean."""
        return self.loc

    @property
    def mode(self) -> Tensor:
        return self.loc

    variance = lazy_property("variance", lambda self: 1 - (
        _log_modified_bessel_fn(self.concentration, order=1)
        - _log_modified_bessel_fn(self.concentration, order=0)).exp())
