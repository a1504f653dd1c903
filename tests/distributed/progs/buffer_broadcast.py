"""DDP's forward buffer broadcast on 2 ranks, through the shared-memory window and through
MPI, with and without gradient_as_bucket_view.

At each forward that follows a synced training forward (and at the first), as torch, every
rank's buffers (BatchNorm running statistics, float32, and its int64 counter) are rank 0's
from just before that forward; at the others every rank keeps its own. The plan mixes synced
steps, a training forward without backward (two broadcasts in a row: the shared regions taken
in turn), a forward under no_grad, and buffers changed between a backward and the next
forward on every rank, in place and by reassignment (rank 0's buffers then are not the ones
posted with the gradients: the forward must broadcast the changed ones). Counted: collectives
per synced step in a steady run (with the shared window rank 0's buffers travel with the
gradients: 1 for default DDP, 2 with bucket views, after the first step's broadcast)."""

import os

import numpy as np

import nnlite as torch
import nnlite.distributed as dist
from nnlite import nn
from nnlite.nn.parallel import DistributedDataParallel as DDP

dist.init_process_group("gloo")
r, W = dist.get_rank(), dist.get_world_size()
rng = np.random.default_rng(r)  # each rank its own batches: the running stats drift apart


def buffers(m):
    return [b.numpy().tolist() for b in m.buffers()]


def gathered(x):
    box = [None] * W
    dist.all_gather_object(box, x)
    return box


def make():
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(4, 6), nn.BatchNorm1d(6), nn.ReLU(), nn.Linear(6, 2))


def batch():
    return torch.tensor(rng.standard_normal((5, 4)).astype(np.float32))


# (grad enabled, backward, change the buffers before the forward) per forward
PLAN = [(True, True, ""), (True, True, ""), (True, False, ""), (True, True, ""),
        (False, False, ""), (True, True, ""), (True, True, "in place"), (True, True, ""),
        (True, True, "reassign"), (True, False, ""), (True, False, ""), (True, True, "")]
EXPECT = [True] + [g for g, _, _ in PLAN[:-1]]  # broadcast iff the previous forward was synced


def change(model, how):
    bn = model[1]
    with torch.no_grad():
        if how == "in place":
            bn.running_mean.add_(float(r + 1))
        elif how == "reassign":
            bn.running_var = torch.full((6,), float(r + 2))
# "1": shared-memory buckets and broadcast; "1, mpi bcast": shared buckets, MPI's broadcast
for shared in ("1", "1, mpi bcast", "0"):
    for view in (False, True):
        os.environ["NNLITE_DDP_SHARED_MEMORY"] = shared[0]
        model = make()
        ddp = DDP(model, gradient_as_bucket_view=view)
        ddp._broadcast_shared = shared == "1"
        assert (ddp._shared is not None) == shared.startswith("1")
        seen, before = [], []
        # runs after DDP's broadcast, before BatchNorm updates its statistics
        model.register_forward_pre_hook(lambda m, a, seen=seen: seen.append(buffers(m)))
        for grad, back, how in PLAN:
            change(model, how)
            before.append(buffers(model))
            with torch.set_grad_enabled(grad):
                out = ddp(batch())
            if back:
                out.sum().backward()
        for k, bcast in enumerate(EXPECT):
            got, mine = gathered(seen[k]), gathered(before[k])
            if bcast:
                assert all(g == mine[0] for g in got), (shared, view, k)
            else:
                assert got[r] == mine[r], (shared, view, k)
                assert got[0] != got[1], (shared, view, k)  # the check can tell them apart
        # steady synced steps: collectives per step
        model = make()
        ddp = DDP(model, gradient_as_bucket_view=view)
        ddp._broadcast_shared = shared == "1"
        ddp._timeline = []
        for _ in range(3):
            model.zero_grad()
            ddp(batch()).sum().backward()
        calls = [t.collectives for t in ddp._timeline]
        if shared == "1":  # broadcast barrier at first, bucket barrier (+ the views' finish)
            assert calls == ([3, 2, 2] if view else [2, 1, 1]), (view, calls)
        elif shared == "1, mpi bcast":  # MPI broadcast, the bucket barrier (+ finish)
            assert calls == [3 if view else 2] * 3, (view, calls)
        else:  # MPI broadcast, bucket allreduce
            assert calls == [2] * 3, (view, calls)
print(f"OK {r}", flush=True)
