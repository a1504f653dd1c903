"""DistributedDataParallel benchmark: step time on 1 vs 2 ranks, allreduce cost, bucketed vs flat.

Workloads (float32, ``Linear -> BatchNorm1d -> ReLU`` blocks then ``Linear``, cross-entropy,
SGD with momentum), the same global batch on every rank count (each rank gets batch / N rows):

* mid    784 -> 512 -> 256 -> 10, global batch 256 (~0.54 M parameters, 2.1 MB of gradients)
* large  1024 -> 2048 -> 2048 -> 10, global batch 512 (~6.3 M parameters, 25 MB)

For each rank count the script starts ``mpiexec -n N`` on itself (BLAS threads = cores / N,
as ``nnlite-run`` does) and measures, per training step (median and min-max over rounds):

* ``plain``     the model without DDP (1 rank): the baseline;
* ``local``     (N > 1 ranks) the model without DDP on each rank's shard, no communication:
                what a DDP step costs without DDP's work;
* ``local, lockstep``  (N > 1) ``local`` plus one barrier per step: what the ranks' meeting
                once per step costs by itself (each step waits for the slower rank), DDP or not;
* ``bucketed``  DDP with the default 25 MiB buckets (first one 1 MiB), each allreduced as soon
                as its gradients are ready during backward;
* ``view``      ``bucketed`` with ``gradient_as_bucket_view=True`` (``.grad`` stays in the
                buckets), ``zero_grad()`` before each step as the others;
* ``view, in place``  the same with ``zero_grad(set_to_none=False)``: backward accumulates
                straight into the buckets (no copy at all);
* ``flat``      DDP with one bucket reduced at the end of backward;
* ``bucketed, mpi``  (N > 1) ``bucketed`` with MPI's allreduce instead of the shared-memory
                buckets DDP uses when all ranks are on one machine;
* ``bucketed, mpi bcast``  (N > 1) ``bucketed`` with MPI's broadcast for the module buffers
                instead of the shared window's barrier (which also releases the buckets);
* ``mpi allreduce`` / ``nnlite allreduce`` / ``shared allreduce``  the bucketed step's buckets
                allreduced alone, back to back (MPI's blocking call; nnlite's all_reduce with its
                deadline-guarded wait; DDP's shared-memory reduction): what the communication
                itself costs;
* ``torch plain`` / ``torch ddp`` / ``torch ddp, view``  the same model and batches in PyTorch
                (1 rank without DDP, N ranks with gloo DDP, also with
                gradient_as_bucket_view), when torch is installed (``--no-torch`` skips it).

The modes take turns within each round (paired under the same load); each round's time is its
slowest rank's (the ranks start each turn together); the table gives the median round and the
range. For N > 1 it then breaks the DDP time of a step of each of ``bucketed``, ``view`` and
``view, in place`` down (:func:`breakdown`), with the load-free counts per step (bytes of
gradients copied into/out of buckets, collectives started): buffer
broadcast, gradient hooks and copies, the end-of-backward wait split into waiting for a rank
still computing and the transfer not hidden behind backward, the write-back; "DDP's own cost"
(all of it but the waits for other ranks) is the issue's allreduce share of a step (bound:
15 % for mid on 2 ranks). It also says how long the ranks sat runnable but off the CPU (other
processes' load); on a loaded machine re-run it quiet.

Then "the issue's metric" block (:func:`issue_metric`), per DDP mode, median [IQR]: step minus
the local step as % of the DDP step, paired per round, for the job (each round's slowest rank)
and per rank; step minus the lockstep local step; DDP's own cost per rank; which rank reached
the end-of-backward wait last how often, and each rank's own forward + backward work (one rank
always last = a systematic imbalance; about half each = noise); and the load-free counts per
step: bytes copied into/out of buckets, bytes accumulated into an existing ``.grad``
(``.grad += g``: what ``zero_grad(set_to_none=False)`` costs instead of a write into place),
collectives (each a meeting of the ranks), Python calls (vs the local step).

Usage:
    python bench/bench_ddp.py [--quick] [--workloads mid,large] [--ranks 1,2] [--json PATH]
                              [--no-torch] [--rounds N] [--bind]

On 2 cores expect little speed-up (2 ranks share the cores BLAS used); the point is the
overhead. On a shared, noisy machine compare ratios from one run only, with many rounds
(``--rounds 30``).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WORKLOADS = {"mid": (784, (512, 256), 10, 256), "large": (1024, (2048, 2048), 10, 512)}


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# ---- the worker (one rank) -------------------------------------------------------------------
def _rounds(args, dist, steps: dict, barrier=None, per_rank=None) -> dict:
    """Seconds per step in each round for each of ``steps`` (name -> step(i)), as slow as the
    slowest rank. The modes take turns within every round (a paired comparison: a burst of load
    from other processes hits them alike); the ranks start each mode's turn together, every
    rank's times are gathered, and a round counts its slowest rank. ``per_rank`` (a dict), when
    given, receives each rank's own times: ``per_rank[name][r][k]`` for rank r, round k."""
    barrier = barrier or dist.barrier
    for step in steps.values():
        for i in range(args.warmup):
            step(i)
    mine = {name: [] for name in steps}
    for _ in range(args.rounds):
        for name, step in steps.items():
            barrier()
            t0 = time.perf_counter()
            for i in range(args.steps):
                step(i)
            mine[name].append((time.perf_counter() - t0) / args.steps)
    box = [None] * dist.get_world_size()
    dist.all_gather_object(box, mine)
    if per_rank is not None:
        for name in steps:
            per_rank[name] = [b[name] for b in box]
    return {name: [max(r) for r in zip(*(b[name] for b in box))] for name in steps}


def _quartiles(xs) -> tuple[float, float, float]:
    """(first quartile, median, third quartile) of ``xs`` (statistics' inclusive method)."""
    xs = list(xs)
    if len(xs) < 2:
        v = xs[0] if xs else 0.0
        return v, v, v
    q1, q2, q3 = statistics.quantiles(xs, n=4, method="inclusive")
    return q1, q2, q3


def overhead(ddp: list[float], local: list[float]) -> tuple[float, float, float]:
    """The issue's metric, paired per round: (DDP step - local step) / DDP step for each round
    k (the two measured in turn in the same round, under the same load), as quartiles over the
    rounds."""
    return _quartiles([(d - c) / d for d, c in zip(ddp, local) if d > 0])


def arrivals(timelines: list[list[dict]]) -> dict:
    """Per rank, over the recorded steps: the share of steps in which it was the last to reach
    the end-of-backward wait (the one the others waited for), and the quartiles of its own
    work in forward + backward outside DDP (seconds: arrival at the wait minus the end of the
    buffer broadcast minus the time in the gradient hooks). Load-free counts of who is slow;
    one rank always last means a systematic imbalance, about half each means noise."""
    world = len(timelines)
    steps = min(len(t) for t in timelines)
    last = [0] * world
    for s in range(steps):
        arr = [timelines[r][s]["arrive"] for r in range(world)]
        last[arr.index(max(arr))] += 1
    work = [_quartiles(t["arrive"] - t["bcast_end"] - t["hooks"] for t in timelines[r][:steps])
            for r in range(world)]
    return {"last_share": [n / steps if steps else 0.0 for n in last], "work": work,
            "steps": steps}


def own_cost(timelines: list[list[dict]]) -> list[tuple[float, float, float]]:
    """Per rank, quartiles over steps of "DDP's own cost" (seconds; see :func:`breakdown`)."""
    world = len(timelines)
    steps = min(len(t) for t in timelines)
    out = []
    for r in range(world):
        xs = []
        for s in range(steps):
            me = timelines[r][s]
            others = [timelines[q][s] for q in range(world) if q != r] or [me]
            bcast = me["bcast_end"] - me["bcast_start"]
            bwait = min(bcast, max(0.0, max(o["bcast_start"] for o in others)
                                   - me["bcast_start"]))
            final = me["waited"] - me["arrive"]
            pwait = min(final, max(0.0, max(o["last_launch"] for o in others) - me["arrive"]))
            xs.append(bcast + me["hooks"] + (me["end"] - me["arrive"]) - bwait - pwait)
        out.append(_quartiles(xs))
    return out


def _row(name, world, mode, times, n, **extra):
    q1, _, q3 = _quartiles(times)
    return {"workload": name, "ranks": world, "mode": mode,
            "step_ms": 1e3 * statistics.median(times), "min_ms": 1e3 * min(times),
            "max_ms": 1e3 * max(times), "q1_ms": 1e3 * q1, "q3_ms": 1e3 * q3, "n_params": n,
            "rounds_ms": [1e3 * t for t in times], **extra}


# the DDP modes whose steps are recorded and broken down (bucketed: the default DDP; view:
# gradient_as_bucket_view=True with zero_grad(); "view, in place": with
# zero_grad(set_to_none=False), where backward accumulates straight into the buckets)
BROKEN_DOWN = ("bucketed", "view", "view, in place", "bucketed, mpi bcast")

# the parts of a DDP step, in the order they are printed
PARTS = ("broadcast", "broadcast_wait", "hooks", "copy_in", "hook_mpi", "final_wait", "peer_wait",
         "transfer", "descheduled", "write_back", "ddp_total", "ddp_own", "runqueue_share")


def breakdown(timelines: list[list[dict]]) -> dict:
    """Where DDP's time went in a step (seconds): each part averaged over the ranks, then the
    median over steps (per rank, a wait is often 0 on the rank that arrived last).

    ``timelines[r][s]`` is rank r's record of synced step s (``_StepTimes.as_dict()``:
    perf_counter stamps, comparable across processes on one machine, and summed seconds).
    Per rank and step:

    * ``broadcast``: the forward's buffer broadcast; ``broadcast_wait`` the part of it spent
      before the last rank reached it (the others were still busy: waiting, not communicating);
    * ``hooks``: time inside the gradient hooks (``copy_in``: copying gradients into buckets;
      ``hook_mpi``: starting allreduces and driving MPI's progress; the rest is Python);
    * ``final_wait``: the end-of-backward wait for the allreduces; ``peer_wait`` the part of it
      before the last rank had started its last bucket's allreduce (nothing to transfer yet: the
      other rank was still computing); ``transfer`` the rest, the communication not hidden
      behind backward (with shared-memory buckets it includes the pass that sums and
      divides, for default DDP straight into ``.grad``); ``descheduled`` the part of
      ``transfer`` during which this rank or the one it waited for sat runnable but off the
      CPU (other processes' load: an estimate, from each rank's runqueue time within its own
      wait);
    * ``write_back``: what is left after the wait: dividing MPI's sums by the world size
      into ``.grad`` (0 with shared-memory buckets, whose pass already did);
    * ``ddp_total``: all of the above; ``ddp_own`` = ddp_total minus both waits: what DDP
      itself costs this rank (the issue's "allreduce time");
    * ``runqueue_share``: the fraction of the step (forward start to gradients written) this
      rank sat runnable but off the CPU: 0 on a quiet machine; above ~0.05 the timings are
      other processes' load as much as this program.
    """
    world = len(timelines)
    steps = min(len(t) for t in timelines)
    samples = {k: [] for k in PARTS}
    for s in range(steps):
        recs = [timelines[r][s] for r in range(world)]
        step = {k: 0.0 for k in PARTS}
        for r, me in enumerate(recs):
            others = [o for q, o in enumerate(recs) if q != r] or [me]
            bcast = me["bcast_end"] - me["bcast_start"]
            bwait = min(bcast, max(0.0, max(o["bcast_start"] for o in others) - me["bcast_start"]))
            final = me["waited"] - me["arrive"]
            last = max(o["last_launch"] for o in others)  # its last bucket entered MPI
            pwait = min(final, max(0.0, last - me["arrive"]))
            off = me["rq_waited"] - me["rq_arrive"]
            off += max(o["rq_waited"] - o["rq_arrive"] for o in others) if world > 1 else 0.0
            span = me["end"] - me["bcast_start"]
            total = bcast + me["hooks"] + (me["end"] - me["arrive"])
            part = {"broadcast": bcast, "broadcast_wait": bwait, "hooks": me["hooks"],
                    "copy_in": me["copy"], "hook_mpi": me["mpi"], "final_wait": final,
                    "peer_wait": pwait,
                    "transfer": final - pwait, "descheduled": min(final - pwait, off),
                    "write_back": me["end"] - me["waited"], "ddp_total": total,
                    "ddp_own": total - bwait - pwait,
                    "runqueue_share": (me["rq_end"] - me["rq_start"]) / span if span > 0 else 0}
            for k, v in part.items():
                step[k] += v / world
        for k, v in step.items():
            samples[k].append(v)
    return {k: statistics.median(v) if v else 0.0 for k, v in samples.items()}


def _torch_rows(args, name, rank, world, data, dist) -> list[dict]:
    """The same workload in PyTorch (gloo DDP), when torch is installed."""
    import torch as pt

    fin, hidden, classes, _ = WORKLOADS[name]
    pt.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "1")))
    if world > 1 and not pt.distributed.is_initialized():
        pt.distributed.init_process_group("gloo", rank=rank, world_size=world)
    xs = [pt.from_numpy(x) for x, _ in data]
    ys = [pt.from_numpy(y) for _, y in data]
    # 1 rank: torch without DDP (its DDP needs a process group); N ranks: gloo DDP
    modes = ["torch plain"] if world == 1 else ["torch ddp", "torch ddp, view"]
    steps = {}
    for mode in modes:
        pt.manual_seed(0)
        layers, d = [], fin
        for h in hidden:
            layers += [pt.nn.Linear(d, h), pt.nn.BatchNorm1d(h), pt.nn.ReLU()]
            d = h
        model = pt.nn.Sequential(*layers, pt.nn.Linear(d, classes))
        net = model
        if mode != "torch plain":
            net = pt.nn.parallel.DistributedDataParallel(
                model, gradient_as_bucket_view=mode.endswith("view"))
        opt = pt.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
        steps[mode] = _torch_step(net, opt, pt.nn.CrossEntropyLoss(), xs, ys)
    n = sum(p.numel() for p in model.parameters())
    return [_row(name, world, mode, ts, n) for mode, ts in _rounds(args, dist, steps).items()]


def _python_calls(step) -> int:
    """Python function calls ("call" events of ``sys.setprofile``) in one ``step`` (after the
    warm-up: a load-free count, the same on every step; a wait for another rank polls in C and
    adds none)."""
    n = [0]
    step(0)
    step(1)  # warm: first calls of a path (kernel dispatch, BLAS choices) are not the step's

    def prof(frame, event, arg):
        if event == "call":
            n[0] += 1

    sys.setprofile(prof)
    try:
        step(2)
    finally:
        sys.setprofile(None)
    return n[0] - 1  # the profiler sees the call of step itself


def _accumulated(step) -> tuple[int, int]:
    """(count, bytes) of gradients that one warm ``step`` accumulated into an existing
    ``.grad`` (``.grad += g``: the producer's new array ``g``, then a pass reading both and
    writing ``.grad``) instead of writing them into place (a gradient slot, or the array
    adopted as ``.grad``): a load-free count of the extra memory traffic of
    ``zero_grad(set_to_none=False)``, whose zeroing of every ``.grad`` is one more pass."""
    from nnlite.autograd import engine

    step(0)
    step(1)
    n = [0, 0]
    orig = engine._accumulate

    def counting(var, g, create_graph, steal=False):
        if var._grad is not None:
            n[0] += 1
            n[1] += g._data.nbytes
        return orig(var, g, create_graph, steal)

    engine._accumulate = counting
    try:
        step(2)
    finally:
        engine._accumulate = orig
    return n[0], n[1]


def _lockstep(step, barrier):
    def run(i):
        step(i)
        barrier()

    return run


def _torch_step(net, opt, loss_fn, xs, ys):
    def step(i):
        opt.zero_grad()
        loss_fn(net(xs[i % 4]), ys[i % 4]).backward()
        opt.step()

    return step


def worker(args) -> None:
    import math

    import numpy as np

    import nnlite as torch
    import nnlite.distributed as dist
    from nnlite import nn
    from nnlite.distributed import process_group as pg
    from nnlite.nn.parallel import DistributedDataParallel as DDP

    dist.init_process_group("mpi")
    rank, world = dist.get_rank(), dist.get_world_size()
    group = pg._require()
    if args.bind and world > 1:
        # each rank on its own share of the cores (a test of whether migrations or two ranks
        # meeting on one core make one rank slower; nnlite-run itself binds nothing)
        cores = sorted(os.sched_getaffinity(0))
        per = max(1, len(cores) // world)
        os.sched_setaffinity(0, cores[(rank * per) % len(cores):][:per])
    one_node = group.local_size == world  # perf_counter stamps compare across ranks
    results = []
    for name in args.workloads.split(","):
        fin, hidden, classes, batch = WORKLOADS[name]
        rng = np.random.default_rng(rank)
        data = [(rng.standard_normal((batch // world, fin)).astype(np.float32),
                 rng.integers(0, classes, batch // world)) for _ in range(4)]
        xs = [torch.tensor(x) for x, _ in data]
        ys = [torch.tensor(y) for _, y in data]

        def build():
            torch.manual_seed(0)
            layers, d = [], fin
            for h in hidden:
                layers += [nn.Linear(d, h), nn.BatchNorm1d(h), nn.ReLU()]
                d = h
            return nn.Sequential(*layers, nn.Linear(d, classes))

        def make_step(net, opt, set_to_none=True):
            loss_fn = nn.CrossEntropyLoss()

            def step(i):
                opt.zero_grad(set_to_none=set_to_none)
                loss_fn(net(xs[i % 4]), ys[i % 4]).backward()
                opt.step()

            return step

        # "plain" (1 rank) / "local" (N ranks): the model without DDP on this rank's shard, no
        # communication at all -- what a DDP step costs without its DDP work
        steps, nets = {}, {}
        modes = ["plain" if world == 1 else "local", "bucketed", "view", "view, in place",
                 "flat"]
        if world > 1:
            modes.insert(1, "local, lockstep")
        if world > 1:
            modes += ["bucketed, mpi", "bucketed, mpi bcast"]
        for mode in modes:
            model = build()
            net = model
            if not mode.startswith(("plain", "local")):
                # "bucketed, mpi": MPI's allreduce instead of the shared-memory buckets;
                # "bucketed, mpi bcast": shared buckets, but MPI's broadcast for the buffers
                os.environ["NNLITE_DDP_SHARED_MEMORY"] = "0" if mode == "bucketed, mpi" else "1"
                net = nets[mode] = DDP(model, gradient_as_bucket_view=mode.startswith("view"))
                net._broadcast_shared = mode != "bucketed, mpi bcast"
                if mode == "flat":
                    net._build_buckets(math.inf, math.inf)
                    net._overlap = False
            opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
            steps[mode] = make_step(net, opt, set_to_none=mode != "view, in place")
            if mode == "local, lockstep":
                # the local step with the ranks meeting once per step (a barrier, as DDP's
                # collectives make them): what lockstep alone costs, without DDP's work
                steps[mode] = _lockstep(steps[mode], dist.barrier)
        n = sum(p.numel() for p in build().parameters())
        # communication alone, the same buckets as a bucketed step, back to back: MPI's own
        # blocking allreduce, and nnlite's all_reduce (its deadline-guarded wait)
        bufs = [b.buf.copy() for b in nets["bucketed"]._buckets]
        tbufs = [torch.tensor(b) for b in bufs]

        def mpi_allreduce(i):
            if group.mpi is not None:
                for b in bufs:
                    group.comm.Allreduce(group.mpi.IN_PLACE, b, op=group.mpi.SUM)

        def nnlite_allreduce(i):
            for t in tbufs:
                dist.all_reduce(t)

        def shared_allreduce(i, ddp=nets["bucketed"]):
            # DDP's own shared-memory reduction of its buckets (between its steps: the
            # buckets hold last step's sums, overwritten by the next step's gradients)
            shared = ddp._shared
            shared.writable()  # every rank has read the segments DDP's last step averaged
            for b in ddp._buckets:
                pg.wait(shared.start(b), "bench shared-memory allreduce")
                shared.reduce(b)
            pg.wait(shared.finish(), "bench shared-memory allreduce")
            shared.synced()

        steps["mpi allreduce"] = mpi_allreduce
        steps["nnlite allreduce"] = nnlite_allreduce
        if nets["bucketed"]._shared is not None:
            steps["shared allreduce"] = shared_allreduce
        calls = {mode: _python_calls(steps[mode]) for mode in ("local", *BROKEN_DOWN)
                 if mode in steps}
        accumulated = {mode: _accumulated(steps[mode]) for mode in calls}
        timelines = {}
        for mode in BROKEN_DOWN:
            timelines[mode] = nets[mode]._timeline = []
        per_rank = {}
        times = _rounds(args, dist, steps, per_rank=per_rank)
        buckets = [int(b.buf.nbytes) for b in nets["bucketed"]._buckets]
        rows = {mode: _row(name, world, mode, ts, n) for mode, ts in times.items()}
        for mode, by_rank in per_rank.items():
            rows[mode]["rank_rounds_ms"] = [[1e3 * t for t in ts] for ts in by_rank]
        for mode, c in calls.items():
            rows[mode]["py_calls"] = c
            rows[mode]["accumulated"] = accumulated[mode]
        rows["bucketed"]["bucket_bytes"] = buckets
        for mode, timeline in timelines.items():
            del timeline[:args.warmup]
            recs = [t.as_dict() for t in timeline]
            # load-free counts per step (the same on every step of a mode)
            rows[mode]["copied_bytes"] = statistics.median(r["copied"] for r in recs)
            rows[mode]["collectives"] = statistics.median(r["collectives"] for r in recs)
            if world > 1:
                box = [None] * world
                dist.all_gather_object(box, recs)
                if one_node:
                    rows[mode]["breakdown"] = breakdown(box)  # seconds (and a fraction)
                    rows[mode]["own_cost"] = own_cost(box)  # per rank quartiles, seconds
                    rows[mode]["arrivals"] = arrivals(box)
        results += rows.values()
        if args.torch:
            results += _torch_rows(args, name, rank, world, data, dist)
    if rank == 0:
        print("RESULTS " + json.dumps(results), flush=True)


def _mode_breakdown(mode: str, row: dict) -> list[str]:
    """One DDP mode's breakdown lines: ms and % of that mode's own median step."""
    step = row["step_ms"]

    def pct(ms):
        return f"{ms:8.3f} ms {100 * ms / step:5.1f} %"

    out = [f"  {mode}: step {step:.3f} ms; per step {row.get('copied_bytes', 0) / 2**20:.2f} "
           f"MiB of gradients copied into/out of buckets, {row.get('collectives', 0):g} "
           "collectives"]
    d = row.get("breakdown")
    if not d:
        return out
    share = d["runqueue_share"]
    d = {k: 1e3 * v for k, v in d.items()}
    out.append(f"    ranks sat runnable but off the CPU {100 * share:.0f} % of a step (median): "
               + ("quiet enough" if share < 0.05 else "LOADED by other processes: the times "
                  "below are not this program's alone; re-run on a quiet machine"))
    out += [
        f"    DDP time in the step (mean over ranks, median step)  {pct(d['ddp_total'])}",
        f"      forward buffer broadcast                        {pct(d['broadcast'])}"
        f"   of which waiting for a slower rank {d['broadcast_wait']:.3f} ms",
        f"      gradient hooks                                  {pct(d['hooks'])}"
        f"   of which copies into buckets {d['copy_in']:.3f} ms, MPI calls and reductions "
        f"{d['hook_mpi']:.3f} ms, Python {d['hooks'] - d['copy_in'] - d['hook_mpi']:.3f} ms",
        f"      end-of-backward wait                            {pct(d['final_wait'])}",
        f"        waiting for a slower rank (still computing)   {pct(d['peer_wait'])}",
        f"        transfer not hidden behind backward           {pct(d['transfer'])}"
        f"   of which a rank sat descheduled {d['descheduled']:.3f} ms",
        f"      average into .grad (divide, copy out)           {pct(d['write_back'])}",
        f"    DDP's own cost (all of it but waiting for others) {pct(d['ddp_own'])}"
        "   <- the issue's allreduce share (bound 15 %)",
    ]
    return out


def _q(q, scale=100.0, unit=" %") -> str:
    return f"{scale * q[1]:5.1f}{unit} [{scale * q[0]:5.1f}-{scale * q[2]:5.1f}]"


def issue_metric(rows: dict) -> list[str]:
    """The issue's bound (DDP's cost <= 15 % of a step, mid MLP, 2 ranks), two ways, with
    medians and interquartile ranges, for all ranks together and per rank:

    * step minus the local step: (DDP step - the same model without DDP on the same shard) /
      DDP step, paired per round (the two take turns in every round); "all" uses each round's
      slowest rank (what the job's step takes), "rank r" that rank's own times. It includes
      waiting for the slower rank, which lockstep costs whatever DDP does: "local, lockstep"
      (the local step plus one barrier per step) shows how much;
    * DDP's own cost: per step, the time DDP itself spends on a rank (buffer broadcast, hooks,
      the transfer not hidden behind backward, the write-back) without the waits for other
      ranks, as % of the rank's median DDP step.

    Also who is slow: each rank's share of steps in which it reached the end-of-backward wait
    last, and its own forward + backward work (outside DDP) per step; and the load-free counts
    per step (bytes copied into/out of buckets, collectives, Python calls vs the local step)."""
    local = rows["local"]
    world = len(local.get("rank_rounds_ms", [])) or 1
    out = ["  the issue's metric, % of the DDP step (median [IQR] over "
           f"{len(local['rounds_ms'])} rounds / over steps):"]
    lock = rows.get("local, lockstep")
    if lock is not None:
        both = overhead(lock["rounds_ms"], local["rounds_ms"])
        out.append(f"    {'local, lockstep':<19} step - local  all {_q(both)}"
                   + "".join(f"  rank {r} " + _q(overhead(lock["rank_rounds_ms"][r],
                                                            local["rank_rounds_ms"][r]))
                             for r in range(world)))
    for mode in BROKEN_DOWN:
        row = rows.get(mode)
        if row is None:
            continue
        both = overhead(row["rounds_ms"], local["rounds_ms"])
        line = f"    {mode:<19} step - local  all {_q(both)}"
        if "rank_rounds_ms" in row:
            line += "".join(f"  rank {r} " + _q(overhead(row["rank_rounds_ms"][r],
                                                         local["rank_rounds_ms"][r]))
                            for r in range(world))
        out.append(line)
        if lock is not None:
            out.append(f"    {'':<19} step - lockstep all "
                       f"{_q(overhead(row['rounds_ms'], lock['rounds_ms']))}")
        own = row.get("own_cost")
        if own:
            steps = [statistics.median(ts) / 1e3 for ts in row["rank_rounds_ms"]]
            mean = statistics.mean(q[1] / st for q, st in zip(own, steps))
            out.append(f"    {'':<19} DDP's own cost  mean over ranks {100 * mean:5.1f} %"
                       + "".join(f"  rank {r} " + _q(tuple(x / st for x in q))
                                 for r, (q, st) in enumerate(zip(own, steps))))
        arr = row.get("arrivals")
        if arr:
            out.append(f"    {'':<19} last at the wait: "
                       + ", ".join(f"rank {r} {100 * f:.0f} %"
                                   for r, f in enumerate(arr["last_share"]))
                       + f" of {arr['steps']} steps; own work (fwd+bwd outside DDP) ms: "
                       + ", ".join(f"rank {r} " + _q(q, 1e3, "")
                                   for r, q in enumerate(arr["work"])))
        calls = row.get("py_calls")
        n_acc, b_acc = row.get("accumulated", (0, 0))
        out.append(f"    {'':<19} per step: {row.get('copied_bytes', 0):.0f} bytes copied, "
                   f"{b_acc:.0f} bytes accumulated into {n_acc} existing .grad, "
                   f"{row.get('collectives', 0):g} collectives, "
                   + (f"{calls} Python calls (local step {local.get('py_calls')})"
                      if calls is not None else ""))
    return out


def summary(workload: str, ranks: int, rows: dict) -> str:
    """The per-workload report: where each recorded DDP mode's step time goes (medians, ms and
    % of that mode's median step), communication alone, and the end-to-end checks against
    ``local`` and torch."""
    b = rows["bucketed"]
    step = b["step_ms"]
    sizes = ", ".join(f"{x / 2**20:.2f}" for x in b.get("bucket_bytes", []))
    out = [f"{workload}, {ranks} ranks: bucketed step {step:.3f} ms; buckets (MiB): {sizes}"]
    for mode in BROKEN_DOWN:
        if mode in rows:
            out += _mode_breakdown(mode, rows[mode])

    def pct(ms):
        return f"{ms:8.3f} ms {100 * ms / step:5.1f} %"

    for mode in ("mpi allreduce", "nnlite allreduce", "shared allreduce"):
        if mode in rows:
            out.append(f"  {mode + ' of the same buckets alone':<50}{pct(rows[mode]['step_ms'])}")
    if "local" in rows:
        out += issue_metric(rows)
    if "flat" in rows:
        out.append(f"  flat / bucketed step {rows['flat']['step_ms'] / step:.2f}x")
    if "bucketed, mpi" in rows:
        out.append(f"  bucketed with MPI's allreduce / bucketed (shared memory) step "
                   f"{rows['bucketed, mpi']['step_ms'] / step:.2f}x")
    if "bucketed, mpi bcast" in rows:
        out.append(f"  bucketed with MPI's buffer broadcast / bucketed (shared window) step "
                   f"{rows['bucketed, mpi bcast']['step_ms'] / step:.2f}x")
    for mine, theirs in (("bucketed", "torch ddp"), ("view", "torch ddp, view")):
        if mine in rows and theirs in rows:
            out.append(f"  torch {theirs[len('torch '):]} step / nnlite {mine} step "
                       f"{rows[theirs]['step_ms'] / rows[mine]['step_ms']:.2f}x "
                       "(above 1: nnlite faster)")
    return "\n".join(out)


# ---- the parent --------------------------------------------------------------------------------
def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--workloads", default="mid,large")
    p.add_argument("--ranks", default="1,2")
    p.add_argument("--quick", action="store_true", help="few rounds (a smoke test)")
    p.add_argument("--json", default=None)
    p.add_argument("--no-torch", dest="torch", action="store_false",
                   help="skip the same workloads in PyTorch (gloo DDP)")
    p.add_argument("--bind", action="store_true",
                   help="pin each rank to its own cores (cores / N each) for the measurement")
    p.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--rounds", type=int, default=None,
                   help="timed rounds per mode (default 7; --quick 2)")
    p.add_argument("--steps", type=int, default=None, help=argparse.SUPPRESS)
    p.add_argument("--warmup", type=int, default=None, help=argparse.SUPPRESS)
    args = p.parse_args()
    rounds, steps, warmup = (2, 3, 2) if args.quick else (7, 10, 5)
    args.rounds = rounds if args.rounds is None else args.rounds
    args.steps = steps if args.steps is None else args.steps
    args.warmup = warmup if args.warmup is None else args.warmup
    if args.worker:
        worker(args)
        return
    sys.path.insert(0, ROOT)
    import importlib.util

    from nnlite.distributed.run import build_command, find_mpiexec

    if args.torch and importlib.util.find_spec("torch") is None:
        print("torch is not installed: nnlite only")
        args.torch = False

    cores = _cores()
    print(f"CPU: {_cpu_model()}, {cores} cores available, load average "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}, python {platform.python_version()}")
    all_results = []
    for n in [int(x) for x in args.ranks.split(",")]:
        cmd, env = build_command(n, [os.path.abspath(__file__), "--worker", "--workloads",
                                     args.workloads, "--rounds", str(args.rounds),
                                     "--steps", str(args.steps), "--warmup", str(args.warmup)]
                                 + ([] if args.torch else ["--no-torch"])
                                 + (["--bind"] if args.bind else []), find_mpiexec())
        env["PYTHONPATH"] = ROOT + os.pathsep + env.get("PYTHONPATH", "")
        # torch's gloo rendezvous (nnlite itself needs none: MPI starts the ranks)
        env.setdefault("MASTER_ADDR", "127.0.0.1")
        env["MASTER_PORT"] = str(_free_port())
        print(f"{n} rank(s), BLAS threads per rank {env['OMP_NUM_THREADS']}"
              + (", each rank pinned to its own cores" if args.bind and n > 1 else ""),
              flush=True)
        out = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=1800)
        if out.returncode != 0:
            sys.exit(f"the {n}-rank job failed:\n{out.stdout}\n{out.stderr}")
        line = [x for x in out.stdout.splitlines() if x.startswith("RESULTS ")][-1]
        all_results += json.loads(line[len("RESULTS "):])
    print(f"\n{'workload':<8} {'ranks':>5} {'mode':<18} {'ms/step':>9} {'(min-max)':>19} "
          f"{'vs 1-rank plain':>16}")
    base = {r["workload"]: r["step_ms"] for r in all_results
            if r["mode"] == "plain" and r["ranks"] == 1}
    workloads = args.workloads.split(",")
    all_results.sort(key=lambda r: (workloads.index(r["workload"]), r["ranks"]))
    for r in all_results:
        ratio = base.get(r["workload"])
        rel = f"{r['step_ms'] / ratio:.2f}x" if ratio and "allreduce" not in r["mode"] else ""
        print(f"{r['workload']:<8} {r['ranks']:>5} {r['mode']:<18} {r['step_ms']:>9.3f} "
              f"({r['min_ms']:8.3f}-{r['max_ms']:8.3f}) {rel:>16}")
    for w in workloads:
        for n in sorted({r["ranks"] for r in all_results if r["ranks"] > 1}):
            rows = {r["mode"]: r for r in all_results if r["workload"] == w and r["ranks"] == n}
            if "bucketed" in rows:
                print()
                print(summary(w, n, rows))
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"cores": cores, "cpu": _cpu_model(), "results": all_results}, fh,
                      indent=1)


if __name__ == "__main__":
    main()
