"""``torch.autograd.grad_mode``: the grad-mode switch and its context managers.

They live in ``nnlite._grad_mode``, below ``Tensor``: ``nnlite._tensor`` reads the switch, and a
module inside this package would run ``nnlite.autograd`` (the engine, above ``Tensor``) first.
"""

from __future__ import annotations

from nnlite._grad_mode import (  # noqa: F401
    _CaptureState,
    _GradModeContext,
    _GradState,
    enable_grad,
    inference_mode,
    is_grad_enabled,
    is_inference_mode_enabled,
    no_grad,
    set_grad_enabled,
)

__all__ = ["no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled", "inference_mode",
           "is_inference_mode_enabled"]
