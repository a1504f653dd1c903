"""The run directory's background writer: the per-epoch files land whole, in the order they were
given; a failed background write is raised by the next call and nothing newer lands after it;
``release`` waits for the pending writes."""

import errno
import os
import threading

import pytest

from nnlite.train import rundir as R
from nnlite.train.rundir import RunDir

pytest.importorskip("fcntl")


def _gated_writes(monkeypatch):
    """atomic_write that records the order of writes and waits for ``gate`` before each."""
    order, gate = [], threading.Event()
    real = R.atomic_write

    def write(path, data):
        gate.wait(10)
        order.append(os.path.basename(path))
        return real(path, data)

    monkeypatch.setattr(R, "atomic_write", write)
    return order, gate


def test_writes_land_in_order_and_write_waits_for_pending(tmp_path, monkeypatch):
    order, gate = _gated_writes(monkeypatch)
    d = RunDir(str(tmp_path / "r"))
    try:
        for i in range(3):
            d.write_behind("metrics.jsonl", f"{i}\n")
            d.write_behind("checkpoint.bin", bytes([i]) * 1000)
        assert order == []  # nothing written yet: the writer waits on the gate
        gate.set()
        d.write("summary.json", "{}")  # a plain write comes after everything queued before it
        assert order == ["metrics.jsonl", "checkpoint.bin"] * 3 + ["summary.json"]
        assert (tmp_path / "r" / "metrics.jsonl").read_text() == "2\n"
        assert (tmp_path / "r" / "checkpoint.bin").read_bytes() == bytes([2]) * 1000
    finally:
        d.release()


def test_a_failed_background_write_is_raised_next_and_nothing_newer_lands(tmp_path,
                                                                           monkeypatch):
    d = RunDir(str(tmp_path / "r"))
    real = R.atomic_write
    d.write_behind("checkpoint.bin", b"good")
    d.flush()

    def failing(path, data):
        if data == b"bad":
            raise OSError(errno.ENOSPC, f"cannot write '{path}': {os.strerror(errno.ENOSPC)}")
        return real(path, data)

    monkeypatch.setattr(R, "atomic_write", failing)
    try:
        d.write_behind("checkpoint.bin", b"bad")
        d.write_behind("metrics.jsonl", "newer\n")  # queued behind the failing write: dropped
        with pytest.raises(OSError, match="No space left on device"):
            d.flush()
        assert (tmp_path / "r" / "checkpoint.bin").read_bytes() == b"good"
        assert not (tmp_path / "r" / "metrics.jsonl").exists()
        d.flush()  # raised once; the writer works again
        d.write_behind("metrics.jsonl", "after\n")
        d.flush()
        assert (tmp_path / "r" / "metrics.jsonl").read_text() == "after\n"
    finally:
        d.release()


def test_release_waits_for_pending_writes(tmp_path, monkeypatch):
    order, gate = _gated_writes(monkeypatch)
    d = RunDir(str(tmp_path / "r"))
    d.write_behind("checkpoint.bin", b"x" * 10)
    threading.Timer(0.05, gate.set).start()
    d.release()
    assert order == ["checkpoint.bin"]
    assert (tmp_path / "r" / "checkpoint.bin").read_bytes() == b"x" * 10
