"""The trainer's per-step training losses, on however many ranks this is launched with.

``python train_steps.py OUT.json RUN_DIR`` (one process) or under ``mpiexec -n 2 ... -m
nnlite.distributed.worker`` (2 ranks): trains configs/mlp.yaml (dropout 0.1, BatchNorm) for 2
epochs three ways -- compiled steps, eager steps, and (on 2 ranks only) a control with a dropout
stream seeded per rank instead of the global batch's mask -- and writes each way's per-step loss
on the global batch (on N ranks: the rows-weighted mean of the ranks' losses)."""

import json
import os
import sys

import yaml

import nnlite
from nnlite import _batch_shard
from nnlite.train import distributed as D
from nnlite.train import run
from nnlite.train.callbacks import Callback

out_json, run_dir = sys.argv[1], sys.argv[2]
root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))))
with open(os.path.join(root, "configs", "mlp.yaml")) as fh:
    raw = yaml.safe_load(fh)


class Steps(Callback):
    def __init__(self):
        self.steps = []

    def on_batch_end(self, trainer, epoch, batch, logs):
        rows = trainer.dist.rows[0] if trainer.dist is not None else None
        self.steps.append((logs["loss"], rows))


def per_rank_seeds():
    """The control: what a per-rank dropout stream gives (no global-batch mask)."""
    prepare = D._Ranks.prepare

    def prepare_then_reseed(self, cfg, setup, checkpoint):
        ctx = prepare(self, cfg, setup, checkpoint)
        nnlite.manual_seed(1000 + self.rank)
        return ctx

    D._Ranks.prepare = prepare_then_reseed
    _batch_shard.set_rows = lambda rank, world, global_rows: None


def train(way, cb):
    # SGD: differences of summation order stay at rounding level (Adam divides them by the
    # square root of tiny second moments, which amplifies them to ~1e-4 in 40 steps)
    overrides = ["model.hidden=[64]", "trainer.epochs=2", "optimizer={name: sgd, lr: 0.1}",
                 f"trainer.compile={'false' if way == 'eager' else 'true'}"]
    run(raw, overrides=overrides, output_dir=os.path.join(run_dir, way), callbacks=[cb])


results = {}
if os.environ["PMI_RANK"] == "0":
    from nnlite.distributed import process_group as pg

    hidden = {v: os.environ.pop(v) for v in pg._LAUNCHER_SIZE_VARS + pg._LAUNCHER_RANK_VARS
              if v in os.environ}
    cb = Steps()
    train("one_process", cb)
    assert D.current().world == 1
    results["one_process"] = [v for v, _ in cb.steps]
    os.environ.update(hidden)
import nnlite.distributed as dist  # noqa: E402

for way in ("compiled", "eager", "per_rank_seeds"):
    if way == "per_rank_seeds":
        per_rank_seeds()
    cb = Steps()
    train(way, cb)
    assert D.current().world == 2
    every = [None] * 2
    dist.all_gather_object(every, cb.steps)
    results[way] = [sum(v * n for v, n in step) / sum(n for _, n in step)
                    for step in zip(*every)]
if D.current().writer:
    with open(out_json, "w") as fh:
        json.dump(results, fh)
print(f"OK {dist.get_rank()}")
