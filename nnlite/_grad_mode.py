"""Grad mode: whether ops record a graph. ``no_grad``, ``enable_grad``, ``set_grad_enabled``.

Below ``Tensor`` (imports nothing from nnlite), so ``nnlite._tensor`` reads the switch without
running the ``nnlite.autograd`` package, which is above it; ``nnlite.autograd.grad_mode`` is the
``torch.autograd.grad_mode`` name for the same objects.
"""

from __future__ import annotations

import functools


class _GradState:
    # One global switch, read on every op: a class attribute is the cheapest lookup.
    enabled = True
    inference = False  # inside inference_mode() (torch.is_inference_mode_enabled)


class _CaptureState:
    """Global state of the captured-step machinery (``nnlite.compile``), read by ops and modules.

    ``recorder``: the Recorder of a plan being recorded (ops report themselves to it), else None.
    ``auto``: inside a compiled function, the object that compiles each top-level module call.
    ``epoch``: bumped by every change to a Module's attributes, children, parameters, buffers or
    hooks, so a compiled module re-checks its guards only when something changed.
    """

    recorder = None
    auto = None
    epoch = 0


def is_grad_enabled() -> bool:
    return _GradState.enabled


def is_inference_mode_enabled() -> bool:
    return _GradState.inference


class _GradModeContext:
    """Base for the context managers; each also works as a decorator."""

    _mode: bool

    def __new__(cls, *args, **kwargs):
        # ``@torch.no_grad`` without parentheses decorates the function itself, as in torch
        if len(args) == 1 and not kwargs and callable(args[0]) and not isinstance(args[0], bool):
            return cls()(args[0])
        return super().__new__(cls)

    def __enter__(self):
        self._prev = _GradState.enabled
        _GradState.enabled = self._mode
        return None

    def __exit__(self, *exc):
        _GradState.enabled = self._prev
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self.clone():
                return fn(*args, **kwargs)

        return wrapper

    def clone(self):
        return self.__class__()


class no_grad(_GradModeContext):  # noqa: N801
    """Context manager / decorator that turns graph recording off (``torch.no_grad``)."""

    _mode = False


class enable_grad(_GradModeContext):  # noqa: N801
    """Context manager / decorator that turns graph recording on (``torch.enable_grad``)."""

    _mode = True


class inference_mode(no_grad):  # noqa: N801
    """``no_grad`` that ``is_inference_mode_enabled()`` reports (nnlite makes no separate
    inference tensors: ``Tensor.is_inference()`` is False)."""

    def __init__(self, mode: bool = True):
        self._mode = not mode
        self._inference = bool(mode)

    def __enter__(self):
        self._prev_inference = _GradState.inference
        _GradState.inference = self._inference
        return super().__enter__()

    def __exit__(self, *exc):
        _GradState.inference = self._prev_inference
        return super().__exit__(*exc)

    def clone(self):
        return self.__class__(self._inference)


class set_grad_enabled(_GradModeContext):  # noqa: N801
    """``set_grad_enabled(mode)``: sets grad mode at once; as a context manager, restores it."""

    def __init__(self, mode: bool):
        self._prev = _GradState.enabled
        self._mode = bool(mode)
        _GradState.enabled = self._mode

    def __enter__(self):
        return None

    def __exit__(self, *exc):
        _GradState.enabled = self._prev
        return False

    def __call__(self, fn):
        _GradState.enabled = self._prev
        mode = self._mode

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with set_grad_enabled(mode):
                return fn(*args, **kwargs)

        return wrapper
