"""Benchmark one optimizer step on 1M float32 parameters: numba kernel vs numpy vs PyTorch.

Rows (median µs per step, all timed in the same run, interleaved within each repeat):
  - ``nnlite kernel``: ``nnlite.kernels.optim.{adam,sgd}_step_`` on the arrays
  - ``nnlite optimizer.step()``: the same through ``nnlite.optim.Adam``/``SGD`` (Python overhead)
  - ``numpy in-place``: the same update as in-place numpy ufuncs (``out=``) with one scratch
    buffer: the plain-numpy baseline
  - ``numpy reference``: the tests' ``*_step_ref`` (rounds like the kernel: float32 FMAs are
    emulated through float64 temporaries, so it is slower than a plain numpy update)
  - ``torch default``: ``torch.optim.Adam``/``SGD`` as constructed by default (single-tensor
    loop on CPU), threads set to numba's thread count for a like-for-like comparison
  - ``torch fused=True``: PyTorch's fused CPU kernel

Usage:
    python bench/bench_optim.py [--n 1000000] [--repeats 50] [--torch-threads N] [--mallopt]
                                [--json PATH]

``--mallopt`` keeps freed temporaries in the heap (glibc M_TRIM/M_MMAP thresholds, docs/kernels.md
"page-fault storms"): it helps the numpy baseline, which allocates 1M-element temporaries.

The machine is noisy (docs/kernels.md): treat differences under ~15 % as noise.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

import nnlite
from nnlite.kernels import optim as K

try:
    import torch
except ImportError:  # the table then has no torch rows
    torch = None

ADAM = {"lr": 1e-3, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "weight_decay": 0.0,
        "amsgrad": False, "maximize": False, "decoupled_weight_decay": False}  # fmt: skip
SGD = {"lr": 1e-3, "weight_decay": 0.0, "momentum": 0.9, "dampening": 0.0, "nesterov": False,
       "maximize": False}  # fmt: skip


def _cases(n: int):
    rng = np.random.default_rng(0)
    p0 = rng.standard_normal(n).astype(np.float32)
    g = rng.standard_normal(n).astype(np.float32)
    cases = {"adam": {}, "sgd_momentum": {}}

    # --- Adam ---
    p, m, v = p0.copy(), np.zeros(n, np.float32), np.zeros(n, np.float32)
    step = [0]

    def adam_kernel():
        step[0] += 1
        K.adam_step_(p, g, m, v, None, step=step[0], **ADAM)

    pr, mr, vr = p0.copy(), np.zeros(n, np.float32), np.zeros(n, np.float32)
    step_r = [0]

    def adam_numpy():
        step_r[0] += 1
        K.adam_step_ref(pr, g, mr, vr, None, step=step_r[0], **ADAM)

    pi, mi, vi = p0.copy(), np.zeros(n, np.float32), np.zeros(n, np.float32)
    tmp = np.empty(n, np.float32)
    step_i = [0]

    def adam_inplace(pi=pi, mi=mi, vi=vi, tmp=tmp):
        step_i[0] += 1
        b1, b2, f32 = ADAM["beta1"], ADAM["beta2"], np.float32
        bias1, bias2 = 1 - b1 ** step_i[0], 1 - b2 ** step_i[0]
        mi *= f32(b1)
        np.multiply(g, f32(1 - b1), out=tmp)
        mi += tmp
        vi *= f32(b2)
        np.multiply(g, g, out=tmp)
        tmp *= f32(1 - b2)
        vi += tmp
        np.sqrt(vi, out=tmp)
        tmp *= f32(1 / bias2**0.5)
        tmp += f32(ADAM["eps"])
        np.divide(mi, tmp, out=tmp)
        tmp *= f32(-ADAM["lr"] / bias1)
        pi += tmp

    pn = nnlite.tensor(p0.copy(), requires_grad=True)
    pn.grad = nnlite.tensor(g)
    opt_n = nnlite.optim.Adam([pn], lr=1e-3)
    cases["adam"] = {"nnlite kernel": adam_kernel, "nnlite optimizer.step()": opt_n.step,
                     "numpy in-place": adam_inplace, "numpy reference": adam_numpy}  # fmt: skip

    # --- SGD momentum ---
    ps, b = p0.copy(), np.zeros(n, np.float32)
    first = [True]

    def sgd_kernel():
        K.sgd_step_(ps, g, b, first=first[0], **SGD)
        first[0] = False

    psr, br = p0.copy(), np.zeros(n, np.float32)
    first_r = [True]

    def sgd_numpy():
        K.sgd_step_ref(psr, g, br, first=first_r[0], **SGD)
        first_r[0] = False

    psi, bi = p0.copy(), np.zeros(n, np.float32)

    def sgd_inplace(psi=psi, bi=bi, tmp=tmp):
        bi *= np.float32(SGD["momentum"])
        bi += g
        np.multiply(bi, np.float32(-SGD["lr"]), out=tmp)
        psi += tmp

    qn = nnlite.tensor(p0.copy(), requires_grad=True)
    qn.grad = nnlite.tensor(g)
    opt_s = nnlite.optim.SGD([qn], lr=1e-3, momentum=0.9)
    cases["sgd_momentum"] = {"nnlite kernel": sgd_kernel, "nnlite optimizer.step()": opt_s.step,
                             "numpy in-place": sgd_inplace, "numpy reference": sgd_numpy}  # fmt: skip

    if torch is not None:
        for fused in (None, True):
            label = "torch fused=True" if fused else "torch default"
            pt = torch.tensor(p0.copy(), requires_grad=True)
            pt.grad = torch.tensor(g)
            cases["adam"][label] = torch.optim.Adam([pt], lr=1e-3, fused=fused).step
            qt = torch.tensor(p0.copy(), requires_grad=True)
            qt.grad = torch.tensor(g)
            cases["sgd_momentum"][label] = torch.optim.SGD(
                [qt], lr=1e-3, momentum=0.9, fused=fused
            ).step
    return cases


def _mallopt() -> None:
    import ctypes

    libc = ctypes.CDLL("libc.so.6")
    libc.mallopt(-1, 256 * 2**20)  # M_TRIM_THRESHOLD
    libc.mallopt(-3, 64 * 2**20)  # M_MMAP_THRESHOLD


def run(n: int, repeats: int, torch_threads: int | None = None) -> dict:
    import numba

    if torch is not None:
        torch.set_num_threads(torch_threads or numba.get_num_threads())
    cases = _cases(n)
    results = {}
    for algo, impls in cases.items():
        for fn in impls.values():  # warm-up: compile / load from cache, first-step paths
            for _ in range(3):
                fn()
        times = {name: [] for name in impls}
        for _ in range(repeats):
            for name, fn in impls.items():
                t0 = time.perf_counter()
                fn()
                times[name].append(time.perf_counter() - t0)
        results[algo] = {name: float(np.median(ts) * 1e6) for name, ts in times.items()}
    return results


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--repeats", type=int, default=50)
    ap.add_argument("--torch-threads", type=int, default=None)
    ap.add_argument("--mallopt", action="store_true")
    ap.add_argument("--json", default=None)
    args = ap.parse_args()
    if args.mallopt:
        _mallopt()
    res = run(args.n, args.repeats, args.torch_threads)
    threads = torch.get_num_threads() if torch is not None else "-"
    print(f"one step, {args.n} float32 params, median µs of {args.repeats} (torch threads "
          f"{threads}, torch {getattr(torch, '__version__', 'n/a')}, mallopt "
          f"{args.mallopt})")  # fmt: skip
    for algo, row in res.items():
        print(f"\n{algo}")
        for name, us in row.items():
            print(f"  {name:26s} {us:10.0f}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"n": args.n, "repeats": args.repeats, "results": res}, f, indent=2)


if __name__ == "__main__":
    main()
