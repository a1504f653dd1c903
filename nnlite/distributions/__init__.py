"""``torch.distributions``: Normal, Uniform, Bernoulli, Categorical, OneHotCategorical,
``kl_divergence``; seeded sampling identical to PyTorch's."""

from nnlite.distributions.bernoulli import Bernoulli
from nnlite.distributions.categorical import Categorical, OneHotCategorical
from nnlite.distributions.distribution import Distribution
from nnlite.distributions.kl import kl_divergence, register_kl
from nnlite.distributions.normal import Normal
from nnlite.distributions.uniform import Uniform

__all__ = ["Bernoulli", "Categorical", "Distribution", "Normal", "OneHotCategorical", "Uniform",
           "kl_divergence", "register_kl"]
