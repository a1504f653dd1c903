"""``run(config)``: a whole training run from a config dict, with its run directory.

    summary = nnlite.train.run({"data": {"name": "digits"}, "trainer": {"epochs": 30}},
                               output_dir="runs/digits")

The run directory gets ``config.yaml`` (the resolved config), ``metrics.jsonl`` (one line per
epoch), ``summary.json``, ``model.safetensors`` (a plain state_dict with PyTorch's key names),
``checkpoint.safetensors`` (everything needed to resume exactly; written atomically) and
``curves.png`` when matplotlib is installed.
"""

from __future__ import annotations

import json
import math
import os
import sys
import time

import numpy as np

import nnlite
from nnlite._threads import resolve_threads
from nnlite.serialization import to_bytes
from nnlite.train import builders as B
from nnlite.train import checks
from nnlite.train import distributed as D
from nnlite.train.callbacks import BestModel, Callback, EarlyStopping
from nnlite.train.config import dump_yaml
from nnlite.train.dryrun import summary_table, trial_step
from nnlite.train.errors import RunError, one_line
from nnlite.train.metrics import DEFAULTS
from nnlite.train.model_graph import write_graph
from nnlite.train.plots import plot_history
from nnlite.train.predict import PREPROCESS, preprocess_record
from nnlite.train.resolve import resolve
from nnlite.train.resume import absolute_paths, check_resume
from nnlite.train.rundir import RunDir, check_resume_batches, read_checkpoint, read_weights
from nnlite.train.schema import ConfigError, did_you_mean
from nnlite.train.summary import final_metrics
from nnlite.train.trainer import Trainer

CHECKPOINT = "checkpoint.safetensors"


def _default_output_dir(cfg: dict) -> str:
    """``runs/<name>-<timestamp>``, with ``-2``, ``-3``... when a run started in the same
    second already has that directory."""
    base = os.path.join("runs", f"{cfg['name'] or 'run'}-{time.strftime('%Y%m%d-%H%M%S')}")
    path, n = base, 1
    while os.path.exists(path):
        n += 1
        path = f"{base}-{n}"
    return path


class _Setup:
    """Everything built from a config: data, loaders, model, loss, optimizer, scheduler."""

    def __init__(self, cfg: dict, load_finetune_weights: bool = True) -> None:
        nnlite.manual_seed(cfg["seed"])
        self.splits = B.build_data(cfg)
        self.train_loader, self.val_loader, self.test_loader = B.build_loaders(cfg, self.splits)
        self.model = B.build_model(cfg, self.splits.n_features, self.splits.n_outputs,
                                   n_samples=len(self.splits.x_train))
        self.finetune = None
        if cfg["finetune"] is not None:
            self.finetune = B.apply_finetune(cfg, self.model, load_finetune_weights)
        self.notes = []  # said in the log before training
        self._check_model_and_batches(cfg)
        self.loss_fn = B.build_loss(cfg, self.splits.task)
        self.optimizer = B.build_optimizer(cfg, self.model)
        self.scheduler = B.build_scheduler(cfg, self.optimizer, len(self.train_loader))
        self.n_parameters = B.count_parameters(self.model)
        self.n_trainable = B.count_parameters(self.model, trainable_only=True)

    def _check_model_and_batches(self, cfg: dict) -> None:
        m, ft, d = cfg["model"], cfg["finetune"], cfg["data"]
        key = ("model.out_features" if m["out_features"] is not None
               else "finetune.replace_head.out_features"
               if ft and ft["replace_head"] and ft["replace_head"]["out_features"]
               else "model.class" if m["class"] else "model")
        checks.check_outputs(self.model, self.splits, key)
        n = len(self.splits.x_train)
        frozen = self.finetune["frozen_bn"] if self.finetune else ()
        if not checks.has_training_batchnorm(self.model, frozen):
            return
        if n == 1:
            raise ConfigError("data", "a single training sample cannot train a model with "
                              "BatchNorm (it needs more than one value per channel)")
        if checks.single_sample_last_batch(n, d["batch_size"], d["drop_last"]):
            dropped = {**cfg, "data": {**d, "drop_last": True}}
            self.train_loader = B.build_loaders(dropped, self.splits)[0]
            self.notes.append(
                f"note: {n} training samples in batches of {d['batch_size']} leave a last batch "
                "of 1 sample, which training BatchNorm cannot normalize; that batch is dropped "
                "each epoch (" + ("a different sample each epoch, as data.shuffle is true"
                                  if d["shuffle"] else "the same last sample every epoch")
                + "). Set data.drop_last: true to silence this, or another data.batch_size.")


def describe(cfg: dict, setup: _Setup) -> str:
    s = setup.splits
    lines = [repr(setup.model), "",
             f"parameters: {setup.n_parameters:,} (trainable {setup.n_trainable:,})",
             f"data: {cfg['data']['name']} ({s.task}), {s.n_features} features, "
             f"{s.n_outputs} {'classes' if s.task == 'classification' else 'targets'}; "
             f"train {len(s.x_train)}, val {0 if s.x_val is None else len(s.x_val)}, "
             f"test {0 if s.x_test is None else len(s.x_test)}",
             f"optimizer: {type(setup.optimizer).__name__}, scheduler: "
             f"{type(setup.scheduler).__name__ if setup.scheduler else 'none'}, "
             f"epochs: {cfg['trainer']['epochs']}"]
    if setup.finetune:
        lines.append(f"fine-tune from {setup.finetune['source']}: "
                     f"{len(setup.finetune['frozen'])} frozen tensors")
    return "\n".join(lines)


def run(config: dict, *, overrides: list[str] = (), output_dir: str | None = None,
        resume: str | None = None, quiet: bool = True, dry_run: bool = False,
        progress: bool = False, out=None, callbacks=(), graph: str | None = None) -> dict:
    """Train from a config dict; returns the summary (also written to ``summary.json``).

    Raises ``ConfigError`` for a bad config, ``TrainingInterrupted`` after Ctrl-C (a checkpoint
    is saved; continue with ``resume=output_dir``) and ``NonFiniteLoss`` when the loss becomes
    NaN/inf (the last good checkpoint stays).
    """
    t_start = time.perf_counter()
    out = out or sys.stdout

    def say(text: str) -> None:
        if not quiet:
            print(text, file=out, flush=True)

    cfg = resolve(config, overrides)
    absolute_paths(cfg)
    if not D.start(cfg).writer:  # one of several ranks: rank 0 alone prints
        quiet, progress = True, False
    threads = resolve_threads(cfg["threads"])
    if threads is None:
        return _run(cfg, t_start, say, output_dir, resume, dry_run, progress, callbacks, graph)
    previous = nnlite.get_num_threads()
    nnlite.set_num_threads(threads)
    try:
        return _run(cfg, t_start, say, output_dir, resume, dry_run, progress, callbacks, graph)
    finally:
        nnlite.set_num_threads(previous)


def _run(cfg, t_start, say, output_dir, resume, dry_run, progress, callbacks,
         graph=None) -> dict:
    """Lock the run directory around the run; a failed write becomes a ``RunError``."""
    if dry_run:
        return _train(cfg, t_start, say, output_dir, resume, dry_run, progress, callbacks, None,
                      graph)
    if resume is not None and not os.path.isdir(resume):
        raise ConfigError("--resume", f"'{resume}' is not a directory")
    # ranks other than 0 of an N-rank run write into a private temporary directory
    rundir = RunDir(D.current().private_dir(resume or output_dir or _default_output_dir(cfg)),
                    key="--resume" if resume is not None else "--output-dir")
    for note in rundir.notes:
        say(f"{rundir.path}: {note}")
    try:
        return _train(cfg, t_start, say, rundir.path, resume, dry_run, progress, callbacks,
                      rundir)
    except KeyboardInterrupt as e:
        if os.path.isfile(rundir.file(CHECKPOINT)):
            e.run_dir = rundir.path  # the CLI says how to continue
        raise
    except (OSError, RunError) as e:
        has_checkpoint = os.path.isfile(rundir.file(CHECKPOINT))
        if isinstance(e, OSError):
            kept = (f"the last good checkpoint in {rundir.path} is kept" if has_checkpoint
                    else "no checkpoint was written")
            what = f"'{e.filename}': " if e.filename else ""
            err = RunError(f"{what}{e.strerror or e}; {kept}")
        else:
            err = e
        if has_checkpoint:
            err.run_dir = rundir.path  # the CLI says how to continue
        raise err from (e if err is not e else None)
    finally:
        rundir.release(failed_before_start=True)


def _train(cfg, t_start, say, output_dir, resume, dry_run, progress, callbacks, rundir,
           graph=None) -> dict:
    checkpoint = None
    if resume is not None:
        path = os.path.join(resume, CHECKPOINT)
        if not os.path.isfile(path):
            raise ConfigError("--resume", f"no {CHECKPOINT} in '{resume}' (is it a run "
                              "directory that trained at least one epoch?)")
        checkpoint = read_checkpoint(path)
        output_dir = D.current().private_dir(resume)

    if not dry_run and checkpoint is None:  # before building anything (seconds of work)
        where = output_dir or _default_output_dir(cfg)
        if os.path.isfile(os.path.join(where, CHECKPOINT)):
            raise ConfigError("--output-dir", f"'{where}' already holds a run; continue it "
                              f"with --resume {where}, or choose another directory")
    setup = _Setup(cfg, load_finetune_weights=checkpoint is None)
    if checkpoint is not None:
        resumed = check_resume(cfg, resume, checkpoint, len(setup.train_loader))
    # one real training step (on copies) before anything is written: a model that cannot
    # train on this data fails now, naming the layer and the shapes
    trial = trial_step(setup, setup.splits.task,
                       "model.class" if cfg["model"]["class"] else "model")
    if dry_run:
        es = cfg["trainer"]["early_stopping"]
        if es:
            _check_monitor(es["monitor"], setup, cfg, "trainer.early_stopping.monitor")
        say(describe(cfg, setup))
        say("\n" + summary_table(setup.model, trial["outputs"]))
        say(f"\none training step on a batch of {trial['input'][0]}"
            f" ran (loss {trial['loss']:.4g}{'' if trial['finite'] else ': not finite!'}); "
            "nothing was changed or written")
        for note in setup.notes:
            say(note)
        if graph:
            say(write_graph(setup, graph))
        return {"n_parameters": setup.n_parameters,
                "n_trainable_parameters": setup.n_trainable, "dry_run": True,
                "first_loss": trial["loss"]}
    ranks = D.current().prepare(cfg, setup, checkpoint)  # DDP, shards (one process: no-op)

    output_dir = output_dir or _default_output_dir(cfg)
    if checkpoint is None:  # a resume writes it once the checkpoint is known to fit
        rundir.write("config.yaml", dump_yaml(cfg))
    record = preprocess_record(cfg, setup.splits, setup.model)
    rundir.write(PREPROCESS, json.dumps(record, indent=1))
    for note in setup.splits.notes:
        say(f"data: {note}")

    tr = cfg["trainer"]
    has_val = setup.val_loader is not None
    es = tr["early_stopping"]
    monitor = es["monitor"] if es else ("val_loss" if has_val else "train_loss")
    mode = es["mode"] if es else "auto"
    _check_monitor(monitor, setup, cfg, "trainer.early_stopping.monitor" if es else None)
    best_path = os.path.join(output_dir, "best.safetensors")

    def save_best(epoch, state):
        if tr["save_model"] == "best":
            nnlite.save(state, best_path)

    # the runner picks model.safetensors' weights itself (trainer.save_model), from best_state
    best = BestModel(monitor, mode, on_improve=save_best, restore_best_weights=False)
    cbs = [best]
    if es:
        cbs.append(EarlyStopping(es["monitor"], es["patience"], es["mode"], es["min_delta"]))
    cbs.append(_MetricsWriter(rundir))
    cbs.extend(callbacks)

    # the first curves.png after 10 s of training: a short run draws it once, at the end
    # (matplotlib's import and each draw are a noticeable part of a few-second run)
    last_plot = [time.perf_counter()]

    def save_checkpoint(trainer, reason):
        state = trainer.state_dict()
        state["run"] = {"batch_size": cfg["data"]["batch_size"],
                        "batches_per_epoch": len(setup.train_loader)}  # for resume checks
        if reason == "epoch":  # the next epoch trains while the disk syncs (RunDir)
            rundir.write_behind(CHECKPOINT, to_bytes(state, metadata={"reason": reason}))
        else:  # start / interrupt: on disk before anything else happens
            rundir.flush()
            nnlite.save(state, os.path.join(output_dir, CHECKPOINT), metadata={"reason": reason})
        # curves.png follows the checkpoints (every 10 s at most: drawing costs ~0.1 s)
        if reason == "epoch" and time.perf_counter() - last_plot[0] > 10:
            last_plot[0] = time.perf_counter()
            plot_history(trainer.history, os.path.join(output_dir, "curves.png"),
                         name=cfg["name"] or "", best_epoch=best.m.best_epoch)

    s = setup.splits
    transform = None
    if s.task == "regression" and s.y_mean is not None:
        y_mean, y_std = s.y_mean.astype(np.float64), s.y_std.astype(np.float64)

        def transform(a):
            return a.reshape(len(a), -1) * y_std + y_mean

    trainer = Trainer(
        setup.model, setup.optimizer, setup.loss_fn, setup.scheduler, cbs, task=s.task,
        metrics=cfg["metrics"], grad_clip=tr["grad_clip"],
        scheduler_interval=B.scheduler_interval(cfg),
        plateau_monitor=monitor, target_transform=transform,
        frozen_bn=setup.finetune["frozen_bn"] if setup.finetune else (),
        checkpoint_fn=save_checkpoint, checkpoint_every=tr["checkpoint_every"],
        progress=progress, log_fn=say, log_every=tr["log_every"], compile=tr["compile"])
    ranks.attach(trainer)
    if checkpoint is not None:
        check_resume_batches(checkpoint, cfg["data"]["batch_size"], len(setup.train_loader),
                             resume)
        try:
            trainer.load_state_dict(checkpoint)
        except (KeyError, ValueError, RuntimeError, TypeError, AttributeError, IndexError) as e:
            raise ConfigError("--resume", f"the checkpoint in '{resume}' does not fit this "
                              f"config: {one_line(e)}") from None
        trainer.restore_loader_rng(setup.train_loader)
        ranks.resumed(trainer, checkpoint)
        if tr["save_model"] == "best" and os.path.isfile(best_path):
            best.best_state = read_weights(best_path)
        if resumed["complete"] is not None:  # the run's files are sound: say so, touch nothing
            done = resumed["complete"]
            say(f"{resume} is complete: it trained {done.get('epochs_run')} epochs"
                f"{' (stopped early)' if done.get('stopped_early') else ''} and wrote "
                "summary.json; nothing to resume (pass --epochs N to train longer)")
            return done
        for note in resumed["notes"]:
            say(note)
        rundir.write("config.yaml", dump_yaml(cfg))
        _MetricsWriter(rundir).on_epoch_end(trainer, trainer.epoch, None)  # drop later lines
        say(f"resuming {output_dir} after epoch {trainer.epoch}"
            + (f", batch {trainer.batch}" if trainer.batch else ""))
    else:
        rundir.write("metrics.jsonl", "")
        save_checkpoint(trainer, "start")
    for note in setup.notes:
        say(note)
    if s.task == "classification":
        say(f"training on {cfg['data']['name']}: {len(s.x_train)} samples, "
            f"{setup.n_trainable:,} trainable parameters, {tr['epochs']} epochs")

    trainer.fit(setup.train_loader, setup.val_loader, epochs=tr["epochs"])
    rundir.flush()  # the last epoch's checkpoint and metrics are on disk (or raise here)

    if tr["save_model"] == "best" and best.best_state is not None:
        setup.model.load_state_dict(best.best_state)
    nnlite.save(setup.model.state_dict(), os.path.join(output_dir, "model.safetensors"),
                metadata={"preprocess": json.dumps(record)})

    summary = {}
    for split, loader in (("test", setup.test_loader), ("val", setup.val_loader)):
        if loader is not None:
            metrics = list(cfg["metrics"] or
                           trainer.metrics + (["confusion_matrix"] if s.task ==
                                              "classification" and split == "test" else []))
            res = trainer.evaluate(loader, metrics=metrics)
            if s.task == "classification":
                out, y = trainer._outputs(loader)
                res.update(final_metrics(y, out, s.class_names))
            summary.update({f"{split}_{k}": v for k, v in res.items()})
    hist = trainer.history
    summary.update({
        "best_epoch": best.m.best_epoch,
        f"best_{monitor}": best.m.best if math.isfinite(best.m.best) else None,
        "epochs_run": len(hist),
        "stopped_early": len(hist) < tr["epochs"],
        "n_parameters": setup.n_parameters,
        "n_trainable_parameters": setup.n_trainable,
        "n_frozen_parameters": setup.n_parameters - setup.n_trainable,
        "train_time_s": round(sum(h["time_s"] for h in hist), 3),
        "wall_time_s": round(time.perf_counter() - t_start, 3),
        "saved_model": tr["save_model"],
        "output_dir": output_dir,
    })
    if setup.finetune:
        summary["finetune_from"] = setup.finetune["source"]
        summary["frozen"] = setup.finetune["frozen"]
    rundir.write("summary.json", json.dumps(summary, indent=2))
    plotted = plot_history(hist, os.path.join(output_dir, "curves.png"), name=cfg["name"] or "",
                           summary=summary, best_epoch=best.m.best_epoch)
    say(_summary_text(summary, s.task, output_dir, plotted))
    return summary


def _check_monitor(monitor, setup, cfg, key):
    if key is None:
        return
    task = setup.splits.task
    names = ["train_loss", "val_loss"] + (["train_accuracy"] if task == "classification"
                                          else [])
    names += [f"val_{m}" for m in (cfg["metrics"] or DEFAULTS[task]) if m != "confusion_matrix"]
    if setup.val_loader is None:
        names = [n for n in names if not n.startswith("val_")]
    if monitor not in names:
        raise ConfigError(key, f"'{monitor}' is not a logged metric" + did_you_mean(monitor, names)
                          + f" (logged: {', '.join(names)})")


class _MetricsWriter(Callback):
    """metrics.jsonl: one line per epoch, the whole file replaced atomically each epoch (a few
    kB), so that a crash leaves it whole and in step with the history."""

    def __init__(self, rundir) -> None:
        self.rundir = rundir

    def on_epoch_end(self, trainer, epoch, logs) -> None:
        self.rundir.write_behind("metrics.jsonl", "".join(json.dumps(h) + "\n"
                                                          for h in trainer.history))


def _summary_text(summary: dict, task: str, output_dir: str, plotted: bool) -> str:
    keys = (["test_accuracy", "test_balanced_accuracy", "test_f1_macro", "test_loss"]
            if task == "classification" else ["test_r2", "test_mse", "test_mae", "test_loss"])
    shown = [f"{k} {summary[k]:.4f}" for k in keys if k in summary]
    if not shown:
        shown = [f"{k} {v:.4f}" for k, v in summary.items() if k.startswith("val_")
                 and isinstance(v, float)]
    files = ["config.yaml", "metrics.jsonl", "summary.json", "model.safetensors", CHECKPOINT]
    if plotted:
        files.append("curves.png")
    return "\n".join([
        "done: " + "  ".join(shown),
        f"epochs {summary['epochs_run']} (best {summary['best_epoch']}"
        f"{', stopped early' if summary['stopped_early'] else ''})  parameters "
        f"{summary['n_parameters']:,} (trained {summary['n_trainable_parameters']:,})  "
        f"wall time {summary['wall_time_s']:.1f} s",
        f"files in {output_dir}/: {', '.join(files)}",
    ])
