"""Hostile inputs to the ops of the registry (nnlite/ops/registry.py), against torch.

Every ``torch.<name>`` function that torch calls as ``f(x)`` (unary), ``f(x, y)`` (binary) or
``f(x, dim=d)`` on ordinary inputs gets NaN/inf values, empty and zero-size tensors, 0-dim,
int and bool tensors, non-contiguous and expanded views, lists where a tensor is expected,
mismatched shapes and out-of-range dims; every in-place method gets an expanded (self-
overlapping) tensor, an int tensor and a leaf that requires grad. nnlite must raise the exception
type torch raises, or return what torch returns (dtype, shape, values, NaN positions).

Known divergences are listed in ``known_divergences.KNOWN`` (op, input) with what differs; a case listed there that
starts agreeing fails too, so the list stays true.
"""

import pytest

import nnlite
from nnlite.ops import registry
from tests.hostile.known_divergences import KNOWN
from tests.hostile.parity import diverges, outcome

torch = pytest.importorskip("torch")

# ops that draw random numbers or return uninitialised memory: their values cannot be compared
_NONDETERMINISTIC = ("rand", "bernoulli", "poisson", "multinomial", "normal", "dropout",
                     "binomial", "gamma", "dirichlet", "empty", "seed", "set_rng", "manual_seed")

NAN = float("nan")
INF = float("inf")

UNARY_INPUTS = {
    "nan_inf": lambda T: T.tensor([NAN, INF, -INF, 0.0, -0.0, 1.5, -2.0]),
    "empty": lambda T: T.empty(0),
    "zero_size": lambda T: T.zeros(2, 0),
    "zero_dim": lambda T: T.tensor(0.25),
    "int": lambda T: T.tensor([1, -2, 3]),
    "bool": lambda T: T.tensor([True, False, True]),
    "float64_extremes": lambda T: T.tensor([1e308, -1e308, 5e-324, 0.5], dtype=T.float64),
    "noncontiguous": lambda T: (T.arange(12.0).view(3, 4) - 5.5).t(),
    "expanded": lambda T: T.tensor([[0.3], [-0.7]]).expand(2, 3),
    "list": lambda T: [0.5, -1.0],
}

BINARY_INPUTS = {
    "mismatched": lambda T: (T.ones(3), T.ones(4)),
    "broadcast": lambda T: (T.ones(2, 3), T.tensor([1.0, NAN, -INF])),
    "int_float": lambda T: (T.tensor([1, 2, 3]), T.tensor([0.5, 0.0, -1.0])),
    "int_int_zero": lambda T: (T.tensor([4, -7, 0]), T.tensor([2, 2, 3])),
    "bool_bool": lambda T: (T.tensor([True, False]), T.tensor([True, True])),
    "empty_pair": lambda T: (T.empty(0), T.empty(0)),
    "empty_vs_one": lambda T: (T.empty(0, 3), T.ones(3)),
    "list_second": lambda T: (T.ones(2), [1.0, 2.0]),
    "nan_pair": lambda T: (T.tensor([NAN, 1.0, INF]), T.tensor([1.0, NAN, INF])),
}

DIM_INPUTS = {
    "dim_too_big": lambda T: (T.ones(2, 3), 2),
    "dim_too_negative": lambda T: (T.ones(2, 3), -3),
    "zero_dim_dim1": lambda T: (T.tensor(1.5), 1),
    "empty_reduce": lambda T: (T.zeros(0, 3), 0),
    "nan_along": lambda T: (T.tensor([[1.0, NAN], [INF, -1.0]]), 1),
    "float_dim": lambda T: (T.ones(2, 3), 1.5),
}

INPLACE_INPUTS = {
    "expanded_target": lambda T: T.zeros(1).expand(3),
    "int_target": lambda T: T.tensor([1, 4, 9]),
    "leaf_requires_grad": lambda T: T.ones(3, requires_grad=True),
}



def _works_in_torch(call) -> bool:
    try:
        r = call()
    except Exception:  # noqa: BLE001
        return False
    return isinstance(r, (torch.Tensor, tuple))


def _candidates():
    return [n for n in registry.public_names("torch")
            if not any(s in n for s in _NONDETERMINISTIC) and not n.endswith("_")
            and callable(getattr(torch, n, None))]


def _discover():
    torch.manual_seed(0)
    x, y = torch.randn(3), torch.randn(3)
    unary, binary, dim = [], [], []
    for n in _candidates():
        f = getattr(torch, n)
        if _works_in_torch(lambda f=f: f(x.clone())):
            unary.append(n)
        if _works_in_torch(lambda f=f: f(x.clone(), y.clone())):
            binary.append(n)
        if _works_in_torch(lambda f=f: f(torch.randn(2, 3), dim=1)):
            dim.append(n)
    inplace = []
    for m in sorted(registry.inplace_table()):
        if any(s in m for s in _NONDETERMINISTIC) or not hasattr(torch.Tensor, m) or (
                m.startswith("__")):  # x.__ipow__() returns NotImplemented
            continue
        if _works_in_torch(lambda m=m: (getattr(torch.randn(3), m)(), ())[1]):
            inplace.append(m)
    return unary, binary, dim, inplace


UNARY, BINARY, DIM, INPLACE = _discover()


def _check(name, inputs, call):
    bad = []
    for key, make in inputs.items():
        def run(T, make=make):
            return call(T, make(T))

        d = diverges(outcome(run, torch), outcome(run, nnlite))
        known = (name, key) in KNOWN
        if d is not None and not known:
            bad.append(f"{name}[{key}]: {d}")
        elif d is None and known:
            bad.append(f"{name}[{key}] agrees with torch now: drop it from KNOWN")
    assert not bad, "\n".join(bad)


def test_discovery_found_a_broad_set_of_ops():
    assert len(UNARY) >= 100 and len(BINARY) >= 40 and len(DIM) >= 20 and len(INPLACE) >= 50, (
        len(UNARY), len(BINARY), len(DIM), len(INPLACE))


@pytest.mark.parametrize("name", UNARY)
def test_unary_hostile(name):
    _check(name, UNARY_INPUTS, lambda T, a: getattr(T, name)(a))


@pytest.mark.parametrize("name", BINARY)
def test_binary_hostile(name):
    _check(name, BINARY_INPUTS, lambda T, a: getattr(T, name)(*a))


@pytest.mark.parametrize("name", DIM)
def test_dim_hostile(name):
    _check(name, DIM_INPUTS, lambda T, a: getattr(T, name)(a[0], dim=a[1]))


@pytest.mark.parametrize("name", INPLACE)
def test_inplace_hostile(name):
    def call(T, t):
        getattr(t, name)()
        return t

    _check(name, INPLACE_INPUTS, call)
