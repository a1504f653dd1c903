"""The trainer's ``compile`` (``trainer.compile: true`` in configs) changes no number."""

from __future__ import annotations

import numpy as np

import nnlite
from nnlite import nn, optim
from nnlite.train.trainer import Trainer
from tests.compile.harness import assert_same


def _fit(compile_):
    nnlite.manual_seed(0)
    model = nn.MLP(10, (16, 8), 3, norm="batchnorm", dropout=0.2)
    opt = optim.AdamW(model.parameters(), lr=1e-2)
    t = Trainer(model, opt, nn.CrossEntropyLoss(), compile=compile_)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((70, 10)).astype(np.float32)  # 70 rows: a short last batch
    y = rng.integers(0, 3, 70)
    t.fit(nnlite.from_numpy(x), nnlite.from_numpy(y), epochs=3, batch_size=16,
          validation_split=0.2)
    return t


def test_trainer_compile_is_bit_identical():
    a, b = _fit(False), _fit(True)
    assert [sorted(h) for h in a.history] == [sorted(h) for h in b.history]
    for ha, hb in zip(a.history, b.history):
        for k in ha:
            if "time" not in k:
                assert ha[k] == hb[k] or (ha[k] != ha[k] and hb[k] != hb[k]), k
    for (n, p), (_, q) in zip(a.model.state_dict().items(), b.model.state_dict().items()):
        assert_same(p.numpy(), q.numpy(), n)
    st = b._net.compile_stats
    assert st.replays > st.records > 0, st
    assert list(b.model.state_dict()) == list(a.model.state_dict())  # no _orig_mod. prefix
