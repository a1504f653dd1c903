"""Ops with a kernel plain path (numba/BLAS/numpy arrays, taken when ``create_graph=False``) and a
differentiable Tensor-op backward (taken when ``create_graph=True``) give the same gradients:
first order path against path, second order the create_graph path's Hessian-vector product
against central differences of the plain path's gradient (float64). Every row the registry
flags ``kernel=True`` must have a case here."""

import numpy as np
import pytest

import nnlite as nl
import nnlite.nn.functional as F
from nnlite.ops import registry

RNG = np.random.default_rng(0)


def away_from_kinks(shape, seed):
    """Magnitudes in [0.2, 0.9] U [1.2, 2.5], random signs: no relu/hardtanh/hardswish kink."""
    r = np.random.default_rng(seed)
    mag = np.where(r.random(shape) < 0.5, r.uniform(0.2, 0.9, shape), r.uniform(1.2, 2.5, shape))
    return mag * np.where(r.random(shape) < 0.5, -1.0, 1.0)


T5 = np.array([0, 2, 1, 3, 2])


def _dropout(x):
    nl.manual_seed(0)
    return F.dropout(x, 0.3)


def _bn(training):
    def f(x, w, b):
        rm, rv = nl.zeros(3, dtype=nl.float64), nl.ones(3, dtype=nl.float64) * 1.5
        return F.batch_norm(x, rm, rv, w, b, training=training)

    return f


# row name (namespace.name) -> [(fn, input shapes)]
CASES = {
    "torch.tanh": [(nl.tanh, [(3, 4)])],
    "torch.sigmoid": [(nl.sigmoid, [(3, 4)])],
    "torch.relu": [(nl.relu, [(3, 4)])],
    "torch.erf": [(nl.erf, [(3, 4)])],
    "torch.softmax": [(lambda x: nl.softmax(x, 1), [(3, 4)])],
    "torch.log_softmax": [(lambda x: nl.log_softmax(x, 0), [(3, 4)])],
    "torch.matmul": [(nl.matmul, [(3, 4), (4, 2)]), (nl.matmul, [(2, 3, 4), (4, 2)])],
    "torch.mm": [(nl.mm, [(3, 4), (4, 2)])],
    "F.tanh": [(F.tanh, [(3, 4)])],
    "F.sigmoid": [(F.sigmoid, [(3, 4)])],
    "F.relu": [(F.relu, [(3, 4)])],
    "F.relu6": [(lambda x: F.relu6(x * 3), [(3, 4)])],
    "F.leaky_relu": [(lambda x: F.leaky_relu(x, 0.1), [(3, 4)])],
    "F.elu": [(lambda x: F.elu(x, 0.7), [(3, 4)])],
    "F.celu": [(lambda x: F.celu(x, 0.8), [(3, 4)])],
    "F.selu": [(F.selu, [(3, 4)])],
    "F.gelu": [(F.gelu, [(3, 4)]), (lambda x: F.gelu(x, approximate="tanh"), [(3, 4)])],
    "F.softplus": [(F.softplus, [(3, 4)]), (lambda x: F.softplus(x, 2.0, 1.5), [(3, 4)])],
    "F.hardtanh": [(F.hardtanh, [(3, 4)])],
    "F.hardsigmoid": [(lambda x: F.hardsigmoid(x * 2), [(3, 4)])],
    "F.hardswish": [(lambda x: F.hardswish(x * 2), [(3, 4)])],
    "F.mish": [(F.mish, [(3, 4)])],
    "F.logsigmoid": [(F.logsigmoid, [(3, 4)])],
    "F.silu": [(F.silu, [(3, 4)])],
    "F.prelu": [(F.prelu, [(2, 3, 4), (3,)])],
    "F.dropout": [(lambda x: _dropout(x) * x, [(3, 4)])],
    "F.softmax": [(lambda x: F.softmax(x, dim=-1), [(3, 4)])],
    "F.log_softmax": [(lambda x: F.log_softmax(x, dim=1), [(3, 4)])],
    "F.linear": [(F.linear, [(3, 4), (2, 4), (2,)]), (F.linear, [(2, 3, 4), (2, 4)])],
    "F.batch_norm": [(_bn(True), [(5, 3), (3,), (3,)]), (_bn(False), [(5, 3), (3,), (3,)])],
    "F.layer_norm": [(lambda x, w, b: F.layer_norm(x, (4,), w, b), [(3, 4), (4,), (4,)])],
    "F.cross_entropy": [
        (lambda x: F.cross_entropy(x, nl.tensor(T5)), [(5, 4)]),
        (lambda x: F.cross_entropy(x, nl.tensor(T5), label_smoothing=0.1,
                                   weight=nl.tensor([1.0, 2.0, 0.5, 1.5], dtype=nl.float64)),
         [(5, 4)]),
        (lambda x: F.cross_entropy(x, nl.tensor(T5), reduction="none"), [(5, 4)]),
    ],
    "F.nll_loss": [(lambda x: F.nll_loss(F.log_softmax(x, 1), nl.tensor(T5)), [(5, 4)])],
    "F.conv1d": [(lambda x, w, b: F.conv1d(x, w, b, padding=1), [(2, 2, 5), (3, 2, 3), (3,)])],
    "F.conv2d": [(lambda x, w: F.conv2d(x, w, stride=1), [(1, 2, 4, 4), (2, 2, 2, 2)])],
    "F.conv_transpose1d": [(F.conv_transpose1d, [(1, 2, 4), (2, 3, 3)])],
    "F.conv_transpose2d": [(F.conv_transpose2d, [(1, 2, 3, 3), (2, 2, 2, 2)])],
    "F.conv3d": [(lambda x, w, b: F.conv3d(x, w, b, padding=(0, 1, 0)),
                  [(1, 2, 3, 3, 2), (2, 2, 2, 2, 2), (2,)])],
    "F.conv_transpose3d": [(lambda x, w: F.conv_transpose3d(x, w, stride=(1, 2, 1)),
                            [(1, 2, 2, 2, 2), (2, 1, 2, 2, 2)])],
    # elementwise ops whose plain path is the derivative on arrays (inputs moved into the
    # domain: |x| < 1 for asin/acos/atanh/erfinv, x > 1 for acosh, x > 0 for logs and roots)
    "torch.acos": [(lambda x: nl.acos(x * 0.35), [(3, 4)])],
    "torch.asin": [(lambda x: nl.asin(x * 0.35), [(3, 4)])],
    "torch.atanh": [(lambda x: nl.atanh(x * 0.35), [(3, 4)])],
    "torch.erfinv": [(lambda x: nl.erfinv(x * 0.35), [(3, 4)])],
    "torch.acosh": [(lambda x: nl.acosh(x.abs() + 1.1), [(3, 4)])],
    "torch.asinh": [(nl.asinh, [(3, 4)])],
    "torch.atan": [(nl.atan, [(3, 4)])],
    "torch.cos": [(nl.cos, [(3, 4)])],
    "torch.cosh": [(nl.cosh, [(3, 4)])],
    "torch.sin": [(nl.sin, [(3, 4)])],
    "torch.sinh": [(nl.sinh, [(3, 4)])],
    "torch.tan": [(lambda x: nl.tan(x * 0.5), [(3, 4)])],
    "torch.erfc": [(nl.erfc, [(3, 4)])],
    "torch.exp": [(nl.exp, [(3, 4)])],
    "torch.exp2": [(nl.exp2, [(3, 4)])],
    "torch.expm1": [(nl.expm1, [(3, 4)])],
    "torch.log": [(lambda x: nl.log(x.abs()), [(3, 4)])],
    "torch.log10": [(lambda x: nl.log10(x.abs()), [(3, 4)])],
    "torch.log1p": [(lambda x: nl.log1p(x.abs()), [(3, 4)])],
    "torch.log2": [(lambda x: nl.log2(x.abs()), [(3, 4)])],
    "torch.sqrt": [(lambda x: nl.sqrt(x.abs()), [(3, 4)])],
    "torch.rsqrt": [(lambda x: nl.rsqrt(x.abs()), [(3, 4)])],
    "torch.reciprocal": [(nl.reciprocal, [(3, 4)])],
    "torch.frac": [(lambda x: nl.frac(x * 0.35) * x, [(3, 4)])],
    "torch.lgamma": [(lambda x: nl.lgamma(x.abs() + 0.1), [(3, 4)])],
    "torch.bmm": [(nl.bmm, [(2, 3, 4), (2, 4, 2)])],
    "torch.t": [(lambda x: nl.t(x) * x.t(), [(3, 4)])],
    "F.hardshrink": [(lambda x: F.hardshrink(x, 1.0) * x, [(3, 4)])],
    "F.softshrink": [(lambda x: F.softshrink(x, 1.0) * x, [(3, 4)])],
    "F.threshold": [(lambda x: F.threshold(x, 1.0, -0.5) * x, [(3, 4)]),
                    (lambda x: F.threshold(x * 1, 1.0, -0.5, inplace=True) * x, [(3, 4)])],
    "F.grid_sample": [(lambda x, g: F.grid_sample(x, g * 0.3, align_corners=False),
                       [(1, 2, 3, 3), (1, 2, 2, 2)])],
    "F.ctc_loss": [(lambda x: F.ctc_loss(F.log_softmax(x, 2), nl.tensor([[1, 2]]), [5], [2]),
                    [(5, 1, 3)])],
}
# the in-place variants (their own nodes, ...Backward1) under the same rows
CASES["F.elu"].append((lambda x: F.elu(x * 1, 0.7, inplace=True) * x, [(3, 4)]))
CASES["F.celu"].append((lambda x: F.celu(x * 1, 0.8, inplace=True) * x, [(3, 4)]))
CASES["F.leaky_relu"].append((lambda x: F.leaky_relu(x * 1, 0.1, inplace=True) * x, [(3, 4)]))

# nodes with two paths that no registry row reaches, and why
NOT_A_ROW = {
    "nnlite.compile.": "a captured step's replay nodes: compared with eager by tests/compile",
}
PARAMS = [(k, i) for k, cases in CASES.items() for i in range(len(cases))]


def test_every_kernel_row_has_a_case():
    flagged = {f"{r.namespace}.{r.name}" for r in registry.OPS if r.kernel}
    assert flagged, "no row is flagged kernel=True"
    assert sorted(flagged - set(CASES)) == []
    assert sorted(set(CASES) - flagged) == []


def two_path_nodes(root=None) -> set:
    """``module.Class`` of every Node class whose own ``backward`` branches on grad mode (an
    array plain path next to the Tensor-op one)."""
    import inspect

    from nnlite.autograd.function import Node

    out, stack = set(), [root or Node]
    while stack:
        for sub in stack.pop().__subclasses__():
            stack.append(sub)
            b = sub.__dict__.get("backward")
            if b is None or not sub.__module__.startswith("nnlite."):
                continue
            try:
                src = inspect.getsource(b)
            except (OSError, TypeError):
                continue
            if "_GradState.enabled" in src or "is_grad_enabled" in src:
                out.add(f"{sub.__module__}.{sub.__qualname__}")
    return out


def _reached(fn, shapes, i):
    """The classes (and their bases) of the nodes in the graph one case builds."""
    arrs = [away_from_kinks(s, k + 10 * i) for k, s in enumerate(shapes)]
    y = fn(*[nl.tensor(a, requires_grad=True) for a in arrs])
    seen, out, stack = set(), set(), [y.grad_fn]
    while stack:
        f = stack.pop()
        if f is None or id(f) in seen:
            continue
        seen.add(id(f))
        for c in type(f).__mro__:
            out.add(f"{c.__module__}.{c.__qualname__}")
        stack.extend(e for e, _ in f.next_functions)
    return out


def test_every_two_path_node_is_reached_by_a_compared_case():
    """A node with an array plain path must sit under a ``kernel=True`` row's case here."""
    from tests.test_imports_node_names import _import_all

    _import_all()
    reached = set()
    for cases in CASES.values():
        for i, (fn, shapes) in enumerate(cases):
            reached |= _reached(fn, shapes, i)
    missing = sorted(n for n in two_path_nodes() - reached if not n.startswith(tuple(NOT_A_ROW)))
    assert missing == [], f"nodes with two backward paths that no compared case reaches: {missing}"


def test_the_two_path_scan_finds_a_new_two_path_node():
    from nnlite.autograd.function import Node
    from nnlite.autograd.grad_mode import _GradState

    class _Base(Node):
        pass

    class TwoWayBackward0(_Base):
        def backward(self, g):
            return (g * 2,) if _GradState.enabled else (g,)

    TwoWayBackward0.__module__ = "nnlite.ops.somewhere"
    assert two_path_nodes(_Base) == {"nnlite.ops.somewhere." + TwoWayBackward0.__qualname__}


def _grads(fn, arrs, v, create_graph):
    xs = [nl.tensor(a, requires_grad=True) for a in arrs]
    y = fn(*xs)
    gs = nl.autograd.grad(y, xs, nl.tensor(v), create_graph=create_graph, allow_unused=True)
    return xs, gs


@pytest.mark.parametrize("key,i", PARAMS)
def test_plain_and_create_graph_paths_agree(key, i):
    fn, shapes = CASES[key][i]
    check_two_paths(fn, shapes, i)


def _gelu_node():
    from nnlite.ops.nn import activations

    return activations._gelu.node_cls


def test_the_comparison_fails_on_a_one_percent_wrong_create_graph_formula(monkeypatch):
    """The issue's case: GELU's create_graph formula made 1 % wrong must fail the check."""
    from nnlite.autograd.grad_mode import _GradState

    node = _gelu_node()
    right = node.backward

    def wrong(self, g):
        (gx,) = right(self, g)
        return (gx * 1.01 if _GradState.enabled else gx,)

    monkeypatch.setattr(node, "backward", wrong)
    with pytest.raises(AssertionError):
        check_two_paths(F.gelu, [(3, 4)], 0)


def test_the_comparison_fails_on_a_wrong_second_derivative_only(monkeypatch):
    """First order equal on both paths, the create_graph graph's derivative off: caught by
    the second-order half (Hessian-vector product against differences of the plain path)."""
    from nnlite.autograd.grad_mode import _GradState

    node = _gelu_node()
    right = node.backward

    def wrong(self, g):
        (gx,) = right(self, g)
        if _GradState.enabled:
            (x,) = self._unpacked_saved
            gx = gx + 0.05 * (x * x - (x * x).detach())  # value 0, derivative 0.1 x
        return (gx,)

    monkeypatch.setattr(node, "backward", wrong)
    with pytest.raises(AssertionError, match="second order"):
        check_two_paths(F.gelu, [(3, 4)], 0)


def check_two_paths(fn, shapes, i):
    """Plain-path gradients == create_graph-path gradients, and the create_graph path's
    Hessian-vector product == central differences of the plain path's (float64)."""
    arrs = [away_from_kinks(s, k + 10 * i) for k, s in enumerate(shapes)]
    y0 = fn(*[nl.tensor(a) for a in arrs])
    r = np.random.default_rng(1)
    v = r.standard_normal(tuple(y0.shape))
    _, plain = _grads(fn, arrs, v, False)
    xs, graph = _grads(fn, arrs, v, True)
    for p, g in zip(plain, graph):
        assert (p is None) == (g is None)
        if p is not None:
            np.testing.assert_allclose(p.numpy(), g.detach().numpy(), rtol=1e-10, atol=1e-12)
    w = [None if p is None else r.standard_normal(tuple(p.shape)) for p in plain]
    s = sum((g * nl.tensor(wi)).sum() for g, wi in zip(graph, w) if g is not None)
    hvp = [np.zeros(a.shape) for a in arrs]
    if s.requires_grad:
        got = nl.autograd.grad(s, xs, allow_unused=True)
        hvp = [np.zeros(a.shape) if h is None else h.numpy() for h, a in zip(got, arrs)]

    def plain_s(arrays):
        _, gs = _grads(fn, arrays, v, False)
        return sum(float((g.numpy() * wi).sum()) for g, wi in zip(gs, w) if g is not None)

    eps = 1e-6
    for k, a in enumerate(arrs):
        num = np.zeros(a.size)
        for j in range(a.size):
            plus = [x.copy() for x in arrs]
            minus = [x.copy() for x in arrs]
            plus[k].reshape(-1)[j] += eps
            minus[k].reshape(-1)[j] -= eps
            num[j] = (plain_s(plus) - plain_s(minus)) / (2 * eps)
        np.testing.assert_allclose(hvp[k].reshape(-1), num, rtol=1e-5, atol=1e-6,
                                   err_msg=f"second order, input {k}")
