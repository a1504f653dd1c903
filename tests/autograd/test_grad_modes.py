"""Grad-mode context managers as torch has them: decorators with and without parentheses,
inference_mode's flag and its nesting, set_grad_enabled."""

import pytest

import nnlite

torch = pytest.importorskip("torch")


def _program(T):
    out = []

    @T.no_grad
    def f(x):
        return (x * 2).requires_grad

    @T.inference_mode
    def g(x):
        return (x * 2).requires_grad, T.is_inference_mode_enabled()

    @T.inference_mode(False)
    def g2(x):
        return (x * 2).requires_grad, T.is_inference_mode_enabled()

    @T.enable_grad
    def h(x):
        return (x * 2).requires_grad

    @T.no_grad()
    def k(x):
        return (x * 2).requires_grad

    x = T.ones(2, requires_grad=True)
    out += [f(x), g(x), k(x), T.is_inference_mode_enabled()]
    with T.no_grad():
        out += [h(x), k(x)]
    with T.inference_mode():
        out += [T.is_inference_mode_enabled(), T.is_grad_enabled(), g2(x)]
        with T.inference_mode(False):
            out += [T.is_inference_mode_enabled(), T.is_grad_enabled()]
        out.append(T.is_inference_mode_enabled())
    with T.set_grad_enabled(False):
        out.append((x * 2).requires_grad)
    out += [T.is_inference_mode_enabled(), T.is_grad_enabled(), f.__name__]
    return out


def test_grad_modes_as_torch():
    assert _program(nnlite) == _program(torch)


def test_inference_mode_is_restored_after_an_exception():
    with pytest.raises(ValueError), nnlite.inference_mode():
        raise ValueError
    assert not nnlite.is_inference_mode_enabled() and nnlite.is_grad_enabled()
