"""``Cauchy(loc, scale)``: reparameterized with torch's ``cauchy_`` draws (a float64 uniform
``u`` per element, ``tan(pi * (u - 0.5))``), so a seed gives torch's samples."""

from __future__ import annotations

import math

import numpy as np

import nnlite
from nnlite import _random as _R
from nnlite._tensor import Size, Tensor
from nnlite.distributions.location_scale import LocationScale


def standard_cauchy(shape, dtype) -> Tensor:
    """``torch.empty(shape, dtype=dtype).cauchy_()`` from the global generator."""
    u = _R._unit_uniform(_R._gen(), _R._numel(shape), np.float64)
    vals = np.tan(math.pi * (u - 0.5))
    return Tensor._wrap(vals.astype(nnlite.empty(0, dtype=dtype)._data.dtype).reshape(shape))


class Cauchy(LocationScale):
    """Density ``1 / (pi * scale * (1 + ((x - loc) / scale)**2))``; no mean or variance.

    Example:
        >>> Cauchy(torch.tensor([0.0]), torch.tensor([1.0])).sample()
    """

    @property
    def mean(self) -> Tensor:
        return nnlite.full(self._extended_shape(), math.nan, dtype=self.loc.dtype)

    @property
    def variance(self) -> Tensor:
        return nnlite.full(self._extended_shape(), math.inf, dtype=self.loc.dtype)

    def rsample(self, sample_shape=Size()) -> Tensor:
        eps = standard_cauchy(self._extended_shape(sample_shape), self.loc.dtype)
        return self.loc + eps * self.scale

    def log_prob(self, value: Tensor) -> Tensor:
        self._validate_sample(value)
        return (-math.log(math.pi) - self.scale.log()
                - (((value - self.loc) / self.scale) ** 2).log1p())

    def cdf(self, value: Tensor) -> Tensor:
        return nnlite.atan((value - self.loc) / self.scale) / math.pi + 0.5

    def icdf(self, value: Tensor) -> Tensor:
        return nnlite.tan(math.pi * (value - 0.5)) * self.scale + self.loc

    def entropy(self) -> Tensor:
        return math.log(4 * math.pi) + self.scale.log()
