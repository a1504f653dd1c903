"""gradient_as_bucket_view on 2 ranks, with both reductions (shared-memory buckets, MPI's
allreduce), checked against the default mode and a single-process run in the same job.

Checked: with the flag every ``.grad`` shares memory with a DDP bucket after each backward
(without it none does, and a ``.grad`` kept from a step is not changed by the next one; the
shared-memory buckets then average straight into ``.grad``); ``zero_grad()`` makes ``.grad``
None as torch and the next backward binds the views again; ``zero_grad(set_to_none=False)``
keeps the very same view tensors and backward accumulates into them (0 bytes copied);
training results bit-identical to the default mode and within 1e-12 of one process on the
global batch; the counts per step (bytes copied, collectives); a rank that reads the segments
late is not overtaken; no_sync accumulation into the views; find_unused_parameters with views
(a rank without a gradient contributes its accumulated ``.grad``, a parameter unused
everywhere keeps its own); Python calls per synced step: the same on every step and rank, and
DDP's share of them bounded (3 per parameter + 30)."""

import os
import sys
import time

import numpy as np

import nnlite as torch
import nnlite.distributed as dist
from nnlite import nn
from nnlite.nn.parallel import DistributedDataParallel as DDP

dist.init_process_group("gloo")
r, W = dist.get_rank(), dist.get_world_size()
STEPS, B = 3, 8
rng = np.random.default_rng(0)
X = torch.tensor(rng.standard_normal((STEPS, B, 5)))
Y = torch.tensor(rng.standard_normal((STEPS, B, 3)))


def make():
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(5, 7), nn.Tanh(), nn.Linear(7, 3)).double()


def flat(model):
    return np.concatenate([p.detach().numpy().ravel() for p in model.parameters()])


def in_a_bucket(ddp, p):
    return any(np.shares_memory(p.grad.numpy(), b.buf) for b in ddp._buckets)


def same_on_all_ranks(arr):
    got = [None] * W
    dist.all_gather_object(got, arr.tolist())
    return all(g == got[0] for g in got)


ref = make()
opt = torch.optim.SGD(ref.parameters(), lr=0.1, momentum=0.9)
for s in range(STEPS):
    opt.zero_grad()
    nn.functional.mse_loss(ref(X[s]), Y[s]).backward()
    opt.step()
ref = flat(ref)

NBYTES = sum(p.numel() * 8 for p in make().parameters())
for shared in ("1", "0"):
    os.environ["NNLITE_DDP_SHARED_MEMORY"] = shared
    results = {}
    for view, set_to_none in ((False, True), (True, True), (True, False), (False, False)):
        model = make()
        # 2 buckets: the last layer's, then the first layer's
        ddp = DDP(model, gradient_as_bucket_view=view, bucket_cap_mb=100 / 2**20)
        assert len(ddp._buckets) == 2 and (ddp._shared is not None) == (shared == "1")
        opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        ddp._timeline = []
        seen, kept = [], None
        for s in range(STEPS):
            opt.zero_grad(set_to_none=set_to_none)
            if s and set_to_none:
                assert all(p.grad is None for p in model.parameters())
            nn.functional.mse_loss(ddp(X[s][r::W]), Y[s][r::W]).backward()
            assert all(in_a_bucket(ddp, p) == view for p in model.parameters()), (view, s)
            seen.append([p.grad for p in model.parameters()])
            if s == 0:
                kept = [(g, g.numpy().copy()) for g in seen[0]]
            opt.step()
        if view and not set_to_none:
            # the same tensors, zeroed in place and accumulated into, step after step
            assert all(a is b for a, b in zip(seen[1], seen[2]))
        if not view and set_to_none:
            # a gradient kept from step 0 is its own tensor: later steps left it alone
            assert all(np.array_equal(g.numpy(), v) for g, v in kept)
        copied = [t.copied for t in ddp._timeline]
        # backward writes each Linear gradient straight into its bucket view (its gradient
        # slot) while .grad is None -- but not while a tensor handed out from the slot is still
        # held: `seen` holds every step's .grad here, which with bucket views are those tensors
        if view:
            # the first step's gradients go into the slots; later ones are copied in after
            # zero_grad() (the slot tensors are held); in place: accumulated into the views
            want = [0] + [NBYTES if set_to_none else 0] * (STEPS - 1)
        elif shared == "1":
            # written into the buckets (first step; every step after zero_grad()), averaged
            # straight into new .grad; a kept .grad (set_to_none=False) is copied in
            want = [0] + [0 if set_to_none else NBYTES] * (STEPS - 1)
        else:
            # MPI's allreduce leaves sums in the buckets: divided out into .grad (a copy out);
            # a kept .grad is also copied in
            want = [NBYTES] + [NBYTES if set_to_none else 2 * NBYTES] * (STEPS - 1)
        assert copied == want, (shared, view, set_to_none, copied, want)
        # no buffers: no broadcast; one barrier per bucket, + one after the averaging pass
        # with bucket views (default DDP's ranks count their reads in the window instead: no
        # collective), or one allreduce per bucket
        calls = [2] * STEPS
        if shared == "1" and view:
            calls = [3] * STEPS
        assert [t.collectives for t in ddp._timeline] == calls, ddp._timeline
        results[(view, set_to_none)] = flat(model)
    for key, v in results.items():
        assert same_on_all_ranks(v), key
        assert np.array_equal(v, results[(False, True)]), key
        assert np.abs(v - ref).max() <= 1e-12, key


# averaging straight into .grad leaves the segments to be read by the other ranks after this
# one has moved on: its next gradients must wait until they have. Rank 1 reads late here; had
# rank 0 written its next step's gradients over the ones rank 1 had still to read, the runs
# would differ from the reference and from each other.
os.environ["NNLITE_DDP_SHARED_MEMORY"] = "1"
model = make()
ddp = DDP(model)
if r == 1:
    average = ddp._shared.average_into

    def late(b, outs):
        time.sleep(0.3)
        average(b, outs)

    ddp._shared.average_into = late
opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
for s in range(STEPS):
    opt.zero_grad()
    nn.functional.mse_loss(ddp(X[s][r::W]), Y[s][r::W]).backward()
    opt.step()
assert same_on_all_ranks(flat(model))
assert np.abs(flat(model) - ref).max() <= 1e-12

# no_sync with views: local accumulation into the bucket, then one averaged reduction equals
# one process on both halves of the batch
model = make()
ddp = DDP(model, gradient_as_bucket_view=True)
ddp(X[0][r::W]).sum().backward()  # binds the views
model.zero_grad(set_to_none=False)
with ddp.no_sync():
    nn.functional.mse_loss(ddp(X[0][r::W][:2]), Y[0][r::W][:2]).backward()
assert all(in_a_bucket(ddp, p) for p in model.parameters())
assert not same_on_all_ranks(model[0].weight.grad.numpy())  # still local
nn.functional.mse_loss(ddp(X[0][r::W][2:]), Y[0][r::W][2:]).backward()
single = make()
for part in (slice(0, 2), slice(2, 4)):
    idx = np.concatenate([np.arange(B)[k::W][part] for k in range(W)])
    nn.functional.mse_loss(single(X[0][idx]), Y[0][idx]).backward()
for p, q in zip(model.parameters(), single.parameters()):
    assert in_a_bucket(ddp, p)
    assert np.abs(p.grad.numpy() - q.grad.numpy()).max() <= 1e-12
    assert same_on_all_ranks(p.grad.numpy())


class TwoHeads(nn.Module):
    def __init__(self):
        super().__init__()
        torch.manual_seed(1)
        self.a = nn.Linear(3, 2)
        self.b = nn.Linear(3, 2)
        self.never = nn.Linear(3, 2)

    def forward(self, x, use_b, use_never=False):
        out = self.a(x) + (self.b(x) if use_b else 0)
        return out + (self.never(x) if use_never else 0)


# find_unused_parameters with views: b used by both ranks under no_sync, then by rank 0 only:
# rank 1 contributes what it accumulated, so b's gradient is the average of both ranks'
# totals; `never`, bound to its view by a first step and unused everywhere after, keeps it
xin = torch.tensor(rng.standard_normal((4, 3)))
for view in (True, False):
    m = TwoHeads().double()
    ddp = DDP(m, find_unused_parameters=True, gradient_as_bucket_view=view)
    ddp(xin, use_b=True, use_never=True).sum().backward()
    never = m.never.weight.grad.numpy().copy()
    m.a.zero_grad()
    m.b.zero_grad()
    with ddp.no_sync():
        ddp(xin * (r + 1), use_b=True).sum().backward()
    ddp(xin, use_b=(r == 0)).sum().backward()
    lin = TwoHeads().double()
    lin.b(xin * 1).sum().backward()
    lin.b(xin * 2).sum().backward()
    lin.b(xin).sum().backward()  # rank 0's synced step
    want = lin.b.weight.grad.numpy() / W
    assert np.abs(m.b.weight.grad.numpy() - want).max() <= 1e-12, view
    assert np.array_equal(m.never.weight.grad.numpy(), never), view
    assert same_on_all_ranks(m.b.weight.grad.numpy())
# Python calls per synced step (sys.setprofile "call" events): a load-free count, the same on
# every step and rank. DDP's own share over the same step without DDP stays small: hooks, the
# slot look-ups of the linear backward, the reduction (here 3 Linear + 2 BatchNorm1d, 10
# parameters, one bucket; BatchNorm buffers broadcast each forward)
def calls_of(fn):
    n = [0]

    def prof(frame, event, arg):
        if event == "call":
            n[0] += 1

    sys.setprofile(prof)
    try:
        fn()
    finally:
        sys.setprofile(None)
    return n[0] - 1  # fn itself


def mlp():
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(5, 16), nn.BatchNorm1d(16), nn.ReLU(), nn.Linear(16, 8),
                         nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 3))


xb, yb = X[0].float()[r::W], Y[0].float()[r::W]
counts = {}
for wrap in (False, True):
    model = mlp()
    net = DDP(model) if wrap else model
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)

    def one_step():
        opt.zero_grad()
        nn.functional.mse_loss(net(xb), yb).backward()
        opt.step()

    for _ in range(2):
        one_step()
    counts[wrap] = [calls_of(one_step) for _ in range(3)]
    if wrap:
        net._timeline = []
        one_step()
        assert net._timeline[0].copied == 4 * (2 * 16 + 2 * 8)  # BatchNorm's only
        # the buffers travel with the gradients: one barrier per step
        assert net._timeline[0].collectives == 1
assert len(set(counts[True])) == 1 and len(set(counts[False])) == 1, counts
extra = counts[True][0] - counts[False][0]
n_params = len(list(mlp().parameters()))
assert 0 < extra <= 3 * n_params + 30, (extra, counts)
assert same_on_all_ranks(np.array(counts[True]))
if r == 0:
    print(f"python calls per step: without DDP {counts[False][0]}, DDP {counts[True][0]}")
print(f"OK {r}", flush=True)
