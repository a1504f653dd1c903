"""``torch.distributions``: Normal, Uniform, Bernoulli, Categorical, OneHotCategorical,
Exponential, Laplace, Gumbel, HalfNormal, LogNormal, Cauchy, StudentT, MultivariateNormal,
LowRankMultivariateNormal, Wishart, LKJCholesky, Gamma, Chi2, InverseGamma, Beta, Dirichlet,
Kumaraswamy, ContinuousBernoulli, VonMises, FisherSnedecor, GeneralizedPareto, LogisticNormal,
OneHotCategoricalStraightThrough, ExponentialFamily, Poisson, Binomial, Multinomial,
Geometric, NegativeBinomial, RelaxedBernoulli, RelaxedOneHotCategorical, Weibull, Pareto,
HalfCauchy, MixtureSameFamily, Independent, TransformedDistribution (with ``transforms``),
``constraints``, ``biject_to``/``transform_to``, ``Distribution.expand`` and
``kl_divergence``; seeded sampling identical to PyTorch's."""

from nnlite.distributions import constraints, transforms
from nnlite.distributions.bernoulli import Bernoulli
from nnlite.distributions.binomial import Binomial
from nnlite.distributions.categorical import (
    Categorical,
    OneHotCategorical,
    OneHotCategoricalStraightThrough,
)
from nnlite.distributions.cauchy import Cauchy, HalfCauchy
from nnlite.distributions.constraint_registry import biject_to, transform_to
from nnlite.distributions.continuous_bernoulli import ContinuousBernoulli
from nnlite.distributions.dirichlet import Beta, Dirichlet
from nnlite.distributions.distribution import Distribution
from nnlite.distributions.exp_family import ExponentialFamily
from nnlite.distributions.exponential import Exponential
from nnlite.distributions.fisher_snedecor import FisherSnedecor
from nnlite.distributions.gamma import Chi2, Gamma
from nnlite.distributions.generalized_pareto import GeneralizedPareto
from nnlite.distributions.geometric import Geometric
from nnlite.distributions.gumbel import Gumbel
from nnlite.distributions.half_normal import HalfNormal, LogNormal
from nnlite.distributions.independent import Independent
from nnlite.distributions.inverse_gamma import InverseGamma
from nnlite.distributions.kl import kl_divergence, register_kl
from nnlite.distributions.kl_cross_families import _kl_cb_cb  # noqa: F401 (registers)
from nnlite.distributions.kl_geometric_pareto import _kl_pareto_pareto  # noqa: F401 (registers)
from nnlite.distributions.kl_lowrank_normal import _kl_lowrank_lowrank  # noqa: F401
from nnlite.distributions.kl_pairs import _kl_mvn_mvn  # noqa: F401 (registers the pairs)
from nnlite.distributions.kumaraswamy import Kumaraswamy
from nnlite.distributions.laplace import Laplace
from nnlite.distributions.lkj_cholesky import LKJCholesky
from nnlite.distributions.logistic_normal import LogisticNormal
from nnlite.distributions.lowrank_multivariate_normal import LowRankMultivariateNormal
from nnlite.distributions.mixture_same_family import MixtureSameFamily
from nnlite.distributions.multinomial import Multinomial
from nnlite.distributions.multivariate_normal import MultivariateNormal
from nnlite.distributions.negative_binomial import NegativeBinomial
from nnlite.distributions.normal import Normal
from nnlite.distributions.poisson import Poisson
from nnlite.distributions.relaxed_bernoulli import RelaxedBernoulli
from nnlite.distributions.relaxed_categorical import RelaxedOneHotCategorical
from nnlite.distributions.student_t import StudentT
from nnlite.distributions.transformed_distribution import TransformedDistribution
from nnlite.distributions.transforms import (
    AbsTransform,
    AffineTransform,
    CatTransform,
    ComposeTransform,
    CorrCholeskyTransform,
    CumulativeDistributionTransform,
    ExpTransform,
    IndependentTransform,
    LowerCholeskyTransform,
    PositiveDefiniteTransform,
    PowerTransform,
    ReshapeTransform,
    SigmoidTransform,
    SoftmaxTransform,
    SoftplusTransform,
    StackTransform,
    StickBreakingTransform,
    TanhTransform,
    Transform,
    identity_transform,
)
from nnlite.distributions.uniform import Uniform
from nnlite.distributions.von_mises import VonMises
from nnlite.distributions.weibull import Pareto, Weibull
from nnlite.distributions.wishart import Wishart

__all__ = ["AbsTransform", "AffineTransform", "Bernoulli", "Beta", "Binomial", "CatTransform",
           "Categorical", "Cauchy", "Chi2", "ComposeTransform", "ContinuousBernoulli",
           "CorrCholeskyTransform", "CumulativeDistributionTransform", "Dirichlet", "Distribution",
           "ExpTransform", "Exponential", "ExponentialFamily", "FisherSnedecor", "Gamma",
           "GeneralizedPareto", "Geometric", "Gumbel", "HalfCauchy", "HalfNormal", "Independent",
           "IndependentTransform", "InverseGamma", "Kumaraswamy", "LKJCholesky", "Laplace",
           "LogNormal", "LogisticNormal", "LowRankMultivariateNormal", "LowerCholeskyTransform",
           "MixtureSameFamily", "Multinomial", "MultivariateNormal", "NegativeBinomial", "Normal",
           "OneHotCategorical", "OneHotCategoricalStraightThrough", "Pareto", "Poisson",
           "PositiveDefiniteTransform", "PowerTransform", "RelaxedBernoulli",
           "RelaxedOneHotCategorical", "ReshapeTransform", "SigmoidTransform", "SoftmaxTransform",
           "SoftplusTransform", "StackTransform", "StickBreakingTransform", "StudentT",
           "TanhTransform", "Transform", "TransformedDistribution", "Uniform", "VonMises",
           "Weibull", "Wishart", "biject_to", "constraints", "identity_transform", "kl_divergence",
           "register_kl", "transform_to", "transforms"]
