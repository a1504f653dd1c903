"""Benchmark the 3-D layers and CTC loss: nnlite vs PyTorch vs plain numpy, side by side.

Each case runs forward + backward (sum of outputs) on float32; implementations are interleaved
within each repeat and the median ms is printed with the same-run ratios nnlite/torch and
nnlite/numpy. The plain-numpy baselines are the obvious programs one would write without a
framework (``sliding_window_view`` + ``tensordot`` for conv3d, a window max for max_pool3d, a
per-sequence alpha loop for CTC); the numpy columns are forward only.

Usage:
    python bench/bench_nn3d.py [--repeats N] [--cases pool]

The last column is the median of the per-repeat nnlite/torch ratios (each repeat runs both back
to back) with its interquartile range: steadier than the ratio of medians under load.

The machine is noisy: treat differences under ~15 % as noise; the header prints the CPU model,
the thread settings and the load average.
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
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

import nnlite  # noqa: E402

try:
    import torch
except ImportError:
    torch = None


def _cpu() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _np_conv3d(x, w):
    win = np.lib.stride_tricks.sliding_window_view(x, w.shape[2:], axis=(2, 3, 4))
    return np.tensordot(win, w, axes=([1, 5, 6, 7], [1, 2, 3, 4])).transpose(0, 4, 1, 2, 3)


def _np_maxpool3d(x, k):
    n, c, d, h, w = x.shape
    v = x[:, :, :d // k * k, :h // k * k, :w // k * k]
    return v.reshape(n, c, d // k, k, h // k, k, w // k, k).max((3, 5, 7))


def _np_ctc(lp, targets, blank=0):
    out = []
    for b, tgt in enumerate(targets):
        ext = np.full(2 * len(tgt) + 1, blank)
        ext[1::2] = tgt
        a = np.full(len(ext), -np.inf)
        a[:2] = lp[0, b, ext[:2]]
        for t in range(1, lp.shape[0]):
            prev = a.copy()
            a[1:] = np.logaddexp(prev[1:], prev[:-1])
            skip = np.r_[False, False, (ext[2:] != blank) & (ext[2:] != ext[:-2])]
            a[skip] = np.logaddexp(a[skip], prev[np.where(skip)[0] - 2])
            a += lp[t, b, ext]
        out.append(-np.logaddexp(a[-1], a[-2]))
    return np.array(out)


def _cases(rng):
    x = rng.standard_normal((4, 8, 12, 16, 16)).astype(np.float32)
    w = (rng.standard_normal((16, 8, 3, 3, 3)) * 0.1).astype(np.float32)
    lp = np.log(rng.dirichlet(np.ones(20), (50, 16)).astype(np.float32))
    tg = rng.integers(1, 20, (16, 12))
    x2 = rng.standard_normal((16, 16, 32, 32)).astype(np.float32)

    def fb(T, fn, *arrs):
        ts = [T.tensor(a, requires_grad=True) for a in arrs]
        y = fn(T, *ts)
        y.sum().backward()

    return {
        "conv3d 4x8x12x16x16 k3": (
            lambda T: fb(T, lambda T, a, b: T.nn.functional.conv3d(a, b, padding=1), x, w),
            lambda: _np_conv3d(np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1), (1, 1))), w)),
        "conv_transpose3d k2 s2": (
            lambda T: fb(T, lambda T, a, b: T.nn.functional.conv_transpose3d(a, b, stride=2),
                         x, w[:, :, :2, :2, :2].transpose(1, 0, 2, 3, 4).copy()),
            None),
        "max_pool3d k2": (
            lambda T: fb(T, lambda T, a: T.nn.functional.max_pool3d(a, 2), x),
            lambda: _np_maxpool3d(x, 2)),
        "avg_pool3d k3 s2 p1": (
            lambda T: fb(T, lambda T, a: T.nn.functional.avg_pool3d(a, 3, 2, 1), x), None),
        "max_pool2d k3 s2 p1": (
            lambda T: fb(T, lambda T, a: T.nn.functional.max_pool2d(a, 3, 2, 1), x2), None),
        "avg_pool2d k2": (
            lambda T: fb(T, lambda T, a: T.nn.functional.avg_pool2d(a, 2), x2), None),
        "batch_norm3d": (
            lambda T: fb(T, lambda T, a: T.nn.functional.batch_norm(a, None, None,
                                                                     training=True), x), None),
        "ctc_loss T50 N16 C20 S12": (
            lambda T: fb(T, lambda T, a: T.nn.functional.ctc_loss(
                a, T.tensor(tg), [50] * 16, [12] * 16), lp),
            lambda: _np_ctc(lp, tg)),
    }


def _time(fn, reps):
    fn()  # warm-up (numba compile, caches)
    out = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t0) * 1e3)
    return out


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--cases", default="", help="only cases whose name contains this "
                    "(e.g. pool)")
    args = ap.parse_args(argv)
    if torch is not None:
        torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", os.cpu_count() or 1)))
    print(f"CPU: {_cpu()}  cores: {os.cpu_count()}  load: {os.getloadavg()}  "
          f"torch threads: {torch.get_num_threads() if torch else '-'}  "
          f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', '-')}")
    print(f"{'case':28s} {'nnlite ms':>10s} {'torch ms':>10s} {'numpy ms':>10s} "
          f"{'nl/torch':>9s} {'nl/numpy':>9s} {'paired nl/torch (IQR)':>22s}")
    for name, (fwd_bwd, np_fn) in _cases(np.random.default_rng(0)).items():
        if args.cases not in name:
            continue
        times = {"nl": [], "torch": [], "np": []}
        for _ in range(args.repeats):  # interleaved: each repeat runs all three once
            times["nl"] += _time(lambda: fwd_bwd(nnlite), 1)
            if torch is not None:
                times["torch"] += _time(lambda: fwd_bwd(torch), 1)
            if np_fn is not None:
                times["np"] += _time(np_fn, 1)
        med = {k: statistics.median(v) if v else float("nan") for k, v in times.items()}
        # paired: the ratio within each repeat (the two ran back to back), then its median
        pr = sorted(a / b for a, b in zip(times["nl"], times["torch"])) or [float("nan")]
        q = statistics.quantiles(pr, n=4) if len(pr) > 1 else [pr[0]] * 3
        print(f"{name:28s} {med['nl']:10.2f} {med['torch']:10.2f} {med['np']:10.2f} "
              f"{med['nl'] / med['torch']:9.2f} {med['nl'] / med['np']:9.2f} "
              f"{statistics.median(pr):9.2f} ({q[0]:.2f}-{q[2]:.2f})")


if __name__ == "__main__":
    main()
