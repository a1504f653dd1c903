"""Trainer callbacks: hooks called at fixed points of ``Trainer.fit``.

A callback may keep state across an interruption: ``state_dict()`` / ``load_state_dict()``
(numbers, strings and tensors only) are saved in checkpoints.
"""

from __future__ import annotations

import difflib
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


def check_monitor(callback: str, monitor: str, trainer) -> None:
    """At fit start: ``monitor`` must be a metric the trainer will log (a ``val_`` one needs
    validation data), so a typo fails now instead of after the first epoch."""
    logged = trainer.logged_metrics()
    if monitor in logged:
        return
    if monitor.startswith("val_") and trainer.val_loader is None and \
            monitor in trainer.logged_metrics(with_validation=True):
        raise ValueError(f"{callback} monitors '{monitor}' but fit got no validation data: "
                         "pass a validation loader (or validation_split / validation_data), "
                         "or monitor 'train_loss'")
    near = difflib.get_close_matches(monitor, logged, n=1)
    raise ValueError(f"{callback} monitors '{monitor}', which is not logged"
                     + (f"; did you mean '{near[0]}'?" if near else "")
                     + f" (logged: {', '.join(logged)})")


def _copy_state(model) -> dict:
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


class EarlyStopping(Callback):
    """Stop when ``monitor`` has not improved by ``min_delta`` for ``patience`` epochs;
    ``restore_best_weights`` puts the best epoch's weights back when training ends (Keras)."""

    def __init__(self, monitor: str = "val_loss", patience: int = 10, mode: str = "auto",
                 min_delta: float = 0.0, restore_best_weights: bool = False) -> None:
        self.m = _Monitor(monitor, mode, min_delta)
        self.patience = patience
        self.wait = 0
        self.stopped_epoch = None
        self.restore_best_weights = restore_best_weights
        self.best_state = None

    def on_train_begin(self, trainer) -> None:
        check_monitor("EarlyStopping", self.m.monitor, trainer)

    def on_epoch_end(self, trainer, epoch, logs) -> None:
        value = self.m.value(logs)
        if self.m.improved(value):
            self.m.best, self.m.best_epoch, self.wait = value, epoch, 0
            if self.restore_best_weights:
                self.best_state = _copy_state(trainer.model)
        else:
            self.wait += 1
            if self.wait >= self.patience:
                self.stopped_epoch = epoch
                trainer.stop_training = True

    def on_train_end(self, trainer, logs) -> None:
        if self.restore_best_weights and self.best_state is not None:
            trainer.model.load_state_dict(self.best_state)

    def state_dict(self) -> dict:
        state = {"best": self.m.best, "best_epoch": self.m.best_epoch, "wait": self.wait}
        if self.restore_best_weights and self.best_state is not None:
            state["best_state"] = self.best_state
        return state

    def load_state_dict(self, state) -> None:
        self.m.best, self.m.best_epoch, self.wait = state["best"], state["best_epoch"], \
            state["wait"]
        self.best_state = state.get("best_state")


class BestModel(Callback):
    """Track the best epoch by ``monitor`` and keep a copy of its weights (``best_state``);
    ``restore_best_weights`` (default) loads them into the model when training ends, and
    ``on_improve(epoch, state)`` may persist them (e.g. to ``best.safetensors``). The copy is
    part of ``state_dict()``, so it survives a resume."""

    def __init__(self, monitor: str = "val_loss", mode: str = "auto", on_improve=None,
                 restore_best_weights: bool = True) -> None:
        self.m = _Monitor(monitor, mode)
        self.best_state = None
        self.on_improve = on_improve
        self.restore_best_weights = restore_best_weights

    def on_train_begin(self, trainer) -> None:
        check_monitor("BestModel", self.m.monitor, trainer)

    def on_epoch_end(self, trainer, epoch, logs) -> None:
        value = self.m.value(logs)
        if self.m.improved(value) or self.best_state is None:
            self.m.best, self.m.best_epoch = value, epoch
            self.best_state = _copy_state(trainer.model)
            if self.on_improve is not None:
                self.on_improve(epoch, self.best_state)

    def on_train_end(self, trainer, logs) -> None:
        if self.restore_best_weights and self.best_state is not None:
            trainer.model.load_state_dict(self.best_state)

    def state_dict(self) -> dict:
        state = {"best": self.m.best, "best_epoch": self.m.best_epoch}
        if self.restore_best_weights and self.best_state is not None:
            state["best_state"] = self.best_state
        return state

    def load_state_dict(self, state) -> None:
        self.m.best, self.m.best_epoch = state["best"], state["best_epoch"]
        if state.get("best_state") is not None:
            self.best_state = state["best_state"]


class LambdaCallback(Callback):
    """Callbacks from plain functions: ``LambdaCallback(on_epoch_end=lambda t, e, logs: ...)``."""

    def __init__(self, **hooks) -> None:
        for name, fn in hooks.items():
            if not hasattr(Callback, name):
                raise ValueError(f"unknown callback hook '{name}'")
            setattr(self, name, fn)
