"""Honest ``--resume``: what may change when a run continues, and what may not.

A checkpoint carries the optimizer's state, the scheduler's position, the data order and the
model's weights, so a resumed run continues with the settings it started with. An override (or
a different config file) that would only *look* applied (``--set optimizer.lr=0.1`` rewritten
into ``config.yaml`` while training continues at the checkpoint's lr) is refused, naming the
key. The keys that do apply on resume (``RESUMABLE``) are applied and recorded in
``config.yaml``; extending ``trainer.epochs`` past the end of a cosine or one-cycle schedule is
refused (the lr would climb back up, or the scheduler would fail), and a finished run says it
is complete instead of being evaluated and rewritten again.
"""

from __future__ import annotations

import json
import os

from nnlite.train.config import load_yaml
from nnlite.train.resolve import resolve
from nnlite.train.schema import ConfigError

RESUMABLE = ("trainer.epochs", "trainer.log_every", "trainer.checkpoint_every", "threads",
             "name", "data.batch_size", "data.eval_batch_size", "distributed")
# batch size: between epochs (the run-dir checks refuse a change in the middle of an epoch);
# distributed: the number of ranks may change (the distributed mode re-shards on resume)
_WHY = {
    "optimizer": "the optimizer's state in the checkpoint carries the run's settings",
    "scheduler": "the scheduler's position in the checkpoint follows the run's schedule",
    "data": "the data, its splits and order are fixed by the run",
    "model": "the checkpoint's weights belong to the run's model",
    "loss": "the run was trained with its loss",
    "seed": "the random state is in the checkpoint",
    "finetune": "the run's starting weights are already in the checkpoint",
    "metrics": "the run's history was logged with its metrics",
    "trainer": "the run's callbacks and their state are in the checkpoint",
}


def _flatten(node, prefix: str = "") -> dict:
    if isinstance(node, dict):
        out = {}
        for k, v in node.items():
            out.update(_flatten(v, f"{prefix}.{k}" if prefix else str(k)))
        if not node and prefix:
            out[prefix] = {}
        return out
    return {prefix: node}


def changed_keys(stored: dict, cfg: dict) -> list[tuple[str, object, object]]:
    """``(key path, run's value, new value)`` for every leaf that differs."""
    a, b = _flatten(stored), _flatten(cfg)
    keys = list(a) + [k for k in b if k not in a]
    return [(k, a.get(k), b.get(k)) for k in keys if a.get(k) != b.get(k)]


def _covered(key: str, allowed) -> bool:
    return any(key == k or key.startswith(k + ".") for k in allowed)


def _horizon(cfg: dict, steps_per_epoch: int) -> tuple[str, float] | None:
    """(scheduler name, the epoch its schedule ends) for schedules that end: cosine (the lr
    climbs back after T_max) and one-cycle (cannot step past total_steps)."""
    s = cfg.get("scheduler")
    if not s or s.get("name") not in ("cosine", "onecycle"):
        return None
    per_step = s.get("interval") == "step" or (s.get("interval") in (None, "auto")
                                                and s["name"] == "onecycle")
    unit = steps_per_epoch if per_step else 1
    warmup = int(s.get("warmup_epochs") or 0)
    length = s.get("T_max") if s["name"] == "cosine" else s.get("total_steps")
    if length is None:
        return s["name"], float(cfg["trainer"]["epochs"])
    return s["name"], warmup + float(length) / unit


def check_resume(cfg: dict, run_dir: str, checkpoint: dict, steps_per_epoch: int,
                 stored: dict | None = None) -> dict:
    """Compare the resolved ``cfg`` with the run's own ``config.yaml``.

    Returns ``{'complete': summary or None, 'notes': [...]}``. Raises ``ConfigError`` naming
    the first key that cannot change on resume, or ``trainer.epochs`` past a schedule's end.
    """
    if stored is None:
        path = os.path.join(run_dir, "config.yaml")
        if not os.path.isfile(path):
            raise ConfigError("--resume", f"'{run_dir}' has no config.yaml (is it a run "
                              "directory?)")
        stored = resolve(load_yaml(path))
    notes = []
    for key, old, new in changed_keys(stored, cfg):
        if _covered(key, RESUMABLE):
            if key != "name":
                notes.append(f"{key}: {old!r} -> {new!r} (applied on resume, recorded in "
                             "config.yaml)")
            continue
        why = _WHY.get(key.split(".")[0], "the checkpoint was made with the run's value")
        raise ConfigError(key, f"cannot change on --resume (the run has {old!r}, this asks for "
                          f"{new!r}): {why}. Keep it, or start a new run from this one's "
                          f"weights with finetune.from: {run_dir}")
    done = int(checkpoint.get("epoch", 0)) if isinstance(checkpoint, dict) else 0
    epochs = cfg["trainer"]["epochs"]
    summary = _finished_summary(run_dir, done)
    if summary is not None and (epochs <= done or summary.get("stopped_early")):
        return {"complete": summary, "notes": notes}
    if epochs < done:
        raise ConfigError("trainer.epochs", f"{epochs} is fewer than the {done} epochs the run "
                          "has already trained")
    horizon = _horizon(stored, steps_per_epoch)
    if horizon is not None and epochs > horizon[1] and epochs != stored["trainer"]["epochs"]:
        name, end = horizon
        effect = ("the cosine lr would climb back up after its minimum" if name == "cosine"
                  else "OneCycleLR cannot step past its total_steps")
        raise ConfigError("trainer.epochs", f"{epochs} epochs run past the end of the run's "
                          f"{name} schedule ({end:g} epochs): {effect}. Keep trainer.epochs <= "
                          f"{end:g}, or train on in a new run with its own schedule "
                          f"(finetune.from: {run_dir})")
    return {"complete": None, "notes": notes}


def _finished_summary(run_dir: str, done: int) -> dict | None:
    """The run's summary.json when it was written after the checkpoint's last epoch (the run
    finished), else None."""
    path = os.path.join(run_dir, "summary.json")
    try:
        with open(path, encoding="utf-8") as fh:
            summary = json.load(fh)
    except (OSError, ValueError):
        return None
    if isinstance(summary, dict) and summary.get("epochs_run") == done:
        return summary
    return None


def absolute_paths(cfg: dict) -> None:
    """Store the data file and the fine-tuning source as absolute paths in the resolved
    config, so that a rerun or ``--resume`` from any directory finds them."""
    data = cfg.get("data") or {}
    if isinstance(data.get("path"), str) and data["path"]:
        data["path"] = os.path.abspath(data["path"])
    ft = cfg.get("finetune")
    if isinstance(ft, dict) and isinstance(ft.get("from"), str) and os.path.exists(ft["from"]):
        ft["from"] = os.path.abspath(ft["from"])
