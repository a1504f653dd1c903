"""Run the same training program eagerly and compiled, and compare everything bit for bit."""

from __future__ import annotations

import numpy as np

import nnlite
from nnlite.nn import functional as F


def snapshot(model, opt):
    """Every number a training step leaves behind: parameters, grads, buffers, optimizer state."""
    out = {}
    for name, p in model.named_parameters():
        out["param." + name] = p.detach().numpy().copy()
        out["grad." + name] = None if p.grad is None else p.grad.numpy().copy()
    for name, b in model.named_buffers():
        out["buffer." + name] = b.numpy().copy()
    if opt is not None:
        sd = opt.state_dict()
        for k, st in sd["state"].items():
            for n, v in st.items():
                out[f"state.{k}.{n}"] = np.array(v.numpy() if hasattr(v, "numpy") else v)
    return out


def assert_same(a, b, what=""):
    """``a`` and ``b`` (snapshots, or lists of floats) are identical, bit for bit."""
    if isinstance(a, dict):
        assert a.keys() == b.keys(), f"{what}: keys {sorted(a.keys() ^ b.keys())}"
        for k in a:
            assert_same(a[k], b[k], f"{what} {k}")
        return
    if a is None or b is None:
        assert a is None and b is None, f"{what}: one is None"
        return
    x, y = np.asarray(a), np.asarray(b)
    assert x.dtype == y.dtype and x.shape == y.shape, f"{what}: {x.dtype}{x.shape} {y.dtype}{y.shape}"
    # bitwise, NaN-safe: compare the raw bytes
    assert x.tobytes() == y.tobytes(), f"{what}: max diff {np.nanmax(np.abs(x - y))}"


def train(make_model, make_opt, batches, steps, mode, loss_fn=None, seed=0):
    """Train ``steps`` steps; ``mode`` is "eager", "module" (``compile(model)``) or "function"
    (``compile`` on the whole step). Returns (losses, snapshot, model)."""
    nnlite.manual_seed(seed)
    model = make_model()
    opt = make_opt(model.parameters())
    loss_fn = loss_fn or F.cross_entropy
    net = nnlite.compile(model) if mode == "module" else model

    def step(x, y):
        opt.zero_grad()
        loss = loss_fn(net(x), y)
        loss.backward()
        opt.step()
        return loss

    if mode == "function":
        step = nnlite.compile(step)
    nnlite.manual_seed(seed + 1)  # dropout masks: same draws in every mode
    losses = []
    for i in range(steps):
        x, y = batches[i % len(batches)]
        losses.append(step(x, y).item())
    return losses, snapshot(model, opt), net


def compare_modes(make_model, make_opt, batches, steps=4, loss_fn=None, modes=("module",
                                                                                "function")):
    """Eager vs each compiled mode: identical losses and final state. Returns the compiled
    nets (to inspect their stats)."""
    ref_losses, ref_state, _ = train(make_model, make_opt, batches, steps, "eager", loss_fn)
    nets = {}
    for mode in modes:
        losses, state, net = train(make_model, make_opt, batches, steps, mode, loss_fn)
        assert_same(ref_losses, losses, f"{mode} losses")
        assert_same(ref_state, state, mode)
        nets[mode] = net
    return nets


def batches_for(n_in, n_cls, batch, count=3, seed=0, dtype=np.float32):
    rng = np.random.default_rng(seed)
    return [
        (nnlite.from_numpy(rng.standard_normal((batch, n_in)).astype(dtype)),
         nnlite.from_numpy(rng.integers(0, n_cls, batch)))
        for _ in range(count)
    ]
