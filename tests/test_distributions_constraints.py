"""``distributions.constraints`` and ``validate_args`` against torch: every constraint's repr,
``is_discrete``, ``event_dim`` and ``check`` on the same values; every distribution's
``arg_constraints`` and ``support``; and the ValueError messages for invalid parameters and for
values outside the support."""

import math

import numpy as np
import pytest

import nnlite

torch = pytest.importorskip("torch")

VALUES = {
    "scalars": [-2.0, -1.0, -0.5, 0.0, 0.5, 1.0, 1.5, 2.0, 3.0, math.nan, math.inf, -math.inf],
    "vectors": [[0.25, 0.75], [0.5, 0.6], [1.0, 0.0], [-0.1, 1.1], [2.0, 1.0], [0.0, 0.0]],
    "matrices": [[[2.0, 0.0], [1.0, 1.0]], [[1.0, 0.5], [0.5, 1.0]], [[1.0, 2.0], [2.0, 1.0]],
                 [[0.0, 0.0], [0.0, 1.0]], [[1.0, 0.0], [0.0, 1.0]], [[0.6, 0.0], [0.8, 0.0]],
                 [[1.0, 0.0], [0.6, 0.8]]],
}


def constraint_cases(C):
    return {
        "real": (C.real, "scalars"), "positive": (C.positive, "scalars"),
        "nonnegative": (C.nonnegative, "scalars"), "unit_interval": (C.unit_interval, "scalars"),
        "interval": (C.interval(-1.0, 2.0), "scalars"),
        "interval_int": (C.interval(0, 1), "scalars"),
        "half_open_interval": (C.half_open_interval(0.0, 1.0), "scalars"),
        "greater_than": (C.greater_than(1.0), "scalars"),
        "greater_than_int": (C.greater_than(0), "scalars"),
        "greater_than_eq": (C.greater_than_eq(-1.0), "scalars"),
        "less_than": (C.less_than(1.5), "scalars"),
        "integer_interval": (C.integer_interval(0, 2), "scalars"),
        "nonnegative_integer": (C.nonnegative_integer, "scalars"),
        "positive_integer": (C.positive_integer, "scalars"), "boolean": (C.boolean, "scalars"),
        "simplex": (C.simplex, "vectors"), "one_hot": (C.one_hot, "vectors"),
        "real_vector": (C.real_vector, "vectors"),
        "independent": (C.independent(C.positive, 1), "vectors"),
        "independent2": (C.independent(C.unit_interval, 2), "matrices"),
        "multinomial": (C.multinomial(2), "vectors"),
        "lower_triangular": (C.lower_triangular, "matrices"),
        "lower_cholesky": (C.lower_cholesky, "matrices"),
        "corr_cholesky": (C.corr_cholesky, "matrices"), "square": (C.square, "matrices"),
        "symmetric": (C.symmetric, "matrices"),
        "positive_semidefinite": (C.positive_semidefinite, "matrices"),
        "positive_definite": (C.positive_definite, "matrices"),
        "cat": (C.cat([C.positive, C.unit_interval], 1, [1, 1]), "vectors"),
        "stack": (C.stack([C.positive, C.real], 1), "vectors"),
    }


NAMES = sorted(constraint_cases(torch.distributions.constraints))


@pytest.mark.parametrize("name", NAMES)
def test_constraint_matches_torch(name):
    theirs, kind = constraint_cases(torch.distributions.constraints)[name]
    mine, _ = constraint_cases(nnlite.distributions.constraints)[name]
    assert repr(mine) == repr(theirs)
    assert (mine.is_discrete, mine.event_dim) == (theirs.is_discrete, theirs.event_dim)
    values = VALUES[kind]
    if kind == "matrices" and (name == "symmetric" or name.startswith("positive_")):
        values = [v for v in values if v[0][1] == v[1][0]]  # torch checks the batch's symmetry
    for dtype in ("float32", "float64"):
        a = np.array(values, dtype)
        expected = theirs.check(torch.tensor(a))
        got = mine.check(nnlite.tensor(a))
        assert got.dtype == nnlite.bool and got.tolist() == expected.tolist(), (got, expected)


def test_constraint_comparison_fails_on_a_wrong_constraint():
    # the check above compares real answers: a different constraint gives different ones
    a = np.array(VALUES["scalars"])
    assert (nnlite.distributions.constraints.nonnegative.check(nnlite.tensor(a)).tolist()
            != torch.distributions.constraints.positive.check(torch.tensor(a)).tolist())


def test_module_surface_and_dependent_as_torch():
    C, TC = nnlite.distributions.constraints, torch.distributions.constraints
    missing = set(TC.__all__) - set(C.__all__) - {"MixtureSameFamilyConstraint"}
    assert not missing
    assert C.is_dependent(C.dependent) and not C.is_dependent(C.real)
    with pytest.raises(ValueError, match="Cannot determine validity of dependent constraint"):
        C.dependent.check(nnlite.zeros(1))
    assert repr(C.dependent) == repr(TC.dependent) == "Dependent()"
    with pytest.raises(NotImplementedError):
        C.dependent.event_dim  # noqa: B018
    assert C.dependent(is_discrete=True, event_dim=1).event_dim == 1
    assert isinstance(C.positive, C.Constraint)


def dist_cases(T):
    D, t = T.distributions, T.tensor
    eye = T.eye(2)
    return {
        "Normal": lambda: D.Normal(t([0.0, 1.0]), t([1.0, 2.0])),
        "Uniform": lambda: D.Uniform(t([0.0, 1.0]), t([2.0, 3.0])),
        "Bernoulli": lambda: D.Bernoulli(probs=t([0.3, 0.6])),
        "Categorical": lambda: D.Categorical(probs=t([0.2, 0.3, 0.5])),
        "OneHotCategorical": lambda: D.OneHotCategorical(logits=t([0.0, 1.0])),
        "Binomial": lambda: D.Binomial(t([5.0, 10.0]), probs=t([0.3, 0.6])),
        "Multinomial": lambda: D.Multinomial(4, probs=t([0.2, 0.8])),
        "Poisson": lambda: D.Poisson(t([2.0])),
        "Exponential": lambda: D.Exponential(t([2.0])),
        "Gamma": lambda: D.Gamma(t([2.0]), t([1.0])),
        "Chi2": lambda: D.Chi2(t([3.0])),
        "Beta": lambda: D.Beta(t([2.0]), t([3.0])),
        "Dirichlet": lambda: D.Dirichlet(t([1.0, 2.0])),
        "Laplace": lambda: D.Laplace(0.0, 1.0),
        "Gumbel": lambda: D.Gumbel(0.0, 1.0),
        "Cauchy": lambda: D.Cauchy(0.0, 1.0),
        "StudentT": lambda: D.StudentT(3.0),
        "HalfNormal": lambda: D.HalfNormal(t([1.0])),
        "LogNormal": lambda: D.LogNormal(0.0, 1.0),
        "MultivariateNormal": lambda: D.MultivariateNormal(T.zeros(2), eye),
        "Independent": lambda: D.Independent(D.Normal(T.zeros(3, 2), 1.0), 1),
        "TransformedDistribution": lambda: D.TransformedDistribution(
            D.Normal(T.zeros(2), 1.0), [D.transforms.ExpTransform()]),
    }


@pytest.mark.parametrize("name", sorted(dist_cases(torch)))
def test_arg_constraints_and_support_as_torch(name):
    theirs, mine = dist_cases(torch)[name](), dist_cases(nnlite)[name]()
    assert ({k: repr(v) for k, v in mine.arg_constraints.items()}
            == {k: repr(v) for k, v in theirs.arg_constraints.items()})
    assert repr(mine.support) == repr(theirs.support)
    assert mine.support.is_discrete == theirs.support.is_discrete
    assert mine.support.event_dim == theirs.support.event_dim
    assert repr(mine) == repr(theirs)


def _same_error(fn):
    with pytest.raises(Exception) as theirs:
        fn(torch)
    with pytest.raises(type(theirs.value)) as mine:
        fn(nnlite)
    assert str(mine.value) == str(theirs.value)


INVALID_PARAMETERS = {
    "normal_scale": lambda T: T.distributions.Normal(0.0, -1.0),
    "normal_nan_loc": lambda T: T.distributions.Normal(T.tensor([0.0, math.nan]), 1.0),
    "uniform_order": lambda T: T.distributions.Uniform(T.tensor([1.0, 0.0]), T.tensor([2.0, -1.0])),
    "bernoulli_probs": lambda T: T.distributions.Bernoulli(probs=T.tensor([0.5, 1.5])),
    "categorical_simplex": lambda T: T.distributions.Categorical(probs=T.tensor([-0.5, 1.5])),
    "binomial_count": lambda T: T.distributions.Binomial(T.tensor(2.5), probs=T.tensor(0.3)),
    "halfnormal_scale": lambda T: T.distributions.HalfNormal(T.tensor([1.0, -1.0])),
    "lognormal_scale": lambda T: T.distributions.LogNormal(0.0, -1.0),
    "onehot_probs": lambda T: T.distributions.OneHotCategorical(T.tensor([-1.0, 2.0])),
    "poisson_rate": lambda T: T.distributions.Poisson(T.tensor([-1.0])),
    "gamma_rate": lambda T: T.distributions.Gamma(T.tensor(1.0), T.tensor(0.0)),
    "dirichlet": lambda T: T.distributions.Dirichlet(T.tensor([1.0, -1.0])),
    "mvn_cov": lambda T: T.distributions.MultivariateNormal(
        T.zeros(2), T.tensor([[1.0, 2.0], [2.0, 1.0]])),
    "mvn_tril": lambda T: T.distributions.MultivariateNormal(
        T.zeros(2), scale_tril=T.tensor([[1.0, 1.0], [0.0, 1.0]])),
}


@pytest.mark.parametrize("name", sorted(INVALID_PARAMETERS))
def test_invalid_parameters_raise_torchs_error(name):
    _same_error(INVALID_PARAMETERS[name])


INVALID_VALUES = {
    "not_a_tensor": lambda T: T.distributions.Normal(0.0, 1.0).log_prob(1.0),
    "shape": lambda T: T.distributions.Normal(T.zeros(3), 1.0).log_prob(T.zeros(2)),
    "event_shape": lambda T: T.distributions.Dirichlet(T.ones(3)).log_prob(T.ones(2) / 2),
    "gamma_negative": lambda T: T.distributions.Gamma(1.0, 1.0).log_prob(T.tensor(-1.0)),
    "exponential": lambda T: T.distributions.Exponential(1.0).log_prob(T.tensor([1.0, -1.0])),
    "bernoulli": lambda T: T.distributions.Bernoulli(0.3).log_prob(T.tensor(0.5)),
    "categorical": lambda T: T.distributions.Categorical(T.ones(3)).log_prob(T.tensor(3)),
    "binomial": lambda T: T.distributions.Binomial(3, T.tensor(0.5)).log_prob(T.tensor(4.0)),
    "poisson": lambda T: T.distributions.Poisson(2.0).log_prob(T.tensor(1.5)),
    "uniform": lambda T: T.distributions.Uniform(0.0, 1.0).log_prob(T.tensor(1.5)),
    "beta": lambda T: T.distributions.Beta(2.0, 2.0).log_prob(T.tensor(1.5)),
    "simplex": lambda T: T.distributions.Dirichlet(T.ones(2)).log_prob(T.tensor([0.5, 0.6])),
    "onehot": lambda T: T.distributions.OneHotCategorical(T.ones(2)).log_prob(T.ones(2)),
    "lognormal": lambda T: T.distributions.LogNormal(0.0, 1.0).log_prob(T.tensor(-1.0)),
    "multinomial": lambda T: T.distributions.Multinomial(2, T.ones(2)).log_prob(
        T.tensor([2.0, 1.0])),
    "independent": lambda T: T.distributions.Independent(
        T.distributions.Exponential(T.ones(2)), 1).log_prob(T.tensor([1.0, -1.0])),
}


@pytest.mark.parametrize("name", sorted(INVALID_VALUES))
def test_values_outside_the_support_raise_torchs_error(name):
    _same_error(INVALID_VALUES[name])


def test_default_validation_switch_as_torch():
    D = nnlite.distributions
    try:
        D.Distribution.set_default_validate_args(False)
        assert D.Normal(0.0, -1.0).scale.item() == -1.0  # not validated
        assert math.isnan(D.Normal(0.0, 1.0, validate_args=False).log_prob(
            nnlite.tensor(math.nan)).item())
        with pytest.raises(ValueError, match="to satisfy the constraint"):
            D.Normal(0.0, -1.0, validate_args=True)
    finally:
        D.Distribution.set_default_validate_args(True)
    with pytest.raises(ValueError, match="to satisfy the constraint"):
        D.Normal(0.0, -1.0)
    for T in (torch, nnlite):
        with pytest.raises(ValueError):
            T.distributions.Distribution.set_default_validate_args("yes")
