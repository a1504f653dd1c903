"""The trainer's distributed mode end to end: ``scripts/train.py CONFIG --nproc 2``.

Every check compares with the one-process run of the same config, dropout included: each rank
trains on its rows of the single process's global batches with its rows of the single
process's dropout masks, so the two follow each other up to summation order. Then the ways a
2-rank run ends early: kill -9 of one rank ends the job fast, Ctrl-C at the launcher stops
every rank cleanly (exit 130, one message, a whole checkpoint, no process left), and
``--resume`` continues either on any rank count. Every subprocess has a timeout."""

import json
import os
import signal
import subprocess
import sys
import time
import uuid

import numpy as np
import pytest

from tests.distributed.mpi import ROOT, check_ok, env, need_mpi, run_prog

CONFIG = str(ROOT / "configs" / "mlp.yaml")
# dropout 0.1 and BatchNorm (mlp.yaml) kept; SGD: the runs' differences of summation order stay
# at rounding level (Adam divides them by the square root of tiny second moments: ~1e-4 by
# epoch 1)
SETS = ["--set", "model.hidden=[64]", "--set", "optimizer={name: sgd, lr: 0.1}", "--quiet"]
EPOCHS = 6


def _cmd(args):
    return [sys.executable, str(ROOT / "scripts" / "train.py"), CONFIG, *SETS, *args]


def _train(args, timeout=180):
    out = subprocess.run(_cmd(args), env=env(), capture_output=True, text=True,
                         timeout=timeout)
    assert out.returncode == 0, out.stdout + out.stderr
    return out


def _start(args, tag):
    # its own session, like a terminal's foreground job: a signal to its group is a Ctrl-C
    return subprocess.Popen(_cmd(args), env=env({"NNLITE_TEST_TAG": tag}),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)


def _resume(run, nproc, timeout=180):
    out = subprocess.run([sys.executable, str(ROOT / "scripts" / "train.py"), "--resume",
                          str(run), "--nproc", str(nproc)], env=env(), capture_output=True,
                         text=True, timeout=timeout)
    assert out.returncode == 0, out.stdout + out.stderr
    return out


def _history(d):
    with open(os.path.join(d, "metrics.jsonl")) as fh:  # replaced atomically each epoch
        return [json.loads(line) for line in fh]


def _tagged(tag, rank=None):
    """Pids of the processes started with ``NNLITE_TEST_TAG=tag`` in their environment (the
    launcher, mpiexec, its proxy, the ranks), or only rank ``rank``."""
    want = [f"NNLITE_TEST_TAG={tag}".encode()]
    if rank is not None:
        want.append(f"PMI_RANK={rank}".encode())
    pids = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/environ", "rb") as fh:
                e = fh.read().split(b"\0")
            with open(f"/proc/{pid}/stat") as fh:
                if fh.read().rsplit(")", 1)[1].split()[0] == "Z":
                    continue  # exited, not yet reaped by its parent
        except OSError:
            continue
        if all(w in e for w in want):
            pids.append(int(pid))
    return pids


def _wait_for_epochs(proc, run, n, limit=150):
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if (run / "metrics.jsonl").exists() and len(_history(run)) >= n:
            return
        if proc.poll() is not None:
            raise AssertionError(f"the run ended early: {proc.communicate()}")
        time.sleep(0.05)
    raise AssertionError(f"the run did not get through {n} epochs in {limit} s")


def _ends(proc, tag, limit):
    """Wait (at most ``limit`` s) for the launcher to exit; then no tagged process may be left.
    Returns (exit status, seconds, stdout, stderr)."""
    t0 = time.monotonic()
    try:
        out, err = proc.communicate(timeout=limit)
    except subprocess.TimeoutExpired:
        out, err = "", ""
    took = time.monotonic() - t0
    left = _tagged(tag)
    for _ in range(50):  # exiting processes may take a moment to go
        if not left:
            break
        time.sleep(0.1)
        left = _tagged(tag)
    for pid in left + ([proc.pid] if proc.poll() is None else []):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    if proc.poll() is None:
        proc.wait(timeout=10)
    assert took < limit, f"the job did not end within {limit} s"
    assert not left, f"processes left behind: {left}"
    return proc.returncode, took, out, err


def _same_training(h_ref, h, tol=1e-5):
    assert [e["epoch"] for e in h] == [e["epoch"] for e in h_ref]
    for a, b in zip(h_ref, h):
        assert abs(a["train_loss"] - b["train_loss"]) < tol * max(1, a["train_loss"]), (a, b)
        assert abs(a["val_loss"] - b["val_loss"]) < tol, (a, b)


@pytest.fixture(scope="module")
def one_process(tmp_path_factory):
    """The reference: the same config trained by one process."""
    need_mpi()
    one = tmp_path_factory.mktemp("one")
    _train(["--epochs", str(EPOCHS), "--output-dir", str(one)])
    return one


@pytest.mark.timeout(900)  # several training subprocesses, each with its own timeout
def test_ctrl_c_kill_9_and_resumes_on_2_then_1_rank_follow_one_process(tmp_path, one_process):
    """One run's life: 2 ranks, Ctrl-C after 2 epochs (SIGINT to the launcher's process
    group, as a terminal sends it), --resume on 2 ranks, kill -9 of one rank after epoch 4,
    --resume on 1 process. Every epoch of it matches the one-process run."""
    from safetensors import safe_open

    from nnlite.train.rundir import read_checkpoint

    run = tmp_path / "run"
    # Ctrl-C: every rank stops at the same batch, rank 0 saves and alone says so, exit 130
    tag = uuid.uuid4().hex
    proc = _start(["--epochs", str(EPOCHS), "--nproc", "2", "--output-dir", str(run)], tag)
    try:
        _wait_for_epochs(proc, run, 2)
        os.killpg(proc.pid, signal.SIGINT)
    finally:
        rc, took, out, err = _ends(proc, tag, limit=60)
    assert rc == 130, (rc, out, err)
    said = [line for line in err.splitlines() if "interrupted" in line]
    assert len(said) == 1 and "checkpoint saved" in said[0], err
    assert f"--resume {run}" in said[0], said
    assert "MPI_Abort" not in err and "aborting" not in err, err  # a clean, agreed stop
    ckpt = run / "checkpoint.safetensors"
    with safe_open(str(ckpt), "np") as f:
        assert f.metadata()["reason"] == "interrupt"
    state = read_checkpoint(str(ckpt))  # whole: every tensor reads back
    epoch, batch = int(state["epoch"]), int(state["batch"])
    assert f"epoch {epoch + 1 if batch else epoch} after batch {batch}" in said[0], said
    assert len(_history(run)) == epoch < EPOCHS - 2
    assert state["rng"]["ranks"].shape[0] == 2

    # --resume on 2 ranks, then kill -9 of rank 1: the job ends non-zero within 5 s
    tag = uuid.uuid4().hex
    proc = subprocess.Popen([sys.executable, str(ROOT / "scripts" / "train.py"), "--resume",
                             str(run), "--nproc", "2"], env=env({"NNLITE_TEST_TAG": tag}),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    try:
        _wait_for_epochs(proc, run, EPOCHS - 2)
        pid = _tagged(tag, rank=1)
        assert len(pid) == 1, pid
        os.kill(pid[0], signal.SIGKILL)
    finally:
        rc, took, out, err = _ends(proc, tag, limit=30)
    assert rc != 0, out + err
    assert took < 5, took
    assert EPOCHS - 2 <= len(_history(run)) < EPOCHS

    # --resume on 1 process (the global batch, data.batch_size: global, is unchanged)
    _resume(run, 1)
    _same_training(_history(one_process), _history(run))
    s1 = json.load(open(one_process / "summary.json"))
    s2 = json.load(open(run / "summary.json"))
    assert s2["epochs_run"] == EPOCHS
    assert abs(s1["test_accuracy"] - s2["test_accuracy"]) <= 0.005
    assert sorted(os.listdir(run)) == sorted(os.listdir(one_process))


def test_per_step_losses_equal_one_process_with_dropout(tmp_path):
    """Per step, the 2-rank run's loss on the global batch equals the one-process run's to
    rounding (float32, 40 steps, dropout 0.1, SyncBatchNorm, compiled and eager steps). A
    dropout stream per rank instead (the control) differs from the first step on."""
    out_json = tmp_path / "steps.json"
    out = run_prog("train_steps.py", args=(str(out_json), str(tmp_path / "runs")), timeout=300)
    check_ok(out)
    got = json.load(open(out_json))
    ref = np.array(got["one_process"])
    assert len(ref) == 40  # 2 epochs of 20 batches, the last one uneven (41 rows: 21 + 20)
    for way in ("compiled", "eager"):
        two = np.array(got[way])
        assert two.shape == ref.shape
        rel = np.abs(two - ref) / np.abs(ref)
        assert rel.max() < 2e-6, (way, rel.max(), int(rel.argmax()))
    control = np.abs(np.array(got["per_rank_seeds"]) - ref)
    assert control[0] > 1e-3 and control.max() > 1e-2, control
