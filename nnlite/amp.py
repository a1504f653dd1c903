"""``torch.amp`` (and ``torch.cuda.amp``): autocast and GradScaler as CPU programs meet them.

nnlite computes in the tensors' own dtypes (it has no bfloat16 and no reduced-precision
matmul), so ``autocast`` is a context manager/decorator that changes nothing: a script written
for mixed precision runs in float32. ``GradScaler`` behaves as PyTorch's: for the ``"cuda"``
device (the default, and all of ``torch.cuda.amp``) it warns that CUDA is unavailable and
disables itself, so ``scale(loss)`` is ``loss`` and ``step(opt)`` is ``opt.step()``; for
``"cpu"`` it scales the loss, unscales the gradients before the step, skips steps whose
gradients are not finite and adapts the scale, as PyTorch does.
"""

from __future__ import annotations

import contextlib
import math
import warnings

import numpy as np

__all__ = ["GradScaler", "autocast", "is_autocast_available"]


def is_autocast_available(device_type: str) -> bool:
    return device_type == "cpu"


class autocast(contextlib.ContextDecorator):  # noqa: N801 - torch's name
    """Accepted for compatibility; computations keep their dtypes (no-op)."""

    def __init__(self, device_type: str = "cuda", dtype=None, enabled: bool = True,
                 cache_enabled: bool | None = None) -> None:
        self.device_type, self.fast_dtype = device_type, dtype
        self._enabled = enabled
        if enabled and device_type == "cuda":
            warnings.warn("CUDA is not available or torch_xla is imported. Disabling "
                          "autocast.", stacklevel=2)
            self._enabled = False

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        return None


class GradScaler:
    """Loss scaling for mixed precision (``torch.amp.GradScaler``)."""

    def __init__(self, device: str = "cuda", init_scale: float = 2.0**16,
                 growth_factor: float = 2.0, backoff_factor: float = 0.5,
                 growth_interval: int = 2000, enabled: bool = True) -> None:
        self._device = device
        if enabled and device == "cuda":
            warnings.warn("torch.cuda.amp.GradScaler is enabled, but CUDA is not available.  "
                          "Disabling.", stacklevel=2)
            enabled = False
        self._enabled = enabled
        self._scale = float(init_scale)
        self._growth_factor, self._backoff_factor = growth_factor, backoff_factor
        self._growth_interval = growth_interval
        self._growth_tracker = 0
        self._unscaled: dict = {}  # id(optimizer) -> whether its grads were all finite

    def is_enabled(self) -> bool:
        return self._enabled

    def get_scale(self) -> float:
        return self._scale if self._enabled else 1.0

    def scale(self, outputs):
        if not self._enabled:
            return outputs
        if isinstance(outputs, (list, tuple)):
            return type(outputs)(self.scale(o) for o in outputs)
        return outputs * self._scale

    def unscale_(self, optimizer) -> None:
        if not self._enabled:
            return
        if id(optimizer) in self._unscaled:
            raise RuntimeError("unscale_() has already been called on this optimizer since the "
                               "last update().")
        inv = 1.0 / self._scale
        finite = True
        for group in optimizer.param_groups:
            for p in group["params"]:
                if p.grad is not None:
                    g = p.grad._data
                    g *= g.dtype.type(inv)
                    finite = finite and bool(np.isfinite(g).all())
        self._unscaled[id(optimizer)] = finite

    def step(self, optimizer, *args, **kwargs):
        if not self._enabled:
            return optimizer.step(*args, **kwargs)
        if id(optimizer) not in self._unscaled:
            self.unscale_(optimizer)
        if self._unscaled[id(optimizer)]:
            return optimizer.step(*args, **kwargs)
        return None

    def update(self, new_scale=None) -> None:
        if not self._enabled:
            return
        if new_scale is not None:
            self._scale = float(new_scale)
        elif not all(self._unscaled.values()):
            self._scale *= self._backoff_factor
            self._growth_tracker = 0
        else:
            self._growth_tracker += 1
            if self._growth_tracker == self._growth_interval:
                grown = self._scale * self._growth_factor
                if math.isfinite(grown):
                    self._scale = grown
                self._growth_tracker = 0
        self._unscaled = {}

    def state_dict(self) -> dict:
        if not self._enabled:
            return {}
        return {"scale": self._scale, "growth_factor": self._growth_factor,
                "backoff_factor": self._backoff_factor,
                "growth_interval": self._growth_interval,
                "_growth_tracker": self._growth_tracker}

    def load_state_dict(self, state: dict) -> None:
        if not self._enabled:
            return
        self._scale = float(state["scale"])
        self._growth_factor = state["growth_factor"]
        self._backoff_factor = state["backoff_factor"]
        self._growth_interval = state["growth_interval"]
        self._growth_tracker = state["_growth_tracker"]
