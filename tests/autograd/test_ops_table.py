"""Table tests over every entry of op_table (``OPS`` and ``CALLS``): gradcheck, gradgradcheck,
PyTorch parity (values, dtypes, grad_fn names, first and second order grads), non-contiguous
inputs. Entries flagged ``grad=False`` (ops without a derivative) get value/dtype parity only."""

import numpy as np
import pytest

import nnlite
from nnlite.autograd import gradcheck, gradgradcheck

from .op_table import CALLS, OPS, Lazy


class Case:
    """A table entry: ``fn(T, *tensors)``, its input shapes and domains, its flags and the
    registry row ``(namespace, name)`` it exercises (None: found from the key)."""

    def __init__(self, fn, shapes, domain="real", grad=True, values=True, row=None):
        self.fn, self.shapes, self.domain = fn, shapes, domain
        self.grad, self.values, self.row = grad, values, row


def _cases():
    out = {k: Case(fn, shapes, domain) for k, (fn, shapes, domain) in OPS.items()}
    for k, c in CALLS.items():
        out[k if k not in out else k + "#call"] = Case(
            c, c.shapes, c.domain, c.grad, c.values, (c.ns, c.name))
    return out


CASES = _cases()
NAMES = sorted(CASES)
GRAD_NAMES = [n for n in NAMES if CASES[n].grad]
FLOAT_DOMAINS = ("real", "positive", "unit", "prob", "gt1", "spd")


def _draw(rng, shape, domain):
    if domain == "int":
        return rng.integers(0, 4, shape)
    a = rng.standard_normal(shape)
    if domain == "positive":
        return np.abs(a) + 0.5
    if domain == "unit":
        return np.tanh(a) * 0.9
    if domain == "prob":
        return rng.uniform(0.1, 0.9, shape)
    if domain == "gt1":
        return np.abs(a) + 1.2
    if domain == "spd":
        return a @ a.T + shape[-1] * np.eye(shape[-1])
    return a


def make_inputs(shapes, domain, seed=0, transposed=False):
    rng = np.random.default_rng(seed)
    specs = [s if isinstance(s[0], tuple) else (s, domain) for s in shapes] if shapes else []
    arrs = [_draw(rng, s, d) for s, d in specs]
    # keep values away from kinks (relu/abs/clamp/max ties) for finite differences
    # (shift by a constant so distinct values stay distinct: no ties for max/min/sort)
    for kink in (0.0, 0.5, -0.5, 0.7, 0.1, 0.3, -0.2, 1.0, -1.0):
        arrs = [np.where(np.abs(a - kink) < 0.05, a + 0.11, a)
                if d in ("real", "positive") else a for a, (_, d) in zip(arrs, specs)]
    if len(arrs) >= 2 and arrs[0].shape == arrs[1].shape and arrs[0].dtype.kind == "f":
        # no ties between the two inputs (maximum/minimum/where)
        arrs[1] = np.where(np.abs(arrs[0] - arrs[1]) < 0.05, arrs[1] + 0.2, arrs[1])
    if transposed:
        # same values, non-contiguous memory: a transposed copy's transpose
        arrs = [np.ascontiguousarray(a.T).T if a.ndim >= 2 else a[::1] for a in arrs]
    return arrs


def nl_inputs(arrs, grad=True):
    return [nnlite.tensor(a, dtype=nnlite.float64 if a.dtype.kind == "f" else None,
                          requires_grad=grad and a.dtype.kind == "f") for a in arrs]


def _flat(y):
    """The results of a call as a flat list (tuples and lists of tensors unpacked)."""
    if isinstance(y, (tuple, list)) and type(y).__name__ != "Size":
        return [u for v in y for u in _flat(v)]
    return [y]


def _is_tensor(v):
    return hasattr(v, "grad_fn") and hasattr(v, "dtype")


def _diff(y):
    """The differentiable tensor outputs of a call, as gradcheck takes them."""
    return tuple(v for v in _flat(y) if _is_tensor(v) and v.requires_grad)


def _seeded(T, fn):
    def run(*xs):
        T.manual_seed(0)
        return fn(T, *xs)

    return run


def _diffable(name):
    c = CASES[name]
    run = _seeded(nnlite, c.fn)
    return lambda *xs: _diff(run(*xs))


@pytest.mark.parametrize("name", GRAD_NAMES)
def test_gradcheck(name):
    c = CASES[name]
    xs = nl_inputs(make_inputs(c.shapes, c.domain))
    assert _diffable(name)(*xs), f"{name}: no differentiable output"
    assert gradcheck(_diffable(name), xs, eps=1e-6, atol=1e-5)


@pytest.mark.parametrize("name", GRAD_NAMES)
def test_gradgradcheck(name):
    c = CASES[name]
    xs = nl_inputs(make_inputs(c.shapes, c.domain, seed=1))
    assert gradgradcheck(_diffable(name), xs, eps=1e-6, atol=1e-4)


@pytest.mark.parametrize("name", NAMES)
def test_non_contiguous_inputs_same_values_and_grads(name):
    c = CASES[name]
    arrs = make_inputs(c.shapes, c.domain, seed=2)
    a = nl_inputs(arrs, c.grad)
    b = [nnlite.from_numpy(x).requires_grad_(c.grad and x.dtype.kind == "f")
         for x in make_inputs(c.shapes, c.domain, seed=2, transposed=True)]
    if any(len(s) >= 2 and sorted(s)[-2] > 1 for s in c.shapes if not isinstance(s[0], tuple)):
        assert any(not t.is_contiguous() for t in b)
    if name == "view" and not b[0].is_contiguous():
        with pytest.raises(RuntimeError, match="view size is not compatible"):
            c.fn(nnlite, *b)
        return
    run = _seeded(nnlite, c.fn)
    ya, yb = _flat(run(*a)), _flat(run(*b))
    for u, v in zip(ya, yb):
        if _is_tensor(u) and c.values:
            np.testing.assert_allclose(u.detach().numpy(), v.detach().numpy(), rtol=1e-12)
        elif not _is_tensor(u):
            assert u == v
    da, db = _diff(ya), _diff(yb)
    if not c.grad or not da:
        return
    ga = nnlite.autograd.grad(sum(t.sum() for t in da), [x for x in a if x.requires_grad])
    gb = nnlite.autograd.grad(sum(t.sum() for t in db), [x for x in b if x.requires_grad])
    for u, v in zip(ga, gb):
        np.testing.assert_allclose(u.numpy(), v.numpy(), rtol=1e-12, atol=1e-12)


# grad_fn names still to match torch's (empty: every entry's name is torch's); a fixed one fails
# the test until it is removed from here: the list can only shrink.
GRAD_FN_PENDING: set = set()


# Entries whose graph one step down (the names and order of ``grad_fn.next_functions``, None
# for an input without a gradient edge) still differs from torch's (empty: every entry's graph is
# torch's). A fixed one fails until removed: the list can only shrink.
STRUCTURE_PENDING: set = set()


def graph_step(fn):
    """``(name, (next names...))`` of a grad_fn, as far as a tutorial's walk goes."""
    if fn is None:
        return None
    names = tuple(None if f is None else type(f).__name__ for f, _ in fn.next_functions)
    return type(fn).__name__, names


def _assert_same_results(name, ty, ny, values=True, structure=True):
    tys, nys = _flat(ty), _flat(ny)
    assert len(nys) == len(tys), f"{name}: {len(nys)} results, torch gives {len(tys)}"
    for i, (t, n) in enumerate(zip(tys, nys)):
        if not _is_tensor(t):
            if type(t).__name__ == "dtype":
                assert str(n) == str(t), (name, i)
            else:
                assert type(n) is type(t) or type(t).__name__ == "Size", (name, i, n, t)
                assert n == t, (name, i, n, t)
            continue
        assert _is_tensor(n), f"{name}[{i}]: {type(n).__name__}, torch gives a Tensor"
        assert tuple(n.shape) == tuple(t.shape), (name, i, tuple(n.shape), tuple(t.shape))
        assert str(n.dtype) == str(t.dtype), (name, i, n.dtype, t.dtype)
        if values:
            np.testing.assert_allclose(n.detach().numpy(), t.detach().numpy(force=True),
                                       rtol=1e-6, atol=1e-6, err_msg=f"{name}[{i}]")
        tn = type(t.grad_fn).__name__ if t.grad_fn is not None else None
        nn_ = type(n.grad_fn).__name__ if n.grad_fn is not None else None
        if name in GRAD_FN_PENDING:
            assert i or tn is None or nn_ != tn, (
                f"{name}: grad_fn now matches torch's: remove it from GRAD_FN_PENDING")
            continue
        assert nn_ == tn, f"{name}[{i}]: grad_fn {nn_}, torch shows {tn}"
        if i == 0 and structure:
            ts, ns = graph_step(t.grad_fn), graph_step(n.grad_fn)
            if name in STRUCTURE_PENDING:
                assert ts != ns, f"{name}: graph now matches torch's: remove it from STRUCTURE_PENDING"
            else:
                assert ns == ts, f"{name}: next_functions {ns}, torch shows {ts}"


@pytest.mark.parametrize("name", NAMES)
def test_parity_with_torch(name):
    torch = pytest.importorskip("torch")
    c = CASES[name]
    arrs = make_inputs(c.shapes, c.domain, seed=3)
    tx = [torch.tensor(a, requires_grad=c.grad and a.dtype.kind == "f") for a in arrs]
    nx = nl_inputs(arrs, c.grad)
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ty = _seeded(torch, c.fn)(*tx)
    ny = _seeded(nnlite, c.fn)(*nx)
    _assert_same_results(name, ty, ny, c.values)
    if not c.grad:
        return
    tys, nys = _diff(ty), _diff(ny)
    tx = [x for x in tx if x.requires_grad]
    nx = [x for x in nx if x.requires_grad]
    rng = np.random.default_rng(4)
    vs = [rng.standard_normal(tuple(t.shape)) for t in tys]
    tg = torch.autograd.grad(tys, tx, [torch.tensor(v) for v in vs], create_graph=True,
                             allow_unused=True)
    ng = nnlite.autograd.grad(nys, nx, [nnlite.tensor(v) for v in vs], create_graph=True,
                              allow_unused=True)
    for a, b in zip(tg, ng):
        if a is None:
            assert b is None or not np.any(b.detach().numpy()), name
            continue
        np.testing.assert_allclose(b.detach().numpy(), a.detach().numpy(force=True), rtol=1e-6,
                                   atol=1e-6)
    # second order: d/dx of sum(grad * w)
    pairs = [(a, b) for a, b in zip(tg, ng) if a is not None and a.requires_grad]
    if not pairs:
        return  # piecewise-linear op: no second derivative in torch
    w = [rng.standard_normal(tuple(a.shape)) for a, _ in pairs]
    t_s = sum((a * torch.tensor(wi)).sum() for (a, _), wi in zip(pairs, w))
    n_s = sum((b * nnlite.tensor(wi)).sum() for (_, b), wi in zip(pairs, w))
    try:
        tgg = torch.autograd.grad(t_s, tx, allow_unused=True)
    except (NotImplementedError, RuntimeError) as e:
        if "not implemented" in str(e):
            return  # torch has no second derivative of this op (cdist, hardsigmoid)
        raise
    ngg = nnlite.autograd.grad(n_s, nx, allow_unused=True) if n_s.requires_grad else [None] * len(nx)
    for a, b in zip(tgg, ngg):
        a = np.zeros(1) if a is None else a.numpy(force=True)
        b = np.zeros(1) if b is None else b.numpy()
        np.testing.assert_allclose(np.broadcast_to(b, a.shape) if b.size == 1 else b,
                                   a, rtol=1e-6, atol=1e-6)


def _float_constants(c):
    """Whether a call passes float64 constant tensors (targets, weights): they promote."""
    args = [*getattr(c.fn, "args", ()), *getattr(c.fn, "kw", {}).values()]
    return any(isinstance(a, Lazy) and getattr(a.make(nnlite), "is_floating_point", bool)()
               for a in args)


@pytest.mark.parametrize("name", [n for n in GRAD_NAMES if CASES[n].domain in FLOAT_DOMAINS
                                  and not _float_constants(CASES[n])])
def test_float32_stays_float32(name):
    c = CASES[name]
    xs = [nnlite.tensor(a, dtype=nnlite.float32 if a.dtype.kind == "f" else None,
                        requires_grad=a.dtype.kind == "f")
          for a in make_inputs(c.shapes, c.domain)]
    ys = _diff(_seeded(nnlite, c.fn)(*xs))
    if name.startswith("float_power"):
        assert all(y.dtype == nnlite.float64 for y in ys)  # torch: always double
        return
    assert all(y.dtype == nnlite.float32 for y in ys)
    gs = nnlite.autograd.grad(sum(y.sum() for y in ys), [x for x in xs if x.requires_grad])
    assert all(g.dtype == nnlite.float32 for g in gs)


def test_results_comparison_fails_on_a_wrong_value_dtype_or_grad_fn():
    """The parity check is not vacuous: a different value, dtype or grad_fn name fails it."""
    torch = pytest.importorskip("torch")
    a = np.array([0.5, 1.5])
    t = torch.tensor(a, requires_grad=True)
    n = nnlite.tensor(a, requires_grad=True)
    _assert_same_results("exp", torch.exp(t), nnlite.exp(n))
    for wrong in (nnlite.exp(n) * 1.001, nnlite.exp(n.detach()).float(), nnlite.exp(n) + 0):
        with pytest.raises(AssertionError):
            _assert_same_results("exp", torch.exp(t), wrong)
    # the graph one step down: the same node over a different input edge fails it
    m = nnlite.tensor(a, requires_grad=True)
    _assert_same_results("mul", t * t.detach(), n * m.detach())
    with pytest.raises(AssertionError, match="next_functions"):
        _assert_same_results("mul", t * t.detach(), n * m)
