"""``LKJCholesky(dim, concentration)``: the LKJ law over Cholesky factors of ``dim x dim``
correlation matrices, sampled by torch's onion method (a Beta draw per row for its squared
norm, a normal draw for its direction), so a seed gives torch's samples."""

from __future__ import annotations

import math

import nnlite
from nnlite._tensor import Size, Tensor
from nnlite.distributions import constraints
from nnlite.distributions.dirichlet import Beta
from nnlite.distributions.distribution import Distribution, broadcast_all


class LKJCholesky(Distribution):
    """Density proportional to ``prod_k L_kk^(dim - k + 2 (concentration - 1))`` on lower
    Cholesky factors ``L`` of correlation matrices (``concentration = 1``: uniform over
    correlation matrices).

    Example:
        >>> LKJCholesky(3, 0.5).sample()    # a 3x3 lower factor with unit-norm rows
    """

    arg_constraints = {"concentration": constraints.positive}
    support = constraints.corr_cholesky
    _expand_params = ("concentration",)
    _expand_dists = ("_beta",)

    def __init__(self, dim: int, concentration=1.0, validate_args=None) -> None:
        if dim < 2:
            raise ValueError(f"Expected dim to be an integer greater than or equal to 2. "
                             f"Found dim={dim}.")
        self.dim = dim
        (self.concentration,) = broadcast_all(concentration)
        marginal_conc = self.concentration + 0.5 * (dim - 2)
        offset = nnlite.arange(dim - 1, dtype=self.concentration.dtype)
        offset = nnlite.cat([offset.new_zeros((1,)), offset])
        # row i's squared norm of its off-diagonal part ~ Beta(i / 2, marginal - (i - 1) / 2)
        self._beta = Beta(offset + 0.5, marginal_conc.unsqueeze(-1) - 0.5 * offset)
        super().__init__(self.concentration.shape, Size((dim, dim)),
                         validate_args=validate_args)

    def sample(self, sample_shape=Size()) -> Tensor:
        with nnlite.no_grad():
            y = self._beta.sample(sample_shape).unsqueeze(-1)
            u_normal = nnlite.randn(self._extended_shape(sample_shape), dtype=y.dtype).tril(-1)
            norm = u_normal.norm(dim=-1, keepdim=True)
            # row 0 has no off-diagonal part (0 / 0 there): torch zeroes it
            first_row = nnlite.arange(self.dim).reshape(self.dim, 1) == 0
            u_hypersphere = nnlite.where(first_row, nnlite.zeros_like(u_normal),
                                         u_normal / norm)
            w = y.sqrt() * u_hypersphere
            tiny = nnlite.finfo(w.dtype).tiny
            diag = (1 - (w ** 2).sum(dim=-1)).clamp(min=tiny).sqrt()
            return w + nnlite.diag_embed(diag)

    def log_prob(self, value: Tensor) -> Tensor:
        self._validate_sample(value)
        diag_elems = value.diagonal(dim1=-1, dim2=-2)[..., 1:]
        order = nnlite.arange(2, self.dim + 1)
        order = 2 * (self.concentration - 1).unsqueeze(-1) + self.dim - order
        unnormalized = (order * diag_elems.log()).sum(dim=-1)
        dm1 = self.dim - 1
        alpha = self.concentration + 0.5 * dm1
        denominator = nnlite.lgamma(alpha) * dm1
        numerator = nnlite.mvlgamma(alpha - 0.5, dm1)
        normalize_term = 0.5 * dm1 * math.log(math.pi) + numerator - denominator
        return unnormalized - normalize_term
