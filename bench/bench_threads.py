"""1 vs 2 (or any) BLAS threads in ONE process, paired: does a second thread help each step?

For each workload x implementation of ``bench/bench_train.py`` (``nnlite`` eager,
``nnlite-compiled``, the ``numpy`` MLP) one process builds the step once and then alternates the
thread counts (``nnlite.set_num_threads``) round by round, many short rounds, the order flipped
every round; it prints per count the median steps/s and CPU ms per step (all the process's
threads: a spinning BLAS worker shows here), and the median over rounds of the paired ratio
steps/s at each count over the first count's. Same heap, same arrays, same process: what
differs between the sides of a ratio is the thread count alone (and the load of that moment,
which hits both sides of a round alike).

Usage::

    python bench/bench_threads.py [--workloads small,tiny-batch,mid] [--impls ...]
                                  [--threads 1,2] [--rounds 30] [--round-s 0.05]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, HERE)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workloads", default="small,tiny-batch,mid")
    ap.add_argument("--impls", default="nnlite,nnlite-compiled,numpy")
    ap.add_argument("--optimizer", default="sgd", choices=("sgd", "adam"))
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--rounds", type=int, default=30)
    ap.add_argument("--round-s", type=float, default=0.05, help="seconds per side of a round")
    a = ap.parse_args(argv)
    import bench_train as bt

    import nnlite
    from nnlite import _blas

    counts = [int(t) for t in a.threads.split(",") if t]
    info = bt.machine_info()
    print(f"# {info['date']}  {info['cpu']}, {info['cores']} cores, load {info.get('loadavg')}")
    print(f"# BLAS: {info.get('blas')}; threads {counts}; {a.rounds} rounds of ~{a.round_s}s "
          "per count, alternating in one process")
    print(f"{'workload':<11}{'impl':<17}" + "".join(
        f"{f'{c}t steps/s':>13}{f'{c}t cpu ms':>11}" for c in counts)
        + "".join(f"{f'{c}t/{counts[0]}t':>20}" for c in counts[1:]))
    for wl in a.workloads.split(","):
        for impl in a.impls.split(","):
            nnlite.set_num_threads(counts[0])
            step, _ = bt.SETUPS[impl](wl, a.optimizer)
            for c in counts:  # warm-up at every count (plans, autotune, BLAS threads)
                nnlite.set_num_threads(c)
                for _ in range(5):
                    step()
            t0 = time.perf_counter()
            for _ in range(5):
                step()
            n = max(3, int(a.round_s * 5 / max(time.perf_counter() - t0, 1e-9)))
            rate = {c: [] for c in counts}
            cpu = {c: [] for c in counts}
            for r in range(a.rounds):
                for c in counts if r % 2 == 0 else counts[::-1]:
                    nnlite.set_num_threads(c)
                    step()
                    w0, p0 = time.perf_counter(), time.process_time()
                    for _ in range(n):
                        step()
                    rate[c].append(n / (time.perf_counter() - w0))
                    cpu[c].append(1e3 * (time.process_time() - p0) / n)
            cells = "".join(f"{statistics.median(rate[c]):>13.1f}{statistics.median(cpu[c]):>11.2f}"
                            for c in counts)
            for c in counts[1:]:
                ratio = [x / y for x, y in zip(rate[c], rate[counts[0]], strict=True)]
                q = statistics.quantiles(ratio, n=4)
                cells += f"{f'{statistics.median(ratio):.2f}x ({q[0]:.2f}-{q[2]:.2f})':>20}"
            print(f"{wl:<11}{impl:<17}{cells}", flush=True)
    nnlite.set_num_threads(counts[0])
    print("# ratios: median of per-round steps/s ratios (interquartile range); nnlite's BLAS "
          f"choices: {bt._blas_summary({k: list(v) for k, v in _blas.choices().items()})}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
