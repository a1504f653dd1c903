"""One real training step before a run starts (and all of ``--dry-run``): forward, loss,
backward and optimizer step on the first training batch, then every bit of state put back.

A model that cannot train on this data fails here, before any run directory is written, with a
one-line ``ConfigError`` naming the layer and the shapes (``model: the forward pass fails in
layer 'fc2' (Linear) on input [64, 16]: ...``). The same pass records each layer's output shape
for the model summary that ``--dry-run`` prints.
"""

from __future__ import annotations

import copy
import math

import numpy as np

import nnlite
from nnlite._tensor import Tensor
from nnlite.train.schema import ConfigError


def _shapes(obj) -> list:
    if isinstance(obj, Tensor):
        return list(obj.shape)
    if isinstance(obj, (tuple, list)):
        return [_shapes(o) for o in obj]
    return type(obj).__name__


def _fmt(shapes) -> str:
    if isinstance(shapes, list) and len(shapes) == 1 and isinstance(shapes[0], list):
        shapes = shapes[0]
    return str(shapes).replace(" ", "")


def _message(e: BaseException) -> str:
    text = str(e).strip().splitlines()[0] if str(e).strip() else ""
    return f"{type(e).__name__}: {text}" if text else type(e).__name__


class _Recorder:
    """Forward hooks on every submodule: the stack of layers being run (to name the one that
    raised) and each layer's first output shape (for the summary)."""

    def __init__(self, model) -> None:
        self.stack: list[tuple[str, object, list]] = []
        self.outputs: dict[str, list] = {}
        self.last_done: tuple[str, list] | None = None
        self.handles = []
        for name, mod in model.named_modules():
            if not name:
                continue
            self.handles.append(mod.register_forward_pre_hook(self._pre(name)))
            self.handles.append(mod.register_forward_hook(self._post(name)))

    def _pre(self, name):
        def hook(mod, args):
            self.stack.append((name, mod, _shapes(list(args))))
        return hook

    def _post(self, name):
        def hook(mod, args, out):
            if self.stack and self.stack[-1][0] == name:
                self.stack.pop()
            self.outputs.setdefault(name, _shapes(out))
            self.last_done = (name, _shapes(out))
        return hook

    def remove(self) -> None:
        for h in self.handles:
            h.remove()


def trial_step(setup, task: str, key: str = "model") -> dict:
    """Run one training step of ``setup`` (runner's ``_Setup``) on its first training batch and
    put everything back. Returns ``{'loss', 'outputs': {layer: shape}, 'input', 'output'}``.

    Raises:
        ConfigError: at ``key`` when the model's forward, the loss, backward or the optimizer
            step fails, naming the layer and the shapes.
    """
    loader = setup.train_loader
    ds = loader.dataset
    n = min(len(ds), loader.batch_size or 1)
    # The step runs on deep copies (weights, buffers, optimizer state, and any Python
    # attribute a user module keeps), so the real run starts exactly as if it had not happened;
    # only the random generators are shared, and put back.
    rng = nnlite.get_rng_state()
    gen = getattr(loader, "generator", None)
    loader_rng = gen.get_state() if gen is not None else None
    xb, yb = ds._batch(np.arange(n)) if hasattr(ds, "_batch") else next(iter(loader))
    memo: dict = {}
    model = copy.deepcopy(setup.model, memo)
    optimizer = copy.deepcopy(setup.optimizer, memo)
    loss_fn = setup.loss_fn
    rec = _Recorder(model)
    try:
        model.train()
        for m in (setup.finetune or {}).get("frozen_bn", ()):
            memo.get(id(m), m).eval()
        try:
            out = model(xb)
        except Exception as e:  # noqa: BLE001 (any failure of the user's model)
            raise ConfigError(key, _forward_failure(rec, xb, e)) from None
        if not isinstance(out, Tensor):
            raise ConfigError(key, f"the model returns {type(out).__name__}, not a Tensor of "
                              f"outputs (input {_fmt(_shapes(xb))})")
        _check_output(out, yb, task, setup.splits.n_outputs, key)
        try:
            loss = loss_fn(out, yb)
        except Exception as e:  # noqa: BLE001
            raise ConfigError(key, f"the loss ({type(loss_fn).__name__}) fails on the model's "
                              f"output {_fmt(_shapes(out))} and targets {_fmt(_shapes(yb))}: "
                              f"{_message(e)}") from None
        value = float(loss.item())
        optimizer.zero_grad()
        try:
            loss.backward()
        except Exception as e:  # noqa: BLE001
            raise ConfigError(key, f"backward through the model fails: {_message(e)}") from None
        try:
            optimizer.step()
        except Exception as e:  # noqa: BLE001
            raise ConfigError("optimizer", f"the first optimizer step fails: "
                              f"{_message(e)}") from None
        return {"loss": value, "outputs": dict(rec.outputs), "input": _shapes(xb),
                "output": _shapes(out), "finite": math.isfinite(value)}
    finally:
        rec.remove()
        nnlite.set_rng_state(rng)
        if loader_rng is not None:
            gen.set_state(loader_rng)


class naming_layers:
    """``with naming_layers(model) as rec: model(x)``; then ``rec.failure(x, e)`` is the
    one-line description of an exception ``e`` raised inside, naming the layer and shapes."""

    def __init__(self, model) -> None:
        self.model = model

    def __enter__(self) -> _Recorder:
        self.rec = _Recorder(self.model)
        self.rec.failure = lambda x, e: _forward_failure(self.rec, x, e)
        return self.rec

    def __exit__(self, *exc) -> None:
        self.rec.remove()


def _forward_failure(rec: _Recorder, xb, e: BaseException) -> str:
    if rec.stack:
        name, mod, shapes = rec.stack[-1]
        return (f"the forward pass fails in layer '{name}' ({type(mod).__name__}) on input "
                f"{_fmt(shapes)}: {_message(e)}")
    after = (f" after layer '{rec.last_done[0]}' (output {_fmt(rec.last_done[1])})"
             if rec.last_done else "")
    return (f"the model's forward fails{after} on a batch of shape {_fmt(_shapes(xb))}: "
            f"{_message(e)}")


def _check_output(out: Tensor, yb: Tensor, task: str, n_outputs: int, key: str) -> None:
    shape = list(out.shape)
    if task == "classification":
        if out.ndim != 2 or shape[0] != yb.shape[0]:
            raise ConfigError(key, f"the model's output has shape {shape} for a batch of "
                              f"{yb.shape[0]}; classification needs (batch, n_classes) = "
                              f"[{yb.shape[0]}, {n_outputs}]")
        if shape[1] < n_outputs:
            raise ConfigError(key, f"the model outputs {shape[1]} scores per sample but the data "
                              f"has {n_outputs} classes (output shape {shape}): give the last "
                              f"layer {n_outputs} outputs")
    else:
        want = list(yb.shape)
        if shape != want:
            raise ConfigError(key, f"the model's output has shape {shape} but the targets "
                              f"have {want} (the regression has {want[-1]} target column(s))")


def summary_table(model, outputs: dict) -> str:
    """Layers with their output shapes and parameter counts (trainable / frozen)."""
    rows = [("layer", "type", "output shape", "params", "trainable")]
    for name, mod in model.named_modules():
        if not name:
            continue
        own = list(mod.parameters(recurse=False))
        leaf = not any(True for _ in mod.children())
        if not own and not leaf:
            continue
        n = sum(p.numel() for p in own)
        t = sum(p.numel() for p in own if p.requires_grad)
        shape = outputs.get(name)
        rows.append((name, type(mod).__name__, _fmt(shape) if shape is not None else "-",
                     f"{n:,}", f"{t:,}" if t == n else f"{t:,} ({n - t:,} frozen)"))
    total = sum(p.numel() for p in model.parameters())
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    rows.append(("total", "", "", f"{total:,}", f"{trainable:,}"
                 + (f" ({total - trainable:,} frozen)" if total != trainable else "")))
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    lines = []
    for i, r in enumerate(rows):
        lines.append("  ".join(c.ljust(w) if j < 3 else c.rjust(w)
                               for j, (c, w) in enumerate(zip(r, widths))).rstrip())
        if i == 0 or i == len(rows) - 2:
            lines.append("-" * len(lines[0]))
    return "\n".join(lines)
