"""A fused optimizer's run split over threads (``nnlite.optim.flat.run_split``) gives the same
bits as one call: the kernels are element-wise, so pieces cannot change any result."""

from __future__ import annotations

import numpy as np
import pytest

import nnlite
from nnlite import _threads, nn, optim
from nnlite.nn import functional as F
from nnlite.optim import flat


def _train(make_opt, split_min, threads, steps=3):
    nnlite.manual_seed(0)
    model = nn.MLP(20, (40, 30), 5, norm="batchnorm", activation="relu")
    opt = make_opt(model.parameters())
    net = nnlite.compile(model)  # a captured backward writes the gradients into their slots
    rng = np.random.default_rng(1)
    x = nnlite.from_numpy(rng.standard_normal((16, 20), dtype=np.float32))
    y = nnlite.from_numpy(rng.integers(0, 5, 16))
    old = (flat.SPLIT_MIN, flat._split_env, _threads._threads)
    flat.SPLIT_MIN, flat._split_env, _threads._threads = split_min, "", threads
    try:
        for _ in range(steps):
            opt.zero_grad()
            F.cross_entropy(net(x), y).backward()
            opt.step()
    finally:
        flat.SPLIT_MIN, flat._split_env, _threads._threads = old
    return [p.detach().numpy().copy() for p in model.parameters()]


OPTS = {
    "sgd": lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9, fused=True),
    "sgd-nesterov-wd": lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9, nesterov=True,
                                            weight_decay=1e-2, foreach=True),
    "adam": lambda ps: optim.Adam(ps, lr=1e-2, fused=True),
    "adamw-amsgrad": lambda ps: optim.AdamW(ps, lr=1e-2, amsgrad=True, fused=True),
}


@pytest.mark.parametrize("name", sorted(OPTS))
def test_split_runs_are_bit_identical(name, monkeypatch):
    monkeypatch.setattr(flat, "_pool", None)
    ref = _train(OPTS[name], 0, 1)
    assert flat._pool is None
    got = _train(OPTS[name], 64, 3)  # 64 elements: every run of this model is split
    assert flat._pool is not None  # this time the pool really ran pieces
    for a, b in zip(ref, got):
        assert a.tobytes() == b.tobytes()


def test_run_split_covers_every_element_once(monkeypatch):
    seen = []

    def fn(x, y, z, scale):
        assert z is None
        seen.append((x.base is not None, x.shape[0]))
        x += scale * y

    monkeypatch.setattr(flat, "SPLIT_MIN", 100)
    monkeypatch.setattr(flat, "_split_env", "")
    monkeypatch.setattr(_threads, "_threads", 4)
    x = np.zeros(1003, np.float32)
    y = np.arange(1003, dtype=np.float32)
    flat.run_split(fn, 3, 1001, (x, y, None), scale=2.0)
    assert len(seen) == 4 and sum(n for _, n in seen) == 998
    want = np.zeros(1003, np.float32)
    want[3:1001] = 2.0 * y[3:1001]
    assert x.tobytes() == want.tobytes()
    with pytest.raises(AssertionError):  # the check above can fail
        assert x.tobytes() == np.zeros_like(x).tobytes()


def test_bad_env_value_is_a_clear_error(monkeypatch):
    monkeypatch.setattr(flat, "_split_env", None)
    monkeypatch.setattr(flat, "SPLIT_MIN", 0)
    monkeypatch.setenv("NNLITE_OPTIM_SPLIT", "lots")
    with pytest.raises(ValueError, match="NNLITE_OPTIM_SPLIT must be a number of elements"):
        flat._split_min()
