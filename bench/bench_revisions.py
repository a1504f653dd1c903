"""Before/after: the eager training step of two checkouts of nnlite, interleaved in one run.

A change to the op layer or the engine must not make any step slower ("no step slower than 3 %").
Timing two checkouts minutes apart on a shared machine measures the load, not the change, so this
script alternates them: each round starts a fresh process per checkout (A, B, A, B, ...), times
``--seconds`` of steps after a warm-up, and the report gives per-checkout medians and the median of
the same-round ratios B/A.

Usage::

    git worktree add /tmp/before <commit>          # the "before" checkout
    python bench/bench_revisions.py /tmp/before . --workloads small,tiny-batch --rounds 7

The step is bench/bench_train.py's eager nnlite step (``setup_nnlite``) of the checkout under test,
one BLAS thread, so both sides run their own model code on the same data; ``--impl
nnlite-compiled`` times the PyTorch program with ``torch.compile`` and ``fused=True`` instead.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys

CHILD = r"""
import json, os, sys, time
sys.path.insert(0, os.path.join(sys.argv[1], "bench"))
import bench_train as bt
import nnlite
assert os.path.dirname(os.path.dirname(os.path.abspath(nnlite.__file__))) == os.path.abspath(
    sys.argv[1]), f"imported {nnlite.__file__}, not the checkout {sys.argv[1]}"
step, _ = bt.SETUPS[sys.argv[5]](sys.argv[2], sys.argv[3])
for _ in range(30):
    step()
seconds = float(sys.argv[4])
n, t0 = 0, time.perf_counter()
while time.perf_counter() - t0 < seconds:
    step(); n += 1
print(json.dumps(n / (time.perf_counter() - t0)))
"""


def run_in_checkout(checkout: str, child: str, args, tool: str):
    """The JSON value ``child`` (a ``python -c`` script) prints last, run on one BLAS thread
    with ``checkout``'s nnlite; ``argv[1]`` is the checkout, then ``args``."""
    env = dict(os.environ, PYTHONPATH=os.path.abspath(checkout), OMP_NUM_THREADS="1",
               OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1", NUMBA_NUM_THREADS="1")
    # cwd=checkout: ``python -c`` puts the working directory first on sys.path, so run from
    # another checkout's root it would import that one's nnlite instead of PYTHONPATH's
    out = subprocess.run([sys.executable, "-c", child, os.path.abspath(checkout),
                          *map(str, args)], env=env, cwd=os.path.abspath(checkout),
                         capture_output=True, text=True, timeout=600, check=False)
    if out.returncode != 0:
        raise SystemExit(f"{tool}: {checkout} failed:\n{out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def one_run(checkout: str, workload: str, optimizer: str, seconds: float,
            impl: str = "nnlite") -> float:
    return float(run_in_checkout(checkout, CHILD, (workload, optimizer, seconds, impl),
                                 "bench_revisions"))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("before")
    p.add_argument("after")
    p.add_argument("--workloads", default="small,tiny-batch")
    p.add_argument("--optimizers", default="sgd,adam")
    p.add_argument("--rounds", type=int, default=7)
    p.add_argument("--seconds", type=float, default=1.5)
    p.add_argument("--impl", default="nnlite",
                   help="bench_train implementation (nnlite: eager; nnlite-compiled)")
    a = p.parse_args()
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo")
                   if line.startswith("model name"))
    except (OSError, StopIteration):
        cpu = "unknown CPU"
    print(f"# {cpu}, {os.cpu_count()} cores, load {os.getloadavg()}, 1 thread, "
          f"{a.rounds} interleaved rounds of {a.seconds}s")
    print(f"# before={a.before}  after={a.after}  impl={a.impl}")
    print(f"{'workload':12} {'opt':5} {'before steps/s':>15} {'after steps/s':>14} "
          f"{'after/before (median of rounds)':>32}")
    for w in a.workloads.split(","):
        for o in a.optimizers.split(","):
            before, after = [], []
            for _ in range(a.rounds):
                before.append(one_run(a.before, w, o, a.seconds, a.impl))
                after.append(one_run(a.after, w, o, a.seconds, a.impl))
            ratios = [y / x for x, y in zip(before, after)]
            print(f"{w:12} {o:5} {statistics.median(before):15.1f} {statistics.median(after):14.1f}"
                  f" {statistics.median(ratios):26.3f}x "
                  f"({min(ratios):.2f}-{max(ratios):.2f})")
    print(f"# load at end {os.getloadavg()}")


if __name__ == "__main__":
    main()
