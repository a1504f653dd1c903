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
]


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
