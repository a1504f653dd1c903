"""torch.distributions transforms, biject_to / transform_to and Distribution.expand against
torch: forward, inverse, log|det J|, domain/codomain, shapes, errors; expand of every family."""

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
        close(nnlite.tensor([1.0, 2.0]), torch.tensor([1.0, 2.1]))


def _x(L, shape, seed=0):
    return L.tensor(np.random.default_rng(seed).standard_normal(shape), dtype=L.float64)


# name -> (transform builder(transforms module of lib, lib), input shape)
TRANSFORMS = {
    "softplus": (lambda T, L: T.SoftplusTransform(), (3, 4)),
    "stick_breaking": (lambda T, L: T.StickBreakingTransform(), (2, 4)),
    "softmax": (lambda T, L: T.SoftmaxTransform(), (2, 4)),
    "lower_cholesky": (lambda T, L: T.LowerCholeskyTransform(), (2, 3, 3)),
    "positive_definite": (lambda T, L: T.PositiveDefiniteTransform(), (2, 3, 3)),
    "corr_cholesky": (lambda T, L: T.CorrCholeskyTransform(), (2, 6)),
    "cat": (lambda T, L: T.CatTransform([T.ExpTransform(), T.identity_transform,
                                         T.AffineTransform(1.0, 3.0)], dim=1,
                                        lengths=[1, 2, 1]), (3, 4)),
    "cat_event": (lambda T, L: T.CatTransform([T.IndependentTransform(T.SoftplusTransform(),
                                                                      1),
                                               T.ExpTransform()], dim=-1,
                                              lengths=[2, 3]), (3, 5)),
    "stack": (lambda T, L: T.StackTransform([T.ExpTransform(), T.SigmoidTransform(),
                                             T.TanhTransform()], dim=-1), (2, 3)),
    "independent": (lambda T, L: T.IndependentTransform(T.ExpTransform(), 1), (2, 3)),
    "reshape": (lambda T, L: T.ReshapeTransform((6,), (2, 3)), (4, 6)),
    "compose": (lambda T, L: T.ComposeTransform([T.AffineTransform(0.5, -2.0),
                                                 T.SoftplusTransform(),
                                                 T.PowerTransform(L.tensor(0.5,
                                                                           dtype=L.float64))]),
                (5,)),
    "inverse_stick": (lambda T, L: T.StickBreakingTransform().inv.inv, (3,)),
    "cdf": (lambda T, L: T.CumulativeDistributionTransform(
        (D if L is nnlite else TD).Normal(L.tensor(0.5, dtype=L.float64),
                                           L.tensor(2.0, dtype=L.float64))), (4,)),
}


def _pair(name):
    build, shape = TRANSFORMS[name]
    return (build(D.transforms, nnlite), _x(nnlite, shape)), (build(TD.transforms, torch),
                                                            _x(torch, shape))


@pytest.mark.parametrize("name", sorted(TRANSFORMS))
def test_transform_matches_torch(name):
    (t, x), (rt, rx) = _pair(name)
    y, ry = t(x), rt(rx)
    close(y, ry)
    close(t.inv(y), rt.inv(ry))
    assert repr(t.domain) == repr(rt.domain) and repr(t.codomain) == repr(rt.codomain)
    assert t.bijective == rt.bijective
    assert tuple(t.forward_shape(x.shape)) == tuple(rt.forward_shape(rx.shape))
    assert tuple(t.inverse_shape(y.shape)) == tuple(rt.inverse_shape(ry.shape))
    try:
        expected = rt.log_abs_det_jacobian(rx, ry)
    except NotImplementedError:
        with pytest.raises(NotImplementedError):
            t.log_abs_det_jacobian(x, y)
    else:
        close(t.log_abs_det_jacobian(x, y), expected)
    try:
        rsign = rt.sign
    except NotImplementedError:
        with pytest.raises(NotImplementedError):
            t.sign  # noqa: B018
    else:
        sign = t.sign
        close(sign, rsign) if hasattr(rsign, "shape") else None
        assert sign == rsign if not hasattr(rsign, "shape") else True
    try:
        ok = bool(rt.codomain.check(ry).all())
    except RuntimeError:  # torch's cat constraint cannot join checks of mixed event dims
        with pytest.raises(RuntimeError):
            t.codomain.check(y)
    else:
        assert ok and bool(t.codomain.check(y).all())


@pytest.mark.parametrize("name", ["stick_breaking", "corr_cholesky", "softplus",
                                  "positive_definite", "cat_event", "stack"])
def test_transform_gradients_match_torch(name):
    grads = []
    for L, T in ((nnlite, D.transforms), (torch, TD.transforms)):
        build, shape = TRANSFORMS[name]
        x = _x(L, shape).requires_grad_(True)
        t = build(T, L)
        y = t(x)
        w = L.arange(y.numel(), dtype=y.dtype).reshape(y.shape)
        total = (y * w).sum()
        try:
            total = total + t.log_abs_det_jacobian(x, y).sum()
        except NotImplementedError:
            pass
        total.backward()
        grads.append(x.grad)
    close(*grads)


def test_stick_breaking_log_det_is_finite_differences():
    """The log|det| of x -> y[:-1] (y's last entry is determined) by float64 differences."""
    t = D.transforms.StickBreakingTransform()
    x = np.array([0.3, -1.2, 0.8])

    def f(v):
        return t(nnlite.tensor(v, dtype=nnlite.float64)).numpy()[:-1]

    jac = np.stack([(f(x + h) - f(x - h)) / 2e-6 for h in np.eye(3) * 1e-6], 1)
    xt = nnlite.tensor(x, dtype=nnlite.float64)
    got = float(t.log_abs_det_jacobian(xt, t(xt)))
    assert abs(got - np.log(abs(np.linalg.det(jac)))) < 1e-6


def test_corr_cholesky_gives_unit_rows_and_round_trips():
    t = D.transforms.CorrCholeskyTransform()
    x = _x(nnlite, (4, 10))
    y = t(x)
    assert y.shape == (4, 5, 5)
    close((y * y).sum(-1), np.ones((4, 5)), atol=1e-12)
    close(t.inv(y), x, atol=1e-9)


def test_shape_errors_match_torch():
    cases = [lambda T, L: T.CorrCholeskyTransform().forward_shape((4,)),
             lambda T, L: T.CorrCholeskyTransform().inverse_shape((2, 3)),
             lambda T, L: T.ReshapeTransform((2, 3), (5,)),
             lambda T, L: T.ReshapeTransform((6,), (2, 3)).forward_shape((4, 5)),
             lambda T, L: T.ReshapeTransform((2, 3), (6,)).forward_shape((3,))]
    for case in cases:
        msgs = []
        for L, T in ((nnlite, D.transforms), (torch, TD.transforms)):
            with pytest.raises(ValueError) as e:
                case(T, L)
            msgs.append(str(e.value))
        assert msgs[0] == msgs[1]


def test_cat_and_stack_size_errors_match_torch():
    cases = [(lambda T: T.CatTransform([T.ExpTransform()] * 2, dim=0, lengths=[1, 2]), (4,)),
             (lambda T: T.CatTransform([T.ExpTransform()], dim=3), (2,)),
             (lambda T: T.StackTransform([T.ExpTransform()] * 2, dim=0), (3,)),
             (lambda T: T.CatTransform([T.ExpTransform()], lengths=[1, 2]), None)]
    for build, shape in cases:
        msgs = []
        for L, T in ((nnlite, D.transforms), (torch, TD.transforms)):
            with pytest.raises(AssertionError) as e:
                t = build(T)
                t(L.ones(shape))
            msgs.append(str(e.value))
        assert msgs[0] == msgs[1]


def test_with_cache_and_caching_return_the_same_objects():
    for T in (D.transforms, TD.transforms):
        t = T.ExpTransform().with_cache(1)
        x = nnlite.ones(2) if T is D.transforms else torch.ones(2)
        y = t(x)
        assert t(x) is y and t.inv(y) is x
        c = T.ComposeTransform([T.ExpTransform(), T.AffineTransform(1.0, 2.0)], cache_size=1)
        assert all(p._cache_size == 1 for p in c.parts)
        assert c.inv.inv is c


CONSTRAINTS = {
    "real": lambda C: C.real, "real_vector": lambda C: C.real_vector,
    "positive": lambda C: C.positive, "nonnegative": lambda C: C.nonnegative,
    "greater_than": lambda C: C.greater_than(2.0), "less_than": lambda C: C.less_than(-1.0),
    "unit_interval": lambda C: C.unit_interval, "interval": lambda C: C.interval(-2.0, 3.0),
    "half_open": lambda C: C.half_open_interval(0.0, 5.0), "simplex": lambda C: C.simplex,
    "lower_cholesky": lambda C: C.lower_cholesky,
    "positive_definite": lambda C: C.positive_definite,
    "positive_semidefinite": lambda C: C.positive_semidefinite,
    "corr_cholesky": lambda C: C.corr_cholesky,
    "independent": lambda C: C.independent(C.positive, 1),
    "cat": lambda C: C.cat([C.positive, C.real, C.unit_interval], dim=-1, lengths=[1, 2, 1]),
    "stack": lambda C: C.stack([C.positive, C.interval(0.0, 2.0), C.real], dim=-1),
    "integer": lambda C: C.nonnegative_integer, "boolean": lambda C: C.boolean,
}
SHAPES = {"lower_cholesky": (2, 3, 3), "positive_definite": (2, 3, 3),
          "positive_semidefinite": (2, 3, 3), "corr_cholesky": (2, 3), "simplex": (2, 3),
          "stack": (2, 3)}


@pytest.mark.parametrize("registry", ["biject_to", "transform_to"])
@pytest.mark.parametrize("name", sorted(CONSTRAINTS))
def test_registries_match_torch(registry, name):
    ours_c, ref_c = CONSTRAINTS[name](D.constraints), CONSTRAINTS[name](TD.constraints)
    ours_r, ref_r = getattr(D, registry), getattr(TD, registry)
    try:
        rt = ref_r(ref_c)
    except NotImplementedError as err:
        with pytest.raises(NotImplementedError, match=str(err)):
            ours_r(ours_c)
        return
    t = ours_r(ours_c)
    assert repr(t) == repr(rt)
    shape = SHAPES.get(name, (2, 4))
    x, rx = _x(nnlite, shape), _x(torch, shape)
    y, ry = t(x), rt(rx)
    close(y, ry)
    assert bool(ours_c.check(y).all())
    if rt.bijective:
        close(t.log_abs_det_jacobian(x, y), rt.log_abs_det_jacobian(rx, ry))
        close(t.inv(y), x, atol=1e-8)


def test_register_accepts_classes_and_instances_and_rejects_others():
    reg = D.constraint_registry.ConstraintRegistry()
    reg.register(D.constraints.positive, lambda c: "inst")
    assert reg(D.constraints.positive) == "inst"

    @reg.register(type(D.constraints.simplex))
    def _factory(c):
        return "cls"

    assert reg(D.constraints.simplex) == "cls"
    msgs = []
    for R in (reg, TD.constraint_registry.ConstraintRegistry()):
        with pytest.raises(TypeError) as e:
            R.register(int, lambda c: None)
        msgs.append(str(e.value))
    assert msgs[0] == msgs[1]


def test_constrained_optimisation_through_transform_to():
    """A positive parameter fitted through its unconstrained value (the usual idiom)."""
    u = nnlite.zeros(1, requires_grad=True)
    opt = nnlite.optim.SGD([u], lr=0.1)
    t = D.transform_to(D.Normal.arg_constraints["scale"])
    for _ in range(200):
        opt.zero_grad()
        loss = (t(u) - 3.0).pow(2).sum()
        loss.backward()
        opt.step()
    assert abs(float(t(u)) - 3.0) < 1e-3


def _dists(L, M):
    f = L.float64
    v = lambda *a: L.tensor(a, dtype=f)
    cov = L.tensor([[2.0, 0.3], [0.3, 1.0]], dtype=f)
    return {
        "normal": M.Normal(v(0.0, 1.0), v(1.0, 2.0)),
        "bernoulli": M.Bernoulli(v(0.2, 0.7)),
        "bernoulli_logits": M.Bernoulli(logits=v(0.2, -0.7)),
        "categorical": M.Categorical(L.tensor([[0.2, 0.8], [0.5, 0.5]], dtype=f)),
        "onehot": M.OneHotCategorical(L.tensor([[0.2, 0.8], [0.5, 0.5]], dtype=f)),
        "exponential": M.Exponential(v(1.0, 2.0)), "laplace": M.Laplace(v(0.0, 1.0), 2.0),
        "gumbel": M.Gumbel(v(0.0, 1.0), v(1.0, 3.0)), "half_normal": M.HalfNormal(v(1.0, 2.0)),
        "log_normal": M.LogNormal(v(0.0, 1.0), v(0.5, 1.0)), "cauchy": M.Cauchy(v(0.0, 1.0), 1.0),
        "half_cauchy": M.HalfCauchy(v(1.0, 2.0)), "student_t": M.StudentT(v(3.0, 5.0)),
        "mvn": M.MultivariateNormal(v(0.0, 1.0), covariance_matrix=cov),
        "gamma": M.Gamma(v(2.0, 3.0), v(1.0, 0.5)), "chi2": M.Chi2(v(2.0, 3.0)),
        "beta": M.Beta(v(2.0, 3.0), v(1.0, 0.5)),
        "dirichlet": M.Dirichlet(L.tensor([[1.0, 2.0], [0.5, 3.0]], dtype=f)),
        "poisson": M.Poisson(v(1.0, 4.0)), "binomial": M.Binomial(10, v(0.2, 0.7)),
        "multinomial": M.Multinomial(5, L.tensor([[0.2, 0.8], [0.5, 0.5]], dtype=f)),
        "geometric": M.Geometric(v(0.2, 0.7)),
        "negative_binomial": M.NegativeBinomial(v(3.0, 4.0), v(0.2, 0.7)),
        "relaxed_bernoulli": M.RelaxedBernoulli(L.tensor(0.5, dtype=f), v(0.2, 0.7)),
        "relaxed_onehot": M.RelaxedOneHotCategorical(L.tensor(0.5, dtype=f),
                                                     L.tensor([[0.2, 0.8], [0.5, 0.5]],
                                                              dtype=f)),
        "weibull": M.Weibull(v(1.0, 2.0), v(1.5, 0.5)), "pareto": M.Pareto(v(1.0, 2.0), 3.0),
        "uniform": M.Uniform(v(0.0, 1.0), v(2.0, 3.0)),
        "independent": M.Independent(M.Normal(L.zeros(2, 3, dtype=f), 1.0), 1),
        "mixture": M.MixtureSameFamily(M.Categorical(L.tensor([0.3, 0.7], dtype=f)),
                                       M.Normal(L.zeros(2, 2, dtype=f) + v(0.0, 1.0), 1.0)),
        "transformed": M.TransformedDistribution(M.Normal(v(0.0, 1.0), 1.0),
                                                 [M.transforms.ExpTransform()]),
    }


@pytest.mark.parametrize("name", sorted(_dists(torch, TD)))
def test_expand_of_every_family_matches_torch(name):
    ours, ref = _dists(nnlite, D)[name], _dists(torch, TD)[name]
    batch = (4,) + tuple(ref.batch_shape)
    eo, er = ours.expand(batch), ref.expand(batch)
    assert type(eo) is type(ours)
    assert eo.batch_shape == er.batch_shape and eo.event_shape == er.event_shape
    assert eo._validate_args == er._validate_args
    torch.manual_seed(5)
    rs = er.sample((3,))
    nnlite.manual_seed(5)
    s = eo.sample((3,))
    close(s, rs, rtol=1e-5, atol=1e-6)
    close(eo.log_prob(nnlite.tensor(rs.numpy())), er.log_prob(rs))
    for attr in ("mean", "variance"):
        try:
            expected = getattr(er, attr)
        except NotImplementedError:
            continue
        close(getattr(eo, attr), expected)
    # the original is left as it was
    assert ours.batch_shape == ref.batch_shape


def test_expand_rules_for_subclasses_match_torch():
    class WithInit(D.Normal):
        def __init__(self, loc):
            super().__init__(loc, 1.0)

    class RefWithInit(TD.Normal):
        def __init__(self, loc):
            super().__init__(loc, 1.0)

    class Plain(D.Normal):
        pass

    msgs = []
    for cls, L in ((WithInit, nnlite), (RefWithInit, torch)):
        with pytest.raises(NotImplementedError) as e:
            cls(L.zeros(2)).expand((3, 2))
        msgs.append(str(e.value).replace("RefWithInit", "WithInit"))
    assert msgs[0] == msgs[1]
    e = Plain(nnlite.zeros(2), 1.0).expand((3, 2))
    assert type(e) is Plain and e.batch_shape == (3, 2)
    with pytest.raises(NotImplementedError):
        D.Distribution().expand((2,))


def test_transformed_distribution_broadcasts_the_base_through_transform_parameters():
    for M, L in ((D, nnlite), (TD, torch)):
        d = M.TransformedDistribution(M.Normal(L.tensor(0.0), L.tensor(1.0)),
                                      [M.transforms.AffineTransform(L.zeros(3), L.ones(3))])
        assert d.batch_shape == (3,) and d.base_dist.batch_shape == (3,)
    d = D.LogisticNormal(nnlite.zeros(3), nnlite.ones(3))
    assert d.event_shape == (4,) and d.base_dist.event_shape == (3,)
