"""Trainer callbacks: hooks called at fixed points of ``Trainer.fit``.

A callback may keep state across an interruption: ``state_dict()`` / ``load_state_dict()``
(numbers, strings and tensors only) are saved in checkpoints.
"""

from __future__ import annotations

import math


class Callback:
    """Base class; override the hooks you need. ``trainer.stop_training = True`` ends ``fit``
    after the current epoch. Hooks receive the trainer first."""

    def on_train_begin(self, trainer) -> None: ...
    def on_epoch_begin(self, trainer, epoch: int) -> None: ...
    def on_batch_end(self, trainer, epoch: int, batch: int, logs: dict) -> None: ...
    def on_epoch_end(self, trainer, epoch: int, logs: dict) -> None: ...
    def on_train_end(self, trainer, logs: dict) -> None: ...

    def state_dict(self) -> dict:
        return {}

    def load_state_dict(self, state: dict) -> None:
        pass


def resolve_mode(monitor: str, mode: str) -> str:
    if mode != "auto":
        return mode
    return "min" if any(k in monitor for k in ("loss", "mse", "mae", "error")) else "max"


class _Monitor:
    def __init__(self, monitor: str, mode: str, min_delta: float = 0.0) -> None:
        self.monitor, self.mode, self.min_delta = monitor, resolve_mode(monitor, mode), min_delta
        self.best = math.inf if self.mode == "min" else -math.inf
        self.best_epoch = 0

    def improved(self, value: float) -> bool:
        if value is None or math.isnan(value):
            return False
        if self.mode == "min":
            return value < self.best - self.min_delta
        return value > self.best + self.min_delta

    def value(self, logs: dict) -> float:
        if self.monitor not in logs:
            raise KeyError(f"monitor '{self.monitor}' is not among the logged metrics "
                           f"({', '.join(k for k in logs if not isinstance(logs[k], list))})")
        return float(logs[self.monitor])


class EarlyStopping(Callback):
    """Stop when ``monitor`` has not improved by ``min_delta`` for ``patience`` epochs."""

    def __init__(self, monitor: str = "val_loss", patience: int = 10, mode: str = "auto",
                 min_delta: float = 0.0) -> None:
        self.m = _Monitor(monitor, mode, min_delta)
        self.patience = patience
        self.wait = 0
        self.stopped_epoch = None

    def on_epoch_end(self, trainer, epoch, logs) -> None:
        value = self.m.value(logs)
        if self.m.improved(value):
            self.m.best, self.m.best_epoch, self.wait = value, epoch, 0
        else:
            self.wait += 1
            if self.wait >= self.patience:
                self.stopped_epoch = epoch
                trainer.stop_training = True

    def state_dict(self) -> dict:
        return {"best": self.m.best, "best_epoch": self.m.best_epoch, "wait": self.wait}

    def load_state_dict(self, state) -> None:
        self.m.best, self.m.best_epoch, self.wait = state["best"], state["best_epoch"], \
            state["wait"]


class BestModel(Callback):
    """Track the best epoch by ``monitor`` and keep a copy of its weights (``best_state``);
    ``on_improve(epoch, state)`` may persist them (e.g. to ``best.safetensors``)."""

    def __init__(self, monitor: str = "val_loss", mode: str = "auto", on_improve=None) -> None:
        self.m = _Monitor(monitor, mode)
        self.best_state = None
        self.on_improve = on_improve

    def on_epoch_end(self, trainer, epoch, logs) -> None:
        value = self.m.value(logs)
        if self.m.improved(value) or self.best_state is None:
            self.m.best, self.m.best_epoch = value, epoch
            self.best_state = {k: v.detach().clone() for k, v in trainer.model.state_dict().items()}
            if self.on_improve is not None:
                self.on_improve(epoch, self.best_state)

    def state_dict(self) -> dict:
        return {"best": self.m.best, "best_epoch": self.m.best_epoch}

    def load_state_dict(self, state) -> None:
        self.m.best, self.m.best_epoch = state["best"], state["best_epoch"]


class LambdaCallback(Callback):
    """Callbacks from plain functions: ``LambdaCallback(on_epoch_end=lambda t, e, logs: ...)``."""

    def __init__(self, **hooks) -> None:
        for name, fn in hooks.items():
            if not hasattr(Callback, name):
                raise ValueError(f"unknown callback hook '{name}'")
            setattr(self, name, fn)
