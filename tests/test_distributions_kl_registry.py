"""kl_divergence for every pair torch 2.13 registers, against torch's values (including its
``inf`` for a support not inside ``q``'s), with torch's errors for unequal event shapes."""

import numpy as np
import pytest

import nnlite

torch = pytest.importorskip("torch")
D, TD = nnlite.distributions, torch.distributions


def close(a, b, rtol=1e-6, atol=1e-8):
    a, b = a.detach().numpy(), b.detach().numpy()
    assert a.shape == b.shape, (a.shape, b.shape)
    np.testing.assert_allclose(a, b, rtol=rtol, atol=atol)


def test_close_fails_on_a_wrong_value():
    with pytest.raises(AssertionError):
        close(nnlite.tensor([1.0, float("inf")]), torch.tensor([1.0, 2.0]))


def _families(L, M, variant):
    """One instance per family (batch shape (3,)); ``variant`` 0/1 gives two parameter sets."""
    def v(*a):
        return L.tensor(a, dtype=L.float64) + 0.1 * variant

    g = np.random.default_rng(variant)
    W = L.tensor(g.standard_normal((3, 4, 2)), dtype=L.float64)
    A = g.standard_normal((4, 4))
    cov = L.tensor(A @ A.T + 4 * np.eye(4), dtype=L.float64)
    return {
        "Bernoulli": M.Bernoulli(v(0.2, 0.5, 0.7)), "Beta": M.Beta(v(0.5, 2.0, 3.0),
                                                                   v(1.5, 1.0, 0.7)),
        "Binomial": M.Binomial(10, v(0.2, 0.5, 0.7)),
        "Categorical": M.Categorical(L.tensor(g.dirichlet([1.0] * 4, 3), dtype=L.float64)),
        "ContinuousBernoulli": M.ContinuousBernoulli(v(0.2, 0.4995, 0.8)),
        "Dirichlet": M.Dirichlet(L.tensor(g.uniform(0.5, 3.0, (3, 4)), dtype=L.float64)),
        "Exponential": M.Exponential(v(0.5, 1.0, 2.0)),
        "Gamma": M.Gamma(v(0.5, 2.0, 3.0), v(1.0, 0.5, 2.0)),
        "Gumbel": M.Gumbel(v(0.0, 1.0, -1.0), v(1.0, 2.0, 0.5)),
        "Geometric": M.Geometric(v(0.2, 0.5, 0.7)),
        "HalfNormal": M.HalfNormal(v(1.0, 2.0, 0.5)),
        "Laplace": M.Laplace(v(0.0, 1.0, -1.0), v(1.0, 2.0, 0.5)),
        "LowRankMultivariateNormal": M.LowRankMultivariateNormal(
            L.zeros(3, 4, dtype=L.float64) + 0.2 * variant, W, L.ones(4, dtype=L.float64)
            + variant),
        "MultivariateNormal": M.MultivariateNormal(L.ones(3, 4, dtype=L.float64) * variant,
                                                   covariance_matrix=cov),
        "Normal": M.Normal(v(0.0, 0.5, -1.0), v(1.0, 2.0, 0.5)),
        "OneHotCategorical": M.OneHotCategorical(L.tensor(g.dirichlet([1.0] * 4, 3),
                                                          dtype=L.float64)),
        "Pareto": M.Pareto(v(1.0, 2.0, 0.5), v(3.0, 1.5, 2.5)),
        "Poisson": M.Poisson(v(0.5, 1.0, 4.0)),
        "TransformedDistribution": M.TransformedDistribution(
            M.Normal(v(0.0, 0.5, -1.0), v(1.0, 2.0, 0.5)), [M.transforms.ExpTransform()]),
        "Uniform": M.Uniform(v(0.1, 0.2, -1.0), v(0.8, 0.6, 2.0)),
        "Independent": M.Independent(M.Normal(L.zeros(3, 2, dtype=L.float64) + v(0.0, 1.0,
                                                                               2.0)[:, None],
                                              1.0 + variant), 1),
        "Cauchy": M.Cauchy(v(0.0, 1.0, -1.0), v(1.0, 2.0, 0.5)),
    }


def _torch_pairs():
    names = set(_families(torch, TD, 0))
    return sorted((p.__name__, q.__name__) for p, q in TD.kl._KL_REGISTRY
                  if p.__name__ in names and q.__name__ in names)


def test_every_registered_pair_of_torch_is_covered():
    """The pairs torch registers for families nnlite has are all here (ExponentialFamily's
    generic Bregman pair aside)."""
    ours = {(p.__name__, q.__name__) for p, q in D.kl._KL}
    assert set(_torch_pairs()) - ours == set()


@pytest.mark.parametrize("pair", _torch_pairs(), ids="-".join)
def test_kl_matches_torch(pair):
    pn, qn = pair
    ours = D.kl_divergence(_families(nnlite, D, 0)[pn], _families(nnlite, D, 1)[qn])
    ref = TD.kl_divergence(_families(torch, TD, 0)[pn], _families(torch, TD, 1)[qn])
    close(ours, ref)


def test_kl_of_a_distribution_with_itself_is_zero():
    for name in ("LowRankMultivariateNormal", "ContinuousBernoulli"):
        d = _families(nnlite, D, 0)[name]
        close(D.kl_divergence(d, d), torch.zeros(3, dtype=torch.float64))


@pytest.mark.parametrize("pq", [("LowRankMultivariateNormal", "LowRankMultivariateNormal"),
                                ("MultivariateNormal", "LowRankMultivariateNormal"),
                                ("LowRankMultivariateNormal", "MultivariateNormal")])
def test_unequal_event_shapes_raise_torchs_error(pq):
    msgs = []
    for L, M in ((nnlite, D), (torch, TD)):
        p = _families(L, M, 0)[pq[0]]
        q = (M.LowRankMultivariateNormal(L.zeros(3, dtype=L.float64),
                                         L.ones(3, 1, dtype=L.float64),
                                         L.ones(3, dtype=L.float64))
             if pq[1].startswith("Low") else
             M.MultivariateNormal(L.zeros(3, dtype=L.float64),
                                  covariance_matrix=L.eye(3, dtype=L.float64)))
        with pytest.raises(ValueError) as e:
            M.kl_divergence(p, q)
        msgs.append(str(e.value))
    assert msgs[0] == msgs[1]
