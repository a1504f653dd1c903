"""Sums in torch's order vs numpy's and torch's own, on the shapes training loops reduce.

    python bench/bench_sums.py [--reps 200] [--threads 1]

Each shape is timed for nnlite (``tensor.sum(dim)``, torch's order), plain numpy
(``a.sum(axis)``, pairwise order) and torch, interleaved in rounds in one process (so load on
the machine hits all three alike); reported are the medians in microseconds and the same-run
ratios nnlite/numpy and nnlite/torch, with CPU model, threads and load.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

CASES = [((4096, 40), -1), ((4096, 128), -1), ((1024, 64), -1), ((16384, 8), -1),
         ((256, 512), 0), ((1024, 128), 0), ((64, 128), None)]


def _cpu() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=200)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    import nnlite

    nnlite.set_num_threads(args.threads)
    try:
        import torch

        torch.set_num_threads(args.threads)
    except ImportError:
        torch = None
    print(f"CPU: {_cpu()}, threads: {args.threads}, load: {os.getloadavg()[0]:.1f}")
    print(f"{'shape':>12} {'dim':>5} {'nnlite us':>10} {'numpy us':>9} {'torch us':>9} "
          f"{'nn/np':>6} {'nn/torch':>8}")
    rng = np.random.default_rng(0)
    for shape, dim in CASES:
        a = rng.standard_normal(shape).astype(np.float32)
        tn = nnlite.tensor(a)
        tt = torch.tensor(a) if torch is not None else None
        kw = {} if dim is None else {"dim": dim}
        fns = {"nnlite": lambda tn=tn, kw=kw: tn.sum(**kw),
               "numpy": lambda a=a, dim=dim: a.sum(axis=dim),
               "torch": (lambda tt=tt, kw=kw: tt.sum(**kw)) if tt is not None else None}
        times = {k: [] for k, f in fns.items() if f is not None}
        for f in fns.values():
            if f is not None:
                f()
        for _ in range(args.reps):
            for k, ts in times.items():  # interleaved: the same load on each
                f = fns[k]
                t0 = time.perf_counter()
                f()
                ts.append(time.perf_counter() - t0)
        med = {k: statistics.median(v) * 1e6 for k, v in times.items()}
        tor = med.get("torch", float("nan"))
        print(f"{shape!s:>12} {dim!s:>5} {med['nnlite']:10.1f} {med['numpy']:9.1f} "
              f"{tor:9.1f} {med['nnlite'] / med['numpy']:6.2f} {med['nnlite'] / tor:8.2f}")


if __name__ == "__main__":
    main()
