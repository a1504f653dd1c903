"""A tiny model (two layers, tanh) built the same way in nnlite and in torch, for optimizer tests."""

from __future__ import annotations

import numpy as np

import nnlite

SHAPES = {"w1": (4, 3), "b1": (3,), "w2": (3, 2)}


def init_arrays(dtype=np.float64, seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    arrs = {k: (rng.standard_normal(s) * 0.5).astype(dtype) for k, s in SHAPES.items()}
    arrs["x"] = rng.standard_normal((8, 4)).astype(dtype)
    arrs["y"] = rng.standard_normal((8, 2)).astype(dtype)
    return arrs


def make_params(lib, arrs, frozen=()):
    """Parameters (leaf tensors) of lib (nnlite or torch) from the arrays; names in ``frozen``
    get requires_grad=False."""
    return {k: lib.tensor(arrs[k].copy(), requires_grad=k not in frozen) for k in SHAPES}


def loss_of(lib, params, arrs):
    x, y = lib.tensor(arrs["x"]), lib.tensor(arrs["y"])
    h = (x @ params["w1"] + params["b1"]).tanh()
    return ((h @ params["w2"] - y) ** 2).mean()


def train(lib, opt, params, arrs, steps: int, sched=None, grad_none=(), maximize=False):
    """``steps`` optimizer steps on the tiny model; parameters in ``grad_none`` get grad None.

    With ``maximize`` the objective is the negated loss, so that training still converges.
    """
    for _ in range(steps):
        opt.zero_grad()
        loss = loss_of(lib, params, arrs)
        (-loss if maximize else loss).backward()
        for k in grad_none:
            params[k].grad = None
        opt.step()
        if sched is not None:
            sched.step()
    return params


def numpy_of(t) -> np.ndarray:
    if isinstance(t, nnlite.Tensor):
        return np.array(t._data)
    return t.detach().numpy().copy()
