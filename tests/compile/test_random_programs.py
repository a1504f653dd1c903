"""Random training programs (architectures x losses x optimizers x frozen layers x dtypes), run
eagerly and compiled (as a module and as a whole step): bit-identical losses and final state.

Hunting locally: ``NNLITE_RANDOM_SEEDS=0:500 pytest tests/compile/test_random_programs.py``.
"""

from __future__ import annotations

import os
import random

import numpy as np
import pytest

import nnlite
from nnlite import nn, optim
from nnlite.nn import functional as F
from tests.compile.harness import compare_modes


def _seeds(default):
    spec = os.environ.get("NNLITE_RANDOM_SEEDS")
    if not spec:
        return list(range(default))
    lo, hi = spec.split(":")
    return list(range(int(lo), int(hi)))


def _program(seed):
    r = random.Random(seed)
    n_in, n_cls = r.choice([3, 8, 13]), r.choice([2, 5])
    batch = r.choice([2, 7, 16])
    dtype = r.choice([nnlite.float32, nnlite.float32, nnlite.float64])
    widths = [r.choice([4, 9, 16]) for _ in range(r.randint(0, 3))]
    specs = []
    width = n_in
    for w in widths:
        specs.append(("linear", width, w, r.random() < 0.8))
        if r.random() < 0.6:
            specs.append(("bn", w, r.choice([0.1, 0.3]), r.random() < 0.8))
        specs.append(("act", r.choice(["relu", "relu", "leaky", "gelu", "silu", "tanh"])))
        if r.random() < 0.3:
            specs.append(("dropout", r.choice([0.2, 0.5])))
        width = w
    specs.append(("linear", width, n_cls, r.random() < 0.8))
    frozen = [r.random() < 0.25 for _ in specs[:-1]] + [False]  # something trains
    bn_eval = r.random() < 0.2
    loss = r.choice(["ce", "ce", "ce_ls", "mse"])
    opt = r.choice(["sgd", "sgd_nesterov", "adam", "adamw", "rmsprop"])
    flatten = r.random() < 0.2

    def make_model():
        layers = [nn.Flatten()] if flatten else []
        for spec, fz in zip(specs, frozen):
            kind = spec[0]
            if kind == "linear":
                m = nn.Linear(spec[1], spec[2], bias=spec[3])
            elif kind == "bn":
                m = nn.BatchNorm1d(spec[1], momentum=spec[2], affine=spec[3])
                if bn_eval:
                    m.eval()
            elif kind == "act":
                m = {"relu": nn.ReLU, "leaky": nn.LeakyReLU, "gelu": nn.GELU, "silu": nn.SiLU,
                     "tanh": nn.Tanh}[spec[1]]()
            else:
                m = nn.Dropout(spec[1])
            if fz:
                for p in m.parameters():
                    p.requires_grad_(False)
            layers.append(m)
        model = nn.Sequential(*layers).to(dtype)
        if bn_eval:  # .to() keeps the modes; say it explicitly anyway
            for m in model.modules():
                if isinstance(m, nn.BatchNorm1d):
                    m.eval()
        return model

    def make_opt(params):
        params = [p for p in params if p.requires_grad] or [nn.Parameter(nnlite.zeros(1))]
        if opt == "sgd":
            return optim.SGD(params, lr=0.05, momentum=0.9, weight_decay=1e-3)
        if opt == "sgd_nesterov":
            return optim.SGD(params, lr=0.05, momentum=0.8, nesterov=True)
        if opt == "adam":
            return optim.Adam(params, lr=1e-2)
        if opt == "adamw":
            return optim.AdamW(params, lr=1e-2, weight_decay=0.1)
        return optim.RMSprop(params, lr=1e-2, momentum=0.5)

    def loss_fn(out, y):
        if loss == "ce":
            return F.cross_entropy(out, y)
        if loss == "ce_ls":
            return F.cross_entropy(out, y, label_smoothing=0.1, reduction="sum")
        return F.mse_loss(out, F.one_hot(y, n_cls).to(out.dtype))

    rng = np.random.default_rng(seed)
    npd = np.float32 if dtype == nnlite.float32 else np.float64
    shape = (batch, n_in) if not flatten else (batch, n_in, 1)
    batches = [(nnlite.from_numpy(rng.standard_normal(shape).astype(npd)),
                nnlite.from_numpy(rng.integers(0, n_cls, batch))) for _ in range(2)]
    return make_model, make_opt, loss_fn, batches


@pytest.mark.parametrize("seed", _seeds(24))
def test_random_program_bit_identical(seed):
    make_model, make_opt, loss_fn, batches = _program(seed)
    compare_modes(make_model, make_opt, batches, steps=3, loss_fn=loss_fn)
