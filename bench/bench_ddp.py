"""DistributedDataParallel benchmark: step time on 1 vs 2 ranks, allreduce cost, bucketed vs flat.

Workloads (float32, ``Linear -> BatchNorm1d -> ReLU`` blocks then ``Linear``, cross-entropy,
SGD with momentum), the same global batch on every rank count (each rank gets batch / N rows):

* mid    784 -> 512 -> 256 -> 10, global batch 256 (~0.54 M parameters, 2.1 MB of gradients)
* large  1024 -> 2048 -> 2048 -> 10, global batch 512 (~6.3 M parameters, 25 MB)

For each rank count the script starts ``mpiexec -n N`` on itself (BLAS threads = cores / N,
as ``nnlite-run`` does) and measures, per training step (median and min-max over rounds):

* ``plain``     the model without DDP (1 rank only): the baseline;
* ``bucketed``  DDP with the default 25 MiB buckets (first one 1 MiB), each allreduced as soon
                as its gradients are ready during backward;
* ``flat``      DDP with one bucket reduced at the end of backward;
* ``allreduce`` one allreduce of all the gradients alone (what communication costs per step),
                and its share of the bucketed step (the issue's bound: <= 15 % for mid);
* ``torch plain`` / ``torch ddp``  the same model and batches in PyTorch (1 rank without DDP,
                N ranks with gloo DDP), when torch is installed (``--no-torch`` skips it).

Each round's time is its slowest rank's (the ranks start a round together); the table gives
the median round and the range.

Usage:
    python bench/bench_ddp.py [--quick] [--workloads mid,large] [--ranks 1,2] [--json PATH]
                              [--no-torch]

On 2 cores expect little speed-up (2 ranks share the cores BLAS used); the point is the
overhead. The machine is shared and noisy: compare ratios from one run only.
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
def _rounds(args, dist, step, barrier=None) -> list[float]:
    """Seconds per step in each round, as slow as the slowest rank: the ranks start each round
    together and every rank's per-round times are gathered; a round counts its slowest rank."""
    barrier = barrier or dist.barrier
    for i in range(args.warmup):
        step(i)
    mine = []
    for _ in range(args.rounds):
        barrier()
        t0 = time.perf_counter()
        for i in range(args.steps):
            step(i)
        mine.append((time.perf_counter() - t0) / args.steps)
    box = [None] * dist.get_world_size()
    dist.all_gather_object(box, mine)
    return [max(r) for r in zip(*box)]


def _row(name, world, mode, times, n):
    return {"workload": name, "ranks": world, "mode": mode,
            "step_ms": 1e3 * statistics.median(times), "min_ms": 1e3 * min(times),
            "max_ms": 1e3 * max(times), "n_params": n}


def _torch_rows(args, name, rank, world, data, dist) -> list[dict]:
    """The same workload in PyTorch (gloo DDP), when torch is installed."""
    import torch as pt

    fin, hidden, classes, _ = WORKLOADS[name]
    pt.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "1")))
    if world > 1 and not pt.distributed.is_initialized():
        pt.distributed.init_process_group("gloo", rank=rank, world_size=world)
    xs = [pt.from_numpy(x) for x, _ in data]
    ys = [pt.from_numpy(y) for _, y in data]
    rows = []  # 1 rank: torch without DDP (its DDP needs a process group); N ranks: gloo DDP
    for mode in ["torch plain"] if world == 1 else ["torch ddp"]:
        pt.manual_seed(0)
        layers, d = [], fin
        for h in hidden:
            layers += [pt.nn.Linear(d, h), pt.nn.BatchNorm1d(h), pt.nn.ReLU()]
            d = h
        model = pt.nn.Sequential(*layers, pt.nn.Linear(d, classes))
        net = model
        if mode == "torch ddp":
            net = pt.nn.parallel.DistributedDataParallel(model)
        opt = pt.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
        loss_fn = pt.nn.CrossEntropyLoss()

        def step(i):
            opt.zero_grad()
            loss_fn(net(xs[i % 4]), ys[i % 4]).backward()
            opt.step()

        times = _rounds(args, dist, step)
        rows.append(_row(name, world, mode, times, sum(p.numel() for p in model.parameters())))
    return rows


def worker(args) -> None:
    import math

    import numpy as np

    import nnlite as torch
    import nnlite.distributed as dist
    from nnlite import nn
    from nnlite.nn.parallel import DistributedDataParallel as DDP

    dist.init_process_group("mpi")
    rank, world = dist.get_rank(), dist.get_world_size()
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

        modes = ["plain"] if world == 1 else []
        modes += ["bucketed", "flat"]
        n = 0
        for mode in modes:
            model = build()
            net = model
            if mode != "plain":
                net = DDP(model)
                if mode == "flat":
                    net._build_buckets(math.inf, math.inf)
                    net._overlap = False
            opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
            loss_fn = nn.CrossEntropyLoss()

            def step(i):
                opt.zero_grad()
                loss_fn(net(xs[i % 4]), ys[i % 4]).backward()
                opt.step()

            n = sum(p.numel() for p in model.parameters())
            results.append(_row(name, world, mode, _rounds(args, dist, step), n))
        # the allreduce of all gradients at once, alone: what communication costs per step
        buf = torch.zeros(n)
        results.append(_row(name, world, "allreduce",
                            _rounds(args, dist, lambda i: dist.all_reduce(buf)), n))
        if args.torch:
            results += _torch_rows(args, name, rank, world, data, dist)
    if rank == 0:
        print("RESULTS " + json.dumps(results), flush=True)


# ---- the parent --------------------------------------------------------------------------------
def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--workloads", default="mid,large")
    p.add_argument("--ranks", default="1,2")
    p.add_argument("--quick", action="store_true", help="few rounds (a smoke test)")
    p.add_argument("--json", default=None)
    p.add_argument("--no-torch", dest="torch", action="store_false",
                   help="skip the same workloads in PyTorch (gloo DDP)")
    p.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--rounds", type=int, default=None, help=argparse.SUPPRESS)
    p.add_argument("--steps", type=int, default=None, help=argparse.SUPPRESS)
    p.add_argument("--warmup", type=int, default=None, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.rounds is None:
        args.rounds, args.steps, args.warmup = (2, 3, 2) if args.quick else (7, 10, 5)
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
                                 + ([] if args.torch else ["--no-torch"]), find_mpiexec())
        env["PYTHONPATH"] = ROOT + os.pathsep + env.get("PYTHONPATH", "")
        # torch's gloo rendezvous (nnlite itself needs none: MPI starts the ranks)
        env.setdefault("MASTER_ADDR", "127.0.0.1")
        env["MASTER_PORT"] = str(_free_port())
        print(f"{n} rank(s), BLAS threads per rank {env['OMP_NUM_THREADS']}", flush=True)
        out = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=1800)
        if out.returncode != 0:
            sys.exit(f"the {n}-rank job failed:\n{out.stdout}\n{out.stderr}")
        line = [x for x in out.stdout.splitlines() if x.startswith("RESULTS ")][-1]
        all_results += json.loads(line[len("RESULTS "):])
    print(f"\n{'workload':<8} {'ranks':>5} {'mode':<10} {'ms/step':>9} {'(min-max)':>17} "
          f"{'vs 1-rank plain':>16}")
    base = {r["workload"]: r["step_ms"] for r in all_results
            if r["mode"] == "plain" and r["ranks"] == 1}
    workloads = args.workloads.split(",")
    all_results.sort(key=lambda r: (workloads.index(r["workload"]), r["ranks"]))
    for r in all_results:
        ratio = base.get(r["workload"])
        rel = f"{r['step_ms'] / ratio:.2f}x" if ratio and r["mode"] != "allreduce" else ""
        print(f"{r['workload']:<8} {r['ranks']:>5} {r['mode']:<11} {r['step_ms']:>9.3f} "
              f"({r['min_ms']:7.3f}-{r['max_ms']:7.3f}) {rel:>16}")
    print()
    for w in workloads:
        for n in sorted({r["ranks"] for r in all_results if r["ranks"] > 1}):
            d = {r["mode"]: r["step_ms"] for r in all_results
                 if r["workload"] == w and r["ranks"] == n}
            if "allreduce" in d and "bucketed" in d:
                line = (f"{w}, {n} ranks: one allreduce of all gradients {d['allreduce']:.3f} ms"
                        f" = {100 * d['allreduce'] / d['bucketed']:.1f} % of a bucketed step; "
                        f"flat / bucketed {d['flat'] / d['bucketed']:.2f}x")
                if "torch ddp" in d:
                    line += f"; nnlite bucketed / torch ddp {d['bucketed'] / d['torch ddp']:.2f}x"
                print(line)
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"cores": cores, "cpu": _cpu_model(), "results": all_results}, fh,
                      indent=1)


if __name__ == "__main__":
    main()
