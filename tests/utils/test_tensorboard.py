"""SummaryWriter writes event files that TensorBoard's own reader reads back as PyTorch's."""

import os
import subprocess
import sys

import numpy as np
import pytest

import nnlite

pytest.importorskip("tensorboard")
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator  # noqa: E402


def _log(T, writer_cls, path):
    T.manual_seed(0)
    values = T.randn(1000)
    with writer_cls(path) as w:
        for step in range(5):
            w.add_scalar("loss/train", 1.0 / (step + 1), step)
            w.add_scalar("acc", T.tensor(0.1 * step), global_step=step)
            w.add_scalars("run", {"a": step, "b": 2.0 * step}, step)
        w.add_histogram("weights", values, 3)
        w.add_histogram("few", T.tensor([1.0, 2.0, 2.0, 7.0]), 4, bins=5)
        w.add_histogram("capped", values, 5, max_bins=30)
        w.add_text("notes", "hello **tensorboard**", 1)
        logdir = w.get_logdir()
    return logdir


def _read(path):
    acc = EventAccumulator(path, size_guidance={"tensors": 0, "scalars": 0, "histograms": 0})
    acc.Reload()
    tags = acc.Tags()
    out = {"scalars": {t: [(e.step, e.value) for e in acc.Scalars(t)] for t in tags["scalars"]},
           "hist": {}, "text": {}}
    for t in tags["histograms"]:
        (e,) = acc.Histograms(t)
        h = e.histogram_value
        out["hist"][t] = (e.step, h.min, h.max, h.num, h.sum, h.sum_squares,
                          list(h.bucket_limit), list(h.bucket))
    for t in tags["tensors"]:
        out["text"][t] = [(e.step, e.tensor_proto.string_val[0].decode()) for e in acc.Tensors(t)]
    return out


def test_event_files_read_back_with_the_logged_values(tmp_path):
    from nnlite.utils.tensorboard import SummaryWriter

    logdir = _log(nnlite, SummaryWriter, str(tmp_path / "nn"))
    got = _read(logdir)
    assert got["scalars"]["loss/train"] == [(s, pytest.approx(1.0 / (s + 1))) for s in range(5)]
    assert [v for _, v in got["scalars"]["acc"]] == pytest.approx([0.1 * s for s in range(5)])
    sub = _read(os.path.join(logdir, "run_b"))
    assert sub["scalars"]["run"] == [(s, 2.0 * s) for s in range(5)]
    step, lo, hi, num, total, sq, limits, counts = got["hist"]["few"]
    assert (step, lo, hi, num, total, sq) == (4, 1.0, 7.0, 4, 12.0, 58.0)
    assert sum(counts) == 4 and counts[-1] == 1  # the 7.0 lands in the last non-empty bucket
    assert got["text"]["notes/text_summary"] == [(1, "hello **tensorboard**")]


def test_same_events_as_torchs_summary_writer(tmp_path):
    torch = pytest.importorskip("torch")
    from torch.utils.tensorboard import SummaryWriter as TorchWriter

    from nnlite.utils.tensorboard import SummaryWriter

    a = _read(_log(torch, TorchWriter, str(tmp_path / "t")))
    b = _read(_log(nnlite, SummaryWriter, str(tmp_path / "n")))
    assert a["scalars"] == b["scalars"] and a["text"] == b["text"]
    assert a["hist"].keys() == b["hist"].keys()
    for k in a["hist"]:
        np.testing.assert_allclose(np.array(b["hist"][k][:6]), np.array(a["hist"][k][:6]),
                                   rtol=1e-6)
        assert b["hist"][k][6] == pytest.approx(a["hist"][k][6]) and a["hist"][k][7] == b[
            "hist"][k][7], k


def test_default_logdir_closed_writer_and_bad_scalar(tmp_path, monkeypatch):
    from nnlite.utils.tensorboard import SummaryWriter

    monkeypatch.chdir(tmp_path)
    w = SummaryWriter(comment="_lr0.1")
    assert w.get_logdir().startswith("runs" + os.sep) and w.get_logdir().endswith("_lr0.1")
    with pytest.raises(ValueError, match="scalar should be 0D"):
        w.add_scalar("x", nnlite.ones(3))
    w.close()
    w.close()  # closing twice is fine
    with pytest.raises(RuntimeError, match="closed"):
        w.add_scalar("x", 1.0)
    assert any(f.startswith("events.out.tfevents") for f in os.listdir(w.get_logdir()))


def test_import_error_without_tensorboard_is_torchs():
    code = ("import sys; sys.modules['tensorboard'] = None\n"
            "try:\n    import nnlite.utils.tensorboard\nexcept ImportError as e:\n    print(e)")
    root = os.path.dirname(os.path.dirname(nnlite.__file__))
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                       env={**os.environ, "PYTHONPATH": root})
    assert r.stdout.startswith("TensorBoard logging requires TensorBoard version 1.15 or above")
    assert "nnlite[tensorboard]" in r.stdout
