"""LowRankMultivariateNormal, VonMises, Kumaraswamy, ContinuousBernoulli, FisherSnedecor,
InverseGamma and LogisticNormal against torch.distributions: seeded samples, log_prob /
entropy / mean / variance / cdf / icdf values, shapes, support, rsample gradients,
Distribution.expand, and validate_args errors (type and message)."""

import numpy as np
import pytest

import nnlite

torch = pytest.importorskip("torch")
D, TD = nnlite.distributions, torch.distributions


def close(a, b, rtol=1e-6, atol=1e-7):
    a = a.detach().numpy() if hasattr(a, "detach") else np.asarray(a)
    b = b.detach().numpy() if hasattr(b, "detach") else np.asarray(b)
    assert a.shape == b.shape, (a.shape, b.shape)
    np.testing.assert_allclose(a, b, rtol=rtol, atol=atol, equal_nan=True)


def test_close_fails_on_a_wrong_value():
    with pytest.raises(AssertionError):
        close(nnlite.tensor([1.0, 2.0]), torch.tensor([1.0, 2.001]))
    with pytest.raises(AssertionError):
        close(nnlite.tensor([1.0, 2.0]), torch.tensor([[1.0, 2.0]]))


def _spd(L, seed=0, n=3):
    a = np.random.default_rng(seed).standard_normal((n, n))
    return L.tensor(a @ a.T + n * np.eye(n), dtype=L.float64)


def _corr(L, n=3):
    c = _spd(L, 9, n).numpy() if L is torch else _spd(torch, 9, n).numpy()
    d = np.sqrt(np.diag(c))
    return L.tensor(c / d[:, None] / d[None, :], dtype=L.float64)


def _w(L):
    g = np.random.default_rng(1)
    return L.tensor(g.standard_normal((2, 4, 2)), dtype=L.float64)


# name -> (builder(lib, dists), values(lib) for log_prob, has cdf/icdf)
CASES = {
    "lowrank": (lambda L, M: M.LowRankMultivariateNormal(
        L.tensor([[0.5, -1.0, 2.0, 0.0], [0.0, 1.0, 0.0, 3.0]], dtype=L.float64), _w(L),
        L.tensor([0.5, 1.0, 2.0, 0.3], dtype=L.float64)),
        lambda L: L.tensor([[0.1, 0.2, 0.3, -1.0], [1.0, -1.0, 0.5, 2.0]], dtype=L.float64),
        False),
    "von_mises": (lambda L, M: M.VonMises(L.tensor([0.0, 1.0, -2.0, 3.0], dtype=L.float64),
                                          L.tensor([0.5, 2.0, 5.0, 1e-3], dtype=L.float64)),
                  lambda L: L.tensor([0.3, 1.2, -3.0, 7.0], dtype=L.float64), False),
    "von_mises_f32": (lambda L, M: M.VonMises(L.tensor([0.0, 1.0]), L.tensor([4.0, 0.2])),
                      lambda L: L.tensor([0.3, 1.2]), False),
    "kumaraswamy": (lambda L, M: M.Kumaraswamy(L.tensor([0.5, 2.0, 3.0], dtype=L.float64),
                                               L.tensor([0.7, 1.0, 5.0], dtype=L.float64)),
                    lambda L: L.tensor([0.1, 0.5, 0.9], dtype=L.float64), True),
    "cont_bernoulli": (lambda L, M: M.ContinuousBernoulli(
        L.tensor([0.1, 0.4995, 0.5, 0.8, 0.999], dtype=L.float64)),
        lambda L: L.tensor([0.2, 0.5, 0.7, 0.0, 1.0], dtype=L.float64), True),
    "cont_bernoulli_logits": (lambda L, M: M.ContinuousBernoulli(
        logits=L.tensor([-3.0, 0.001, 2.0], dtype=L.float64)),
        lambda L: L.tensor([0.2, 0.5, 0.9], dtype=L.float64), True),
    "fisher": (lambda L, M: M.FisherSnedecor(L.tensor([1.0, 3.0, 8.0], dtype=L.float64),
                                             L.tensor([1.5, 5.0, 10.0], dtype=L.float64)),
               lambda L: L.tensor([0.5, 1.0, 3.0], dtype=L.float64), False),
    "inverse_gamma": (lambda L, M: M.InverseGamma(L.tensor([0.5, 1.5, 3.0], dtype=L.float64),
                                                  L.tensor([1.0, 2.0, 0.5], dtype=L.float64)),
                      lambda L: L.tensor([0.5, 1.0, 3.0], dtype=L.float64), False),
    "logistic_normal": (lambda L, M: M.LogisticNormal(
        L.tensor([[0.0, 1.0, -1.0], [0.5, 0.5, 2.0]], dtype=L.float64),
        L.tensor([1.0, 0.5, 2.0], dtype=L.float64)),
        lambda L: L.tensor([0.1, 0.2, 0.3, 0.4], dtype=L.float64), False),
    "logistic_normal_scalar": (lambda L, M: M.LogisticNormal(0.5, 2.0),
                               lambda L: L.tensor([0.3, 0.7]), False),
    # float32: torch's GeneralizedPareto.log_prob fails on float64 parameters
    "generalized_pareto": (lambda L, M: M.GeneralizedPareto(
        L.tensor([0.0, 1.0, -1.0, 0.5]), L.tensor([1.0, 2.0, 0.5, 1.0]),
        L.tensor([0.5, 0.0, -0.3, 1.2])),
        lambda L: L.tensor([0.5, 2.0, -0.5, 3.0]), True),
    "wishart": (lambda L, M: M.Wishart(L.tensor([4.0, 6.5], dtype=L.float64),
                                       covariance_matrix=_spd(L)),
                lambda L: _spd(L, 7), False),
    "wishart_tril": (lambda L, M: M.Wishart(5.0, scale_tril=L.linalg.cholesky(_spd(L, 2))),
                     lambda L: _spd(L, 3), False),
    "wishart_precision": (lambda L, M: M.Wishart(L.tensor(3.5, dtype=L.float64),
                                                 precision_matrix=_spd(L, 4)),
                          lambda L: _spd(L, 5), False),
    "lkj": (lambda L, M: M.LKJCholesky(3, L.tensor([0.5, 1.0, 4.0], dtype=L.float64)),
            lambda L: L.linalg.cholesky(_corr(L)), False),
    "lkj_scalar": (lambda L, M: M.LKJCholesky(4, 2.0),
                   lambda L: L.linalg.cholesky(_corr(L, 4)).to(L.float32), False),
}


def _pair(name):
    build = CASES[name][0]
    return build(nnlite, D), build(torch, TD)


def _same_defined_values(ours, ref):
    """mean, variance, mode and entropy agree where torch defines them; where torch raises
    NotImplementedError, so do we."""
    for attr in ("mean", "variance", "stddev", "mode", "entropy"):
        try:
            expected = getattr(ref, attr)
            expected = expected() if callable(expected) else expected
        except NotImplementedError:
            with pytest.raises(NotImplementedError):
                got = getattr(ours, attr)
                got() if callable(got) else got
            continue
        got = getattr(ours, attr)
        close(got() if callable(got) else got, expected)


@pytest.mark.parametrize("name", sorted(CASES))
def test_values_and_shapes_match_torch(name):
    ours, ref = _pair(name)
    assert ours.batch_shape == ref.batch_shape and ours.event_shape == ref.event_shape
    assert repr(ours.support) == repr(ref.support)
    assert ours.has_rsample == ref.has_rsample
    v = CASES[name][1]
    close(ours.log_prob(v(nnlite)), ref.log_prob(v(torch)))
    _same_defined_values(ours, ref)
    if CASES[name][2]:
        close(ours.cdf(v(nnlite)), ref.cdf(v(torch)))
        u = [0.05, 0.3, 0.5, 0.7, 0.95][:ref.batch_shape[-1]]
        dt = ref.mean.dtype
        close(ours.icdf(nnlite.tensor(u, dtype=getattr(nnlite, str(dt).split(".")[1]))),
              ref.icdf(torch.tensor(u, dtype=dt)), rtol=1e-5)


@pytest.mark.parametrize("name", sorted(CASES))
def test_seeded_samples_match_torch(name):
    ours, ref = _pair(name)
    for shape in ((), (5,), (2, 3)):
        nnlite.manual_seed(7)
        torch.manual_seed(7)
        a, b = ours.sample(shape), ref.sample(shape)
        assert a.dtype == (nnlite.float64 if b.dtype == torch.float64 else nnlite.float32)
        close(a, b, rtol=1e-5, atol=1e-6)
        assert bool(ours.support.check(a).all())


# torch's Wishart.rsample cannot be differentiated (its correction pass writes in place into
# a mask autograd saved); test_wishart_rsample_gradient_is_finite_differences covers ours
@pytest.mark.parametrize("name", [n for n in sorted(CASES) if CASES[n][0](torch, TD)
                                  .has_rsample and not n.startswith("wishart")])
def test_rsample_gradients_match_torch(name):
    def grads(L, M):
        d = CASES[name][0](L, M)
        leaves = []

        def leaf(v):
            t = v.detach().clone().requires_grad_(True)
            leaves.append(t)
            return t

        # rebuild from leaf copies of the arguments of the builder
        if name == "lowrank":
            args = (leaf(d.loc), leaf(d._unbroadcasted_cov_factor),
                    leaf(d._unbroadcasted_cov_diag))
            d = M.LowRankMultivariateNormal(*args)
        elif name == "kumaraswamy":
            d = M.Kumaraswamy(leaf(d.concentration1), leaf(d.concentration0))
        elif name.startswith("cont_bernoulli"):
            d = (M.ContinuousBernoulli(leaf(d.probs)) if "logits" not in name
                 else M.ContinuousBernoulli(logits=leaf(d.logits)))
        elif name == "fisher":
            d = M.FisherSnedecor(leaf(d.df1), leaf(d.df2))
        elif name == "inverse_gamma":
            d = M.InverseGamma(leaf(d.concentration), leaf(d.rate))
        elif name.startswith("logistic_normal"):
            d = M.LogisticNormal(leaf(d.loc), leaf(d.scale))
        elif name == "generalized_pareto":
            d = M.GeneralizedPareto(leaf(d.loc), leaf(d.scale), leaf(d.concentration))

        L.manual_seed(3)
        x = d.rsample((4,))
        (x * L.arange(x.numel(), dtype=x.dtype).reshape(x.shape)).sum().backward()
        return [t.grad for t in leaves]

    # torch's implicit gamma-sample gradient is an approximation good to ~1e-4 relative
    rtol = 2e-3 if name in ("fisher", "inverse_gamma") else 1e-6
    for a, b in zip(grads(nnlite, D), grads(torch, TD)):
        close(a, b, rtol=rtol, atol=1e-8)


@pytest.mark.parametrize("name", sorted(CASES))
def test_expand_matches_torch(name):
    ours, ref = _pair(name)
    shape = (3,) + tuple(ref.batch_shape) if ref.batch_shape != (1,) else (2, 1)
    eo, er = ours.expand(shape), ref.expand(shape)
    assert type(eo) is type(ours) and eo.batch_shape == er.batch_shape
    assert eo.event_shape == er.event_shape
    v = CASES[name][1]
    close(eo.log_prob(v(nnlite)), er.log_prob(v(torch)))
    _same_defined_values(eo, er)
    nnlite.manual_seed(11)
    torch.manual_seed(11)
    close(eo.sample((2,)), er.sample((2,)), rtol=1e-5, atol=1e-6)
    if ref.batch_shape:  # a shape the parameters cannot be expanded to
        with pytest.raises(RuntimeError):
            ref.expand((7, 5, 9))
        with pytest.raises(RuntimeError):
            ours.expand((7, 5, 9))


def test_lowrank_matrices_match_torch_and_a_dense_mvn():
    ours, ref = _pair("lowrank")
    for attr in ("scale_tril", "covariance_matrix", "precision_matrix"):
        close(getattr(ours, attr), getattr(ref, attr))
    dense = D.MultivariateNormal(ours.loc, covariance_matrix=ours.covariance_matrix)
    v = CASES["lowrank"][1](nnlite)
    close(ours.log_prob(v), dense.log_prob(v).detach())
    close(ours.entropy(), dense.entropy())


def test_lowrank_shape_errors_match_torch():
    for args in ((0.0, [[1.0]], [1.0]), ([0.0, 1.0], [1.0, 2.0], [1.0, 1.0]),
                 ([0.0, 1.0], [[1.0], [1.0], [1.0]], [1.0, 1.0]),
                 ([0.0, 1.0], [[1.0], [1.0]], [1.0, 1.0, 1.0])):
        errs = []
        for L, M in ((nnlite, D), (torch, TD)):
            with pytest.raises(ValueError) as e:
                M.LowRankMultivariateNormal(*(L.tensor(a) for a in args))
            errs.append(str(e.value))
        assert errs[0] == errs[1]


def test_von_mises_log_prob_integrates_to_one_and_bessel_matches_closed_form():
    import math

    from nnlite.distributions.von_mises import _log_modified_bessel_fn
    k = np.array([0.1, 1.0, 3.0, 3.8, 10.0])
    got = _log_modified_bessel_fn(nnlite.tensor(k, dtype=nnlite.float64), 0).numpy()
    np.testing.assert_allclose(got, np.log(np.i0(k)), rtol=1e-6)
    x = nnlite.linspace(-math.pi, math.pi, 20001, dtype=nnlite.float64)
    d = D.VonMises(nnlite.tensor(0.7, dtype=nnlite.float64),
                   nnlite.tensor(2.5, dtype=nnlite.float64))
    dens = d.log_prob(x).exp().numpy()
    assert abs(np.trapezoid(dens, x.numpy()) - 1) < 1e-6


@pytest.mark.parametrize("build", [
    lambda L, M: M.VonMises(L.tensor([0.0]), L.tensor([-1.0])),
    lambda L, M: M.Kumaraswamy(L.tensor([0.0]), L.tensor([1.0])),
    lambda L, M: M.FisherSnedecor(L.tensor([1.0]), L.tensor([-2.0])),
    lambda L, M: M.InverseGamma(L.tensor([1.0]), L.tensor([0.0])),
    lambda L, M: M.LogisticNormal(L.tensor([0.0, 1.0]), L.tensor([1.0, -1.0])),
    lambda L, M: M.ContinuousBernoulli(logits=L.tensor([float("nan")])),
    lambda L, M: M.LowRankMultivariateNormal(L.zeros(2), L.ones(2, 1), L.tensor([1.0, -1.0])),
])
def test_invalid_parameters_raise_torchs_error(build):
    errs = []
    for L, M in ((nnlite, D), (torch, TD)):
        with pytest.raises(ValueError) as e:
            build(L, M)
        errs.append(str(e.value).split(" of distribution ")[0])
    assert errs[0] == errs[1]


def test_continuous_bernoulli_checks_raw_probs_when_validate_args_is_given():
    for flag in (True, False):
        for M, L in ((D, nnlite), (TD, torch)):
            with pytest.raises(ValueError, match="The parameter probs has invalid values"):
                M.ContinuousBernoulli(L.tensor([1.5]), validate_args=flag)


@pytest.mark.parametrize("name,value", [("von_mises", [float("nan")] * 4),
                                        ("kumaraswamy", [0.5, 1.5, 0.2]),
                                        ("fisher", [1.0, -1.0, 2.0]),
                                        ("logistic_normal", [0.5, 0.5, 0.5, 0.5])])
def test_values_outside_the_support_raise_torchs_error(name, value):
    errs = []
    for L, M in ((nnlite, D), (torch, TD)):
        d = CASES[name][0](L, M)
        with pytest.raises(ValueError) as e:
            d.log_prob(L.tensor(value, dtype=L.float64))
        errs.append(str(e.value).split(" of the distribution ")[0])
    assert errs[0] == errs[1]


def test_wishart_rsample_gradient_is_finite_differences():
    """For a fixed seed the sample is L N N^T L^T: its gradient in L by float64 differences."""
    base = nnlite.linalg.cholesky(_spd(nnlite, 2)).detach()
    w = nnlite.arange(9, dtype=nnlite.float64).reshape(3, 3)

    def f(L):
        nnlite.manual_seed(4)
        return (D.Wishart(6.0, scale_tril=L).rsample() * w).sum()

    L = base.clone().requires_grad_(True)
    f(L).backward()
    for i, j in ((0, 0), (1, 0), (2, 1), (2, 2)):
        h = nnlite.zeros(3, 3, dtype=nnlite.float64)
        h[i, j] = 1e-6
        fd = (float(f(base + h)) - float(f(base - h))) / 2e-6
        assert abs(float(L.grad[i, j]) - fd) < 1e-5 * max(1.0, abs(fd))


def test_wishart_warns_and_redraws_as_torch():
    for M, L in ((D, nnlite), (TD, torch)):
        with pytest.warns(UserWarning, match="Singular sample detected."):
            M.Wishart(5.0, covariance_matrix=L.eye(2)).rsample((3,))
        with pytest.warns(UserWarning, match="Low df values detected"):
            M.Wishart(1.5, covariance_matrix=L.eye(2))
    msgs = []
    for M, L in ((D, nnlite), (TD, torch)):
        with pytest.raises(ValueError) as e:
            M.Wishart(0.5, covariance_matrix=L.eye(2))
        msgs.append(str(e.value))
        with pytest.raises(AssertionError, match="Exactly one of"):
            M.Wishart(3.0)
    assert msgs[0] == msgs[1]


def test_wishart_kl_is_torchs_bregman_divergence():
    for M, L in ((D, nnlite), (TD, torch)):
        assert isinstance(M.Wishart(3.0, covariance_matrix=L.eye(2)), M.ExponentialFamily)
        assert isinstance(M.Normal(0.0, 1.0), M.ExponentialFamily)
    got = D.kl_divergence(CASES["wishart"][0](nnlite, D), CASES["wishart_precision"][0](nnlite,
                                                                                          D))
    ref = TD.kl_divergence(CASES["wishart"][0](torch, TD), CASES["wishart_precision"][0](torch,
                                                                                           TD))
    close(got, ref, rtol=1e-9)
    msgs = []
    for M, L in ((D, nnlite), (TD, torch)):
        with pytest.raises(NotImplementedError) as e:
            M.kl.kl_divergence(M.Wishart(3.0, covariance_matrix=L.eye(2)),
                               M.ContinuousBernoulli(L.tensor(0.3)))
        msgs.append(str(e.value))
    with pytest.raises(NotImplementedError):
        D.kl.kl_divergence(D.Poisson(nnlite.tensor(1.0)), D.Gamma(1.0, 1.0))


def test_one_hot_straight_through_gradient_matches_torch():
    grads = []
    for M, L in ((D, nnlite), (TD, torch)):
        logits = L.tensor([[0.5, -1.0, 2.0], [0.0, 0.3, 0.1]], requires_grad=True)
        d = M.OneHotCategoricalStraightThrough(logits=logits)
        L.manual_seed(2)
        s = d.rsample((4,))
        (s * L.arange(12.0).reshape(4, 1, 3)).sum().backward()
        grads.append((s, logits.grad))
    close(grads[0][0], grads[1][0])
    close(grads[0][1], grads[1][1], rtol=1e-5)
