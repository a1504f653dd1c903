"""The trainer's distributed mode: ``nnlite-train CONFIG --nproc N`` / ``distributed.nproc``.

The parent process re-launches the same command on N MPI ranks (``nnlite-run``'s mpiexec
command). Every rank builds the same data, model and optimizer from the seed; then:

- the train loader stays the single-process one (same global batches, same order, same
  resumable state on every rank) and each rank trains on rows ``r::N`` of each global batch;
  the model is wrapped in DistributedDataParallel (gradients averaged in backward, so
  gradient clipping sees the averaged gradients) and, with ``sync_batchnorm``, its BatchNorm
  layers become SyncBatchNorm, so the run follows the single-process run up to summation order;
  a last global batch split unevenly is weighted by rows, so its gradient is the global mean;
- each batch one tiny allreduce agrees on "some rank's loss is NaN/inf" and "some rank got
  Ctrl-C/SIGTERM", so every rank stops at the same batch; epoch sums are allreduced and
  rank 0's epoch logs broadcast before callbacks, so early stopping and plateau schedulers
  decide the same everywhere; a stop (Ctrl-C/SIGTERM, NaN) is taken only once agreed, so
  every rank stops at the same batch and the job ends with the exit status, not an abort;
- only rank 0 prints and writes the run directory (checkpoints after a barrier, with every
  rank's RNG state); the other ranks write small files into a private temporary directory;
- every rank keeps the single-process random stream (same seed, same draws) and a dropout
  mask is drawn for the whole global batch, each rank keeping its rows ``r::N`` of it
  (``nnlite._batch_shard``): each rank's dropout is its share of the single-process run's, so
  N ranks train like one process up to summation order, dropout included; the RNG state
  is the same on every rank, so ``--resume`` continues exactly on any rank count whose global
  batch is unchanged (``batch_size: global``).
"""

from __future__ import annotations

import atexit
import hashlib
import importlib.util
import math
import os
import shutil
import tempfile

import numpy as np

import nnlite
from nnlite import _batch_shard, nn
from nnlite import distributed as dist
from nnlite._tensor import Tensor
from nnlite.data import DataLoader
from nnlite.data.dataloader import RandomSampler
from nnlite.distributed import process_group as pg
from nnlite.distributed.run import build_command, find_mpiexec, run_command
from nnlite.nn.parallel import DistributedDataParallel
from nnlite.train.schema import ConfigError


class _Single:
    """The context of a one-process run: every method leaves the run as it was."""

    rank, world, writer = 0, 1, True

    def prepare(self, cfg, setup, checkpoint):
        return self

    def private_dir(self, output_dir):
        return output_dir

    def attach(self, trainer):
        pass

    def resumed(self, trainer, checkpoint):
        pass


_current = _Single()


def current():
    return _current


def nproc_of(cfg: dict) -> int:
    d = cfg.get("distributed") or {}
    return int(d.get("nproc") or 1)


def launch_if_needed(cfg: dict, argv: list[str], output_dir: str | None,
                     resume: str | None, default_output_dir) -> int | None:
    """Start the N-rank job that runs this same command (returns its exit status), or None
    when this process is itself a rank (or N is 1) and should train."""
    n = nproc_of(cfg)
    if n <= 1 or pg._launched_size() is not None:
        return None
    if importlib.util.find_spec("mpi4py") is None:
        raise ConfigError("distributed.nproc", f"{n} ranks need mpi4py: pip install "
                          "'nnlite[mpi]' (mpi4py + the mpich wheel)")
    child = list(argv)
    if output_dir is None and resume is None:
        # the parent names the run directory, so every rank agrees on it
        child += ["--output-dir", default_output_dir(cfg)]
    threads = cfg.get("threads")
    if threads == "auto":  # each rank: its share of the cores (build_command's default)
        threads = None
    try:
        cmd, env = build_command(n, ["-m", "nnlite.train.cli"] + child, find_mpiexec(),
                                 threads=threads)
    except FileNotFoundError as e:
        raise ConfigError("distributed.nproc", str(e)) from None
    root = os.path.dirname(os.path.dirname(os.path.abspath(nnlite.__file__)))
    env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH")
                                else "")
    return run_command(cmd, env)


def start(cfg: dict):
    """Join the process group when this process is one of several ranks."""
    global _current
    launched = pg._launched_size()
    if launched is None or launched == 1:
        _current = _Single()
        return _current
    if not pg.is_initialized():
        pg.init_process_group("mpi", timeout=cfg["distributed"]["timeout_s"])
    _current = _Ranks(cfg, pg.get_rank(), pg.get_world_size())
    return _current


class _Ranks:
    """This rank's part in an N-rank run (see the module docstring)."""

    def __init__(self, cfg: dict, rank: int, world: int) -> None:
        self.cfg, self.rank, self.world = cfg, rank, world
        self.writer = rank == 0
        d = cfg["distributed"]
        batch = cfg["data"]["batch_size"]
        self.global_batch = batch if d["batch_size"] == "global" else batch * world
        if self.global_batch < world:
            raise ConfigError("data.batch_size", f"a global batch of {self.global_batch} "
                              f"cannot be split over {world} ranks")
        self.ddp = None
        self.rows = (1, 1)  # (this rank's rows, global rows) of the batch in progress
        self.stop_agreed = False  # every rank saw "some rank got Ctrl-C/SIGTERM"
        self._tmp = None

    # ---- building -------------------------------------------------------------------------
    def prepare(self, cfg, setup, checkpoint):
        d = cfg["distributed"]
        if checkpoint is not None:
            self._check_resume(checkpoint)
        if d["sync_batchnorm"]:
            setup.model = nn.SyncBatchNorm.convert_sync_batchnorm(setup.model)
        if d["batch_size"] == "per_rank":
            setup.train_loader = _with_batch_size(setup.train_loader, self.global_batch)
        setup.train_loader = _ShardedLoader(setup.train_loader, self)
        # gradients as bucket views: the trainer keeps no .grad across steps, so the averaged
        # gradients can stay in the buckets (one copy of every gradient per step saved)
        self.ddp = DistributedDataParallel(setup.model, bucket_cap_mb=d["bucket_cap_mb"],
                                           gradient_as_bucket_view=True)
        # the trainer calls the plain model (its state_dict keys stay those of one process);
        # this hook does DDP's per-forward work (buffer broadcast, arming the gradient hooks)
        setup.model.register_forward_pre_hook(lambda m, args: self.ddp._pre_forward())
        # no reseeding: every rank keeps the one-process stream (see the module docstring)
        return self

    def _check_resume(self, checkpoint) -> None:
        saved = checkpoint.get("distributed") or {}
        g = saved.get("global_batch")
        g = int(g.item()) if isinstance(g, Tensor) else g
        if g is not None and g != self.global_batch:
            raise ConfigError("--resume", f"the run trained with a global batch of {g}; with "
                              f"{self.world} ranks it would be {self.global_batch}. Resume with "
                              "the same global batch (distributed.batch_size: global keeps it "
                              "fixed for any rank count)")

    def private_dir(self, output_dir):
        if self.writer:
            return output_dir
        if self._tmp is None:
            # one fixed name per (run directory, rank): a job that was killed (no atexit) leaves
            # at most one behind, which the next run of that directory replaces
            key = hashlib.sha1(os.path.abspath(output_dir).encode()).hexdigest()[:12]
            self._tmp = os.path.join(tempfile.gettempdir(), f"nnlite-rank{self.rank}-{key}")
            shutil.rmtree(self._tmp, ignore_errors=True)
            os.makedirs(self._tmp)
            atexit.register(shutil.rmtree, self._tmp, True)
        return self._tmp

    def attach(self, trainer) -> None:
        trainer.dist = self
        save = trainer.checkpoint_fn
        if save is None:
            return

        def checkpoint(tr, reason):
            # collective part on every rank, then rank 0 writes, then everyone waits for it
            sums = self.global_sums(tr._sums)
            states = [None] * self.world
            dist.all_gather_object(states, nnlite.get_rng_state())
            if self.writer:
                local = tr._sums
                tr._sums = sums
                orig = tr.state_dict

                def state_dict():
                    state = orig()
                    state["rng"]["ranks"] = Tensor._wrap(np.stack([s._data for s in states]))
                    state["distributed"] = {
                        "world_size": Tensor._wrap(np.array(self.world, np.int64)),
                        "global_batch": Tensor._wrap(np.array(self.global_batch, np.int64))}
                    return state

                tr.state_dict = state_dict
                try:
                    save(tr, reason)
                finally:
                    tr.state_dict = orig
                    tr._sums = local
            dist.barrier()

        trainer.checkpoint_fn = checkpoint

    def resumed(self, trainer, checkpoint) -> None:
        """After ``trainer.load_state_dict``: this rank's RNG and its share of the sums.

        The ranks' streams are equal (rank 0's state is the checkpoint's global one, which
        ``load_state_dict`` restored on every rank); the per-rank states saved with it are
        restored when the rank count is unchanged, which also continues a run whose ranks
        drew differently (a user's model with non-batch-first random draws on uneven
        batches)."""
        ranks = checkpoint["rng"].get("ranks") if isinstance(checkpoint.get("rng"), dict) \
            else None
        if ranks is not None and ranks.shape[0] == self.world:
            nnlite.set_rng_state(Tensor._wrap(ranks._data[self.rank].copy()))
        if not self.writer:  # the saved sums are global; rank 0 carries them on
            trainer._sums.update({"loss": 0.0, "correct": 0, "n": 0})

    # ---- per batch and per epoch ----------------------------------------------------------
    def on_batch(self, trainer, value: float, loss):
        """Agree with the other ranks on stopping; weight an uneven shard. Returns
        ``(value, loss)``: value is NaN on every rank if any rank's loss is not finite."""
        flags = np.array([0 if math.isfinite(value) else 1,
                          1 if trainer._stop_signal is not None else 0], np.int32)
        g = pg._require()
        g.calls += 1
        pg.wait(g.comm.Iallreduce(g.mpi.IN_PLACE, flags, op=g.mpi.MAX),
                "trainer batch agreement")
        if flags[1]:
            # every rank stops at the start of the next batch (Trainer._check_stop_request)
            self.stop_agreed = True
        if flags[0]:
            return (value if not math.isfinite(value) else math.nan), loss
        mine, total = self.rows
        if mine * self.world != total:
            loss = loss * (mine * self.world / total)
        return value, loss

    def global_sums(self, sums: dict) -> dict:
        arr = np.array([sums["loss"], sums["correct"], sums["n"]], np.float64)
        g = pg._require()
        g.calls += 1
        pg.wait(g.comm.Iallreduce(g.mpi.IN_PLACE, arr, op=g.mpi.SUM), "trainer epoch sums")
        out = dict(sums)
        out.update(loss=float(arr[0]), correct=int(arr[1]), n=int(arr[2]))
        return out

    def reduce_sums(self, sums: dict) -> None:
        sums.update(self.global_sums(sums))

    def same_logs(self, logs: dict) -> dict:
        box = [logs]
        dist.broadcast_object_list(box, src=0)
        return box[0]


def _with_batch_size(loader, batch_size: int):
    return DataLoader(loader.dataset, batch_size=batch_size,
                      shuffle=isinstance(loader.sampler, RandomSampler),
                      drop_last=loader.drop_last, generator=loader.generator)


class _ShardedLoader:
    """Iterates the single-process loader and yields rows ``rank::world`` of each batch."""

    def __init__(self, loader, ctx: _Ranks) -> None:
        self.loader, self.ctx = loader, ctx

    def __len__(self) -> int:
        return len(self.loader)

    def __getattr__(self, name):
        return getattr(self.loader, name)

    def __iter__(self):
        r, w = self.ctx.rank, self.ctx.world
        try:
            for batch in self.loader:
                xb, yb = batch
                n = int(xb.shape[0])
                if n < w:
                    # fewer rows than ranks: some rank would get none; skipped (at most w - 1
                    # samples of an epoch)
                    continue
                self.ctx.rows = ((n - r + w - 1) // w, n)
                # dropout masks: this rank's rows of the global batch's mask
                _batch_shard.set_rows(r, w, n)
                yield (Tensor._wrap(np.ascontiguousarray(xb._data[r::w])),
                       Tensor._wrap(np.ascontiguousarray(yb._data[r::w])))
        finally:
            _batch_shard.clear()

    def state_dict(self):
        return self.loader.state_dict()

    def load_state_dict(self, state):
        return self.loader.load_state_dict(state)


def ending(exc: BaseException) -> bool:
    """The CLI's last word on the exception ``exc`` that ends this process's run: True when
    this is a rank other than 0 and every rank ends with it at the same batch (Ctrl-C/SIGTERM
    or a NaN loss agreed in ``on_batch``), so rank 0 alone reports it. Such an ending is also
    announced to the worker, which then lets the job end with the exit status instead of
    aborting it (no rank is left waiting)."""
    if not isinstance(_current, _Ranks) or not getattr(exc, "every_rank", False):
        return False
    pg.exit_agreed()
    return not _current.writer


def rank_zero_only_output(quiet: bool, progress: bool) -> tuple[bool, bool]:
    if _current.writer:
        return quiet, progress
    return True, False

