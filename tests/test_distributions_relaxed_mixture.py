"""Geometric, NegativeBinomial, RelaxedBernoulli, RelaxedOneHotCategorical, Weibull, Pareto,
HalfCauchy and MixtureSameFamily against torch: seeded samples bit-equal, log_prob and the
moments/entropy/cdf equal to rounding, rsample gradients equal, torch's reprs and constraints."""

import numpy as np
import pytest

import nnlite

torch = pytest.importorskip("torch")


def cases(T, dtype):
    D = T.distributions
    t = lambda v: T.tensor(v, dtype=dtype)
    return {
        "Geometric": (lambda p: D.Geometric(probs=p), [t([0.2, 0.5, 0.9, 1.0])],
                      lambda: t([0.0, 3.0, 1.0, 0.0])),
        "Geometric_logits": (lambda q: D.Geometric(logits=q), [t([-1.0, 0.5, 2.0])],
                             lambda: t([0.0, 2.0, 5.0])),
        "NegativeBinomial": (lambda n, p: D.NegativeBinomial(n, probs=p),
                             [t([3.0, 10.0, 0.5]), t([0.2, 0.7, 0.4])],
                             lambda: t([1.0, 12.0, 0.0])),
        "NegativeBinomial_logits": (lambda n, q: D.NegativeBinomial(n, logits=q),
                                    [t([2.0, 5.0]), t([0.3, -1.0])], lambda: t([4.0, 0.0])),
        "RelaxedBernoulli": (lambda tau, p: D.RelaxedBernoulli(tau, probs=p),
                             [t(0.7), t([0.2, 0.5, 0.9])], lambda: t([0.1, 0.5, 0.95])),
        "RelaxedBernoulli_logits": (lambda tau, q: D.RelaxedBernoulli(tau, logits=q),
                                    [t([0.5, 2.0]), t([1.0, -1.0])], lambda: t([0.3, 0.6])),
        "RelaxedOneHotCategorical": (
            lambda tau, q: D.RelaxedOneHotCategorical(tau, logits=q),
            [t(0.5), t([[0.0, 1.0, -1.0], [2.0, 0.5, 0.1]])],
            lambda: t([[0.2, 0.5, 0.3], [0.6, 0.3, 0.1]])),
        "RelaxedOneHotCategorical_probs": (
            lambda tau, p: D.RelaxedOneHotCategorical(tau, probs=p),
            [t(1.5), t([0.2, 0.3, 0.5])], lambda: t([0.1, 0.1, 0.8])),
        "Weibull": (lambda s, k: D.Weibull(s, k), [t([1.0, 2.5]), t([0.7, 3.0])],
                    lambda: t([0.4, 2.0])),
        "Pareto": (lambda s, a: D.Pareto(s, a), [t([1.0, 2.0]), t([3.0, 0.8])],
                   lambda: t([1.5, 7.0])),
        "HalfCauchy": (lambda s: D.HalfCauchy(s), [t([1.0, 0.3])], lambda: t([0.5, 2.0])),
        "MixtureSameFamily": (
            lambda w, m, s: D.MixtureSameFamily(D.Categorical(logits=w), D.Normal(m, s)),
            [t([0.0, 1.0, -0.5]), t([-1.0, 0.0, 2.0]), t([0.5, 1.0, 0.8])],
            lambda: t([0.3, -2.0])),
        "MixtureSameFamily_mvn": (
            lambda w, m: D.MixtureSameFamily(
                D.Categorical(logits=w),
                D.Independent(D.Normal(m, T.ones(2, 3, dtype=dtype)), 1)),
            [t([0.2, -0.3]), t([[0.0, 1.0, 2.0], [-1.0, 0.5, 0.0]])],
            lambda: t([[0.1, 0.2, 0.3], [1.0, -1.0, 0.0]])),
    }


NAMES = sorted(cases(torch, torch.float64))


def _np(x):
    return x.detach().numpy() if hasattr(x, "detach") else np.asarray(x)


def _build(T, name, dtype, grad=False):
    ctor, params, value = cases(T, dtype)[name]
    params = [p.clone().requires_grad_(grad and p.dtype.is_floating_point) for p in params]
    return ctor(*params), params, value()


def _draw(T, d, has_rsample):
    T.manual_seed(7)
    out = [d.sample(), d.sample((3,))]
    if has_rsample:
        out += [d.rsample((2,))]
    return out


# integer-valued samples: torch's exactly (the transcendental ones round within an ulp or two)
EXACT = ("Geometric", "NegativeBinomial", "MixtureSameFamily")


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", NAMES)
def test_samples_equal_torch(name, dtype):
    theirs, _, _ = _build(torch, name, getattr(torch, dtype))
    mine, _, _ = _build(nnlite, name, getattr(nnlite, dtype))
    assert mine.has_rsample == theirs.has_rsample
    for a, b in zip(_draw(nnlite, mine, mine.has_rsample), _draw(torch, theirs,
                                                                 theirs.has_rsample)):
        a, b = _np(a), _np(b)
        assert a.dtype == b.dtype and a.shape == b.shape
        if name.startswith(EXACT):
            np.testing.assert_array_equal(a, b)
        else:  # the same uniforms through exp/log/sigmoid: a few ulp (docs/float32_rounding.md)
            np.testing.assert_allclose(a, b, rtol=16 * np.finfo(a.dtype).eps, atol=0)


QUANTITIES = ("mean", "variance", "mode", "stddev")
METHODS = ("log_prob", "entropy", "cdf", "icdf")


@pytest.mark.parametrize("name", NAMES)
def test_values_and_gradients_equal_torch(name):
    theirs, tp, tv = _build(torch, name, torch.float64, grad=True)
    mine, mp, mv = _build(nnlite, name, nnlite.float64, grad=True)
    assert repr(mine) == repr(theirs)
    assert repr(mine.support) == repr(theirs.support)
    assert (mine.batch_shape, mine.event_shape) == (theirs.batch_shape, theirs.event_shape)
    compared = 0
    for q in QUANTITIES + METHODS:
        try:
            expected = getattr(theirs, q)
            expected = expected(tv if q != "icdf" else torch.full_like(tv, 0.3)) if q in METHODS \
                else expected
            if q == "entropy":
                expected = theirs.entropy()
        except (NotImplementedError, TypeError):
            continue
        got = getattr(mine, q)
        if q in METHODS:
            got = mine.entropy() if q == "entropy" else got(
                mv if q != "icdf" else nnlite.full_like(mv, 0.3))
        np.testing.assert_allclose(_np(got), _np(expected), rtol=1e-12, atol=1e-12,
                                   err_msg=q)
        compared += 1
    assert compared >= 1
    # gradients of log_prob (and of a reparameterized sample) reach the parameters as torch's
    lt, lm = theirs.log_prob(tv).sum(), mine.log_prob(mv).sum()
    if theirs.has_rsample:
        torch.manual_seed(3)
        nnlite.manual_seed(3)
        lt = lt + theirs.rsample((2,)).sum()
        lm = lm + mine.rsample((2,)).sum()
    gt = torch.autograd.grad(lt, [p for p in tp if p.requires_grad], allow_unused=True)
    gm = nnlite.autograd.grad(lm, [p for p in mp if p.requires_grad], allow_unused=True)
    for a, b in zip(gm, gt):
        if b is None:
            continue
        np.testing.assert_allclose(_np(a), _np(b), rtol=1e-10, atol=1e-12)


def _same_error(fn):
    with pytest.raises(Exception) as theirs:
        fn(torch)
    with pytest.raises(type(theirs.value)) as mine:
        fn(nnlite)
    assert str(mine.value) == str(theirs.value)


ERRORS = {
    "geometric_zero": lambda T: T.distributions.Geometric(T.tensor([0.5, 0.0])),
    "geometric_big": lambda T: T.distributions.Geometric(T.tensor([1.5])),
    "geometric_value": lambda T: T.distributions.Geometric(0.5).log_prob(T.tensor(1.5)),
    "negbin_probs": lambda T: T.distributions.NegativeBinomial(2.0, probs=T.tensor(1.0)),
    "negbin_count": lambda T: T.distributions.NegativeBinomial(-1.0, probs=T.tensor(0.5)),
    "relaxed_probs": lambda T: T.distributions.RelaxedBernoulli(T.tensor(1.0),
                                                                 probs=T.tensor(2.0)),
    "relaxed_value": lambda T: T.distributions.RelaxedBernoulli(
        T.tensor(1.0), probs=T.tensor(0.3)).log_prob(T.tensor(1.5)),
    "relaxed_cat_value": lambda T: T.distributions.RelaxedOneHotCategorical(
        T.tensor(1.0), probs=T.ones(2) / 2).log_prob(T.tensor([0.5, 0.7])),
    "weibull_scale": lambda T: T.distributions.Weibull(T.tensor(-1.0), T.tensor(1.0)),
    "pareto_value": lambda T: T.distributions.Pareto(T.tensor(2.0), T.tensor(1.0)).log_prob(
        T.tensor(1.0)),
    "halfcauchy_value": lambda T: T.distributions.HalfCauchy(T.tensor(1.0)).log_prob(
        T.tensor(-1.0)),
    "mixture_type": lambda T: T.distributions.MixtureSameFamily(
        T.distributions.Normal(0.0, 1.0), T.distributions.Normal(T.zeros(2), 1.0)),
    "mixture_count": lambda T: T.distributions.MixtureSameFamily(
        T.distributions.Categorical(T.ones(3)), T.distributions.Normal(T.zeros(2), 1.0)),
}


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_errors_as_torch(name):
    _same_error(ERRORS[name])


def kl_cases(T):
    D, t = T.distributions, lambda v: T.tensor(v, dtype=T.float64)
    return {
        "geometric": (D.Geometric(t([0.3, 0.6])), D.Geometric(t([0.5, 0.2]))),
        "pareto": (D.Pareto(t([1.0, 2.0]), t([3.0, 0.5])), D.Pareto(t([1.5, 1.0]), t([2.0, 1.0]))),
        "pareto_normal": (D.Pareto(t([1.0, 2.0]), t([3.0, 0.5])), D.Normal(t([1.0, 2.0]), 1.0)),
        "pareto_gamma": (D.Pareto(t([1.0, 2.0]), t([3.0, 1.5])), D.Gamma(t([1.0, 2.0]), 1.0)),
        "pareto_exponential": (D.Pareto(t([1.0, 2.0]), t([3.0, 0.5])),
                               D.Exponential(t([1.0, 2.0]))),
        "uniform_pareto": (D.Uniform(t([1.0, 0.5]), t([3.0, 1.5])),
                           D.Pareto(t([1.0, 1.0]), t([2.0, 2.0]))),
        "normal_pareto": (D.Normal(t([0.0]), 1.0), D.Pareto(t([1.0]), 2.0)),
        "pareto_uniform": (D.Pareto(t([1.0]), 2.0), D.Uniform(t([0.0]), 2.0)),
    }


@pytest.mark.parametrize("name", sorted(kl_cases(torch)))
def test_kl_pairs_as_torch(name):
    mine = nnlite.distributions.kl_divergence(*kl_cases(nnlite)[name])
    theirs = torch.distributions.kl_divergence(*kl_cases(torch)[name])
    np.testing.assert_allclose(_np(mine), _np(theirs), rtol=1e-12)


def test_kl_dispatch_takes_the_most_specific_pair():
    D = nnlite.distributions
    # Pareto is a TransformedDistribution: its own pair wins over the transformed one
    p, q = D.Pareto(1.0, 3.0), D.Pareto(2.0, 3.0)
    assert nnlite.isinf(D.kl_divergence(p, q)).item()
    with pytest.raises(NotImplementedError, match="No KL"):
        D.kl_divergence(D.Weibull(1.0, 2.0), D.Poisson(1.0))
