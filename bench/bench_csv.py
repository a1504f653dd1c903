"""CSV loading: nnlite's ``read_csv`` against ``np.loadtxt`` on the same file (time and peak
memory, each in a fresh process, medians of several rounds, same-run ratios).

    python bench/bench_csv.py [--rows 200000] [--cols 21] [--rounds 5]

The file has a header row and a target column (20 features + 1 label by default). Memory is the
peak resident set of the process minus its resident set just before the load.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile

import numpy as np

CHILD = r"""
import resource, sys, time, os
sys.path.insert(0, sys.argv[3])
import numpy as np
from nnlite.data.tabular import read_csv
def rss_kb():
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
before = rss_kb()
t0 = time.perf_counter()
if sys.argv[1] == "loadtxt":
    a = np.loadtxt(sys.argv[2], delimiter=",", skiprows=1)
else:
    a = read_csv(sys.argv[2]).x
t = time.perf_counter() - t0
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(t, (peak - before) / 1024)
"""


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=200_000)
    ap.add_argument("--cols", type=int, default=21)
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    print(f"cpu: {platform.processor() or platform.machine()}, cores {os.cpu_count()}, "
          f"load {os.getloadavg()[0]:.2f}, numpy {np.__version__}")
    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "big.csv")
        x = rng.normal(size=(args.rows, args.cols - 1))
        y = rng.integers(0, 3, size=args.rows)
        header = ",".join([f"f{j}" for j in range(args.cols - 1)] + ["label"])
        np.savetxt(path, np.column_stack([x, y]), delimiter=",", header=header, comments="",
                   fmt=["%.6g"] * (args.cols - 1) + ["%d"])
        print(f"file: {args.rows} x {args.cols}, {os.path.getsize(path) / 2**20:.1f} MiB")
        results = {}
        for _ in range(args.rounds):
            for name in ("loadtxt", "read_csv"):
                out = subprocess.run([sys.executable, "-c", CHILD, name, path, root],
                                     capture_output=True, text=True, check=True).stdout
                t, mem = map(float, out.split())
                results.setdefault(name, []).append((t, mem))
        med = {k: (statistics.median(t for t, _ in v), statistics.median(m for _, m in v))
               for k, v in results.items()}
        for k, (t, m) in med.items():
            print(f"{k:>9}: {t:.3f} s, peak +{m:.0f} MiB (median of {args.rounds})")
        rt = statistics.median(a[0] / b[0] for a, b in zip(results["read_csv"],
                                                            results["loadtxt"]))
        rm = med["read_csv"][1] / med["loadtxt"][1]
        print(f"read_csv / loadtxt: time {rt:.2f}x, memory {rm:.2f}x")


if __name__ == "__main__":
    main()
