"""The API added in ops/composites.py against PyTorch: values, dtypes, gradients, edge cases, errors."""

import numpy as np
import pytest

import nnlite
from nnlite.autograd import gradcheck, gradgradcheck

torch = pytest.importorskip("torch")


def _conv(mod, v, grad=False):
    if isinstance(v, np.ndarray):
        t = mod.tensor(v)
        if grad and v.dtype.kind == "f":
            t.requires_grad_(True)
        return t
    return v


def _np(v):
    if isinstance(v, (tuple, list)):
        return [_np(u) for u in v]
    if hasattr(v, "detach"):
        return v.detach().numpy()
    return v


def check(fn, *args, grad=True, rtol=1e-7, atol=1e-9):
    """``fn(T, *args)`` in nnlite and torch: same values, shapes, dtypes (and input grads)."""
    na = [_conv(nnlite, a, grad) for a in args]
    ta = [_conv(torch, a, grad) for a in args]
    ny, ty = fn(nnlite, *na), fn(torch, *ta)
    nys = ny if isinstance(ny, (tuple, list)) else [ny]
    tys = ty if isinstance(ty, (tuple, list)) else [ty]
    assert len(nys) == len(tys)
    for u, v in zip(nys, tys):
        if not hasattr(v, "dtype"):
            assert u == v
            continue
        assert str(u.dtype) == str(v.dtype), (u.dtype, v.dtype)
        assert tuple(u.shape) == tuple(v.shape)
        np.testing.assert_allclose(_np(u), _np(v), rtol=rtol, atol=atol, equal_nan=True)
    if not grad:
        return
    outs = [(u, v) for u, v in zip(nys, tys) if getattr(v, "requires_grad", False)]
    leaves = [(u, v) for u, v in zip(na, ta) if getattr(v, "requires_grad", False)]
    if not outs or not leaves:
        return
    rng = np.random.default_rng(0)
    ws = [rng.standard_normal(tuple(v.shape)) for _, v in outs]
    ns = sum((u * nnlite.tensor(w)).sum() for (u, _), w in zip(outs, ws))
    ts = sum((v * torch.tensor(w)).sum() for (_, v), w in zip(outs, ws))
    ng = nnlite.autograd.grad(ns, [u for u, _ in leaves], allow_unused=True)
    tg = torch.autograd.grad(ts, [v for _, v in leaves], allow_unused=True)
    for a, b in zip(ng, tg):
        if a is None or b is None:  # unused input: no gradient, or an all-zero one
            assert not np.any((b if a is None else a).numpy(force=True))
            continue
        np.testing.assert_allclose(a.numpy(), b.numpy(force=True), rtol=max(1e-6, 10 * rtol),
                                   atol=max(1e-8, atol), equal_nan=True)


R = np.random.default_rng(42)


def rnd(*shape, lo=None):
    a = R.standard_normal(shape)
    return np.abs(a) + lo if lo is not None else a


# ---- binary math -----------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["atan2", "hypot", "logaddexp", "logaddexp2", "xlogy",
                                  "copysign"])
def test_binary_math(name):
    check(lambda T, a, b: getattr(T, name)(a, b), rnd(3, 4, lo=0.1), rnd(4))
    check(lambda T, a, b: getattr(T, name)(a, b), rnd(2, 1), rnd(3))
    check(lambda T, a, b: getattr(a, name)(b), rnd(3), rnd(3, lo=0.2))


def test_binary_math_int_and_special_values():
    i = np.array([0, 1, -2, 3])
    check(lambda T, a, b: T.atan2(a, b), i, np.array([1, 0, 2, -1]))
    check(lambda T, a: T.logaddexp(a, a), np.array([-np.inf, np.inf, 0.0, -1e300]), grad=False)
    check(lambda T, a, b: T.xlogy(a, b), np.array([0.0, 0.0, 2.0, 1.0]),
          np.array([0.0, np.nan, 3.0, -1.0]), grad=False)
    check(lambda T, a: T.xlogy(a, 2.0), np.array([0.0, 1.5]))
    check(lambda T, a: T.xlogy(2, a), np.array([0.5, 1.5]))
    check(lambda T, a, b: T.copysign(a, b), np.array([1, -2, 3]), np.array([-0.0, 1.0, -1.0]))
    check(lambda T, a: T.float_power(a, 2), np.array([1, 2, 3]))
    check(lambda T, a, b: T.float_power(a, b), rnd(3, lo=0.5).astype(np.float32), rnd(3))
    check(lambda T, a, b: T.heaviside(a, b), np.array([-1.0, 0.0, 2.0]), np.array([0.5]),
          grad=False)
    check(lambda T, a, b: T.rsub(a, b, alpha=2), rnd(3), rnd(3))
    check(lambda T, a: T.rsub(a, 5), rnd(3))
    with pytest.raises(RuntimeError):
        nnlite.heaviside(nnlite.tensor([1.0]), nnlite.tensor([1]))


def test_inplace_binary():
    for name in ("atan2_", "hypot_", "xlogy_"):
        a, b = rnd(3, lo=0.1), rnd(3, lo=0.1)
        x, tx = nnlite.tensor(a), torch.tensor(a)
        getattr(x, name)(nnlite.tensor(b))
        getattr(tx, name)(torch.tensor(b))
        np.testing.assert_allclose(x.numpy(), tx.numpy())


# ---- unary and special functions ----------------------------------------------------------


UNARY = {
    "asinh": None, "acosh": 1.1, "atanh": "unit", "arcsinh": None, "erfc": None,
    "erfinv": "unit", "lgamma": 0.1, "digamma": 0.1, "sinc": None, "deg2rad": None,
    "rad2deg": None, "logit": "prob", "nan_to_num": None, "signbit": None, "fix": None,
    "positive": None, "sgn": None, "negative": None,
}


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary(name):
    dom = UNARY[name]
    if dom == "unit":
        a = np.tanh(rnd(3, 4)) * 0.95
    elif dom == "prob":
        a = 1 / (1 + np.exp(-rnd(3, 4)))
    elif dom is None:
        a = rnd(3, 4)
    else:
        a = rnd(3, 4, lo=dom)
    check(lambda T, x: getattr(T, name)(x), a)
    check(lambda T, x: getattr(x, name)(), a.astype(np.float32), rtol=2e-6, atol=1e-6)


def test_special_function_values():
    x = np.array([-3.5, -1.2, -0.5, 0.3, 1.0, 2.5, 7.0, 30.0, 1e-3])
    check(lambda T, a: T.digamma(a), x)
    check(lambda T, a: T.lgamma(a), x)
    check(lambda T, a: T.lgamma(a), np.array([0.0, -1.0, -2.0]), grad=False)
    check(lambda T, a: T.digamma(a), np.array([0.0, -1.0, -2.0]), grad=False)
    for n in (1, 2, 3):
        check(lambda T, a: T.polygamma(n, a), np.array([0.2, 1.0, 2.5, 9.0, 40.0]), rtol=1e-9)  # noqa: B023
        check(lambda T, a: T.polygamma(n, a), np.array([-1.5, -0.3]), rtol=1e-7)  # noqa: B023
    check(lambda T, a: a.polygamma(1), np.array([0.5, 3.0]))
    check(lambda T, a: T.mvlgamma(a, 3), np.array([1.5, 4.0]))
    y = np.array([-1.0, -0.999999, -0.5, 0.0, 1e-8, 0.3, 0.9, 0.999999, 1.0, 1.5])
    check(lambda T, a: T.erfinv(a), y, grad=False, rtol=1e-10)
    check(lambda T, a: T.erfc(a), np.array([-3.0, 0.0, 5.0, 25.0]), rtol=1e-12)
    check(lambda T, a: T.sinc(a), np.array([0.0, 0.5, -2.0, 1e-9]))
    check(lambda T, a: T.logit(a, eps=0.1), np.array([0.05, 0.5, 0.95, 0.3]))
    check(lambda T, a: T.logit(a), np.array([0.0, 1.0, 0.25]), grad=False)
    check(lambda T, a: T.deg2rad(a), np.array([0, 90, 180]))
    check(lambda T, a: T.rad2deg(a), np.array([1, 2]))
    check(lambda T, a: T.erfinv(a), np.array([0, 1]))


def test_nan_to_num_and_predicates():
    a = np.array([np.nan, np.inf, -np.inf, 1.5, -0.0])
    check(lambda T, x: T.nan_to_num(x), a)
    check(lambda T, x: T.nan_to_num(x, nan=1.0, posinf=2.0, neginf=-3.0), a)
    check(lambda T, x: x.nan_to_num(), a.astype(np.float32), grad=False)
    check(lambda T, x: T.nan_to_num(x), np.array([1, 2]))
    for name in ("signbit", "isposinf", "isneginf", "isreal"):
        check(lambda T, x: getattr(T, name)(x), a, grad=False)  # noqa: B023
    x = nnlite.tensor(a.copy())
    x.nan_to_num_(0.0)
    np.testing.assert_array_equal(x.numpy(), torch.tensor(a).nan_to_num_(0.0).numpy())
    assert nnlite.is_nonzero(nnlite.tensor([2])) and not nnlite.is_complex(nnlite.ones(2))
    with pytest.raises(RuntimeError):
        nnlite.is_nonzero(nnlite.ones(2))


def test_special_ops_gradcheck():
    x = nnlite.tensor([0.3, 1.7, 4.0, 8.5], dtype=nnlite.float64, requires_grad=True)
    for f in (nnlite.lgamma, nnlite.digamma, lambda t: nnlite.polygamma(1, t), nnlite.sinc,
              lambda t: nnlite.erfinv(t / 10), nnlite.erfc, nnlite.asinh):
        assert gradcheck(f, [x], eps=1e-6, atol=1e-5)
        assert gradgradcheck(f, [x], eps=1e-6, atol=1e-4)
    s = nnlite.tensor([0.0, 0.5], dtype=nnlite.float64, requires_grad=True)
    (g,) = nnlite.autograd.grad(nnlite.sinc(s).sum(), [s])
    assert np.isfinite(g.numpy()).all() and g.numpy()[0] == 0


# ---- reductions and scans ---------------------------------------------------------------


def test_nan_reductions():
    a = rnd(3, 4)
    a[0, 1] = a[2, 3] = np.nan
    check(lambda T, x: T.nansum(x), a)
    check(lambda T, x: x.nansum(dim=1, keepdim=True), a)
    check(lambda T, x: T.nanmean(x, dim=0), a)
    check(lambda T, x: x.nanmean(), a)
    check(lambda T, x: T.nansum(x), np.array([1, 2, 3]))
    with pytest.raises(RuntimeError):
        nnlite.nanmean(nnlite.tensor([1, 2]))


def test_aminmax():
    a = rnd(3, 4)
    check(lambda T, x: tuple(T.aminmax(x)), a, grad=False)
    check(lambda T, x: tuple(x.aminmax(dim=1, keepdim=True)), a)
    r = nnlite.aminmax(nnlite.tensor(a), dim=0)
    assert r.min.shape == (4,) and r.max.shape == (4,)


@pytest.mark.parametrize("name", ["cummax", "cummin"])
def test_cummax_cummin(name):
    check(lambda T, x: tuple(getattr(T, name)(x, 1)), rnd(3, 5))
    check(lambda T, x: tuple(getattr(x, name)(dim=0)), rnd(4, 2))
    t = np.array([1.0, 3.0, 3.0, np.nan, 2.0, np.nan, 0.0])
    check(lambda T, x: tuple(getattr(T, name)(x, 0)), t, grad=False)
    check(lambda T, x: tuple(getattr(T, name)(x, 0)), np.array([2, 1, 2, 5, 1]), grad=False)
    check(lambda T, x: tuple(getattr(T, name)(x, 0)), np.array(1.5))


def test_logcumsumexp():
    check(lambda T, x: T.logcumsumexp(x, 1), rnd(3, 5))
    check(lambda T, x: x.logcumsumexp(0), rnd(4, 2))
    check(lambda T, x: T.logcumsumexp(x, 0), np.array([-1000.0, 0.0, 1000.0, -np.inf]),
          grad=False)
    x = nnlite.tensor(rnd(3, 4), requires_grad=True)
    assert gradgradcheck(lambda t: nnlite.logcumsumexp(t, 1), [x], eps=1e-6, atol=1e-4)


def test_diff():
    check(lambda T, x: T.diff(x), rnd(3, 5))
    check(lambda T, x: T.diff(x, n=2, dim=0), rnd(4, 3))
    check(lambda T, x, p, a: T.diff(x, dim=1, prepend=p, append=a), rnd(2, 3), rnd(2, 1),
          rnd(2, 2))
    check(lambda T, x: x.diff(), np.array([1, 4, 9, 16]))
    check(lambda T, x: T.diff(x), np.array([True, False, False, True]))
    check(lambda T, x: T.diff(x, n=5), np.array([1.0, 2.0]))


def test_histc_searchsorted_bucketize():
    a = rnd(50)
    check(lambda T, x: T.histc(x, bins=7), a, grad=False)
    check(lambda T, x: T.histc(x, bins=4, min=-1, max=1), a, grad=False)
    check(lambda T, x: x.histc(3, 0, 0), np.array([2.0, 2.0, 2.0]), grad=False)
    check(lambda T, x: T.histc(x, 5, 0, 1), np.array([0.0, 1.0, 0.2, 0.4, 1.5, -0.1]),
          grad=False)
    seq = np.array([1.0, 3.0, 5.0, 7.0, 9.0])
    vals = np.array([[3.0, 6.0, 9.0], [3.0, 6.0, 10.0]])
    for right in (False, True):
        check(lambda T, s, v: T.searchsorted(s, v, right=right), seq, vals, grad=False)  # noqa: B023
        check(lambda T, v, b: T.bucketize(v, b, right=right), vals, seq, grad=False)  # noqa: B023
    check(lambda T, s: T.searchsorted(s, 4.0), seq, grad=False)
    check(lambda T, s, v: T.searchsorted(s, v, side="right", out_int32=True), seq, vals,
          grad=False)
    seq2 = np.sort(rnd(2, 5), axis=1)
    check(lambda T, s, v: T.searchsorted(s, v), seq2, rnd(2, 3), grad=False)
    check(lambda T, v, b: T.bucketize(v, b), np.array([1, 5, 8]), np.array([2, 5, 7]),
          grad=False)


def test_misc_reductions():
    check(lambda T, x: T.msort(x), rnd(4, 3))
    check(lambda T, a, b: T.dist(a, b), rnd(3, 4), rnd(4))
    check(lambda T, a, b: a.dist(b, 1), rnd(3, 4), rnd(3, 4))
    check(lambda T, a, b: T.dist(a, b, p=float("inf")), rnd(5), rnd(5))
    check(lambda T, a, b: T.cdist(a, b), rnd(4, 3), rnd(5, 3))
    check(lambda T, a, b: T.cdist(a, b, p=1), rnd(2, 4, 3), rnd(2, 5, 3))
    check(lambda T, a: T.cov(a), rnd(3, 6))
    check(lambda T, a: T.cov(a, correction=0), rnd(3, 6))
    check(lambda T, a, w: T.cov(a, aweights=w), rnd(2, 5), rnd(5, lo=0.1))
    check(lambda T, a, w: T.cov(a, fweights=w), rnd(2, 5), np.array([1, 2, 1, 3, 1]))
    check(lambda T, a: T.cov(a), rnd(6))
    check(lambda T, a: T.corrcoef(a), rnd(3, 6))
    with pytest.raises(RuntimeError):
        nnlite.cdist(nnlite.ones(3, 2), nnlite.ones(3, 4))
    # torch has no double backward for cdist (not in the op table): check ours numerically
    a, b = (nnlite.tensor(rnd(3, 2), requires_grad=True) for _ in range(2))
    assert gradgradcheck(lambda u, v: nnlite.cdist(u, v), [a, b], eps=1e-6, atol=1e-4)


# ---- shape helpers ----------------------------------------------------------------------


def test_shape_helpers():
    check(lambda T, x: T.tile(x, (2,)), rnd(2, 3))
    check(lambda T, x: x.tile(2, 1, 2), rnd(2, 3))
    for k in (-1, 0, 1, 2, 3, 5):
        check(lambda T, x: T.rot90(x, k, [0, 2]), rnd(2, 3, 4))  # noqa: B023
    check(lambda T, x: x.rot90(), rnd(2, 3))
    check(lambda T, x: T.diag_embed(x), rnd(2, 3))
    check(lambda T, x: T.diag_embed(x, offset=1, dim1=0, dim2=2), rnd(2, 3))
    check(lambda T, x: T.diag_embed(x, -2), rnd(3))
    check(lambda T, x: T.diagflat(x), rnd(2, 2))
    check(lambda T, x: x.diagflat(-1), rnd(3))
    check(lambda T, a, b, c: T.block_diag(a, b, c), rnd(2, 3), rnd(2), np.array(5.0))
    check(lambda T, a, b: T.block_diag(a, b), np.array([[1, 2]]), rnd(1, 1))
    check(lambda T, a, b: T.cartesian_prod(a, b), rnd(2), rnd(3))
    check(lambda T, a: T.cartesian_prod(a), rnd(3))
    check(lambda T, a: T.combinations(a), rnd(4))
    check(lambda T, a: T.combinations(a, r=3, with_replacement=True), rnd(3))
    check(lambda T, a: T.combinations(a, r=3), rnd(2), grad=False)
    check(lambda T, a: T.ravel(a.t()), rnd(2, 3))
    check(lambda T, a: T.take(a, T.tensor([[0, 5], [-1, 2]])), rnd(2, 3))
    with pytest.raises(IndexError):
        nnlite.take(nnlite.ones(2, 3), nnlite.tensor([6]))


def test_atleast_and_stacks():
    for f in ("atleast_1d", "atleast_2d", "atleast_3d"):
        for shape in ((), (3,), (2, 3), (2, 3, 4)):
            check(lambda T, x: getattr(T, f)(x), rnd(*shape))  # noqa: B023
        check(lambda T, x, y: getattr(T, f)(x, y), np.array(1.0), rnd(2))  # noqa: B023
        check(lambda T, x, y: getattr(T, f)([x, y]), np.array(1.0), rnd(2))  # noqa: B023
    check(lambda T, a, b: T.column_stack([a, b]), rnd(3), rnd(3, 2))
    check(lambda T, a, b: T.column_stack((a, b)), rnd(3), rnd(3))
    check(lambda T, a, b: T.dstack([a, b]), rnd(2, 3), rnd(2, 3, 2))
    check(lambda T, a, b: T.dstack([a, b]), rnd(3), rnd(3))
    check(lambda T, a, b: T.row_stack([a, b]), rnd(3), rnd(2, 3))
    check(lambda T, a: T.hsplit(a, 2), rnd(3, 4))
    check(lambda T, a: T.hsplit(a, [1, 3]), rnd(5))
    check(lambda T, a: T.vsplit(a, [1]), rnd(3, 4))
    check(lambda T, a: a.dsplit(2), rnd(2, 2, 4))
    check(lambda T, a: T.split_with_sizes(a, [1, 2], 1), rnd(2, 3))
    with pytest.raises(RuntimeError):
        nnlite.hsplit(nnlite.ones(3, 3), 2)


def test_unfold():
    check(lambda T, a: a.unfold(1, 2, 1), rnd(2, 5))
    check(lambda T, a: a.unfold(0, 3, 2), rnd(7))
    check(lambda T, a: a.unfold(-1, 2, 3), rnd(2, 3, 8))
    check(lambda T, a: a.unfold(0, 3, 3), rnd(3, 2))
    with pytest.raises(RuntimeError):
        nnlite.ones(3).unfold(0, 4, 1)


def test_triu_tril_indices():
    for args in ((3, 3), (4, 3, 1), (3, 5, -1), (0, 2), (2, 4, 10)):
        check(lambda T: T.triu_indices(*args), grad=False)  # noqa: B023
        check(lambda T: T.tril_indices(*args), grad=False)  # noqa: B023
    check(lambda T: T.tril_indices(3, 3, dtype=T.int32), grad=False)


# ---- index updates ----------------------------------------------------------------------


def test_index_add_copy_fill():
    idx = np.array([0, 2, 0])
    check(lambda T, x, s: T.index_add(x, 0, T.tensor(idx), s), rnd(3, 2), rnd(3, 2))
    check(lambda T, x, s: x.index_add(1, T.tensor([1, 1]), s, alpha=2.0), rnd(2, 3), rnd(2, 2))
    check(lambda T, x, s: T.index_copy(x, 1, T.tensor([2, 0]), s), rnd(2, 3), rnd(2, 2))
    check(lambda T, x: T.index_fill(x, 1, T.tensor([0, 2]), -1.0), rnd(2, 3))
    check(lambda T, x, v: x.index_fill(0, T.tensor([1]), v), rnd(2, 3), np.array(2.5))
    check(lambda T, x: T.index_add(x, 0, T.tensor([1]), T.ones(1, 2, dtype=T.long)),
          np.zeros((2, 2), np.int64), grad=False)


def test_index_inplace_methods():
    for name, args in (("index_add_", (0, [1, 0], "src")), ("index_copy_", (0, [1, 0], "src")),
                       ("index_fill_", (1, [0], 3.0))):
        a, s = rnd(2, 3), rnd(2, 3)
        res = []
        for T in (nnlite, torch):
            x = T.tensor(a)
            call = [T.tensor(s) if v == "src" else T.tensor(v) if isinstance(v, list) else v
                    for v in args]
            y = getattr(x, name)(*call)
            assert y is x
            res.append(x.numpy())
        np.testing.assert_allclose(res[0], res[1])
    # in place on a non-leaf keeps the graph: grads as torch
    check(lambda T, w: (w * 1.0).index_add_(0, T.tensor([1]), w[:1] * 3), rnd(2, 3))


def test_masked_scatter_and_index_put():
    m = np.array([[True, False, True], [False, True, False]])
    check(lambda T, x, s: T.masked_scatter(x, T.tensor(m), s), rnd(2, 3), rnd(5))
    check(lambda T, x, s: x.masked_scatter(T.tensor([True, False, True]), s), rnd(2, 3),
          rnd(2, 3))
    with pytest.raises(RuntimeError):
        nnlite.ones(3).masked_scatter(nnlite.tensor([True, True, True]), nnlite.ones(2))
    key = np.array([0, 1, 0])
    check(lambda T, x, v: x.index_put((T.tensor(key),), v), rnd(3, 2), rnd(2))
    check(lambda T, x, v: x.index_put((T.tensor(key),), v, accumulate=True), rnd(3, 2), rnd(3, 2))
    res = []
    for T in (nnlite, torch):
        x = T.zeros(3)
        x.index_put_((T.tensor([0, 0, 2]),), T.tensor([1.0, 2.0, 3.0]), accumulate=True)
        res.append(x.numpy())
    np.testing.assert_allclose(res[0], res[1])


def test_fill_diagonal_():
    for shape, wrap in (((3, 3), False), ((5, 2), False), ((7, 2), True), ((2, 4), True),
                        ((3, 3, 3), False)):
        a, b = nnlite.zeros(*shape), torch.zeros(*shape)
        assert a.fill_diagonal_(2.0, wrap=wrap) is a
        b.fill_diagonal_(2.0, wrap=wrap)
        np.testing.assert_array_equal(a.numpy(), b.numpy())


# ---- linear algebra ---------------------------------------------------------------------


def test_add_products():
    check(lambda T, c, m, v: T.addmv(c, m, v), rnd(3), rnd(3, 4), rnd(4))
    check(lambda T, c, m, v: c.addmv(m, v, beta=0.5, alpha=2), rnd(3), rnd(3, 4), rnd(4))
    check(lambda T, c, a, b: T.addr(c, a, b, alpha=3), rnd(3, 4), rnd(3), rnd(4))
    check(lambda T, c, a, b: T.baddbmm(c, a, b), rnd(2, 3, 5), rnd(2, 3, 4), rnd(2, 4, 5))
    check(lambda T, c, a, b: c.baddbmm(a, b, beta=0.0, alpha=0.5), rnd(1, 5), rnd(2, 3, 4),
          rnd(2, 4, 5))
    check(lambda T, c, a, b: T.addbmm(c, a, b, beta=2), rnd(3, 5), rnd(2, 3, 4), rnd(2, 4, 5))
    check(lambda T, c, a, b: c.addmm(a, b), rnd(3, 5), rnd(3, 4), rnd(4, 5))
    nanc = np.full((3,), np.nan)
    check(lambda T, c, m, v: T.addmv(c, m, v, beta=0), nanc, rnd(3, 4), rnd(4), grad=False)


def test_cross_tensordot_kron():
    check(lambda T, a, b: T.cross(a, b, dim=1), rnd(4, 3), rnd(4, 3))
    check(lambda T, a, b: T.linalg.cross(a, b) if T is torch else T.cross(a, b, dim=-1),
          rnd(2, 3), rnd(1, 3))
    check(lambda T, a, b: a.cross(b, 0), rnd(3, 2), rnd(3, 2))
    check(lambda T, a, b: T.tensordot(a, b), rnd(2, 3, 4), rnd(3, 4, 5))
    check(lambda T, a, b: T.tensordot(a, b, dims=1), rnd(2, 3), rnd(3, 4))
    check(lambda T, a, b: T.tensordot(a, b, dims=([1, 0], [0, 2])), rnd(3, 4, 2), rnd(4, 5, 3))
    check(lambda T, a, b: T.tensordot(a, b, dims=0), rnd(2), rnd(3))
    check(lambda T, a, b: T.kron(a, b), rnd(2, 3), rnd(3, 2))
    check(lambda T, a, b: a.kron(b), rnd(2), rnd(2, 3))
    check(lambda T, a, b: T.kron(a, b), np.array([[1, 2]]), np.array([[0, 1], [1, 0]]))
    check(lambda T, a, b: T.vdot(a, b), rnd(3), rnd(3))
    check(lambda T, a, b, c: T.chain_matmul(a, b, c), rnd(2, 3), rnd(3, 4), rnd(4, 2))
    m = rnd(3, 3) + 3 * np.eye(3)
    for n in (0, 1, 3, -2):
        check(lambda T, a: T.matrix_power(a, n), m, rtol=1e-6)  # noqa: B023
    check(lambda T, a: T.det(a), m)
    check(lambda T, a: a.inverse(), m)
    check(lambda T, a: T.logdet(a), m @ m.T)


def test_misc_api():
    check(lambda T: T.scalar_tensor(3), grad=False)
    check(lambda T: T.scalar_tensor(3, dtype=T.int64), grad=False)
    assert nnlite.result_type(nnlite.ones(2, dtype=nnlite.int32), 1.0) == nnlite.float32
    assert nnlite.result_type(nnlite.ones(2, dtype=nnlite.int32), nnlite.ones(1)) == nnlite.float32
    assert nnlite.can_cast(nnlite.int32, nnlite.float32)
    assert not nnlite.can_cast(nnlite.float32, nnlite.int64)
    x = nnlite.arange(12.0).reshape(3, 4)
    tx = torch.arange(12.0).reshape(3, 4)
    for f in (lambda t: t[1:].storage_offset(), lambda t: t[:, 2].storage_offset(),
              lambda t: t.storage_offset(), lambda t: t.byte().dtype, lambda t: t.short().dtype,
              lambda t: t.char().dtype, lambda t: t.is_signed(), lambda t: t.get_device(),
              lambda t: t.sum_to_size(1, 4).tolist(), lambda t: t.sum_to_size(4).tolist()):
        assert str(f(x)) == str(f(tx))
    assert x.pin_memory() is x and x.share_memory_() is x
    b = nnlite.tensor([3, 5])
    assert (b.bitwise_and(nnlite.tensor([1, 4]))).tolist() == [1, 4]


def test_names_are_exported():
    for n in ("atan2", "arctan2", "hypot", "xlogy", "nansum", "tile", "cross", "kron", "cdist",
              "baddbmm", "searchsorted", "index_add", "rot90", "triu_indices", "column_stack",
              "erfinv", "lgamma", "logcumsumexp", "cummax", "block_diag", "cartesian_prod"):
        assert hasattr(nnlite, n), n
    for n in ("index_add_", "masked_scatter_", "index_fill_", "nan_to_num_", "unfold", "take",
              "cummax", "diff", "histc", "addmv", "fill_diagonal_", "storage_offset"):
        assert hasattr(nnlite.Tensor, n), n


def test_factory_keyword_forms():
    for f in ("zeros", "ones", "empty", "rand", "randn"):
        assert tuple(getattr(nnlite, f)(size=(2, 3)).shape) == (2, 3)
        assert tuple(getattr(nnlite, f)([4]).shape) == (4,)
        assert tuple(getattr(nnlite, f)(2, 1, pin_memory=False).shape) == (2, 1)
    x = nnlite.ones(2, requires_grad=True)
    y = nnlite.clone(x, memory_format=nnlite.preserve_format)
    assert y.requires_grad and y.tolist() == [1.0, 1.0]
