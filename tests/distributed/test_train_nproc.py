"""The trainer's distributed mode end to end: ``scripts/train.py CONFIG --nproc 2``.

Checked against the one-process run of the same config (without dropout the two follow each
other up to summation order), kill -9 of one rank mid-run ends the job fast, and ``--resume``
continues it, here on another number of ranks."""

import json
import os
import signal
import subprocess
import sys
import time
import uuid

import pytest

from tests.distributed.mpi import ROOT, env, need_mpi

CONFIG = str(ROOT / "configs" / "mlp.yaml")
SETS = ["--set", "model.dropout=0", "--set", "model.hidden=[64]", "--quiet"]


def _train(args, tag=None, wait=True, timeout=180):
    e = env({"NNLITE_TEST_TAG": tag} if tag else None)
    cmd = [sys.executable, str(ROOT / "scripts" / "train.py"), CONFIG, *SETS, *args]
    if not wait:
        return subprocess.Popen(cmd, env=e, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True)
    out = subprocess.run(cmd, env=e, capture_output=True, text=True, timeout=timeout)
    assert out.returncode == 0, out.stdout + out.stderr
    return out


def _history(d):
    with open(os.path.join(d, "metrics.jsonl")) as fh:
        return [json.loads(line) for line in fh]


def _rank_pid(tag, rank):
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/environ", "rb") as fh:
                e = fh.read().split(b"\0")
        except OSError:
            continue
        # the launcher's own variables (the process's initial environment)
        if f"NNLITE_TEST_TAG={tag}".encode() in e and f"PMI_RANK={rank}".encode() in e:
            return int(pid)
    return None


def test_two_ranks_follow_one_process_survive_kill_9_and_resume_on_one(tmp_path):
    """One process trains 5 epochs; the same config on 2 ranks is killed (-9, one rank) after
    2 epochs and resumed on 1 process. Without dropout every epoch of the mixed run matches
    the one-process run (2-rank epochs included), and it leaves the same run-dir files."""
    need_mpi()
    one, run = tmp_path / "one", tmp_path / "run"
    _train(["--epochs", "5", "--output-dir", str(one)])
    tag = uuid.uuid4().hex
    proc = _train(["--epochs", "5", "--nproc", "2", "--output-dir", str(run)], tag=tag,
                  wait=False)
    try:
        deadline = time.monotonic() + 150
        while time.monotonic() < deadline:
            if (run / "metrics.jsonl").exists() and len(_history(run)) >= 2:
                break
            assert proc.poll() is None, proc.communicate()
            time.sleep(0.05)
        else:
            raise AssertionError("the run did not get through 2 epochs")
        pid = _rank_pid(tag, 1)
        assert pid is not None
        os.kill(pid, signal.SIGKILL)
        t0 = time.monotonic()
        proc.wait(timeout=30)
        took = time.monotonic() - t0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode != 0
    assert took < 5, took
    done = len(_history(run))
    assert 2 <= done < 5
    # continue on one process: the global batch (data.batch_size: global) is unchanged
    out = subprocess.run([sys.executable, str(ROOT / "scripts" / "train.py"), "--resume",
                          str(run), "--nproc", "1"], env=env(), capture_output=True, text=True,
                         timeout=180)
    assert out.returncode == 0, out.stdout + out.stderr
    h1, h2 = _history(one), _history(run)
    assert [e["epoch"] for e in h2] == [1, 2, 3, 4, 5]
    for a, b in zip(h1, h2):
        assert abs(a["train_loss"] - b["train_loss"]) < 1e-4 * max(1, a["train_loss"]), (a, b)
        assert abs(a["val_loss"] - b["val_loss"]) < 1e-4, (a, b)
    s1 = json.load(open(one / "summary.json"))
    s2 = json.load(open(run / "summary.json"))
    assert s2["epochs_run"] == 5
    assert abs(s1["test_accuracy"] - s2["test_accuracy"]) <= 0.005
    assert sorted(os.listdir(run)) == sorted(os.listdir(one))
