"""float32 drift against PyTorch: where nnlite rounds differently from torch's CPU kernels.

Part 1 trains the same small models (same init, same batches) under torch and nnlite for a few
hundred steps, in float32 and in float64, and prints how far the parameters drift apart.
Part 2 runs each op of those models once on the same float32 inputs and prints how many
elements differ from torch's result and by how many ULPs (0 means bit-identical), to locate
the ops whose rounding differs.
Part 3 surveys the float32 transcendentals over ~1.1M values: the fraction of results that
differ from torch's, the largest ULP gap, and the same two numbers for torch and nnlite against
the correctly rounded result (float64 rounded once), which tells which side is off.

Run: python bench/float32_drift.py [--steps 300]
"""

from __future__ import annotations

import argparse
import os
import platform

import numpy as np


def _ulps(a, b):
    a = np.asarray(a, np.float32).ravel()
    b = np.asarray(b, np.float32).ravel()
    ia = a.view(np.int32).astype(np.int64)
    ib = b.view(np.int32).astype(np.int64)
    ia = np.where(ia < 0, -(ia & 0x7FFFFFFF), ia)
    ib = np.where(ib < 0, -(ib & 0x7FFFFFFF), ib)
    d = np.abs(ia - ib)
    return int((d > 0).sum()), int(d.max()) if d.size else 0, a.size


def train(lib, dtype_name, steps, opt_name, loss_name, init, data):
    torch = lib
    dt = getattr(torch, dtype_name)
    model = torch.nn.Sequential(torch.nn.Linear(20, 64), torch.nn.ReLU(), torch.nn.Linear(64, 64),
                                torch.nn.Tanh(), torch.nn.Linear(64, 3)).to(dt)
    with torch.no_grad():
        for p, v in zip(model.parameters(), init):
            p.copy_(torch.tensor(v, dtype=dt))
    if opt_name == "sgd":
        opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=1e-4)
    else:
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    xs, ys = data
    losses = []
    for i in range(steps):
        x = torch.tensor(xs[i % len(xs)], dtype=dt)
        y = torch.tensor(ys[i % len(ys)])
        out = model(x)
        if loss_name == "ce":
            loss = torch.nn.functional.cross_entropy(out, y)
        else:
            loss = torch.nn.functional.mse_loss(out.softmax(-1), torch.nn.functional.one_hot(
                y, 3).to(dt))
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return [p.detach().numpy().astype(np.float64) for p in model.parameters()], losses


def part1(steps):
    import torch

    import nnlite

    rng = np.random.default_rng(0)
    shapes = [(64, 20), (64,), (64, 64), (64,), (3, 64), (3,)]
    init = [rng.normal(scale=0.2, size=s) for s in shapes]
    xs = [rng.normal(size=(32, 20)) for _ in range(16)]
    ys = [rng.integers(0, 3, size=32) for _ in range(16)]
    print(f"Part 1: {steps} steps, MLP 20-64-64-3, batch 32; max |param diff| vs torch")
    for opt_name in ("sgd", "adam"):
        for loss_name in ("ce", "mse"):
            row = []
            for dtype_name in ("float32", "float64"):
                pt, lt = train(torch, dtype_name, steps, opt_name, loss_name, init, (xs, ys))
                pn, ln = train(nnlite, dtype_name, steps, opt_name, loss_name, init, (xs, ys))
                d = max(float(np.abs(a - b).max()) for a, b in zip(pt, pn))
                first = next((i for i, (a, b) in enumerate(zip(lt, ln)) if a != b), None)
                row.append(f"{dtype_name}: {d:.2e} (loss first differs at step {first})")
            print(f"  {opt_name:4s} + {loss_name:3s}  " + "   ".join(row))


def part2():
    import torch

    import nnlite

    rng = np.random.default_rng(1)
    a = rng.normal(size=(64, 128)).astype(np.float32)
    b = rng.normal(size=(128, 96)).astype(np.float32)
    w = rng.normal(size=(96, 128)).astype(np.float32)
    bias = rng.normal(size=(96,)).astype(np.float32)
    y = rng.integers(0, 128, size=64)
    cases = {
        "sum(all)": lambda m, t: t(a).sum(),
        "sum(dim=0)": lambda m, t: t(a).sum(0),
        "sum(dim=1)": lambda m, t: t(a).sum(1),
        "mean(dim=0)": lambda m, t: t(a).mean(0),
        "mean(all)": lambda m, t: t(a).mean(),
        "var(dim=1)": lambda m, t: t(a).var(1),
        "matmul": lambda m, t: t(a) @ t(b),
        "linear": lambda m, t: m.nn.functional.linear(t(a), t(w), t(bias)),
        "softmax(-1)": lambda m, t: t(a).softmax(-1),
        "log_softmax(-1)": lambda m, t: t(a).log_softmax(-1),
        "cross_entropy": lambda m, t: m.nn.functional.cross_entropy(t(a), m.tensor(y)),
        "exp": lambda m, t: t(a).exp(),
        "tanh": lambda m, t: t(a).tanh(),
        "sigmoid": lambda m, t: t(a).sigmoid(),
        "layer_norm": lambda m, t: m.nn.functional.layer_norm(t(a), (128,)),
        "gelu": lambda m, t: m.nn.functional.gelu(t(a)),
        "batch_norm(train)": lambda m, t: m.nn.functional.batch_norm(
            t(a), None, None, training=True),
        "sum(dim=(0,1)) 3-d": lambda m, t: t(a.reshape(8, 8, 128)).sum((0, 1)),
        "sum(dim=(0,2)) 3-d": lambda m, t: t(a.reshape(8, 8, 128)).sum((0, 2)),
    }

    print("Part 2: one float32 op on the same inputs: elements differing from torch, max ULPs")
    for name, fn in cases.items():
        r_t = fn(torch, lambda v: torch.tensor(v))
        r_n = fn(nnlite, lambda v: nnlite.tensor(v))
        n, mx, size = _ulps(r_t.detach().numpy(), r_n.detach().numpy())
        print(f"  {name:16s} {n:6d} / {size:6d} differ, max {mx} ulp")
    # gradients of the common training ops
    for name, make in {
        "cross_entropy grad": lambda m, x: m.nn.functional.cross_entropy(x, m.tensor(y)),
        "linear grad": lambda m, x: m.nn.functional.linear(x, m.tensor(w), m.tensor(bias)).sum(),
        "mse grad": lambda m, x: m.nn.functional.mse_loss(x, m.zeros_like(x)),
        "gelu grad": lambda m, x: (m.nn.functional.gelu(x) * m.tensor(b[:64, :1] * a[:1])).sum(),
        "layer_norm grad": lambda m, x: (m.nn.functional.layer_norm(x, (128,))
                                         * m.tensor(b[:64, :1] * a[:1])).sum(),
    }.items():
        res = []
        for m in (torch, nnlite):
            x = m.tensor(a, requires_grad=True)
            make(m, x).backward()
            res.append(x.grad.numpy())
        n, mx, size = _ulps(*res)
        print(f"  {name:16s} {n:6d} / {size:6d} differ, max {mx} ulp")
    # the bias gradient of a linear layer: a dim-0 sum of the incoming gradient
    res = []
    for m in (torch, nnlite):
        bias = m.zeros(96, requires_grad=True)
        (m.nn.functional.linear(m.tensor(a), m.tensor(w), bias) * m.tensor(b[:64, :96])
         ).sum().backward()
        res.append(bias.grad.numpy())
    n, mx, size = _ulps(*res)
    print(f"  {'linear bias grad':16s} {n:6d} / {size:6d} differ, max {mx} ulp")
    # optimizer updates, one step from the same state
    for opt in ("SGD", "Adam", "AdamW"):
        res = []
        for m in (torch, nnlite):
            p = m.nn.Parameter(m.tensor(a))
            p.grad = m.tensor(a[::-1].copy())
            kw = {"lr": 0.01, "momentum": 0.9} if opt == "SGD" else {"lr": 1e-3}
            o = getattr(m.optim, opt)([p], **kw)
            for _ in range(3):
                o.step()
            res.append(p.detach().numpy().copy())
        n, mx, size = _ulps(*res)
        print(f"  {opt + ' x3 steps':16s} {n:6d} / {size:6d} differ, max {mx} ulp")


def part3():
    import torch

    import nnlite

    rng = np.random.default_rng(0)
    x = np.concatenate([rng.uniform(-10, 10, 500_000), rng.normal(size=500_000),
                        rng.uniform(-90, 90, 100_000)]).astype(np.float32)
    xp = np.abs(x) + np.float32(1e-3)
    rows = {"exp": (x, np.exp), "tanh": (x, np.tanh), "log": (xp, np.log),
            "log1p": (xp, np.log1p), "expm1": (x, np.expm1), "sqrt": (xp, np.sqrt),
            "sin": (x, np.sin), "cos": (x, np.cos), "sigmoid": (x, lambda v: 1 / (1 + np.exp(-v)))}
    print("Part 3: float32 transcendentals over 1.1M values: fraction differing, max ULPs")
    print(f"  {'op':8s} {'nnlite vs torch':>18s} {'torch vs exact':>18s} {'nnlite vs exact':>18s}")
    with np.errstate(all="ignore"):
        for name, (arr, ref_fn) in rows.items():
            t = getattr(torch, name)(torch.tensor(arr)).numpy()
            n = getattr(nnlite, name)(nnlite.tensor(arr)).numpy()
            exact = ref_fn(arr.astype(np.float64)).astype(np.float32)
            cells = []
            for a, b in ((n, t), (t, exact), (n, exact)):
                k, mx, size = _ulps(a, b)
                cells.append(f"{k / size:8.4f} {mx:4d} ulp")
            print(f"  {name:8s} " + "  ".join(f"{c:>18s}" for c in cells))
    a = x[:1_000_000].reshape(1000, 1000)
    for name in ("softmax", "log_softmax"):
        k, mx, size = _ulps(getattr(torch.tensor(a), name)(-1).numpy(),
                            getattr(nnlite.tensor(a), name)(-1).numpy())
        print(f"  {name:8s} {k / size:8.4f} {mx:4d} ulp (nnlite vs torch, rows of 1000)")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=300)
    args = ap.parse_args()
    print(f"CPU: {platform.processor() or platform.machine()}, load: {os.getloadavg()[0]:.1f}")
    part3()
    part2()
    part1(args.steps)


if __name__ == "__main__":
    main()
