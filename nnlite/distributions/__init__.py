"""``torch.distributions``: Normal, Uniform, Bernoulli, Categorical, OneHotCategorical,
Exponential, Laplace, Gumbel, HalfNormal, LogNormal, ``kl_divergence``; seeded sampling
identical to PyTorch's."""

from nnlite.distributions.bernoulli import Bernoulli
from nnlite.distributions.categorical import Categorical, OneHotCategorical
from nnlite.distributions.distribution import Distribution
from nnlite.distributions.exponential import Exponential
from nnlite.distributions.gumbel import Gumbel
from nnlite.distributions.half_normal import HalfNormal, LogNormal
from nnlite.distributions.kl import kl_divergence, register_kl
from nnlite.distributions.laplace import Laplace
from nnlite.distributions.normal import Normal
from nnlite.distributions.uniform import Uniform

__all__ = ["Bernoulli", "Categorical", "Distribution", "Exponential", "Gumbel", "HalfNormal",
           "Laplace", "LogNormal", "Normal", "OneHotCategorical", "Uniform", "kl_divergence",
           "register_kl"]
