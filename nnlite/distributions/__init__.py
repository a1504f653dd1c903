"""``torch.distributions``: Normal, Uniform, Bernoulli, Categorical, OneHotCategorical,
Exponential, Laplace, Gumbel, HalfNormal, LogNormal, Cauchy, StudentT, MultivariateNormal, Gamma,
Chi2, Beta, Dirichlet, Poisson, Binomial, Multinomial, Independent, TransformedDistribution (with
``transforms``) and ``kl_divergence``; seeded sampling identical to PyTorch's."""

from nnlite.distributions import transforms
from nnlite.distributions.bernoulli import Bernoulli
from nnlite.distributions.binomial import Binomial
from nnlite.distributions.categorical import Categorical, OneHotCategorical
from nnlite.distributions.cauchy import Cauchy
from nnlite.distributions.dirichlet import Beta, Dirichlet
from nnlite.distributions.distribution import Distribution
from nnlite.distributions.exponential import Exponential
from nnlite.distributions.gamma import Chi2, Gamma
from nnlite.distributions.gumbel import Gumbel
from nnlite.distributions.half_normal import HalfNormal, LogNormal
from nnlite.distributions.independent import Independent
from nnlite.distributions.kl import kl_divergence, register_kl
from nnlite.distributions.kl_pairs import _kl_mvn_mvn  # noqa: F401 (registers the pairs)
from nnlite.distributions.laplace import Laplace
from nnlite.distributions.multinomial import Multinomial
from nnlite.distributions.multivariate_normal import MultivariateNormal
from nnlite.distributions.normal import Normal
from nnlite.distributions.poisson import Poisson
from nnlite.distributions.student_t import StudentT
from nnlite.distributions.transformed_distribution import TransformedDistribution
from nnlite.distributions.transforms import (
    AffineTransform,
    ComposeTransform,
    ExpTransform,
    SigmoidTransform,
    TanhTransform,
    Transform,
)
from nnlite.distributions.uniform import Uniform

__all__ = ["AffineTransform", "Bernoulli", "Beta", "Binomial", "Categorical", "Cauchy", "Chi2",
           "ComposeTransform", "Dirichlet", "Distribution", "ExpTransform", "Exponential",
           "Gamma", "Gumbel", "HalfNormal", "Independent", "Laplace", "LogNormal", "Multinomial",
           "MultivariateNormal", "Normal", "OneHotCategorical", "Poisson", "SigmoidTransform",
           "StudentT", "TanhTransform", "Transform", "TransformedDistribution", "Uniform",
           "kl_divergence", "register_kl", "transforms"]
