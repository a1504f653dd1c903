"""The checkers check: gradcheck and gradgradcheck pass on a right derivative and FAIL on a wrong
first or a wrong second derivative, as PyTorch's do on the same Functions."""

import numpy as np
import pytest

import nnlite
from nnlite.autograd import Function, gradcheck, gradgradcheck
from nnlite.autograd.gradcheck import GradcheckError


def _cube_functions(T):
    """x**3 three ways, written against ``T`` (nnlite or torch): right, wrong first derivative,
    right first derivative whose own derivative is wrong (it detaches x)."""

    class Cube(T.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x * x

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * 3 * x * x

    class CubeWrongFirst(Cube):
        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * 3.03 * x * x  # 1 % off

    class CubeWrongSecond(Cube):
        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * 3 * (x * x).detach()  # right values, no dependence on x in the graph

    return Cube, CubeWrongFirst, CubeWrongSecond


def _x(T):
    return T.tensor(np.array([0.3, -1.2, 0.8, 2.0]), dtype=T.float64, requires_grad=True)


def test_nnlite_function_is_the_mechanism():
    assert issubclass(_cube_functions(nnlite)[0], Function)


def test_gradcheck_passes_right_and_fails_wrong_first_derivative():
    cube, wrong_first, _ = _cube_functions(nnlite)
    x = _x(nnlite)
    assert gradcheck(cube.apply, (x,))
    with pytest.raises(GradcheckError, match="Jacobian mismatch"):
        gradcheck(wrong_first.apply, (x,))
    assert gradcheck(wrong_first.apply, (x,), raise_exception=False) is False


def test_gradgradcheck_passes_right_and_fails_wrong_second_derivative():
    cube, wrong_first, wrong_second = _cube_functions(nnlite)
    x = _x(nnlite)
    assert gradgradcheck(cube.apply, (x,))
    assert gradcheck(wrong_second.apply, (x,))  # first order is right
    with pytest.raises(GradcheckError):
        gradgradcheck(wrong_second.apply, (x,))
    assert gradgradcheck(wrong_second.apply, (x,), raise_exception=False) is False
    # gradgradcheck differentiates the backward as written: a consistently scaled first
    # derivative has a consistent second derivative (gradcheck is the check that catches it)
    assert gradgradcheck(wrong_first.apply, (x,))


def test_gradgradcheck_checks_builtin_ops_second_derivative():
    """A built-in composite whose second derivative is right passes; one that loses the
    dependence on x in its first derivative fails."""
    x = _x(nnlite)
    assert gradgradcheck(lambda t: (t * t).sin(), (x,))
    with pytest.raises(GradcheckError):
        gradgradcheck(lambda t: t.detach() * t * t, (x,))


def test_same_verdicts_as_torch():
    torch = pytest.importorskip("torch")
    from torch.autograd.gradcheck import GradcheckError as TorchGradcheckError

    verdicts = {}
    for T, err in ((nnlite, GradcheckError), (torch, TorchGradcheckError)):
        out = []
        for fn in _cube_functions(T):
            x = _x(T)
            for check in (T.autograd.gradcheck, T.autograd.gradgradcheck):
                try:
                    check(fn.apply, (x,))
                    out.append(True)
                except err:
                    out.append(False)
        verdicts[T.__name__] = out
    # right: pass/pass; wrong first: fail/pass; wrong second: pass/fail
    assert verdicts["torch"] == [True, True, False, True, True, False]
    assert verdicts["nnlite"] == verdicts["torch"]
