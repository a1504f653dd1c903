"""The comparison helper of the hostile-input checks must fail on wrong outcomes."""

import numpy as np

from tests.hostile.parity import Raised, diverges, outcome


class _T:  # a stand-in namespace: outcome() only calls the function with it
    pass


def _ret(arr, dtype="float32"):
    return [(dtype, np.shape(arr), np.asarray(arr))]


def test_agreeing_outcomes_pass():
    nan = float("nan")
    assert diverges(_ret([1.0, nan, np.inf]), _ret([1.0 + 1e-9, nan, np.inf])) is None
    assert diverges(Raised(IndexError("a")), Raised(IndexError("b"))) is None

    class Sub(ValueError):
        pass

    assert diverges(Raised(ValueError("x")), Raised(Sub("y"))) is None


def test_divergent_outcomes_fail():
    nan = float("nan")
    assert "values differ" in diverges(_ret([1.0, nan]), _ret([nan, 1.0]))  # NaN positions
    assert "values differ" in diverges(_ret([np.inf]), _ret([-np.inf]))
    assert "values differ" in diverges(_ret([1.0]), _ret([1.01]))
    assert "float32" in diverges(_ret([1.0]), _ret([1.0], "float64"))  # dtype
    assert diverges(_ret([[1.0]]), _ret([1.0])) is not None  # shape
    assert "torch raises" in diverges(Raised(TypeError("t")), Raised(AttributeError("n")))
    assert "nnlite returns" in diverges(Raised(RuntimeError("t")), _ret([0.0]))
    assert "nnlite raises" in diverges(_ret([0.0]), Raised(RuntimeError("n")))
    assert "2 values" in diverges(_ret([0.0]) * 2, _ret([0.0]))


def test_outcome_records_exceptions_and_results():
    r = outcome(lambda T: 1 / 0, _T)
    assert isinstance(r, Raised) and r.type is ZeroDivisionError
    assert outcome(lambda T: (3, 4.5), _T) == [3, 4.5]
