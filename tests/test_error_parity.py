"""Bad calls raise torch's exception type with torch's message (a PyTorch program that catches
or prints them behaves the same). Each case runs under torch and under nnlite."""

import pytest

import nnlite

torch = pytest.importorskip("torch")

CASES = [
    "T.multinomial(T.tensor([0.5, -1.0]), 1)",
    "T.multinomial(T.tensor([0.5, float('nan')]), 1)",
    "T.multinomial(T.tensor([[0.5, 1.0], [0.0, 0.0]]), 1)",
    "T.multinomial(T.tensor(0.5), 1)",
    "T.multinomial(T.ones(2, 2, 2), 1)",
    "T.multinomial(T.tensor([0.5]), 0)",
    "T.multinomial(T.tensor([1, 2]), 1)",
    "T.randn(2, 3).masked_fill(T.ones(3, 2, dtype=T.bool), 0)",
    "T.randint(0, 5, (3,)).requires_grad_()",
    "T.nn.functional.nll_loss(T.randn(2, 3), T.tensor([0, 1], dtype=T.int32))",
    "T.nn.functional.cross_entropy(T.randn(2, 3), T.tensor([0.0, 1.0]))",
    "T.zeros(2, dtype=T.int64).mean()",
    "T.load('/nonexistent/model.pt')",
    "T.nn.Linear(3, 2)(T.randn(4, 5))",
    "T.cat([T.randn(2, 3), T.randn(2, 4)])",
    "T.randn(2, 3).view(4)",
    "T.zeros(3).uniform_(2, 1)",
    "T.randn(2, 3, 4)[:, T.tensor([True, False])]",
    "T.randn(2, 3, 4)[T.ones(2, 2, dtype=T.bool)]",
    "T.randn(2, 3, 4)[..., T.ones(3, dtype=T.bool)]",
    "T.randn(2, 3, 4)[0, T.ones(2, dtype=T.bool)]",
    "T.randn(2, 3, 4)[None, T.ones(3, dtype=T.bool)]",
    "T.randn(2, 3, 4)[T.ones(2, dtype=T.bool), T.tensor([0, 1, 2])]",
    "T.randn(2, 3, 4)[T.tensor([0, 1]), :, T.tensor([[0, 1, 2]] * 4)]",
]


def _unused_input(T):
    x = T.randn(3, requires_grad=True)
    T.autograd.grad(x.sum(), [x, T.randn(2, requires_grad=True)])


def _saved_output_modified(T):
    u = T.randn(3, requires_grad=True).tanh()
    u.mul_(2)
    u.sum().backward()


def _saved_input_modified(T):
    z = T.randn(3, requires_grad=True).exp()
    w = z * z
    z.add_(1)
    w.sum().backward()


def _saved_leaf_modified(T):
    x = T.randn(3, requires_grad=True)
    w = x * x
    with T.no_grad():
        x.add_(1)
    w.sum().backward()


PROGRAMS = [_unused_input, _saved_output_modified, _saved_input_modified, _saved_leaf_modified]


def _raised(fn, T):
    try:
        fn(T)
    except Exception as e:  # noqa: BLE001
        return type(e), str(e)
    return None, ""


@pytest.mark.parametrize("fn", PROGRAMS, ids=lambda f: f.__name__)
def test_autograd_error_as_torch(fn):
    (tt, tm), (nt, nm) = _raised(fn, torch), _raised(fn, nnlite)
    assert tt is not None and nt is tt
    # torch's sentence up to its hint; nnlite's hint says how to fix it instead
    assert nm.split(" Hint:")[0] == tm.split(" Hint:")[0]


def _raise(T, case):
    try:
        eval(case, {"T": T})
    except Exception as e:  # noqa: BLE001 - the point is which one
        return type(e), str(e).split("\n")[0]
    return None, ""


@pytest.mark.parametrize("case", CASES)
def test_error_type_and_message_as_torch(case):
    theirs = _raise(torch, case)
    assert theirs[0] is not None, f"torch accepts {case}: not an error case"
    ours = _raise(nnlite, case)
    assert ours[0] is not None, f"nnlite accepts {case}; torch raises {theirs}"
    assert issubclass(ours[0], theirs[0]) or ours[0].__name__ == theirs[0].__name__, (ours, theirs)
    assert ours[1] == theirs[1], case
