"""Run directories: one writer at a time (flock + pid), stale locks taken over, temporary files
of interrupted writes removed, failed writes (disk full, permission) reported in one line with
the last good checkpoint intact."""

import errno
import os
import subprocess
import sys
import tempfile

import pytest

import nnlite
from nnlite.train.cli import main
from nnlite.train.rundir import LOCK, RunDir, RunLocked

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BASE = "data: {name: iris, batch_size: 16}\nmodel: {hidden: [8]}\ntrainer: {epochs: 2}\n" \
       "threads: 1\n"

fcntl = pytest.importorskip("fcntl")


@pytest.fixture(autouse=True)
def _in_root(monkeypatch):
    monkeypatch.chdir(ROOT)


def _cli(capsys, *args):
    rc = main([*map(str, args), "--quiet"])
    err = capsys.readouterr().err
    assert "Traceback" not in err, err
    lines = err.strip().splitlines()
    return rc, (lines[-1] if lines else "")


def _train(tmp_path, *extra):
    cfg = tmp_path / "c.yaml"
    cfg.write_text(BASE)
    out = tmp_path / "r"
    assert main([str(cfg), "--quiet", "--output-dir", str(out), *extra]) == 0
    return cfg, out


HOLDER = """
import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT)
fcntl.flock(fd, fcntl.LOCK_EX)
os.ftruncate(fd, 0)
os.write(fd, str(os.getpid()).encode())
print("locked", flush=True)
time.sleep(60)
"""


def test_a_second_writer_is_refused_naming_the_holder(tmp_path, capsys):
    cfg, out = _train(tmp_path)
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(out / LOCK)],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        rc, line = _cli(capsys, "--resume", out)
        assert rc == 2 and f"in use by pid {holder.pid}" in line, line
        rc, line = _cli(capsys, cfg, "--output-dir", out)
        assert rc == 2 and f"pid {holder.pid}" in line
    finally:
        holder.kill()
        holder.wait(timeout=30)
    # the holder is gone (as after kill -9): its lock is stale and is taken over
    assert main(["--resume", str(out), "--quiet", "--epochs", "3"]) == 0
    rows = (out / "metrics.jsonl").read_text().splitlines()
    assert len(rows) == 3  # one line per epoch, none doubled


def test_stale_lock_of_a_dead_pid_is_taken_over_and_said(tmp_path):
    out = tmp_path / "d"
    out.mkdir()
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, timeout=60, check=False)
    (out / LOCK).write_text(dead.stdout)
    rd = RunDir(str(out))
    try:
        assert any(f"pid {dead.stdout.strip()}" in n for n in rd.notes)
        assert (out / LOCK).read_text().strip() == str(os.getpid())
        with pytest.raises(RunLocked, match=f"pid {os.getpid()}"):
            RunDir(str(out))  # another open of the lock (flock is per open file)
    finally:
        rd.release()
    RunDir(str(out)).release()  # released: free again


def test_stale_temporary_files_are_removed_on_the_next_start(tmp_path, capsys):
    _cfg, out = _train(tmp_path)
    for name in (".tmp-abc-checkpoint.safetensors", ".tmp-x-metrics.jsonl"):
        (out / name).write_bytes(b"partial")
    assert main(["--resume", str(out), "--epochs", "3"]) == 0
    assert "removed 2 temporary file(s)" in capsys.readouterr().out
    assert not [n for n in os.listdir(out) if n.startswith(".tmp-")]


def _fail_writes_after(monkeypatch, n_ok, err):
    """Make the (n_ok+1)-th and later atomic writes fail with ``err`` (as a full disk would)."""
    real = tempfile.mkstemp
    count = {"n": 0}

    def mkstemp(*a, **k):
        if k.get("prefix") == ".tmp-":
            count["n"] += 1
            if count["n"] > n_ok:
                raise OSError(err, os.strerror(err))
        return real(*a, **k)

    monkeypatch.setattr(tempfile, "mkstemp", mkstemp)
    return count


@pytest.mark.parametrize("err", [errno.ENOSPC, errno.EROFS, errno.EACCES])
def test_a_failed_write_mid_run_is_one_line_exit_3_keeping_the_checkpoint(
        tmp_path, capsys, monkeypatch, err):
    cfg = tmp_path / "c.yaml"
    cfg.write_text(BASE)
    out = tmp_path / "r"
    # config.yaml, preprocess, metrics.jsonl, start checkpoint, epoch-1 metrics + checkpoint
    # (+ curves.png when matplotlib is there) succeed; epoch 2's first write fails
    calls = {"n": 0}
    from nnlite import serialization
    from nnlite.train import rundir

    real_write = serialization.atomic_write

    def counting_write(path, data):
        if str(path).endswith("checkpoint.safetensors"):
            calls["n"] += 1
            if calls["n"] == 3:  # start, epoch 1, then epoch 2 fails
                raise OSError(err, os.strerror(err), None)
        return real_write(path, data)

    # the start checkpoint goes through nnlite.save, the epochs' through the run directory's
    # background writer (raised by the run's next write)
    monkeypatch.setattr(serialization, "atomic_write", counting_write)
    monkeypatch.setattr(rundir, "atomic_write", counting_write)
    rc, line = _cli(capsys, cfg, "--output-dir", out)
    assert rc == 3, line
    assert calls["n"] == 3
    assert os.strerror(err) in line and "last good checkpoint" in line
    assert f"--resume {out}" in line
    ck = nnlite.load(str(out / "checkpoint.safetensors"))
    assert (ck["epoch"], ck["batch"]) == (1, 0)
    monkeypatch.setattr(serialization, "atomic_write", real_write)
    monkeypatch.setattr(rundir, "atomic_write", real_write)
    assert main(["--resume", str(out), "--quiet"]) == 0


def test_disk_full_in_atomic_write_keeps_old_file_and_no_temp(tmp_path, capsys, monkeypatch):
    _cfg, out = _train(tmp_path)
    before = (out / "checkpoint.safetensors").read_bytes()
    _fail_writes_after(monkeypatch, 0, errno.ENOSPC)
    rc, line = _cli(capsys, "--resume", out, "--epochs", "3")
    assert rc == 3 and "No space left on device" in line and "cannot write" in line, line
    assert (out / "checkpoint.safetensors").read_bytes() == before
    assert not [n for n in os.listdir(out) if n.startswith(".tmp-")]


def test_a_directory_holding_a_run_is_refused_before_any_setup(tmp_path, capsys, monkeypatch):
    """The one-line error comes before the data, model and trial step are built (seconds), and
    the run in the directory is untouched."""
    cfg, out = _train(tmp_path)
    def files():  # the lock file is rewritten by the refused writer; the run's files are not
        return {f: os.path.getmtime(out / f) for f in os.listdir(out) if f != LOCK}

    before = files()
    from nnlite.train import runner

    def no_setup(*a, **k):
        raise AssertionError("the run was set up before the output directory was checked")

    monkeypatch.setattr(runner, "_Setup", no_setup)
    rc, last = _cli(capsys, cfg, "--output-dir", out)
    assert rc == 2 and "already holds a run" in last and "--resume" in last, last
    assert files() == before and "checkpoint.safetensors" in before
