"""``Trainer``: the training loop, evaluation, prediction and exact resumption.

    trainer = Trainer(model, optimizer, nn.CrossEntropyLoss(), scheduler=sched)
    history = trainer.fit(train_loader, val_loader, epochs=30)
    trainer.evaluate(test_loader)  # {'loss': ..., 'accuracy': ...}

Everything the loop depends on is in ``state_dict()``: model, optimizer, scheduler, completed
epochs, the position inside the current epoch with its data order, the random generators, the
running sums of the epoch, the history and the callbacks' state. ``load_state_dict`` then ``fit``
continues exactly as if the run had never stopped (same batches, same dropout masks, same
numbers).

A Ctrl-C (SIGINT) or SIGTERM during ``fit`` is deferred to the end of the current batch, where the
state is consistent; ``fit`` then calls ``checkpoint_fn(trainer, "interrupt")`` and raises
``TrainingInterrupted``. A second Ctrl-C interrupts at once.
"""

from __future__ import annotations

import json
import math
import signal
import threading
import time
from collections.abc import Callable, Iterable

import numpy as np

import nnlite
from nnlite._tensor import Tensor
from nnlite.data import DataLoader, TensorDataset
from nnlite.train import metrics as M
from nnlite.train.callbacks import Callback


class TrainingInterrupted(KeyboardInterrupt):
    """``fit`` stopped on Ctrl-C/SIGTERM; ``saved`` says whether a checkpoint was written."""

    def __init__(self, epoch: int, batch: int, saved: bool) -> None:
        super().__init__(f"interrupted in epoch {epoch} after batch {batch}")
        self.epoch, self.batch, self.saved = epoch, batch, saved


class NonFiniteLoss(FloatingPointError):
    """The training loss became NaN or infinite (``epoch`` and ``batch`` are 1-based)."""

    def __init__(self, epoch: int, batch: int, value: float) -> None:
        super().__init__(f"loss is {value} at epoch {epoch}, batch {batch}")
        self.epoch, self.batch, self.value = epoch, batch, value


def _is_array(x) -> bool:
    return isinstance(x, (np.ndarray, Tensor, list, tuple))


def _as_tensor(x, what: str) -> Tensor:
    if isinstance(x, Tensor):
        return x
    a = np.asarray(x)
    if a.dtype.kind not in "biuf":
        raise TypeError(f"{what} must be numbers, got an array of dtype {a.dtype}")
    if a.dtype == np.float64:
        a = a.astype(np.float32)  # the model's default dtype, as torch.tensor would give
    return Tensor._wrap(np.ascontiguousarray(a))


def infer_task(y) -> str:
    """``classification`` for integer targets, ``regression`` for floating-point ones (the
    dtype decides, as it decides which loss accepts them in PyTorch)."""
    a = y._data if isinstance(y, Tensor) else np.asarray(y)
    return "classification" if a.dtype.kind in "iub" else "regression"


class Trainer:
    """Train ``model`` with ``optimizer`` on ``loss_fn``.

    Args:
        model, optimizer, loss_fn: a Module, an Optimizer, a loss ``fn(output, target)``.
        scheduler: an lr scheduler stepped per epoch (or per batch: ``scheduler_interval
            ="step"``); ``ReduceLROnPlateau`` is stepped with ``plateau_monitor``'s value.
        callbacks: ``Callback`` objects (early stopping, best model, your own).
        task: ``"classification"`` or ``"regression"`` (default: from the dtype of the first
            training targets: integers mean classification).
        metrics: names from ``nnlite.train.metrics`` for validation/evaluation.
        grad_clip: clip the total gradient norm to this.
        target_transform: maps regression outputs and targets back to the data's units before
            metrics are computed (e.g. undoing standardization).
        frozen_bn: BatchNorm modules kept in eval mode while training (frozen fine-tuning).
        checkpoint_fn: ``fn(trainer, reason)`` called after every ``checkpoint_every`` epochs
            (``reason="epoch"``) and on interruption (``"interrupt"``).
        progress: show tqdm progress bars (True: on stderr; or a file to write them to).

    Example:
        >>> t = Trainer(model, nnlite.optim.AdamW(model.parameters()), nn.CrossEntropyLoss())
        >>> t.fit(DataLoader(train_ds, batch_size=64, shuffle=True), epochs=5)
        >>> t.fit(x_train, y_train, epochs=5, validation_split=0.1)  # arrays or tensors
        >>> t.predict(x_test).shape  # (n, n_outputs)
    """

    def __init__(self, model, optimizer, loss_fn, scheduler=None,
                 callbacks: Iterable[Callback] = (), *, task: str | None = None,
                 metrics: list[str] | None = None, grad_clip: float | None = None,
                 scheduler_interval: str = "epoch", plateau_monitor: str = "val_loss",
                 target_transform: Callable | None = None, frozen_bn=(),
                 checkpoint_fn: Callable | None = None, checkpoint_every: int = 1,
                 progress: bool = False, log_fn: Callable | None = None,
                 log_every: int = 1, compile: bool = False) -> None:  # noqa: A002 (torch's word)
        self.model, self.optimizer, self.loss_fn = model, optimizer, loss_fn
        # compile: forward calls replay captured plans (nnlite.compile, bit-identical to eager);
        # self.model stays the module itself (its state_dict keys, its modes)
        self._net = nnlite.compile(model) if compile else model
        self.scheduler = scheduler
        self.callbacks = list(callbacks)
        if task not in (None, "classification", "regression"):
            raise ValueError(f"task must be 'classification', 'regression' or None (inferred "
                             f"from the targets), got {task!r}")
        self.task = task
        self._metrics = list(metrics) if metrics is not None else None
        self.grad_clip = grad_clip
        self.scheduler_interval = scheduler_interval
        self.plateau_monitor = plateau_monitor
        self.target_transform = target_transform
        self.frozen_bn = list(frozen_bn)
        self.checkpoint_fn, self.checkpoint_every = checkpoint_fn, checkpoint_every
        self.progress, self.log_fn, self.log_every = progress, log_fn, log_every
        self.history: list[dict] = []
        self.epoch = 0  # completed epochs
        self.batch = 0  # completed batches of the epoch in progress
        self._sums = {"loss": 0.0, "correct": 0, "n": 0, "lr": 0.0}
        self._epoch_time = 0.0  # seconds spent on the epoch in progress before a resume
        self.stop_training = False
        self.train_loader = None
        self._pending_loader_state = None
        self._stop_signal = None
        self._consistent = True
        self.dist = None  # set by nnlite.train.distributed in an N-rank run
        self._loader_rng = None
        self.val_loader = None

    @property
    def metrics(self) -> list[str]:
        """The validation/evaluation metrics (default: the task's, see ``metrics.DEFAULTS``)."""
        if self._metrics is not None:
            return self._metrics
        return list(M.DEFAULTS[self.task or "regression"])

    @metrics.setter
    def metrics(self, names) -> None:
        self._metrics = list(names)

    def logged_metrics(self, with_validation: bool | None = None) -> list[str]:
        """The names ``fit`` logs per epoch (what a monitor may name)."""
        names = ["train_loss"] + (["train_accuracy"] if self.task == "classification" else [])
        val = self.val_loader is not None if with_validation is None else with_validation
        if val:
            names += ["val_loss"] + [f"val_{m}" for m in self.metrics if m != "confusion_matrix"]
        return names

    # ---- training ------------------------------------------------------------------------
    def _train_mode(self) -> None:
        self.model.train()
        for m in self.frozen_bn:
            m.eval()

    def _trainable(self):
        return [p for g in self.optimizer.param_groups for p in g["params"]]

    def fit(self, x, y=None, epochs: int = 1, *, validation_data=None,
            validation_split: float = 0.0, batch_size: int = 32,
            shuffle: bool = True) -> list[dict]:
        """Train until ``epochs`` epochs are complete (counting those before a resume) or a
        callback sets ``stop_training``. Returns the history: one dict of logs per epoch.

        Args:
            x: a DataLoader of ``(input, target)`` batches, or the inputs as an array/tensor.
            y: with array inputs, the targets; with a loader, the validation loader
                (``fit(train_loader, val_loader, epochs)``).
            validation_data: a loader or an ``(x_val, y_val)`` pair.
            validation_split: with array inputs, hold out this last fraction of the rows
                (before shuffling, as Keras does) for validation.
            batch_size, shuffle: how array inputs are batched.
        """
        train_loader, val_loader = self._loaders(x, y, validation_data, validation_split,
                                                 batch_size, shuffle)
        self.train_loader, self.val_loader = train_loader, val_loader
        if self.task is None:
            self.task = self._infer_task(train_loader)
        if self._pending_loader_state is not None:
            train_loader.load_state_dict(self._pending_loader_state)
            self._pending_loader_state = None
        self.restore_loader_rng(train_loader)
        self._loader_rng = None
        self.stop_training = False
        for cb in self.callbacks:
            cb.on_train_begin(self)
        restore = self._install_signal_handlers()
        bars = self._bars(epochs, len(train_loader))
        try:
            while self.epoch < epochs and not self.stop_training:
                self._run_epoch(train_loader, val_loader, bars)
                self._check_stop_request()
        except KeyboardInterrupt as e:
            if isinstance(e, TrainingInterrupted):
                raise
            saved = self._consistent and self.checkpoint_fn is not None
            if saved:
                self.checkpoint_fn(self, "interrupt")
            raise TrainingInterrupted(self.epoch + 1, self.batch, saved) from None
        finally:
            restore()
            for bar in reversed(bars):  # inner (batch) bar first, so the epoch bar stays last
                if bar is not None:
                    bar.close()
        logs = self.history[-1] if self.history else {}
        for cb in self.callbacks:
            cb.on_train_end(self, logs)
        return self.history

    def _loaders(self, x, y, validation_data, validation_split, batch_size, shuffle):
        if not _is_array(x):
            if y is not None and validation_data is not None:
                raise ValueError("give the validation loader once: as the second argument or "
                                 "as validation_data")
            if validation_split:
                raise ValueError("validation_split needs array inputs; with a loader, pass a "
                                 "validation loader")
            val = y if y is not None else validation_data
            if val is not None and _is_array(val):
                val = self._array_loader(*val, batch_size=1024)
            return x, val
        if y is None:
            raise ValueError("fit(x, y): array inputs need their targets y")
        xt, yt = _as_tensor(x, "x"), _as_tensor(y, "y")
        if len(xt) != len(yt):
            raise ValueError(f"x has {len(xt)} rows but y has {len(yt)}")
        if not 0 <= validation_split < 1:
            raise ValueError(f"validation_split must be in [0, 1), got {validation_split}")
        val = validation_data
        if validation_split:
            if val is not None:
                raise ValueError("give validation_data or validation_split, not both")
            n_val = int(len(xt) * validation_split)
            if n_val < 1 or n_val >= len(xt):
                raise ValueError(f"validation_split={validation_split} of {len(xt)} rows leaves "
                                 "an empty training or validation set")
            cut = len(xt) - n_val
            val = (xt[cut:], yt[cut:])
            xt, yt = xt[:cut], yt[:cut]
        if val is not None and _is_array(val):
            val = self._array_loader(*val, batch_size=1024)
        # its own generator, seeded by nnlite.manual_seed: the order is saved in checkpoints
        gen = nnlite.Generator().manual_seed(int(nnlite.initial_seed()))
        train = DataLoader(TensorDataset(xt, yt), batch_size=batch_size, shuffle=shuffle,
                           generator=gen)
        return train, val

    @staticmethod
    def _array_loader(x, y, batch_size):
        xt, yt = _as_tensor(x, "x"), _as_tensor(y, "y")
        if len(xt) != len(yt):
            raise ValueError(f"validation x has {len(xt)} rows but y has {len(yt)}")
        return DataLoader(TensorDataset(xt, yt), batch_size=batch_size)

    @staticmethod
    def _infer_task(loader) -> str:
        ds = getattr(loader, "dataset", None)
        tensors = getattr(ds, "tensors", None)
        if tensors is not None and len(tensors) > 1:
            return infer_task(tensors[1])
        for batch in loader:  # a generic loader: look at one batch (its order is not used)
            if isinstance(batch, (tuple, list)) and len(batch) > 1:
                return infer_task(batch[1])
            break
        raise ValueError("cannot infer the task: the loader yields no (input, target) batches; "
                         "pass task='classification' or task='regression'")

    def _run_epoch(self, loader, val_loader, bars) -> None:
        epoch_bar, batch_bar = bars
        epoch = self.epoch + 1
        t0 = time.perf_counter() - self._epoch_time
        if self.batch == 0:
            for cb in self.callbacks:
                cb.on_epoch_begin(self, epoch)
            self._sums["lr"] = float(self.optimizer.param_groups[0]["lr"])
        lr = self._sums["lr"]  # the lr the epoch began with, also after a mid-epoch resume
        self._train_mode()
        if batch_bar is not None:
            batch_bar.set_postfix_str("", refresh=False)  # not the last epoch's numbers
            batch_bar.reset(total=len(loader))
            batch_bar.update(self.batch)
            batch_bar.set_description(f"epoch {epoch}")
        params = self._trainable()
        sums = self._sums
        for xb, yb in loader:
            self._check_stop_request()
            self._consistent = False
            out = self._net(xb)
            loss = self.loss_fn(out, yb)
            value = float(loss.item())
            if self.dist is not None:  # every rank stops at the same batch (NaN or Ctrl-C)
                value, loss = self.dist.on_batch(self, value, loss)
            if not math.isfinite(value):
                self._consistent = True  # nothing was updated for this batch
                err = NonFiniteLoss(epoch, self.batch + 1, value)
                err.every_rank = self.dist is not None  # on_batch made it every rank's NaN
                raise err
            self.optimizer.zero_grad()
            loss.backward()
            if self.grad_clip is not None:
                nnlite.nn.utils.clip_grad_norm_(params, self.grad_clip)
            self.optimizer.step()
            if self.scheduler is not None and self.scheduler_interval == "step":
                self.scheduler.step()
            n = int(xb.shape[0])
            sums["loss"] += value * n
            sums["n"] += n
            if self.task == "classification":
                sums["correct"] += int((out._data.argmax(1) == yb._data).sum())
            self.batch += 1
            self._consistent = True
            batch_logs = {"loss": value}
            if batch_bar is not None:
                post = f"loss {sums['loss'] / sums['n']:.4g}"
                if self.task == "classification":
                    post += f" acc {sums['correct'] / sums['n']:.3f}"
                batch_bar.set_postfix_str(post, refresh=False)
                batch_bar.update(1)
            for cb in self.callbacks:
                cb.on_batch_end(self, epoch, self.batch, batch_logs)
        if batch_bar is not None:
            batch_bar.refresh()  # an epoch shorter than tqdm's mininterval still shows N/N
        self._consistent = False
        if self.dist is not None:
            self.dist.reduce_sums(sums)  # over all ranks' shards
        logs = {"epoch": epoch, "lr": lr, "train_loss": sums["loss"] / max(sums["n"], 1)}
        if self.task == "classification":
            logs["train_accuracy"] = sums["correct"] / max(sums["n"], 1)
        if val_loader is not None:
            val = self.evaluate(val_loader, metrics=[m for m in self.metrics
                                                     if m != "confusion_matrix"])
            logs.update({f"val_{k}": v for k, v in val.items()})
            self._train_mode()
        if self.dist is not None:  # rank 0's logs: callbacks and schedulers decide alike
            logs = self.dist.same_logs(logs)
        if self.scheduler is not None and self.scheduler_interval == "epoch":
            if type(self.scheduler).__name__ == "ReduceLROnPlateau":
                key = self.plateau_monitor if self.plateau_monitor in logs else "train_loss"
                self.scheduler.step(logs[key])
            else:
                self.scheduler.step()
        logs["time_s"] = round(time.perf_counter() - t0, 4)
        self.history.append(logs)
        self.epoch, self.batch, self._epoch_time = epoch, 0, 0.0
        self._sums = {"loss": 0.0, "correct": 0, "n": 0, "lr": 0.0}
        for cb in self.callbacks:
            cb.on_epoch_end(self, epoch, logs)
        self._consistent = True
        if self.checkpoint_fn is not None and (epoch % self.checkpoint_every == 0
                                               or self.stop_training):
            self.checkpoint_fn(self, "epoch")
        if epoch_bar is not None:
            epoch_bar.set_postfix_str(_epoch_postfix(logs), refresh=False)
            epoch_bar.update(1)
            epoch_bar.refresh()
        elif self.log_fn is not None and self.log_every and epoch % self.log_every == 0:
            self.log_fn(_format_logs(logs))

    # ---- evaluation ----------------------------------------------------------------------
    def predict(self, x, batch_size: int = 1024):
        """Model outputs (n, n_outputs) for ``x``: a loader, or inputs as an array/tensor
        (eval mode, no grad). A numpy input gives a numpy array, anything else a Tensor."""
        out = self._outputs(self._input_loader(x, batch_size))[0]
        return out if isinstance(x, np.ndarray) else Tensor._wrap(out)

    def predict_proba(self, x, batch_size: int = 1024):
        """Class probabilities (n, n_classes): softmax of the outputs (classification)."""
        if self.task == "regression":
            raise ValueError("predict_proba needs a classification task; this Trainer's task "
                             "is regression (use predict)")
        out = self._outputs(self._input_loader(x, batch_size))[0].astype(np.float64)
        if out.ndim != 2:
            raise ValueError(f"predict_proba needs outputs of shape (n, n_classes), got "
                             f"{out.shape}")
        z = np.exp(out - out.max(axis=1, keepdims=True))
        p = (z / z.sum(axis=1, keepdims=True)).astype(out.dtype if out.dtype == np.float64
                                                      else np.float32)
        return p if isinstance(x, np.ndarray) else Tensor._wrap(p)

    @staticmethod
    def _input_loader(x, batch_size):
        if not _is_array(x):
            return x
        xt = _as_tensor(x, "x")
        if xt.ndim == 0:
            raise ValueError("predict needs a batch of inputs (n, ...), got a scalar")
        return [(xt[i:i + batch_size],) for i in range(0, len(xt), batch_size)]

    def _outputs(self, loader):
        was_training = self.model.training
        self.model.eval()
        outs, targets = [], []
        try:
            with nnlite.no_grad():
                for batch in loader:
                    xb = batch[0] if isinstance(batch, (tuple, list)) else batch
                    outs.append(self._net(xb)._data)
                    if isinstance(batch, (tuple, list)) and len(batch) > 1:
                        targets.append(batch[1]._data)
        finally:
            self.model.train(was_training)
        return np.concatenate(outs), (np.concatenate(targets) if targets else None)

    def evaluate(self, loader, y=None, metrics: list[str] | None = None,
                 batch_size: int = 1024) -> dict:
        """``{'loss': ..., <metric>: ...}`` over ``loader`` of (input, target) batches, or over
        inputs ``loader`` and targets ``y`` given as arrays/tensors (eval mode, no grad)."""
        if _is_array(loader):
            if y is None:
                raise ValueError("evaluate(x, y): array inputs need their targets y")
            loader = self._array_loader(loader, y, batch_size)
        if self.task is None:
            self.task = self._infer_task(loader)
        out, y = self._outputs(loader)
        if y is None:
            raise ValueError("evaluate needs (input, target) batches; the loader yields inputs "
                             "only")
        with nnlite.no_grad():
            loss = float(self.loss_fn(Tensor._wrap(out), Tensor._wrap(y)).item())
        if self.target_transform is not None and self.task == "regression":
            out, y = self.target_transform(out), self.target_transform(y)
        result = {"loss": loss}
        result.update(M.compute(self.metrics if metrics is None else metrics, y, out,
                                self.task))
        return result

    # ---- state ---------------------------------------------------------------------------
    def state_dict(self) -> dict:
        """Everything needed to continue exactly: see the module docstring."""
        loader = self.train_loader
        gen = getattr(loader, "generator", None)
        state = {
            "model": self.model.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "scheduler": self.scheduler.state_dict() if self.scheduler is not None else None,
            "epoch": self.epoch,
            "batch": self.batch,
            "sums": dict(self._sums),
            "epoch_time": self._epoch_time,
            "rng": {"global": nnlite.get_rng_state(),
                    "loader": gen.get_state() if gen is not None else None},
            "loader": self._loader_state(loader),
            "history": json.dumps(self.history),
            "callbacks": [cb.state_dict() for cb in self.callbacks],
        }
        return state

    def _loader_state(self, loader):
        if loader is None or not self.batch:
            return None
        state = loader.state_dict()
        # The loader may have fetched the next batch already (an interrupt is honoured right
        # after the fetch); what counts is how many batches were trained on.
        state["batches_done"] = self.batch
        return state

    def load_state_dict(self, state: dict) -> None:
        self.model.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        if self.scheduler is not None and state.get("scheduler") is not None:
            self.scheduler.load_state_dict(state["scheduler"])
        self.epoch, self.batch = int(state["epoch"]), int(state["batch"])
        self._sums = dict(state["sums"])
        self._epoch_time = float(state.get("epoch_time", 0.0))
        nnlite.set_rng_state(state["rng"]["global"])
        self._loader_rng = state["rng"].get("loader")
        self._pending_loader_state = state.get("loader")
        self.history = json.loads(state["history"])
        for cb, cs in zip(self.callbacks, state.get("callbacks") or []):
            cb.load_state_dict(cs)

    def restore_loader_rng(self, loader) -> None:
        """Put the saved state of ``loader``'s generator back (after ``load_state_dict``)."""
        rng = getattr(self, "_loader_rng", None)
        if rng is not None and getattr(loader, "generator", None) is not None:
            loader.generator.set_state(rng)
            self._loader_rng = None

    # ---- signals and progress ------------------------------------------------------------
    def _check_stop_request(self) -> None:
        # N ranks: only a stop every rank agreed on (at a batch, see train.distributed), so
        # all ranks stop at the same point; a signal seen by one rank alone waits for the
        # next agreement
        requested = (self._stop_signal is not None if self.dist is None
                     else self.dist.stop_agreed)
        if requested:
            self._stop_signal = None
            if self.dist is not None:
                self.dist.stop_agreed = False
            saved = self.checkpoint_fn is not None
            if saved:
                self.checkpoint_fn(self, "interrupt")
            err = TrainingInterrupted(self.epoch + (1 if self.batch else 0), self.batch, saved)
            err.every_rank = self.dist is not None
            raise err

    def _install_signal_handlers(self):
        if threading.current_thread() is not threading.main_thread():
            return lambda: None
        previous = {}

        def handler(signum, frame):
            if self._stop_signal is not None and signum == signal.SIGINT:
                raise KeyboardInterrupt  # second Ctrl-C: stop now
            self._stop_signal = signum

        for sig in (signal.SIGINT, signal.SIGTERM):
            try:
                previous[sig] = signal.signal(sig, handler)
            except (ValueError, OSError):
                pass

        def restore():
            for sig, h in previous.items():
                signal.signal(sig, h)

        return restore

    def _bars(self, epochs: int, n_batches: int):
        if not self.progress:
            return None, None
        from tqdm.auto import tqdm

        # A short fixed part leaves room for the postfix on an 80-column terminal.
        kw = {"dynamic_ncols": True, "file": self.progress if hasattr(self.progress, "write")
              else None}
        epoch_bar = tqdm(total=epochs, initial=self.epoch, desc="epochs", unit="epoch",
                         bar_format="{desc} {n_fmt}/{total_fmt} {bar} {elapsed}<{remaining}"
                                    "{postfix}", position=0, **kw)
        batch_bar = tqdm(total=n_batches, leave=False, unit="batch", position=1,
                         bar_format="{desc} {n_fmt}/{total_fmt} {bar} {rate_fmt}{postfix}",
                         **kw)
        return epoch_bar, batch_bar


def _epoch_postfix(logs: dict) -> str:
    """At most ~40 characters: the epoch bar's fixed part is ~35 of an 80-column line."""
    parts = [f"loss {logs['train_loss']:.4g}"]
    if "val_loss" in logs:
        parts.append(f"val {logs['val_loss']:.4g}")
    for key, short in (("val_accuracy", "acc"), ("val_r2", "r2")):
        if key in logs:
            parts.append(f"{short} {logs[key]:.3f}")
            break
    return " ".join(parts)


def _format_logs(logs: dict) -> str:
    parts = [f"epoch {logs['epoch']:>3}"]
    for k, v in logs.items():
        if k in ("epoch",) or isinstance(v, list):
            continue
        parts.append(f"{k} {v:.4g}" if isinstance(v, float) else f"{k} {v}")
    return "  ".join(parts)
