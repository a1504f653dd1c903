"""DistributedDataParallel on 2 ranks, checked against a single-process run in the same job.

Each rank trains on its half of every global batch; rank-local references train the same
model on the whole global batch in one process. Checked: replicas bit-identical, the bucket
layouts (one flat bucket, many small buckets reduced at the end, many overlapped buckets,
gradients as bucket views) and the two reductions (shared-memory buckets, MPI's allreduce)
bit-identical to each other, DDP within 1e-6 (float32) / 1e-12
(float64) of the single-process run without BatchNorm and with SyncBatchNorm, per-rank
BatchNorm measurably different, no_sync, frozen and unused parameters, state_dict keys."""

import math
import os

import numpy as np

import nnlite as torch
import nnlite.distributed as dist
from nnlite import nn
from nnlite.nn.parallel import DistributedDataParallel as DDP

dist.init_process_group("gloo")
r, W = dist.get_rank(), dist.get_world_size()
STEPS, B = 4, 16  # global batch B, B // W per rank
rng = np.random.default_rng(0)
X = rng.standard_normal((STEPS, B, 6))
Y = rng.standard_normal((STEPS, B, 3))


def make(dtype, bn=None, seed=0):
    torch.manual_seed(seed)
    layers = [nn.Linear(6, 16)]
    if bn:
        layers.append(nn.BatchNorm1d(16))
    layers += [nn.Tanh(), nn.Linear(16, 16), nn.Tanh(), nn.Linear(16, 3)]
    m = nn.Sequential(*layers).to(dtype)
    if bn == "sync":
        m = nn.SyncBatchNorm.convert_sync_batchnorm(m)
    return m


def flat(model):
    return np.concatenate([p.detach().numpy().ravel().astype(np.float64)
                           for p in model.parameters()])


def batches(dtype, shard):
    for s in range(STEPS):
        x, y = X[s], Y[s]
        if shard:
            x, y = x[r::W], y[r::W]
        yield torch.tensor(x, dtype=dtype), torch.tensor(y, dtype=dtype)


def train(model, dtype, shard):
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    for x, y in batches(dtype, shard):
        opt.zero_grad()
        nn.functional.mse_loss(model(x), y).backward()
        opt.step()
    return model


def ddp_run(dtype, mode="overlapped", bn=None):
    # rank 1 starts from other weights: the construction broadcast must replace them
    model = make(dtype, bn, seed=0 if r == 0 else 99)
    # "mpi": MPI's allreduce instead of the shared-memory buckets every other mode uses here
    os.environ["NNLITE_DDP_SHARED_MEMORY"] = "0" if mode in ("mpi", "mpi-flat") else "1"
    ddp = DDP(model, bucket_cap_mb=None if mode == "default" else 0.0001,
              gradient_as_bucket_view=(mode == "view"))
    if mode == "mpi-flat":
        ddp._build_buckets(math.inf, math.inf)
    assert (ddp._shared is None) == mode.startswith("mpi"), mode
    if mode == "flat":
        ddp._build_buckets(math.inf, math.inf)
    if mode in ("flat", "bucketed"):
        ddp._overlap = False
    assert np.array_equal(flat(model), flat(make(dtype, bn, seed=0)))
    train(ddp, dtype, shard=True)
    return ddp


def same_on_all_ranks(arr):
    got = [None] * W
    dist.all_gather_object(got, arr)
    return all(np.array_equal(got[0], g) for g in got)


for dtype, tol in ((torch.float32, 1e-6), (torch.float64, 1e-12)):
    ref = flat(train(make(dtype), dtype, shard=False))
    results = {}
    for mode in ("flat", "bucketed", "overlapped", "view", "default", "mpi", "mpi-flat"):
        ddp = ddp_run(dtype, mode)
        results[mode] = flat(ddp.module)
        assert same_on_all_ranks(results[mode]), mode
    nb = {m: len(ddp_run(dtype, m)._buckets) for m in ("flat", "bucketed")}
    assert nb["flat"] == 1 and nb["bucketed"] >= 3, nb
    for mode, v in results.items():
        assert np.array_equal(v, results["flat"]), mode
        err = np.abs(v - ref).max()
        assert err <= tol, (dtype, mode, err)
    # SyncBatchNorm: equals BatchNorm on the global batch, running stats included
    ref_bn = train(make(dtype, bn="bn"), dtype, shard=False)
    ddp = ddp_run(dtype, "overlapped", bn="sync")
    assert isinstance(ddp.module[1], nn.SyncBatchNorm)
    got = flat(ddp.module)
    assert same_on_all_ranks(got)
    err = np.abs(got - flat(ref_bn)).max()
    assert err <= tol, ("syncbn", dtype, err)
    for name in ("running_mean", "running_var"):
        a = getattr(ddp.module[1], name).numpy()
        b = getattr(ref_bn[1], name).numpy()
        assert np.abs(a - b).max() <= tol, name
    assert ddp.module[1].num_batches_tracked.item() == STEPS
    # per-rank BatchNorm normalises each half-batch by its own statistics: not the same run
    ddp = ddp_run(dtype, "overlapped", bn="bn")
    assert same_on_all_ranks(flat(ddp.module))
    assert np.abs(flat(ddp.module) - flat(ref_bn)).max() > 1e-4

# SyncBatchNorm on (N, C, H, W): output and input gradient equal BatchNorm2d on the whole batch
xg = torch.tensor(rng.standard_normal((2 * W, 3, 2, 2)), requires_grad=True)
gy = torch.tensor(rng.standard_normal((2 * W, 3, 2, 2)))
bn = nn.BatchNorm2d(3).double()
with torch.no_grad():
    bn.weight.copy_(torch.tensor([0.5, 1.0, 2.0]))
bn(xg).mul(gy).sum().backward()
sbn = nn.SyncBatchNorm.convert_sync_batchnorm(nn.Sequential(nn.BatchNorm2d(3).double()))[0]
with torch.no_grad():
    sbn.weight.copy_(torch.tensor([0.5, 1.0, 2.0]))
xl = xg.detach()[2 * r:2 * r + 2].clone().requires_grad_(True)
yl = sbn(xl)
assert np.abs(yl.detach().numpy() - bn(xg)[2 * r:2 * r + 2].detach().numpy()).max() < 1e-12
yl.mul(gy[2 * r:2 * r + 2]).sum().backward()
assert yl.grad_fn.name() == "SyncBatchNormBackward"
assert np.abs(xl.grad.numpy() - xg.grad[2 * r:2 * r + 2].numpy()).max() < 1e-12
wsum = sbn.weight.grad.clone()
dist.all_reduce(wsum)  # local shares add up to the whole batch's weight gradient
assert np.abs(wsum.numpy() - bn.weight.grad.numpy()).max() < 1e-12

# state_dict keys carry the module. prefix; .module is the wrapped model
ddp = DDP(make(torch.float32))
assert list(ddp.state_dict())[:2] == ["module.0.weight", "module.0.bias"]
assert isinstance(ddp.module, nn.Sequential)

# no_sync: local accumulation, then one averaged reduction == single process on both halves
model = make(torch.float64)
ddp = DDP(model)
x, y = (torch.tensor(a[0]) for a in (X, Y))
xs, ys = x[r::W], y[r::W]
with ddp.no_sync():
    nn.functional.mse_loss(ddp(xs[:4]), ys[:4]).backward()
local = [p.grad.clone() for p in model.parameters()]
nn.functional.mse_loss(ddp(xs[4:]), ys[4:]).backward()
single = make(torch.float64)
for part in (slice(0, 4), slice(4, 8)):
    idx = np.concatenate([np.arange(B)[k::W][part] for k in range(W)])
    nn.functional.mse_loss(single(x[idx]), y[idx]).backward()
for p, q, lo in zip(model.parameters(), single.parameters(), local):
    # the single-process loss is the mean over W shards: DDP's average
    assert np.abs(p.grad.numpy() - q.grad.numpy() / W * W).max() <= 1e-12
    assert same_on_all_ranks(p.grad.numpy())
assert not same_on_all_ranks(local[0].numpy())  # under no_sync the grads stayed local

# frozen parameters are not bucketed (never communicated) and stay untouched
model = make(torch.float32)
model[0].requires_grad_(False)
w0 = model[0].weight.detach().clone()
ddp = DDP(model)
in_buckets = [p for b in ddp._buckets for p in b.params]
assert all(p.requires_grad for p in in_buckets)
assert sum(b.buf.size for b in ddp._buckets) == sum(
    p.numel() for p in model.parameters() if p.requires_grad)
train(ddp, torch.float32, shard=True)
assert model[0].weight.grad is None and torch.equal(model[0].weight, w0)


class TwoHeads(nn.Module):
    def __init__(self):
        super().__init__()
        torch.manual_seed(1)
        self.a = nn.Linear(3, 2)
        self.b = nn.Linear(3, 2)
        self.never = nn.Linear(3, 2)

    def forward(self, x, use_b):
        return self.a(x) + (self.b(x) if use_b else 0)


# find_unused_parameters: b used on rank 0 only -> averaged with rank 1's zeros; never-used
# parameters keep grad None
m = TwoHeads().double()
ddp = DDP(m, find_unused_parameters=True)
xin = torch.tensor(rng.standard_normal((4, 3)))
ddp(xin, use_b=(r == 0)).sum().backward()
m0 = TwoHeads().double()
m0.b(xin).sum().backward()
assert np.abs(m.b.weight.grad.numpy() - m0.b.weight.grad.numpy() / W).max() <= 1e-12
assert m.never.weight.grad is None
# ... and without the flag an unused parameter is an error naming it (on every rank here)
ddp = DDP(TwoHeads().double())
try:
    ddp(xin, use_b=True).sum().backward()
except RuntimeError as e:
    assert "never.weight" in str(e) and "find_unused_parameters=True" in str(e)
else:
    raise AssertionError("unused parameter not reported")
print(f"OK {r}", flush=True)
