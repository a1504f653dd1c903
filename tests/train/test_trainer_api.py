"""The Python ``Trainer`` API as Keras/skorch users expect it: arrays and tensors in, the right
output shapes, the task from the targets' dtype, best weights restored, monitors checked at fit
start, the loader's random state restored on resume; progress bars (tqdm output captured)."""

import io
import re

import numpy as np
import pytest

import nnlite
from nnlite import nn
from nnlite.nn import functional as F
from nnlite.train import BestModel, EarlyStopping, LambdaCallback, Trainer


def _data(n=120, seed=0, classes=3):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 4)).astype(np.float32)
    y = (np.argmax(x[:, :classes], axis=1)).astype(np.int64)
    return x, y


def _trainer(callbacks=(), **kw):
    nnlite.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 3))
    opt = nnlite.optim.SGD(model.parameters(), lr=0.1)
    return Trainer(model, opt, F.cross_entropy, callbacks=callbacks, **kw)


def test_function_loss_with_integer_targets_is_classification():
    x, y = _data()
    t = _trainer()
    hist = t.fit(x, y, epochs=2, validation_split=0.25, batch_size=16)
    assert t.task == "classification"
    assert len(hist) == 2 and {"train_accuracy", "val_accuracy", "val_loss"} <= set(hist[1])
    assert len(t.train_loader.dataset) == 90 and len(t.val_loader.dataset) == 30
    # float targets mean regression, whatever the loss is called
    nnlite.manual_seed(0)
    model = nn.Linear(4, 1)
    r = Trainer(model, nnlite.optim.SGD(model.parameters(), lr=0.01), F.mse_loss)
    r.fit(x, x[:, :1] * 2.0, epochs=1)
    assert r.task == "regression" and "val_r2" not in r.history[0]
    with pytest.raises(ValueError, match="task must be"):
        _trainer(task="clasification")


def test_predict_shapes_and_types():
    x, y = _data()
    t = _trainer()
    t.fit(nnlite.tensor(x), nnlite.tensor(y), epochs=1)
    out = t.predict(nnlite.tensor(x[:5]))
    assert isinstance(out, nnlite.Tensor) and tuple(out.shape) == (5, 3)
    arr = t.predict(x[:5])
    assert isinstance(arr, np.ndarray) and arr.shape == (5, 3)
    np.testing.assert_allclose(arr, out.numpy())
    # the same as the model in eval mode, no grad
    t.model.eval()
    with nnlite.no_grad():
        np.testing.assert_allclose(arr, t.model(nnlite.tensor(x[:5])).numpy(), rtol=1e-6)
    p = t.predict_proba(x[:5])
    assert p.shape == (5, 3)
    e = np.exp(arr.astype(np.float64) - arr.max(1, keepdims=True))
    np.testing.assert_allclose(p, e / e.sum(1, keepdims=True), rtol=1e-6)
    res = t.evaluate(x, y)
    assert 0 <= res["accuracy"] <= 1
    assert res["accuracy"] == pytest.approx(float(np.mean(t.predict(x).argmax(1) == y)))


def test_early_stopping_without_validation_fails_at_fit_start():
    x, y = _data()
    t = _trainer(callbacks=[EarlyStopping("val_loss", patience=2)])
    before = {k: v.numpy().copy() for k, v in t.model.state_dict().items()}
    with pytest.raises(ValueError, match="no validation data"):
        t.fit(x, y, epochs=3)
    assert t.history == []
    for k, v in t.model.state_dict().items():
        np.testing.assert_array_equal(v.numpy(), before[k])
    with pytest.raises(ValueError, match="did you mean 'val_accuracy'"):
        _trainer(callbacks=[BestModel("val_acuracy")]).fit(x, y, validation_split=0.2)


@pytest.mark.parametrize("make", [lambda: BestModel("val_loss"),
                                  lambda: EarlyStopping("val_loss", patience=100,
                                                        restore_best_weights=True)])
def test_best_weights_are_restored(make):
    x, _ = _data(seed=1)
    y = np.random.default_rng(1).integers(0, 3, len(x))  # noise: the model overfits
    snaps = {}
    keep = LambdaCallback(on_epoch_end=lambda t, e, logs: snaps.__setitem__(
        e, {k: v.numpy().copy() for k, v in t.model.state_dict().items()}))
    cb = make()
    t = _trainer(callbacks=[cb, keep])
    t.optimizer.param_groups[0]["lr"] = 0.5
    hist = t.fit(x, y, epochs=8, validation_split=0.3, batch_size=8)
    best = min(hist, key=lambda h: h["val_loss"])["epoch"]
    assert best != len(hist), "the test needs a best epoch before the last one"
    for k, v in t.model.state_dict().items():
        np.testing.assert_array_equal(v.numpy(), snaps[best][k])


def test_resume_restores_the_loader_order_without_being_asked():
    x, y = _data()
    full = _trainer()
    full.fit(x, y, epochs=4, batch_size=16)
    part = _trainer()
    part.fit(x, y, epochs=2, batch_size=16)
    state = part.state_dict()
    nnlite.manual_seed(123)  # a different seed: only the checkpoint can give the same order
    resumed = _trainer()
    nnlite.manual_seed(123)
    resumed.load_state_dict(state)
    resumed.fit(x, y, epochs=4, batch_size=16)
    strip = [{k: v for k, v in h.items() if k != "time_s"} for h in resumed.history]
    assert strip == [{k: v for k, v in h.items() if k != "time_s"} for h in full.history]


# ---- progress bars ------------------------------------------------------------------------------
def test_bars_close_inner_first_refresh_every_epoch_and_fit_80_columns(monkeypatch):
    import tqdm.auto
    import tqdm.std

    monkeypatch.setattr(tqdm.std, "_screen_shape_wrapper", lambda: (lambda fp: (79, 23)))
    closed = []  # (unit, n) in the order the bars were closed

    class Recording(tqdm.std.tqdm):
        def close(self):
            if not self.disable and not getattr(self, "_recorded", False):
                self._recorded = True
                closed.append((self.unit, self.n))
            return super().close()

    monkeypatch.setattr(tqdm.auto, "tqdm", Recording)
    x, y = _data(n=60)
    buf = io.StringIO()
    t = _trainer(progress=buf)
    t.fit(x, y, epochs=3, validation_split=0.2, batch_size=16)
    assert closed == [("batch", 3), ("epoch", 3)]  # inner first, both complete
    text = re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", buf.getvalue())
    frames = [f for f in re.split(r"[\r\n]", text) if f.strip()]
    assert frames and max(len(f) for f in frames) <= 80, max(frames, key=len)
    # the batch bar was drawn full (3/3) in every epoch although epochs are shorter than
    # tqdm's refresh interval, and the epoch bar's last frame shows the last epoch's postfix
    for epoch in (1, 2, 3):
        assert any(f.startswith(f"epoch {epoch}:  3/3") for f in frames), epoch
    last = [f for f in frames if f.startswith("epochs 3/3")][-1]
    h = t.history[-1]
    assert f"loss {h['train_loss']:.4g}" in last and f"acc {h['val_accuracy']:.3f}" in last
