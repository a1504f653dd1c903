"""Benchmark nnlite's numba kernels against their numpy references and PyTorch.

For each kernel and shape (64x128, 256x512, 512x2048, float32) it prints the median µs per call
of the nnlite wrapper (numba kernel, or numpy where the wrapper falls back), the pure-numpy
reference ``*_ref`` and the matching PyTorch op (when torch is installed; its thread count is set
to numba's so the comparison is like for like), then the cold compile time per kernel (a
subprocess with a fresh NUMBA_CACHE_DIR) against the time to load it from that cache.

Usage:
    python bench/bench_kernels.py [--quick] [--json PATH] [--mallopt] [--no-compile]

The machine is noisy: implementations are interleaved within each repeat and medians reported;
treat differences under ~15 % as noise (docs/kernels.md).
"""

from __future__ import annotations

import argparse
import ctypes
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from nnlite.kernels import elementwise as E
from nnlite.kernels import loss as L
from nnlite.kernels import norm as N

try:
    import torch
    import torch.nn.functional as F
except ImportError:  # the table then has no torch column
    torch = None

SHAPES = [(64, 128), (256, 512), (512, 2048)]
EPS = 1e-5
SLOPE = 0.01


def _t(a):
    return torch.from_numpy(a)


def _cases():
    """name -> (make_args(n, c, rng), nnlite_fn, numpy_ref_fn, torch_fn or None).

    make_args returns (numpy_args, torch_args); the torch args are tensors sharing memory.
    """
    f32 = np.float32

    def x_only(n, c, rng):
        x = rng.standard_normal((n, c)).astype(f32)
        return (x,), ((_t(x),) if torch else None)

    def grad_y(n, c, rng):
        g = rng.standard_normal((n, c)).astype(f32)
        y = rng.standard_normal((n, c)).astype(f32)
        return (g, y), ((_t(g), _t(y)) if torch else None)

    def grad_sig(n, c, rng):
        g = rng.standard_normal((n, c)).astype(f32)
        y = rng.random((n, c)).astype(f32)
        return (g, y), ((_t(g), _t(y)) if torch else None)

    def out_bias(n, c, rng):
        o = rng.standard_normal((n, c)).astype(f32)
        b = rng.standard_normal(c).astype(f32)
        return (o, b), ((_t(o), _t(b)) if torch else None)

    def bn_train(n, c, rng):
        x = rng.standard_normal((n, c)).astype(f32)
        w = rng.standard_normal(c).astype(f32)
        b = rng.standard_normal(c).astype(f32)
        return (x, w, b, EPS), ((_t(x), _t(w), _t(b)) if torch else None)

    def bn_eval(n, c, rng):
        x = rng.standard_normal((n, c)).astype(f32)
        rm = rng.standard_normal(c).astype(f32)
        rv = rng.random(c).astype(f32) + 0.5
        w = rng.standard_normal(c).astype(f32)
        b = rng.standard_normal(c).astype(f32)
        tt = (_t(x), _t(rm), _t(rv), _t(w), _t(b)) if torch else None
        return (x, rm, rv, w, b, EPS), tt

    def bn_bwd(n, c, rng):
        x = rng.standard_normal((n, c)).astype(f32)
        g = rng.standard_normal((n, c)).astype(f32)
        w = rng.standard_normal(c).astype(f32)
        _, mean, invstd, _ = N.batchnorm_forward_train(x, w, None, EPS)
        tt = (_t(g), _t(x), _t(w), _t(mean), _t(invstd)) if torch else None
        return (g, x, mean, invstd, w), tt

    def ln_fwd(n, c, rng):
        return bn_train(n, c, rng)

    def ln_bwd(n, c, rng):
        x = rng.standard_normal((n, c)).astype(f32)
        g = rng.standard_normal((n, c)).astype(f32)
        w = rng.standard_normal(c).astype(f32)
        _, mean, invstd = N.layernorm_forward(x, w, None, EPS)
        tt = (_t(g), _t(x), _t(mean)[:, None], _t(invstd)[:, None], _t(w)) if torch else None
        return (g, x, mean, invstd, w), tt

    def softmax_out(n, c, rng):
        x = rng.standard_normal((n, c)).astype(f32)
        g = rng.standard_normal((n, c)).astype(f32)
        y = L.softmax_forward(x)
        return (g, y), ((_t(g), _t(y)) if torch else None)

    def logsoftmax_out(n, c, rng):
        x = rng.standard_normal((n, c)).astype(f32)
        g = rng.standard_normal((n, c)).astype(f32)
        y = L.log_softmax_forward(x)
        return (g, y), ((_t(g), _t(y)) if torch else None)

    def ce_fwd(n, c, rng):
        x = (3 * rng.standard_normal((n, c))).astype(f32)
        t = rng.integers(0, c, n)
        return (x, t, None, -100, 0.0), ((_t(x), _t(t)) if torch else None)

    def ce_fwd_ls(n, c, rng):
        x = (3 * rng.standard_normal((n, c))).astype(f32)
        t = rng.integers(0, c, n)
        w = rng.random(c).astype(f32)
        return (x, t, w, -100, 0.1), ((_t(x), _t(t), _t(w)) if torch else None)

    def ce_bwd(n, c, rng):
        x = (3 * rng.standard_normal((n, c))).astype(f32)
        t = rng.integers(0, c, n)
        g = np.full(n, 1.0 / n, f32)
        _, logp = L.cross_entropy_forward(x, t, None, -100, 0.0)
        return (g, logp, t, None, -100, 0.0), ((_t(g), _t(logp), _t(t)) if torch else None)

    tc = {}
    if torch is not None:
        aten = torch.ops.aten
        tc = {
            "relu_forward": lambda x: torch.relu(x),
            "relu_backward": lambda g, y: aten.threshold_backward(g, y, 0),
            "bias_add_": lambda o, b: o.add_(b),
            "bias_add_relu_": lambda o, b: o.add_(b).relu_(),
            "leaky_relu_forward": lambda x: F.leaky_relu(x, SLOPE),
            "leaky_relu_backward": lambda g, x: aten.leaky_relu_backward(g, x, SLOPE, False),
            "sigmoid_backward": lambda g, y: aten.sigmoid_backward(g, y),
            "tanh_backward": lambda g, y: aten.tanh_backward(g, y),
            "batchnorm_forward_train": lambda x, w, b: aten.native_batch_norm(
                x, w, b, None, None, True, 0.1, EPS
            ),
            "batchnorm_forward_eval": lambda x, rm, rv, w, b: F.batch_norm(
                x, rm, rv, w, b, False, 0.1, EPS
            ),
            "batchnorm_backward": lambda g, x, w, m, inv: aten.native_batch_norm_backward(
                g, x, w, None, None, m, inv, True, EPS, [True, True, True]
            ),
            "layernorm_forward": lambda x, w, b: aten.native_layer_norm(x, [x.shape[1]], w, b, EPS),
            "layernorm_backward": lambda g, x, m, inv, w: aten.native_layer_norm_backward(
                g, x, [x.shape[1]], m, inv, w, None, [True, True, False]
            ),
            "softmax_forward": lambda x: torch.softmax(x, 1),
            "log_softmax_forward": lambda x: torch.log_softmax(x, 1),
            "softmax_backward": lambda g, y: aten._softmax_backward_data(g, y, 1, y.dtype),
            "log_softmax_backward": lambda g, y: aten._log_softmax_backward_data(g, y, 1, y.dtype),
            "cross_entropy_forward": lambda x, t: F.cross_entropy(x, t, reduction="none"),
            "cross_entropy_forward_w_ls": lambda x, t, w: F.cross_entropy(
                x, t, w, reduction="none", label_smoothing=0.1
            ),
            # what autograd runs: nll_loss backward then log_softmax backward
            "cross_entropy_backward": lambda g, lp, t: aten._log_softmax_backward_data(
                aten.nll_loss_backward(g, lp, t, None, 0, -100, g.new_ones(())), lp, 1, lp.dtype
            ),
        }

    def pick(name, make, ours, ref):
        return name, (make, ours, ref, tc.get(name))

    return dict(
        [
            pick("relu_forward", x_only, E.relu_forward, E.relu_forward_ref),
            pick("relu_backward", grad_y, E.relu_backward, E.relu_backward_ref),
            pick("bias_add_", out_bias, E.bias_add_, E.bias_add_ref),
            pick("bias_add_relu_", out_bias, E.bias_add_relu_, E.bias_add_relu_ref),
            pick(
                "leaky_relu_forward",
                x_only,
                lambda x: E.leaky_relu_forward(x, SLOPE),
                lambda x: E.leaky_relu_forward_ref(x, SLOPE),
            ),
            pick(
                "leaky_relu_backward",
                grad_y,
                lambda g, x: E.leaky_relu_backward(g, x, SLOPE),
                lambda g, x: E.leaky_relu_backward_ref(g, x, SLOPE),
            ),
            pick("sigmoid_backward", grad_sig, E.sigmoid_backward, E.sigmoid_backward_ref),
            pick("tanh_backward", grad_sig, E.tanh_backward, E.tanh_backward_ref),
            pick(
                "batchnorm_forward_train",
                bn_train,
                N.batchnorm_forward_train,
                N.batchnorm_forward_train_ref,
            ),
            pick(
                "batchnorm_forward_eval",
                bn_eval,
                N.batchnorm_forward_eval,
                N.batchnorm_forward_eval_ref,
            ),
            pick("batchnorm_backward", bn_bwd, N.batchnorm_backward, N.batchnorm_backward_ref),
            pick("layernorm_forward", ln_fwd, N.layernorm_forward, N.layernorm_forward_ref),
            pick("layernorm_backward", ln_bwd, N.layernorm_backward, N.layernorm_backward_ref),
            pick("softmax_forward", x_only, L.softmax_forward, L.softmax_forward_ref),
            pick("log_softmax_forward", x_only, L.log_softmax_forward, L.log_softmax_forward_ref),
            pick("softmax_backward", softmax_out, L.softmax_backward, L.softmax_backward_ref),
            pick(
                "log_softmax_backward",
                logsoftmax_out,
                L.log_softmax_backward,
                L.log_softmax_backward_ref,
            ),
            pick(
                "cross_entropy_forward",
                ce_fwd,
                L.cross_entropy_forward,
                L.cross_entropy_forward_ref,
            ),
            pick(
                "cross_entropy_forward_w_ls",
                ce_fwd_ls,
                L.cross_entropy_forward,
                L.cross_entropy_forward_ref,
            ),
            pick(
                "cross_entropy_backward",
                ce_bwd,
                L.cross_entropy_backward,
                L.cross_entropy_backward_ref,
            ),
        ]
    )


def _time_interleaved(fns, repeats, target_s=2e-3):
    """Median seconds per call for each fn (None entries give None), interleaved per repeat."""
    numbers = []
    for fn in fns:
        if fn is None:
            numbers.append(0)
            continue
        for _ in range(3):  # warm-up (compiles, first-touch of outputs)
            fn()
        t0 = time.perf_counter()
        fn()
        one = max(time.perf_counter() - t0, 1e-7)
        numbers.append(max(1, min(1000, int(target_s / one))))
    samples = [[] for _ in fns]
    for _ in range(repeats):
        for k, fn in enumerate(fns):
            if fn is None:
                continue
            t0 = time.perf_counter()
            for _ in range(numbers[k]):
                fn()
            samples[k].append((time.perf_counter() - t0) / numbers[k])
    return [float(np.median(s)) if s else None for s in samples]


# ---------------------------------------------------------------------------------------------
# compile time: one subprocess with an empty NUMBA_CACHE_DIR (cold), a second one reusing it

_COMPILE_SCRIPT = r"""
import json, sys, time
import numpy as np, numba
sys.path.insert(0, sys.argv[1])
t0 = time.perf_counter()
def _warm(a):  # numba's one-time init (typing/lowering machinery), charged to no kernel
    b = np.empty(a.shape[0], np.float64)
    for i in range(a.shape[0]):
        b[i] = np.sqrt(a[i]) + 1.0
    return b
numba.njit(cache=False)(_warm)(np.ones(3, np.float32))
init = time.perf_counter() - t0
from bench.bench_kernels import _cases
res = {"_init": init}
rng = np.random.default_rng(0)
for name, (make, ours, ref, tfn) in _cases().items():
    args, _ = make(8, 16, rng)
    t0 = time.perf_counter()
    ours(*args)
    res[name] = time.perf_counter() - t0
print(json.dumps(res))
"""


def _compile_times():
    env = dict(os.environ)
    with tempfile.TemporaryDirectory() as cache:
        env["NUMBA_CACHE_DIR"] = cache
        out = []
        for _ in range(2):  # cold, then cached
            p = subprocess.run(
                [sys.executable, "-c", _COMPILE_SCRIPT, ROOT],
                env=env,
                capture_output=True,
                text=True,
                check=True,
                cwd=ROOT,
            )
            out.append(json.loads(p.stdout.strip().splitlines()[-1]))
    return out[0], out[1]


def _mallopt():
    """Keep freed temporaries in the heap (docs/kernels.md: page-fault storms in these VMs)."""
    libc = ctypes.CDLL("libc.so.6")
    m_trim_threshold, m_mmap_threshold = -1, -3
    libc.mallopt(m_trim_threshold, 256 << 20)
    libc.mallopt(m_mmap_threshold, 64 << 20)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer repeats")
    ap.add_argument("--json", metavar="PATH", help="write results as JSON")
    ap.add_argument(
        "--mallopt", action="store_true", help="raise glibc trim/mmap thresholds before timing"
    )
    ap.add_argument("--no-compile", action="store_true", help="skip the compile-time section")
    ap.add_argument("--only", help="comma-separated kernel names")
    args = ap.parse_args(argv)
    if args.mallopt:
        _mallopt()
    import numba

    threads = numba.get_num_threads()
    if torch is not None:
        torch.set_num_threads(threads)
    repeats = 5 if args.quick else 21
    rng = np.random.default_rng(0)
    cases = _cases()
    if args.only:
        cases = {k: v for k, v in cases.items() if k in args.only.split(",")}
    print(
        f"numpy {np.__version__}, numba {numba.__version__}, "
        f"torch {torch.__version__ if torch else '-'} ({threads} threads), float32, "
        f"median µs/call over {repeats} repeats{', mallopt' if args.mallopt else ''}"
    )
    hdr = f"{'kernel':28s} {'shape':>9s} {'nnlite':>9s} {'numpy':>9s} {'torch':>9s} {'np/nnl':>7s}"
    print(hdr)
    print("-" * len(hdr))
    results = []
    for name, (make, ours, ref, tfn) in cases.items():
        for n, c in SHAPES:
            a, ta = make(n, c, rng)
            ref_args = tuple(x.copy() if isinstance(x, np.ndarray) else x for x in a)
            fns = [
                lambda f=ours, a=a: f(*a),
                lambda f=ref, a=ref_args: f(*a),
                (lambda f=tfn, a=ta: f(*a)) if tfn is not None else None,
            ]
            if tfn is not None:
                with torch.no_grad():
                    t_ours, t_ref, t_torch = _time_interleaved(fns, repeats)
            else:
                t_ours, t_ref, t_torch = _time_interleaved(fns, repeats)
            row = {
                "kernel": name,
                "shape": [n, c],
                "nnlite_us": t_ours * 1e6,
                "numpy_us": t_ref * 1e6,
                "torch_us": None if t_torch is None else t_torch * 1e6,
            }
            results.append(row)
            ts = "-" if t_torch is None else f"{t_torch * 1e6:9.1f}"
            print(
                f"{name:28s} {n:>4d}x{c:<4d} {t_ours * 1e6:9.1f} {t_ref * 1e6:9.1f} {ts:>9s} "
                f"{t_ref / t_ours:6.2f}x",
                flush=True,
            )
    compile_res = None
    if not args.no_compile:
        cold, warm = _compile_times()
        compile_res = {"cold_s": cold, "cached_s": warm}
        print()
        print(
            f"first call, float32 (ms): numba init {cold['_init'] * 1e3:.0f} cold / "
            f"{warm['_init'] * 1e3:.0f} cached-run"
        )
        print(f"{'kernel':28s} {'cold compile':>13s} {'cache load':>11s}")
        for name in cases:
            print(f"{name:28s} {cold[name] * 1e3:11.0f}ms {warm[name] * 1e3:9.1f}ms")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(
                {
                    "timings": results,
                    "compile": compile_res,
                    "threads": threads,
                    "mallopt": args.mallopt,
                    "quick": args.quick,
                },
                f,
                indent=1,
            )


if __name__ == "__main__":
    main()
