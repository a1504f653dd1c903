"""DDP's shared-memory buckets on 3 ranks: gradients of sizes 1, 7, 2x3 and 40 (none a
multiple of 3, so every rank's slice differs in length), in several buckets and in one. Each
rank's gradient is known (the loss is sum(c_r * p)), so the averaged gradient must be, bit for
bit, numpy's ((c_0 + c_1) + c_2) / 3 -- the rank-order sum the shared buckets compute -- on
every rank, with or without gradient_as_bucket_view, and within an ulp of MPI's allreduce."""

import math
import os

import numpy as np

import nnlite as torch
import nnlite.distributed as dist
from nnlite import nn
from nnlite.nn.parallel import DistributedDataParallel as DDP

dist.init_process_group("gloo")
r, W = dist.get_rank(), dist.get_world_size()
assert W == 3
SHAPES = [(1,), (7,), (2, 3), (40,)]
consts = [[np.random.default_rng(100 * k + i).standard_normal(s).astype(np.float32)
           for i, s in enumerate(SHAPES)] for k in range(W)]


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.ps = nn.ParameterList([nn.Parameter(torch.zeros(s)) for s in SHAPES])

    def forward(self):
        return sum((p * torch.tensor(c)).sum() for p, c in zip(self.ps, consts[r]))


def grads(shared, layout, view=False):
    os.environ["NNLITE_DDP_SHARED_MEMORY"] = "1" if shared else "0"
    ddp = DDP(Net(), bucket_cap_mb=1e-6 if layout == "buckets" else None,
              gradient_as_bucket_view=view)
    if layout == "flat":
        ddp._build_buckets(math.inf, math.inf)
    assert (ddp._shared is not None) == shared
    assert len(ddp._buckets) == (1 if layout == "flat" else 4), len(ddp._buckets)
    for _ in range(2):  # the second step reuses the buckets
        ddp.zero_grad()
        ddp().backward()
    return [p.grad.numpy().copy() for p in ddp.module.ps]


def same_on_all_ranks(arrs):
    got = [None] * W
    dist.all_gather_object(got, [a.tolist() for a in arrs])
    return all(g == got[0] for g in got)


expect = [((consts[0][i] + consts[1][i]) + consts[2][i]) / np.float32(3) for i in range(4)]
via_mpi = grads(False, "buckets")
for layout in ("buckets", "flat"):
    for view in (False, True):
        got = grads(True, layout, view)
        assert same_on_all_ranks(got), (layout, view)
        for g, e, m in zip(got, expect, via_mpi):
            assert g.dtype == np.float32 and np.array_equal(g, e), (layout, view, g - e)
            assert np.all(np.abs(g - m) <= np.spacing(np.abs(e)) * 2), (layout, view)
print(f"OK {r}", flush=True)
