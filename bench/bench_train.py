"""Training-step benchmark: nnlite vs PyTorch vs a hand-written numpy MLP (issues 6, 12).

Workloads (float32; ``Linear -> BatchNorm1d -> ReLU`` blocks then ``Linear``, cross-entropy):

* small       scikit-learn digits (1797x64, standardized), hidden 128, 128, batch 64
* mid         784 -> 512 -> 256 -> 10, batch 256 (synthetic data)
* large       1024 -> 2048 -> 2048 -> 10, batch 512 (synthetic data)
* tiny-batch  as mid with batch 16 (almost pure per-op overhead)

each with SGD (lr 0.01, momentum 0.9) and Adam (lr 1e-3). Implementations:

* ``torch``: PyTorch eager with ``fused=True`` optimizers (the reference).
* ``nnlite``: nnlite eager (``nn.MLP``, per-parameter optimizer kernels).
* ``nnlite-compiled``: *the PyTorch program itself* -- ``torch.compile(model)`` and
  ``fused=True`` -- run with ``import nnlite as torch`` (the issue's target row).
* ``numpy``: the hand-written MLP below.

Every implementation runs at every thread count in ``--threads`` (default ``1,2``), each pair
in its own worker process, all interleaved round by round (so the machine's drift hits 1 and 2
threads alike); the "threads vs" table gives, per implementation, the median of the per-round
paired ratios steps/s at 2 threads over steps/s at 1, and the CPU time per step at each. After
each measurement a worker stops numpy's OpenBLAS threads (``_quiesce_blas``): an OpenBLAS worker
thread spins on a core for ~0.1 s after every multi-threaded call, and the next process's
measurement would share the machine with it. The
``roofline`` column is the step's GEMMs alone (each shape timed with numpy's matmul, and with
MKL's CBLAS when ``nnlite._blas`` finds it; the faster per shape) plus the optimizer's bytes
(SGD-momentum 20 B/param, Adam 28 B/param, float32) at the memory bandwidth measured by a
large copy, at the same thread count; ``%roof`` is each implementation's steps/s as a fraction
of the roofline's. Every implementation runs in its own
worker process (so PyTorch's thread pool cannot disturb OpenBLAS, and each has its own heap); the
parent alternates the workers round by round after a warm-up and reports steps/s median
(min-max) and the ratios nnlite/torch and nnlite/numpy. PyTorch gets ``torch.set_num_threads``
equal to nnlite's thread count and ``fused=True`` optimizers (its fastest CPU path). The numpy
baseline shares nnlite's BLAS (same process kind, same thread count).

Also measured: peak RSS (``ru_maxrss``) of a process that trains ``mid`` with each
implementation, the time of ``import nnlite`` (and ``import torch``), and the end-to-end wall
time of ``python scripts/train.py configs/mlp.yaml`` when both exist (best of a few runs after
one run that fills the numba cache).

Usage:
    python bench/bench_train.py [--quick] [--json PATH] [--workloads small,mid]
                                [--optimizers sgd,adam] [--impls nnlite,torch,numpy]
                                [--no-extras]

The machine is shared and noisy: compare only ratios from one run, and re-run when the
min-max spread is wide.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

WORKLOADS = {
    # name: (in_features, hidden, classes, batch)
    "small": (64, (128, 128), 10, 64),
    "mid": (784, (512, 256), 10, 256),
    "large": (1024, (2048, 2048), 10, 512),
    "tiny-batch": (784, (512, 256), 10, 16),
}
OPTIMIZERS = ("sgd", "adam")
IMPLS = ("nnlite", "nnlite-compiled", "nnlite-compiled-split", "torch", "numpy")
SGD_LR, MOMENTUM = 0.01, 0.9
ADAM_LR, BETAS, ADAM_EPS = 1e-3, (0.9, 0.999), 1e-8
BN_EPS, BN_MOMENTUM = 1e-5, 0.1
N_BATCHES = 8  # distinct batches cycled through (synthetic workloads)


# ---- data (identical arrays for every implementation) --------------------------------------


def make_batches(workload: str) -> list[tuple[np.ndarray, np.ndarray]]:
    n_in, _, n_cls, batch = WORKLOADS[workload]
    rng = np.random.default_rng(0)
    if workload == "small":
        from sklearn.datasets import load_digits

        x, y = load_digits(return_X_y=True)
        x = x.astype(np.float64)
        x = (x - x.mean(0)) / np.maximum(x.std(0), 1e-8)
        perm = rng.permutation(len(x))
        x, y = x[perm].astype(np.float32), y[perm].astype(np.int64)
        nb = len(x) // batch
        return [
            (np.ascontiguousarray(x[i * batch : (i + 1) * batch]), y[i * batch : (i + 1) * batch])
            for i in range(nb)
        ]
    out = []
    for _ in range(N_BATCHES):
        x = rng.standard_normal((batch, n_in), dtype=np.float32)
        y = rng.integers(0, n_cls, batch).astype(np.int64)
        out.append((x, y))
    return out


# ---- implementations: each returns a step() closure -----------------------------------------


def setup_nnlite(workload: str, optimizer: str):
    import nnlite
    from nnlite import nn, optim
    from nnlite.nn import functional as F

    n_in, hidden, n_cls, _ = WORKLOADS[workload]
    nnlite.manual_seed(0)
    model = nn.MLP(n_in, hidden, n_cls, norm="batchnorm", activation="relu")
    model.train()
    if optimizer == "sgd":
        opt = optim.SGD(model.parameters(), lr=SGD_LR, momentum=MOMENTUM)
    else:
        opt = optim.Adam(model.parameters(), lr=ADAM_LR, betas=BETAS, eps=ADAM_EPS)
    batches = [(nnlite.from_numpy(x), nnlite.from_numpy(y)) for x, y in make_batches(workload)]
    state = {"i": 0}

    def step():
        x, y = batches[state["i"] % len(batches)]
        state["i"] += 1
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss

    return step, "nnlite " + nnlite.__version__


def setup_torch(workload: str, optimizer: str, torch=None, compiled=False):
    """The PyTorch program: real torch, or nnlite (``torch=nnlite``) running it unchanged;
    ``compiled``: ``model = torch.compile(model)``."""
    if torch is None:
        import torch
    nn = torch.nn
    F = torch.nn.functional

    torch.set_num_threads(_num_threads())
    n_in, hidden, n_cls, _ = WORKLOADS[workload]
    torch.manual_seed(0)
    layers, width = [], n_in
    for h in hidden:
        layers += [nn.Linear(width, h), nn.BatchNorm1d(h), nn.ReLU()]
        width = h
    layers.append(nn.Linear(width, n_cls))
    model = nn.Sequential(*layers)
    model.train()
    if compiled:
        model = torch.compile(model)
    note = "fused=True" + (", torch.compile" if compiled else "")
    try:
        if optimizer == "sgd":
            opt = torch.optim.SGD(model.parameters(), lr=SGD_LR, momentum=MOMENTUM, fused=True)
        else:
            opt = torch.optim.Adam(
                model.parameters(), lr=ADAM_LR, betas=BETAS, eps=ADAM_EPS, fused=True
            )
    except (RuntimeError, TypeError, ValueError):
        note = "foreach"
        cls = torch.optim.SGD if optimizer == "sgd" else torch.optim.Adam
        kw = {"momentum": MOMENTUM} if optimizer == "sgd" else {"betas": BETAS, "eps": ADAM_EPS}
        opt = cls(model.parameters(), lr=SGD_LR if optimizer == "sgd" else ADAM_LR, **kw)
    batches = [(torch.from_numpy(x), torch.from_numpy(y)) for x, y in make_batches(workload)]
    state = {"i": 0}

    def step():
        x, y = batches[state["i"] % len(batches)]
        state["i"] += 1
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss

    name = getattr(torch, "__name__", "torch")
    return step, f"{name} {torch.__version__} ({torch.get_num_threads()} threads, {note})"


def setup_nnlite_compiled(workload: str, optimizer: str):
    import nnlite

    return setup_torch(workload, optimizer, torch=nnlite, compiled=True)


SPLIT_MIN = 65536  # nnlite-compiled-split: optimizer runs from this many elements are split


def setup_nnlite_compiled_split(workload: str, optimizer: str):
    """As ``nnlite-compiled``, with the fused optimizer's runs split over the threads
    (``nnlite.optim.flat.SPLIT_MIN``): the measurement that decides whether to turn it on."""
    import nnlite
    from nnlite.optim import flat

    flat.SPLIT_MIN, flat._split_env = SPLIT_MIN, ""
    step, desc = setup_torch(workload, optimizer, torch=nnlite, compiled=True)
    return step, desc + f", optimizer split from {SPLIT_MIN} elements"


class NumpyMLP:
    """A plain-numpy MLP with a hand-written backward: what nnlite's overhead is measured against.

    Same math as ``Linear -> BatchNorm1d (train, running stats) -> ReLU`` blocks, a final
    ``Linear``, mean softmax cross-entropy, and PyTorch's SGD-momentum / Adam updates; in-place
    numpy with preallocated buffers where that is natural (no numba, no framework).
    """

    def __init__(self, n_in, hidden, n_cls, batch, optimizer, seed=0):
        rng = np.random.default_rng(seed)
        f32 = np.float32
        self.layers = []  # (W, b) for every Linear
        self.bn = []  # (gamma, beta, running_mean, running_var) for every hidden layer
        width = n_in
        for h in list(hidden) + [n_cls]:
            bound = 1.0 / np.sqrt(width)
            w = rng.uniform(-bound, bound, (h, width)).astype(f32)
            b = rng.uniform(-bound, bound, h).astype(f32)
            self.layers.append((w, b))
            width = h
        for h in hidden:
            self.bn.append((np.ones(h, f32), np.zeros(h, f32), np.zeros(h, f32), np.ones(h, f32)))
        self.params = [p for wb in self.layers for p in wb] + [p for g in self.bn for p in g[:2]]
        self.grads = [np.zeros_like(p) for p in self.params]
        self.optimizer = optimizer
        self.state1 = [np.zeros_like(p) for p in self.params]  # momentum buffer / exp_avg
        self.state2 = [np.zeros_like(p) for p in self.params]  # exp_avg_sq (Adam)
        self.tmp = [np.empty_like(p) for p in self.params]
        self.t = 0
        self.first = True

    def step(self, x, y):
        nl = len(self.layers)
        g = self.grads
        # forward
        cache = []
        h = x
        for i in range(nl - 1):
            w, b = self.layers[i]
            gamma, beta, rm, rv = self.bn[i]
            z = h @ w.T
            z += b
            n = z.shape[0]
            mean = z.mean(0)
            z -= mean  # z is now centered
            var = np.einsum("ij,ij->j", z, z) / n
            inv = 1.0 / np.sqrt(var + BN_EPS)
            z *= inv  # xhat
            out = z * gamma
            out += beta
            np.maximum(out, 0, out=out)
            rm *= 1 - BN_MOMENTUM
            rm += BN_MOMENTUM * mean
            rv *= 1 - BN_MOMENTUM
            rv += (BN_MOMENTUM * n / max(n - 1, 1)) * var
            cache.append((h, z, inv, out))
            h = out
        w, b = self.layers[-1]
        logits = h @ w.T
        logits += b
        n = logits.shape[0]
        logits -= logits.max(1, keepdims=True)
        np.exp(logits, out=logits)
        s = logits.sum(1, keepdims=True)
        rows = np.arange(n)
        loss = float(np.mean(np.log(s[:, 0]) - np.log(logits[rows, y])))
        logits /= s  # softmax
        logits[rows, y] -= 1.0
        logits *= 1.0 / n  # d loss / d logits
        # backward
        d = logits
        k = 2 * (nl - 1)
        np.matmul(d.T, h, out=g[k])
        d.sum(0, out=g[k + 1])
        dh = d @ w
        for i in range(nl - 2, -1, -1):
            w, b = self.layers[i]
            gamma = self.bn[i][0]
            hin, xhat, inv, out = cache[i]
            dh *= out > 0  # ReLU
            gi = 2 * nl + 2 * i  # gamma, beta grads
            dbeta = dh.sum(0, out=g[gi + 1])
            dgamma = np.einsum("ij,ij->j", dh, xhat, out=g[gi])
            # dz = gamma * inv / n * (n * dy - dbeta - xhat * dgamma), in place in dh
            n = dh.shape[0]
            dh *= n
            dh -= dbeta
            xhat *= dgamma
            dh -= xhat
            dh *= gamma * inv / n
            np.matmul(dh.T, hin, out=g[2 * i])
            dh.sum(0, out=g[2 * i + 1])
            if i:
                dh = dh @ w
        self._update()
        return loss

    def _update(self):
        if self.optimizer == "sgd":
            for p, gr, buf, tmp in zip(self.params, self.grads, self.state1, self.tmp):
                if self.first:
                    buf[...] = gr
                else:
                    buf *= MOMENTUM
                    buf += gr
                np.multiply(buf, SGD_LR, out=tmp)
                p -= tmp
            self.first = False
            return
        self.t += 1
        b1, b2 = BETAS
        bc1 = 1 - b1**self.t
        bc2 = 1 - b2**self.t
        step_size = ADAM_LR / bc1
        inv_sqrt_bc2 = 1.0 / np.sqrt(bc2)
        for p, gr, m, v, tmp in zip(self.params, self.grads, self.state1, self.state2, self.tmp):
            m *= b1
            np.multiply(gr, 1 - b1, out=tmp)
            m += tmp
            v *= b2
            np.multiply(gr, gr, out=tmp)
            tmp *= 1 - b2
            v += tmp
            np.sqrt(v, out=tmp)
            tmp *= inv_sqrt_bc2
            tmp += ADAM_EPS
            np.divide(m, tmp, out=tmp)
            tmp *= step_size
            p -= tmp


def setup_numpy(workload: str, optimizer: str):
    n_in, hidden, n_cls, batch = WORKLOADS[workload]
    net = NumpyMLP(n_in, hidden, n_cls, batch, optimizer)
    batches = make_batches(workload)
    state = {"i": 0}

    def step():
        x, y = batches[state["i"] % len(batches)]
        state["i"] += 1
        return net.step(x, y)

    return step, f"numpy {np.__version__} (hand-written backward)"


SETUPS = {"nnlite": setup_nnlite, "nnlite-compiled": setup_nnlite_compiled,
          "nnlite-compiled-split": setup_nnlite_compiled_split,
          "torch": setup_torch, "numpy": setup_numpy}


def _num_threads() -> int:
    """nnlite's thread count (``--threads`` overrides it for every implementation)."""
    if os.environ.get("BENCH_THREADS"):
        return int(os.environ["BENCH_THREADS"])
    sys.path.insert(0, ROOT)
    import nnlite

    return nnlite.get_num_threads()


# ---- roofline: the step's GEMMs alone (best BLAS) + the optimizer's bytes at memory speed ----


def gemm_shapes(workload: str) -> list[tuple[int, int, int, str]]:
    """``(m, k, n, layout)`` of every matrix product in one training step of ``workload``: per
    layer the forward ``x @ W.T`` ("nt": the second operand a transposed view), the weight
    gradient ``g.T @ x`` ("tn") and (past the first layer) the input gradient ``g @ W`` ("nn"),
    as nnlite and PyTorch run them."""
    n_in, hidden, n_cls, batch = WORKLOADS[workload]
    dims = [n_in, *hidden, n_cls]
    shapes = []
    for i in range(len(dims) - 1):
        fin, fout = dims[i], dims[i + 1]
        shapes.append((batch, fin, fout, "nt"))
        shapes.append((fout, batch, fin, "tn"))
        if i:
            shapes.append((batch, fout, fin, "nn"))
    return shapes


def _operands(m, k, n, layout, rng, lib=np):
    a = rng.standard_normal((k, m) if layout[0] == "t" else (m, k), dtype=np.float32)
    b = rng.standard_normal((n, k) if layout[1] == "t" else (k, n), dtype=np.float32)
    if lib is not np:
        a, b = lib.from_numpy(a), lib.from_numpy(b)
    return (a.T if layout[0] == "t" else a), (b.T if layout[1] == "t" else b)


def torch_gemm_us(workload: str) -> dict:
    """Microseconds per ``torch.mm`` of each of the step's products (same layouts), in the
    torch worker: what PyTorch's own BLAS does with the shapes nnlite gives to OpenBLAS/MKL."""
    import torch

    rng = np.random.default_rng(0)
    out = {}
    for m, k, n, layout in gemm_shapes(workload):
        a, b = _operands(m, k, n, layout, rng, torch)
        c = torch.empty((m, n))
        out[f"{m}x{k}x{n}:{layout}"] = round(
            _best_time(lambda a=a, b=b, c=c: torch.mm(a, b, out=c)) * 1e6, 2)
    return out


def n_parameters(workload: str) -> int:
    n_in, hidden, n_cls, _ = WORKLOADS[workload]
    dims = [n_in, *hidden, n_cls]
    return sum(a * b + b for a, b in zip(dims, dims[1:])) + 2 * sum(hidden)


def _best_time(fn, min_s=0.02, reps=5):
    best = float("inf")
    for _ in range(reps):
        n, t0 = 0, time.perf_counter()
        while True:
            fn()
            n += 1
            dt = time.perf_counter() - t0
            if dt >= min_s / reps:
                break
        best = min(best, dt / n)
    return best


def memory_bandwidth() -> float:
    """Bytes/s of a 64 MiB float32 copy (read + write), best of a few."""
    a = np.ones(16 << 20, np.float32)
    b = np.empty_like(a)
    t = _best_time(lambda: np.copyto(b, a), min_s=0.2, reps=5)
    return 2 * a.nbytes / t


def roofline(workload: str, optimizer: str) -> dict:
    """Steps/s if the step were only its GEMMs (each on the faster of numpy's BLAS and MKL) and
    the optimizer's memory traffic (float32: SGD-momentum reads p, g, buf and writes p, buf:
    20 B/param; Adam reads p, g, m, v and writes p, m, v: 28 B/param)."""
    from nnlite import _blas

    rng = np.random.default_rng(0)
    gemm_s = 0.0
    choice = {}
    for m, k, n, layout in gemm_shapes(workload):
        a, b = _operands(m, k, n, layout, rng)
        out = np.empty((m, n), np.float32)
        t = {"openblas": _best_time(lambda a=a, b=b, out=out: np.matmul(a, b, out=out))}
        if _blas.mkl() is not None:
            t["mkl"] = _best_time(lambda a=a, b=b, out=out: _blas.mkl_matmul(a, b, out))
        best = min(t, key=t.get)
        choice[f"{m}x{k}x{n}:{layout}"] = {k2: round(v * 1e6, 2) for k2, v in t.items()}
        gemm_s += t[best]
    bw = memory_bandwidth()
    opt_bytes = n_parameters(workload) * (20 if optimizer == "sgd" else 28)
    opt_s = opt_bytes / bw
    return {"steps_per_s": 1.0 / (gemm_s + opt_s), "gemm_s": gemm_s, "opt_s": opt_s,
            "bandwidth_gbs": bw / 1e9, "gemm_us": choice}


# ---- worker process ------------------------------------------------------------------------


def worker(impl: str) -> None:
    """Line protocol on stdin/stdout: ``setup W O`` -> warm-up, ``run N`` -> seconds for N."""
    sys.path.insert(0, ROOT)
    if impl in ("nnlite", "nnlite-compiled", "nnlite-compiled-split", "numpy"):
        import nnlite  # sets BLAS threads the nnlite way for both

        nnlite.set_num_threads(_num_threads())
    step = None
    for line in sys.stdin:
        cmd = line.split()
        if not cmd:
            continue
        try:
            if cmd[0] == "setup":
                step, desc = SETUPS[impl](cmd[1], cmd[2])
                t0 = time.perf_counter()
                n = 0
                while n < 3 or (time.perf_counter() - t0 < 0.3 and n < 200):
                    loss = step()
                    n += 1
                rate = n / (time.perf_counter() - t0)
                reply = {
                    "desc": desc,
                    "rate": rate,
                    "loss": float(loss.item() if hasattr(loss, "item") else loss),
                }
            elif cmd[0] == "run":
                n = int(cmd[1])
                step()  # untimed: wakes (or re-creates) the BLAS threads the last run put down
                t0, c0 = time.perf_counter(), time.process_time()
                for _ in range(n):
                    step()
                reply = {"seconds": time.perf_counter() - t0, "cpu": time.process_time() - c0}
                _quiesce_blas()
            elif cmd[0] == "roofline":
                reply = roofline(cmd[1], cmd[2])
            elif cmd[0] == "gemm":
                reply = torch_gemm_us(cmd[1])
            elif cmd[0] == "blas":
                from nnlite import _blas

                reply = {"describe": _blas.describe(),
                         "choices": {k: list(v) for k, v in _blas.choices().items()}}
            elif cmd[0] == "rss":
                reply = {"maxrss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}
            else:
                reply = {"error": f"unknown command {cmd[0]}"}
        except Exception as e:  # noqa: BLE001 - report it to the parent, keep serving
            reply = {"error": f"{type(e).__name__}: {e}"}
        sys.stdout.write(json.dumps(reply) + "\n")
        sys.stdout.flush()


def _quiesce_blas() -> None:
    """Stop numpy's OpenBLAS worker threads after a measurement (they are re-created by the next
    multi-threaded call, in the untimed step before the next measurement). An OpenBLAS worker
    spins on a core for ~0.1 s after each multi-threaded call (2^28 cycles; measured 0.10 s of
    CPU time after one call): without this, the previous worker process's spinning threads held
    a core through most of the next process's measurement -- the 2-thread rows' slowdown."""
    global _shutdown
    if _shutdown is None:
        _shutdown = False
        here = os.path.dirname(os.path.dirname(os.path.abspath(np.__file__)))
        import ctypes
        import glob

        for path in sorted(glob.glob(os.path.join(here, "numpy.libs", "lib*openblas*.so*"))):
            try:
                _shutdown = getattr(ctypes.CDLL(path), "blas_thread_shutdown_", False)
            except OSError:
                continue
            if _shutdown:
                _shutdown.restype = ctypes.c_int
                break
    if _shutdown:
        _shutdown()


_shutdown = None  # OpenBLAS's blas_thread_shutdown_ (False: not found)


class Worker:
    def __init__(self, impl: str, threads: int | None = None):
        self.impl = impl
        self.threads = threads
        env = dict(os.environ)
        if threads:
            env["BENCH_THREADS"] = str(threads)
        self.proc = subprocess.Popen(
            [sys.executable, os.path.abspath(__file__), "--worker", impl],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=ROOT,
            env=env,
        )

    def ask(self, line: str) -> dict:
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()
        out = self.proc.stdout.readline()
        if not out:
            raise RuntimeError(f"{self.impl} worker died")
        return json.loads(out)

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait()


# ---- measurements --------------------------------------------------------------------------


def bench_steps(workers, workloads, optimizers, rounds, target_s, roof_workers=None):
    """Steps/s of every worker (one per implementation and thread count) per workload and
    optimizer, all interleaved: each round runs every worker once, in a rotating order, so drift
    of the machine's load hits every implementation and thread count alike. Returns one row
    per thread count x workload x optimizer (``threads`` set), each with the paired thread
    ratios of its implementations (``threads_vs``: median over rounds of this count's steps/s
    over the first count's in the same round) and CPU ms per step."""
    results = []
    counts = list(dict.fromkeys(w.threads for w in workers))
    roof_workers = roof_workers or {}
    for wl in workloads:
        for opt in optimizers:
            info = {}
            for w in workers:
                r = w.ask(f"setup {wl} {opt}")
                if "error" in r:
                    print(f"  {w.impl} ({w.threads} thr) {wl}/{opt}: {r['error']}",
                          file=sys.stderr)
                    continue
                info[w] = r
            live = [w for w in workers if w in info]
            # same wall time per measurement for each worker, at least 3 steps
            nsteps = {w: max(3, int(info[w]["rate"] * target_s)) for w in live}
            rates = {w: [None] * rounds for w in live}
            cpu = {w: [] for w in live}
            for k in range(rounds):
                order = live[k % len(live):] + live[: k % len(live)]  # rotate who goes first
                for w in order:
                    time.sleep(0.02)  # let the previous worker's (torch's) threads go idle
                    r = w.ask(f"run {nsteps[w]}")
                    if "error" in r:
                        print(f"  {w.impl} {wl}/{opt}: {r['error']}", file=sys.stderr)
                        continue
                    rates[w][k] = nsteps[w] / r["seconds"]
                    cpu[w].append(r["cpu"] / nsteps[w])
            for t in counts:
                row = {"workload": wl, "optimizer": opt, "impls": {}, "threads": t}
                for w in live:
                    rs = [x for x in rates[w] if x is not None]
                    if w.threads != t or not rs:
                        continue
                    d = row["impls"][w.impl] = {
                        "median": statistics.median(rs),
                        "min": min(rs),
                        "max": max(rs),
                        "runs": len(rs),
                        "steps_per_run": nsteps[w],
                        "cpu_ms_per_step": 1e3 * statistics.median(cpu[w]),
                        "desc": info[w]["desc"],
                        "first_loss": info[w]["loss"],
                    }
                    base = next((b for b in live if b.impl == w.impl and b.threads == counts[0]),
                                None)
                    if base is not None and base is not w:
                        pairs = [a / b for a, b in zip(rates[w], rates[base])
                                 if a is not None and b is not None]
                        if pairs:
                            d["threads_vs"] = {"of": counts[0],
                                               "median": statistics.median(pairs),
                                               "min": min(pairs), "max": max(pairs)}
                med = {k: v["median"] for k, v in row["impls"].items()}
                for mine in ("nnlite", "nnlite-compiled", "nnlite-compiled-split"):
                    for other in ("torch", "numpy"):
                        if mine in med and other in med:
                            row[f"{mine}/{other}"] = med[mine] / med[other]
                roof_worker = roof_workers.get(t)
                if roof_worker is not None:
                    r = roof_worker.ask(f"roofline {wl} {opt}")
                    if "error" not in r:
                        tw = [w for w in live if w.impl == "torch" and w.threads == t]
                        tg = tw[0].ask(f"gemm {wl}") if tw and opt == optimizers[0] else {}
                        for shape, us in tg.items():
                            if shape in r["gemm_us"]:
                                r["gemm_us"][shape]["torch"] = us
                        row["roofline"] = r
                        for d in row["impls"].values():
                            d["roof_fraction"] = d["median"] / r["steps_per_s"]
                results.append(row)
                _print_row(row)
    return results


def _print_thread_ratios(results) -> None:
    """Per implementation and row: steps/s at each thread count over the first count's, the
    median of the per-round paired ratios (min-max), and CPU ms per step."""
    rows = [r for r in results if any("threads_vs" in d for d in r["impls"].values())]
    if not rows:
        return
    impls = [i for i in IMPLS if any(i in r["impls"] for r in rows)]
    print("# threads vs the first count: median of per-round paired ratios of steps/s (min-max)"
          "; CPU ms/step (all the process's threads) at both counts")
    print(f"#   {'thr':<5}{'workload':<11}{'opt':<5}" + "".join(f"{i:>34}" for i in impls))
    firsts = {(r["workload"], r["optimizer"]): r for r in results
              if not any("threads_vs" in d for d in r["impls"].values())}
    for r in rows:
        first = firsts.get((r["workload"], r["optimizer"]), {"impls": {}})
        cells = ""
        for i in impls:
            d = r["impls"].get(i, {})
            tv = d.get("threads_vs")
            c0 = first["impls"].get(i, {}).get("cpu_ms_per_step")
            txt = "-"
            if tv:
                txt = (f"{tv['median']:.2f}x ({tv['min']:.2f}-{tv['max']:.2f}) "
                       f"{c0:.2f}/{d['cpu_ms_per_step']:.2f}")
            cells += f"{txt:>34}"
        print(f"#   {str(r['threads']) + '/' + str(tv['of'] if tv else ''):<5}"
              f"{r['workload']:<11}{r['optimizer']:<5}{cells}")


def _fmt_rate(d):
    return f"{d['median']:8.1f} ({d['min']:.0f}-{d['max']:.0f})"


_RATIOS = ("nnlite/torch", "nnlite/numpy", "nnlite-compiled/torch", "nnlite-compiled/numpy",
           "nnlite-compiled-split/torch")


def _print_header(impls):
    cols = "".join(f"{i + ' steps/s (%roof)':>30}" for i in impls)
    ratios = "".join(f"{r:>23}" for r in _RATIOS)
    print(f"{'thr':<4}{'workload':<11}{'opt':<5}{cols}{'roofline/s':>12}{ratios}")


def _print_row(row):
    cols = ""
    for impl in _print_row.impls:
        d = row["impls"].get(impl)
        txt = "-"
        if d:
            txt = _fmt_rate(d)
            if "roof_fraction" in d:
                txt += f" {100 * d['roof_fraction']:3.0f}%"
        cols += f"{txt:>30}"
    roof = row.get("roofline", {}).get("steps_per_s")
    ratios = "".join(
        f"{(f'{row[r]:.2f}x' if row.get(r) else '-'):>23}" for r in _RATIOS
    )
    print(
        f"{row.get('threads', ''):<4}{row['workload']:<11}{row['optimizer']:<5}{cols}"
        f"{(f'{roof:.0f}' if roof else '-'):>12}{ratios}",
        flush=True,
    )


def _print_gemm_threads(results):
    """Per GEMM shape of each workload: numpy's BLAS time at each thread count (from the
    roofline workers), so the thread count per shape class is a measured choice."""
    by = {}
    for row in results:
        roof = row.get("roofline")
        if roof and row["optimizer"] == results[0]["optimizer"]:
            for shape, t in roof["gemm_us"].items():
                by.setdefault((row["workload"], shape), {})[row["threads"]] = t
    counts = sorted({row["threads"] for row in results if row.get("threads")})
    if not by:
        return
    libs = [lib for lib in ("openblas", "mkl", "torch")
            if any(lib in t for per in by.values() for t in per.values())]
    print("# GEMM (m x k x n : layout) microseconds per call, by threads and library "
          "(torch = torch.mm in the torch worker):")
    print(f"#   {'workload':<11}{'shape':<22}" + "".join(
        f"{f'{c}t {lib}':>13}" for c in counts for lib in libs) + "   best nnlite")
    for (wl, shape), per in by.items():
        cells = "".join(f"{per.get(c, {}).get(lib, float('nan')):>13.1f}"
                        for c in counts for lib in libs)
        mine = {(c, lib): per[c][lib] for c in counts if c in per
                for lib in ("openblas", "mkl") if lib in per[c]}
        win = min(mine, key=mine.get) if mine else ("?", "?")
        print(f"#   {wl:<11}{shape:<22}{cells}   {win[1]} {win[0]}t")


RSS_CODE = """
import resource, sys
sys.path.insert(0, {root!r})
sys.argv = ['bench_train']
import bench_train as B
if {impl!r} == 'nnlite':
    import nnlite
step, _ = B.SETUPS[{impl!r}]('mid', {opt!r})
for _ in range({steps}):
    step()
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def bench_rss(impls, optimizers, steps):
    """Peak RSS (MiB) of a fresh process training ``mid`` with each implementation."""
    out = {}
    for opt in optimizers:
        for impl in impls:
            code = RSS_CODE.format(
                root=os.path.join(ROOT, "bench"), impl=impl, opt=opt, steps=steps
            )
            env = dict(os.environ, PYTHONPATH=ROOT)
            r = subprocess.run(
                [sys.executable, "-c", code],
                capture_output=True,
                text=True,
                cwd=ROOT,
                env=env,
                check=False,
            )
            if r.returncode != 0:
                print(
                    f"  rss {impl}/{opt} failed: {r.stderr.strip().splitlines()[-1:]}",
                    file=sys.stderr,
                )
                continue
            out.setdefault(opt, {})[impl] = int(r.stdout.split()[-1]) / 1024.0
    return out


def _time_import(module: str, repeats: int) -> float | None:
    code = (
        f"import sys, time; sys.path.insert(0, {ROOT!r}); t = time.perf_counter(); "
        f"import {module}; print(time.perf_counter() - t)"
    )
    ts = []
    for _ in range(repeats):
        r = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=False
        )
        if r.returncode != 0:
            return None
        ts.append(float(r.stdout.split()[-1]))
    return statistics.median(ts)


def bench_imports(repeats):
    return {"nnlite": _time_import("nnlite", repeats), "torch": _time_import("torch", repeats)}


# The run of configs/mlp.yaml written in plain PyTorch (same data split sizes, model, AdamW,
# cosine schedule, 40 epochs, per-epoch validation loss/accuracy, final test metrics, state_dict
# saved at the end): the end-to-end reference for ``scripts/train.py configs/mlp.yaml``.
TORCH_MLP_RUN = """
import sys, time
import numpy as np
import torch
from torch import nn
from torch.nn import functional as F
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.metrics import balanced_accuracy_score, confusion_matrix, f1_score
torch.set_num_threads(1)
torch.manual_seed(0)
x, y = load_digits(return_X_y=True)
x_tr, x_te, y_tr, y_te = train_test_split(x, y, test_size=0.3, stratify=y, random_state=0)
x_va, x_te, y_va, y_te = train_test_split(x_te, y_te, test_size=0.5, stratify=y_te,
                                          random_state=0)
mu, sd = x_tr.mean(0), np.maximum(x_tr.std(0), 1e-8)
def t(a, b):
    return torch.tensor((a - mu) / sd, dtype=torch.float32), torch.tensor(b)
(x_tr, y_tr), (x_va, y_va), (x_te, y_te) = t(x_tr, y_tr), t(x_va, y_va), t(x_te, y_te)
model = nn.Sequential(nn.Linear(64, 256), nn.BatchNorm1d(256), nn.ReLU(), nn.Dropout(0.1),
                      nn.Linear(256, 128), nn.BatchNorm1d(128), nn.ReLU(), nn.Dropout(0.1),
                      nn.Linear(128, 10))
opt = torch.optim.AdamW(model.parameters(), lr=0.003, weight_decay=0.01, fused=True)
epochs = 40
sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, epochs)
loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x_tr, y_tr), batch_size=64,
                                     shuffle=True)
log = []
for epoch in range(epochs):
    model.train()
    for xb, yb in loader:
        opt.zero_grad()
        loss = F.cross_entropy(model(xb), yb)
        loss.backward()
        opt.step()
    sched.step()
    model.eval()
    with torch.no_grad():
        out = model(x_va)
        log.append((F.cross_entropy(out, y_va).item(), (out.argmax(1) == y_va).float().mean().item()))
with torch.no_grad():
    pred = model(x_te).argmax(1).numpy()
print(balanced_accuracy_score(y_te, pred), f1_score(y_te, pred, average="macro"),
      confusion_matrix(y_te, pred).trace())
torch.save(model.state_dict(), "model.pt")
"""


def bench_torch_mlp_run(repeats):
    """End-to-end wall time of TORCH_MLP_RUN in a fresh process (None without torch)."""
    import importlib.util
    import tempfile

    if importlib.util.find_spec("torch") is None:
        return None
    ts = []
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(repeats):
            t0 = time.perf_counter()
            r = subprocess.run(
                [sys.executable, "-c", TORCH_MLP_RUN],
                capture_output=True,
                text=True,
                cwd=tmp,
                check=False,
            )
            dt = time.perf_counter() - t0
            if r.returncode != 0:
                return {"error": f"exit {r.returncode}: {r.stderr.strip().splitlines()[-1:]}"}
            ts.append(dt)
    return {"median_s": statistics.median(ts), "min_s": min(ts), "max_s": max(ts), "runs": len(ts)}


def bench_train_script(repeats):
    script = os.path.join(ROOT, "scripts", "train.py")
    config = os.path.join(ROOT, "configs", "mlp.yaml")
    if not (os.path.exists(script) and os.path.exists(config)):
        return None
    import shutil
    import tempfile

    ts = []
    with tempfile.TemporaryDirectory() as tmp:
        for k in range(repeats + 1):  # the first run fills the numba cache; not counted
            cwd = os.path.join(tmp, f"run{k}")
            os.makedirs(cwd)
            t0 = time.perf_counter()
            r = subprocess.run(
                [sys.executable, script, config],
                capture_output=True,
                text=True,
                cwd=cwd,
                check=False,
            )
            dt = time.perf_counter() - t0
            shutil.rmtree(cwd, ignore_errors=True)
            if r.returncode != 0:
                tail = (r.stderr or r.stdout).strip().splitlines()[-1:]
                return {"error": f"exit {r.returncode}: {tail}"}
            if k:
                ts.append(dt)
    return {"median_s": statistics.median(ts), "min_s": min(ts), "max_s": max(ts), "runs": len(ts)}


def machine_info() -> dict:
    cpu = platform.processor()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    info = {
        "date": datetime.datetime.now().isoformat(timespec="seconds"),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "numpy": np.__version__,
    }
    try:
        load = os.getloadavg()
        info["loadavg"] = [round(x, 2) for x in load]
    except OSError:
        pass
    try:
        import numba

        info["numba"] = numba.__version__
    except ImportError:
        pass
    try:
        sys.path.insert(0, ROOT)
        from nnlite import _blas

        info["blas"] = _blas.describe()
    except ImportError:
        pass
    return info


def profile_step(spec: str, steps: int = 30, top: int = 18) -> str:
    """Where one step's time goes: ``spec`` is ``WORKLOAD/OPT[/IMPL]`` (IMPL default
    ``nnlite-compiled``); the step runs ``steps`` times under cProfile after a warm-up and the
    functions are listed by own time with their fraction of the total. Under load the fractions
    stay indicative where absolute times do not."""
    import cProfile
    import pstats

    parts = spec.split("/")
    if len(parts) not in (2, 3) or parts[0] not in WORKLOADS or parts[1] not in OPTIMIZERS:
        raise SystemExit(f"--profile expects WORKLOAD/OPT[/IMPL], e.g. mid/sgd, got {spec!r}")
    impl = parts[2] if len(parts) == 3 else "nnlite-compiled"
    if impl not in SETUPS:
        raise SystemExit(f"--profile: unknown implementation {impl!r}")
    sys.path.insert(0, ROOT)
    if impl != "torch":
        import nnlite

        nnlite.set_num_threads(_num_threads())
    step, desc = SETUPS[impl](parts[0], parts[1])
    for _ in range(5):
        step()
    prof = cProfile.Profile()
    prof.enable()
    for _ in range(steps):
        step()
    prof.disable()
    st = pstats.Stats(prof)
    total = sum(v[2] for v in st.stats.values())  # own time of every function
    rows = sorted(st.stats.items(), key=lambda kv: -kv[1][2])[:top]
    lines = [(f"# profile of {spec} ({desc}), {steps} steps: {1e3 * total / steps:.2f} ms/step "
              f"under cProfile; own time per function, fraction of the step")]
    for (file, line, name), (cc, nc, tt, ct, _) in rows:
        where = f"{os.path.basename(file)}:{line}" if line else file
        lines.append(f"  {100 * tt / total:5.1f} %  {1e6 * tt / steps:9.1f} us/step  "
                     f"{nc / steps:6.1f} calls/step  {name}  ({where})")
    return "\n".join(lines)


def _versions(descs) -> str:
    """Library versions for the table's caption (torch's from its worker, without importing it
    here)."""
    import importlib.metadata as md

    parts = []
    for name in ("python", "numpy", "numba", "torch", "nnlite"):
        if name == "python":
            v = platform.python_version()
        else:
            try:
                v = md.version(name)
            except md.PackageNotFoundError:
                v = None
            if name == "nnlite":
                sys.path.insert(0, ROOT)
                import nnlite

                v = nnlite.__version__
        if v:
            parts.append(f"{name} {v}")
    return ", ".join(parts)


def markdown(info, results, descs, rounds, blas=None) -> str:
    """The README's Benchmarks table for this run: caption (date, CPU, load, versions, BLAS,
    threads, rounds) and one row per thread count x workload x optimizer with steps/s medians
    (min-max) and the same-run ratios."""
    impls = [i for i in ("torch", "nnlite", "nnlite-compiled", "nnlite-compiled-split", "numpy")
             if any(i in r["impls"] for r in results)]
    names = {"torch": "torch", "nnlite": "nnlite eager", "nnlite-compiled": "nnlite compiled",
             "nnlite-compiled-split": "compiled, split optimizer", "numpy": "numpy"}
    ratios = [r for r in ("nnlite-compiled/torch", "nnlite-compiled/numpy", "nnlite/torch",
                          "nnlite/numpy", "nnlite-compiled-split/torch")
              if any(r in row for row in results)]
    roof = any("roofline" in r for r in results)
    lines = [
        (f"Measured {info['date']} on {info['cpu']} ({info['cores']} cores, load average "
         f"{', '.join(map(str, info.get('loadavg', [])))} at the start); {_versions(descs)}."),
        f"BLAS: {info.get('blas')}" + (f"; nnlite's choices: {blas}" if blas else "") + ".",
        (f"Steps/s, median of {rounds} rounds (min-max), each implementation in its own "
         f"process, alternating; ratios are of the same run's medians; threads = BLAS/torch "
         f"threads of every implementation."),
        "",
    ]
    head = ["threads", "workload", "opt"] + [names[i] for i in impls] + ratios
    if roof:
        head += ["roofline steps/s", "compiled %roof"]
    lines.append("| " + " | ".join(head) + " |")
    lines.append("|" + "---|" * len(head))
    for row in results:
        cells = [str(row.get("threads") or ""), row["workload"], row["optimizer"]]
        for i in impls:
            d = row["impls"].get(i)
            cells.append(f"{d['median']:.4g} ({d['min']:.3g}-{d['max']:.3g})" if d else "-")
        cells += [f"{row[r]:.2f}x" if row.get(r) else "-" for r in ratios]
        if roof:
            r = row.get("roofline")
            d = row["impls"].get("nnlite-compiled")
            cells.append(f"{r['steps_per_s']:.4g}" if r else "-")
            cells.append(f"{100 * d['roof_fraction']:.0f} %" if d and "roof_fraction" in d
                         else "-")
        lines.append("| " + " | ".join(cells) + " |")
    lines.append("")
    lines += [f"- {names.get(k, k)}: {v}" for k, v in descs.items()]
    return "\n".join(lines)


def _blas_summary(choices: dict) -> str | None:
    """'OpenBLAS at the thread count for all 12 shape classes' or the mix, from a worker."""
    if not choices:
        return None
    counts = {}
    for lib, nt in choices.values():
        counts[f"{lib} {nt} thr"] = counts.get(f"{lib} {nt} thr", 0) + 1
    return ", ".join(f"{v} classes {k}" for k, v in sorted(counts.items()))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="fewer rounds, shorter runs")
    ap.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    ap.add_argument("--workloads", default=",".join(WORKLOADS))
    ap.add_argument("--optimizers", default=",".join(OPTIMIZERS))
    ap.add_argument("--impls", default=",".join(IMPLS))
    ap.add_argument("--rounds", type=int, default=None)
    ap.add_argument(
        "--threads",
        default="1,2",
        help="comma-separated BLAS/torch thread counts, every implementation at each, all "
        "interleaved (default 1,2)",
    )
    ap.add_argument("--no-roofline", action="store_true", help="skip the roofline column")
    ap.add_argument(
        "--no-extras", action="store_true", help="skip peak RSS, import time and the train.py run"
    )
    ap.add_argument("--markdown", action="store_true",
                    help="also print the README's Benchmarks table (date, CPU, BLAS, versions, "
                         "threads, paired ratios) for pasting")
    ap.add_argument("--blas-cache", metavar="PATH",
                    help="nnlite's per-shape BLAS choices file (default: a fresh one for this "
                         "run, so the autotune times under this run's conditions)")
    ap.add_argument("--profile", metavar="WORKLOAD/OPT[/IMPL]",
                    help="only profile one implementation's step in this process (e.g. "
                         "mid/sgd: nnlite-compiled) and print each function's share of it")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker:
        worker(args.worker)
        return 0
    if args.profile:
        os.environ.setdefault("BENCH_THREADS", str(args.threads).split(",")[0])
        print(profile_step(args.profile))
        return 0

    thread_counts = [int(t) for t in str(args.threads).split(",") if t]
    workloads = [w for w in args.workloads.split(",") if w]
    optimizers = [o for o in args.optimizers.split(",") if o]
    impls = [i for i in args.impls.split(",") if i]
    for name, seq, allowed in (
        ("workload", workloads, WORKLOADS),
        ("optimizer", optimizers, OPTIMIZERS),
        ("implementation", impls, IMPLS),
    ):
        bad = [s for s in seq if s not in allowed]
        if bad:
            ap.error(f"unknown {name} {bad[0]!r}; expected one of {', '.join(allowed)}")
    if "torch" in impls:
        try:
            import importlib.util

            if importlib.util.find_spec("torch") is None:
                raise ImportError
        except ImportError:
            print("torch is not installed: no PyTorch column", file=sys.stderr)
            impls.remove("torch")
    rounds = args.rounds or (3 if args.quick else 7)
    target_s = 0.1 if args.quick else 0.3

    import tempfile

    tmpdir = tempfile.TemporaryDirectory()
    os.environ["NNLITE_BLAS_CACHE"] = args.blas_cache or os.path.join(tmpdir.name, "blas.json")
    info = machine_info()
    info["threads"] = thread_counts
    print(f"# {info['date']}  {info['cpu']}, {info['cores']} cores, load {info.get('loadavg')}")
    print(
        f"# python {info['python']}, numpy {info['numpy']}, numba {info.get('numba')}, "
        f"threads {thread_counts}; {rounds} rounds of ~{target_s}s per implementation"
    )
    print(f"# BLAS: {info.get('blas')}")
    _print_row.impls = impls
    _print_header(impls)
    blas_choices = {}
    workers = [Worker(i, t) for t in thread_counts for i in impls]
    roofs = {} if args.no_roofline else {t: Worker("numpy", t) for t in thread_counts}
    try:
        results = bench_steps(workers, workloads, optimizers, rounds, target_s, roofs)
        for w in workers:
            if w.impl == "nnlite-compiled":
                r = w.ask("blas")
                blas_choices.update({f"{k} ({w.threads} thr run)": v
                                     for k, v in r.get("choices", {}).items()})
    finally:
        for w in workers + list(roofs.values()):
            w.close()
    _print_thread_ratios(results)
    _print_gemm_threads(results)
    descs = {}
    for row in results:
        for impl, d in row["impls"].items():
            descs.setdefault(impl, d["desc"])
    for impl, d in descs.items():
        print(f"#   {impl}: {d}")
    report = {"machine": info, "steps": results, "blas_choices": blas_choices}
    if blas_choices:
        print(f"# nnlite's BLAS per GEMM shape class: {_blas_summary(blas_choices)}")
    if not args.no_extras:
        rss = bench_rss(impls, optimizers, 10 if args.quick else 30)
        for opt, d in rss.items():
            print(f"peak RSS, mid/{opt} (MiB): " + ", ".join(f"{k} {v:.0f}" for k, v in d.items()))
        imp = bench_imports(3 if args.quick else 5)
        print(
            "import time (s): "
            + ", ".join(f"{k} {v:.3f}" if v is not None else f"{k} -" for k, v in imp.items())
        )
        tr = bench_train_script(1 if args.quick else 3)
        if tr is None:
            print("scripts/train.py configs/mlp.yaml: not available")
        elif "error" in tr:
            print(f"scripts/train.py configs/mlp.yaml: {tr['error']}")
        else:
            print(
                f"scripts/train.py configs/mlp.yaml end to end (s): {tr['median_s']:.2f} "
                f"({tr['min_s']:.2f}-{tr['max_s']:.2f})"
            )
        tt = bench_torch_mlp_run(1 if args.quick else 3)
        if tt is not None:
            if "error" in tt:
                print(f"the same run in PyTorch: {tt['error']}")
            else:
                print(
                    f"the same run in PyTorch, end to end (s): {tt['median_s']:.2f} "
                    f"({tt['min_s']:.2f}-{tt['max_s']:.2f})"
                )
        report.update(
            {"peak_rss_mib_mid": rss, "import_s": imp, "train_script": tr, "train_torch": tt}
        )
    if args.json:
        with open(args.json, "w") as f:
            json.dump(report, f, indent=1)
    if args.markdown:
        print()
        print(markdown(info, results, descs, rounds, _blas_summary(blas_choices)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
