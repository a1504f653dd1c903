"""Collectives, object collectives, env vars and DistributedSampler shards on 2 ranks.

Every expected value is a closed form in the rank (r) and world size (W)."""

import importlib.util
import os
import time

import numpy as np

import nnlite as torch
import nnlite.distributed as dist
from nnlite.data.distributed import DistributedSampler

dist.init_process_group("gloo")
r, W = dist.get_rank(), dist.get_world_size()
assert W == 2 and dist.is_initialized() and dist.get_backend() == "mpi"
assert os.environ["RANK"] == str(r) and os.environ["WORLD_SIZE"] == "2"
assert os.environ["LOCAL_RANK"] == str(r) and os.environ["LOCAL_WORLD_SIZE"] == "2"
ranks = np.arange(W, dtype=np.float64)

# all_reduce, each op, float32 and int64: rank k holds [k + 1, 2 (k + 1)]
vals = np.array([[k + 1.0, 2 * (k + 1.0)] for k in range(W)])
for op, ref in ((dist.ReduceOp.SUM, vals.sum(0)), (dist.ReduceOp.MAX, vals.max(0)),
                (dist.ReduceOp.MIN, vals.min(0)), (dist.ReduceOp.PRODUCT, vals.prod(0)),
                (dist.ReduceOp.AVG, vals.mean(0))):
    t = torch.tensor(vals[r].tolist())
    assert dist.all_reduce(t, op=op) is None
    assert t.dtype == torch.float32 and t.tolist() == ref.tolist(), (op, t)
    if op is not dist.ReduceOp.AVG:
        i = torch.tensor(vals[r].astype(np.int64))
        dist.all_reduce(i, op=op)
        assert i.dtype == torch.int64 and i.tolist() == ref.tolist(), (op, i)
b = torch.tensor([r == 0, False, True])
dist.all_reduce(b, op=dist.ReduceOp.SUM)
assert b.tolist() == [True, False, True]
# float64 AVG of values whose sum is exact
t = torch.tensor([0.1 * (r + 1)], dtype=torch.float64)
dist.all_reduce(t, op=dist.ReduceOp.AVG)
assert t.item() == (0.1 + 0.2) / 2
# async: the value arrives at wait(); a non-contiguous view is reduced in place
base = torch.zeros(4, 3)
view = base[:, 1]
view.add_(float(r + 1))
work = dist.all_reduce(view, async_op=True)
work.wait()
assert work.is_completed() and view.tolist() == [3.0] * 4 and base[:, 0].tolist() == [0.0] * 4
# broadcast from rank 1
t = torch.tensor([10.0 * r, 1.0])
dist.broadcast(t, src=1)
assert t.tolist() == [10.0, 1.0]
# all_gather / all_gather_into_tensor / reduce_scatter / reduce / gather / scatter
lst = [torch.zeros(2, dtype=torch.int64) for _ in range(W)]
dist.all_gather(lst, torch.tensor([r, r * r]))
assert [x.tolist() for x in lst] == [[k, k * k] for k in range(W)]
out = torch.zeros(W * 2)
dist.all_gather_into_tensor(out, torch.tensor([r, 5.0]))
assert out.tolist() == [0.0, 5.0, 1.0, 5.0]
o = torch.zeros(2)
dist.reduce_scatter(o, [torch.full((2,), 10.0 * k + r) for k in range(W)])
assert o.tolist() == [20.0 * r + 1] * 2
o = torch.zeros(1)
dist.reduce_scatter_tensor(o, torch.tensor([1.0 + r, 3.0 + r]))
assert o.item() == [3.0, 7.0][r]
t = torch.tensor([r + 1.0])
dist.reduce(t, dst=1)
assert t.item() == (3.0 if r == 1 else 1.0)
g = [torch.zeros(1) for _ in range(W)] if r == 0 else None
dist.gather(torch.tensor([r + 7.0]), g, dst=0)
assert r != 0 or [x.item() for x in g] == [7.0, 8.0]
t = torch.zeros(1)
dist.scatter(t, [torch.tensor([5.0]), torch.tensor([6.0])] if r == 1 else None, src=1)
assert t.item() == 5.0 + r

# objects: JSON with tagged types, no pickle
objs = [None] * W
dist.all_gather_object(objs, {"rank": r, 3: (r, "x"), "a": np.arange(3) * r,
                              "nan": float("nan")})
assert [o["rank"] for o in objs] == [0, 1] and objs[1][3] == (1, "x")
assert objs[1]["a"].tolist() == [0, 1, 2] and objs[0]["nan"] != objs[0]["nan"]
box = [{"lr": 0.1 * (r + 1), "t": torch.tensor([1.5 * r])}, "s"] if r == 1 else [None, None]
dist.broadcast_object_list(box, src=1)
assert box[0]["lr"] == 0.2 and box[0]["t"].tolist() == [1.5] and box[1] == "s"
try:
    dist.all_gather_object(objs, object())
except TypeError as e:
    assert "set_object_pickling" in str(e)
else:
    raise AssertionError("an arbitrary object was sent without pickling opt-in")

# barrier: rank 0 cannot pass before rank 1 arrives
t0 = time.monotonic()
if r == 1:
    time.sleep(0.3)
dist.barrier()
assert r == 1 or time.monotonic() - t0 > 0.25

# DistributedSampler: disjoint, equal-length shards covering the data; new order per epoch
n = 23
seen = {}
for epoch in (0, 1):
    s = DistributedSampler(list(range(n)), seed=3)
    s.set_epoch(epoch)
    mine = list(s)
    shards = [None] * W
    dist.all_gather_object(shards, mine)
    assert all(len(x) == len(s) == 12 for x in shards)
    flat = [i for x in shards for i in x]
    assert set(flat) == set(range(n)) and len(flat) - len(set(flat)) == 24 - n  # one pad
    seen[epoch] = mine
assert seen[0] != seen[1]
# ... and, where torch is installed, torch's own shards for this rank (the sampler took the
# replica count and rank from the process group)
if importlib.util.find_spec("torch") is not None:
    from torch.utils.data.distributed import DistributedSampler as TorchSampler

    for epoch in (0, 1):
        ref = TorchSampler(list(range(n)), num_replicas=W, rank=r, seed=3)
        ref.set_epoch(epoch)
        assert list(ref) == seen[epoch], (epoch, list(ref), seen[epoch])
s = DistributedSampler(list(range(n)), drop_last=True, shuffle=False)
shards = [None] * W
dist.all_gather_object(shards, list(s))
assert shards[0] == list(range(0, 22, 2)) and shards[1] == list(range(1, 22, 2))
dist.destroy_process_group()
assert not dist.is_initialized()
print(f"OK {r}", flush=True)
