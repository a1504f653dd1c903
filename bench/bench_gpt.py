"""A small GPT training loop (nanoGPT-style: causal self-attention with masked_fill + softmax,
pre-norm blocks, GELU MLP, tied-free LM head, AdamW with decay groups, grad clipping), timed
under nnlite-as-torch and under PyTorch in the same run.

    python bench/bench_gpt.py [--steps 20] [--rounds 3] [--threads 1] [--profile] [--ops]

Both frameworks run the identical script body (``torch`` is the module handed in). Reported:
median seconds per step of each round's steps after two warm-up steps, the nnlite/torch ratio
of the medians, CPU model, threads and load. ``--profile`` instead runs nnlite's steps under
cProfile and prints the top functions by cumulative and by own time. ``--ops`` times the GPT's
per-op pieces at its shapes (GELU forward/backward, layer norm, masked_fill + softmax, batched
matmul, a last-dim sum), nnlite and torch interleaved in one process, medians and ratios.

No plain-numpy column: a numpy GPT needs a hand-written backward for every layer, which is
a different program, not a baseline for the same one.
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import statistics
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

CONFIG = {"vocab": 65, "block": 64, "n_embd": 128, "n_head": 4, "n_layer": 4, "batch": 16}


def build(torch, cfg=CONFIG):
    nn, F = torch.nn, torch.nn.functional
    n_embd, n_head, block = cfg["n_embd"], cfg["n_head"], cfg["block"]

    class CausalSelfAttention(nn.Module):
        def __init__(self):
            super().__init__()
            self.c_attn = nn.Linear(n_embd, 3 * n_embd)
            self.c_proj = nn.Linear(n_embd, n_embd)
            self.register_buffer("bias", torch.tril(torch.ones(block, block))
                                 .view(1, 1, block, block))

        def forward(self, x):
            B, T, C = x.size()
            q, k, v = self.c_attn(x).split(n_embd, dim=2)
            k = k.view(B, T, n_head, C // n_head).transpose(1, 2)
            q = q.view(B, T, n_head, C // n_head).transpose(1, 2)
            v = v.view(B, T, n_head, C // n_head).transpose(1, 2)
            att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(k.size(-1)))
            att = att.masked_fill(self.bias[:, :, :T, :T] == 0, float("-inf"))
            att = F.softmax(att, dim=-1)
            y = (att @ v).transpose(1, 2).contiguous().view(B, T, C)
            return self.c_proj(y)

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.ln_1 = nn.LayerNorm(n_embd)
            self.attn = CausalSelfAttention()
            self.ln_2 = nn.LayerNorm(n_embd)
            self.mlp = nn.Sequential(nn.Linear(n_embd, 4 * n_embd), nn.GELU(),
                                     nn.Linear(4 * n_embd, n_embd))

        def forward(self, x):
            x = x + self.attn(self.ln_1(x))
            return x + self.mlp(self.ln_2(x))

    class GPT(nn.Module):
        def __init__(self):
            super().__init__()
            self.wte = nn.Embedding(cfg["vocab"], n_embd)
            self.wpe = nn.Embedding(block, n_embd)
            self.h = nn.ModuleList([Block() for _ in range(cfg["n_layer"])])
            self.ln_f = nn.LayerNorm(n_embd)
            self.lm_head = nn.Linear(n_embd, cfg["vocab"], bias=False)

        def forward(self, idx, targets):
            t = idx.size(1)
            x = self.wte(idx) + self.wpe(torch.arange(t))
            for blk in self.h:
                x = blk(x)
            logits = self.lm_head(self.ln_f(x))
            return F.cross_entropy(logits.view(-1, logits.size(-1)), targets.view(-1))

    torch.manual_seed(0)
    model = GPT()
    decay = [p for p in model.parameters() if p.dim() >= 2]
    other = [p for p in model.parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1},
                             {"params": other, "weight_decay": 0.0}], lr=1e-3,
                            betas=(0.9, 0.95))
    data = torch.randint(0, cfg["vocab"], (20000,))

    def step():
        ix = torch.randint(len(data) - block, (cfg["batch"],))
        x = torch.stack([data[i:i + block] for i in ix])
        y = torch.stack([data[i + 1:i + 1 + block] for i in ix])
        loss = model(x, y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        return loss.item()

    return step


def time_steps(torch, steps: int) -> tuple[float, float]:
    step = build(torch)
    step()
    step()  # warm-up: numba compiles, allocator settles
    times = []
    loss = 0.0
    for _ in range(steps):
        t0 = time.perf_counter()
        loss = step()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), loss


def time_ops(nnlite, torch, reps: int = 50) -> None:
    """Per-op medians (us) at the GPT's shapes, nnlite and torch interleaved rep by rep."""
    import numpy as np

    b, t, c, h = CONFIG["batch"], CONFIG["block"], CONFIG["n_embd"], CONFIG["n_head"]
    rng = np.random.default_rng(0)
    x4 = rng.standard_normal((b, t, 4 * c)).astype(np.float32)
    xc = rng.standard_normal((b, t, c)).astype(np.float32)
    att = rng.standard_normal((b, h, t, t)).astype(np.float32)
    q = rng.standard_normal((b, h, t, c // h)).astype(np.float32)
    mask = np.tril(np.ones((t, t), np.float32)) == 0
    cases = {}
    for name, lib in (("nnlite", nnlite), ("torch", torch)):
        if lib is None:
            continue
        F = lib.nn.functional
        g4 = lib.tensor(x4, requires_grad=True)
        y4 = F.gelu(g4)
        d4 = lib.tensor(x4)
        tc, ta, tq, tm = lib.tensor(xc), lib.tensor(att), lib.tensor(q), lib.tensor(mask)
        rows = lib.tensor(x4.reshape(-1)[: 1024 * 40].reshape(1024, 40))
        cases.setdefault("gelu fwd", {})[name] = lambda F=F, v=d4: F.gelu(v)
        cases.setdefault("gelu fwd+bwd", {})[name] = (
            lambda F=F, g4=g4, d4=d4: F.gelu(g4).backward(d4))
        cases.setdefault("layer_norm", {})[name] = lambda F=F, v=tc: F.layer_norm(v, (c,))
        cases.setdefault("masked_fill+softmax", {})[name] = (
            lambda F=F, a=ta, m=tm: F.softmax(a.masked_fill(m, float("-inf")), dim=-1))
        cases.setdefault("q @ k^T", {})[name] = lambda a=tq: a @ a.transpose(-2, -1)
        cases.setdefault("sum(-1) 1024x40", {})[name] = lambda v=rows: v.sum(-1)
        del y4
    print(f"{'op':>22} {'nnlite us':>10} {'torch us':>9} {'ratio':>6}")
    for op, fns in cases.items():
        times = {k: [] for k in fns}
        for f in fns.values():
            f()
        for _ in range(reps):
            for k, ts in times.items():
                f = fns[k]
                t0 = time.perf_counter()
                f()
                ts.append(time.perf_counter() - t0)
        med = {k: statistics.median(v) * 1e6 for k, v in times.items()}
        tor = med.get("torch", float("nan"))
        print(f"{op:>22} {med['nnlite']:10.1f} {tor:9.1f} {med['nnlite'] / tor:6.2f}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--profile", action="store_true")
    ap.add_argument("--ops", action="store_true", help="per-op medians at the GPT's shapes")
    args = ap.parse_args()
    import nnlite

    nnlite.set_num_threads(args.threads)
    if args.profile:
        import cProfile
        import pstats

        step = build(nnlite)
        step()
        step()
        pr = cProfile.Profile()
        pr.enable()
        for _ in range(args.steps):
            step()
        pr.disable()
        st = pstats.Stats(pr)
        st.sort_stats("cumulative").print_stats(30)
        st.sort_stats("tottime").print_stats(30)
        return
    try:
        import torch
    except ImportError:
        torch = None
    if torch is not None:
        torch.set_num_threads(args.threads)
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as fh:
            cpu = next(ln.split(":", 1)[1].strip() for ln in fh if ln.startswith("model name"))
    except (OSError, StopIteration):
        pass
    print(f"cpu: {cpu}; cores {os.cpu_count()}; threads {args.threads}; "
          f"load {os.getloadavg()[0]:.2f}; config {CONFIG}")
    if args.ops:
        time_ops(nnlite, torch)
        return
    for r in range(args.rounds):
        n, n_loss = time_steps(nnlite, args.steps)
        line = f"round {r}: nnlite {n * 1e3:8.1f} ms/step (loss {n_loss:.4f})"
        if torch is not None:
            t, t_loss = time_steps(torch, args.steps)
            line += f"   torch {t * 1e3:8.1f} ms/step (loss {t_loss:.4f})   nnlite/torch {n / t:.2f}"
        print(line, flush=True)
    print(f"load after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
