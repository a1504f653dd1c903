"""Kill a training run at random moments, including in the middle of its writes (SIGKILL-like
``os._exit`` inside fsync/rename of the atomic writes, and real SIGKILLs while it trains), resume
it each time, and check the finished run is bit-identical to an uninterrupted one and that no
temporary file is left behind."""

import json
import os
import random
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
import yaml

import nnlite
from nnlite.train import run

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CONFIG = {"threads": 1, "seed": 3, "data": {"name": "iris", "batch_size": 16},
          "model": {"hidden": [16], "dropout": 0.2}, "optimizer": {"name": "adamw", "lr": 0.01},
          "scheduler": {"name": "cosine"}, "trainer": {"epochs": 8, "save_model": "best"}}

# Runs the CLI and dies (exit 137, no cleanup: as kill -9) at the k-th call of os.<where>.
DRIVER = """
import os, sys
k, where = int(sys.argv[1]), sys.argv[2]
if where != "none":
    real, count = getattr(os, where), [0]
    def dying(*a, **kw):
        count[0] += 1
        if count[0] == k:
            os._exit(137)
        return real(*a, **kw)
    setattr(os, where, dying)
from nnlite.train.cli import main
sys.exit(main(sys.argv[3:]))
"""


def _metrics(run_dir):
    with open(os.path.join(run_dir, "metrics.jsonl")) as fh:
        rows = [json.loads(line) for line in fh]
    for r in rows:
        r.pop("time_s")
    return rows


def _weights(path):
    return {k: v.numpy() for k, v in nnlite.load(path).items()}


def _start(cfg_path, out, k, where):
    has_checkpoint = os.path.isfile(os.path.join(out, "checkpoint.safetensors"))
    args = ["--resume", out] if has_checkpoint else [cfg_path, "--output-dir", out]
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return subprocess.Popen([sys.executable, "-c", DRIVER, str(k), where, *args, "--quiet"],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)


@pytest.mark.timeout(900)  # several training subprocesses, each with its own timeout
def test_killed_at_random_moments_resumes_bit_identical(tmp_path):
    ref = str(tmp_path / "ref")
    run(yaml.safe_load(yaml.safe_dump(CONFIG)), output_dir=ref)
    cfg_path = str(tmp_path / "c.yaml")
    with open(cfg_path, "w") as fh:
        yaml.safe_dump({**CONFIG, "name": "crash"}, fh)
    out = str(tmp_path / "crash")
    rng = random.Random(20261201)
    # inside writes: before the fsync of a temporary file or directory, and before a rename
    plan = [(rng.randint(3, 25), "fsync"), (rng.randint(2, 12), "replace"),
            (rng.randint(8, 40), "fsync")]
    kills = torn = 0
    deadline = time.monotonic() + 240
    for k, where in plan:
        proc = _start(cfg_path, out, k, where)
        _, err = proc.communicate(timeout=120)
        assert proc.returncode in (137, 0), err
        kills += proc.returncode == 137
        torn += any(n.startswith(".tmp-") for n in os.listdir(out))  # died inside a write
    assert torn >= 1
    # a real SIGKILL at a random moment while it trains (after a random number of epochs)
    for _ in range(1):
        if os.path.isfile(os.path.join(out, "summary.json")):
            break
        before = len(_metrics(out)) if os.path.isfile(os.path.join(out, "metrics.jsonl")) else 0
        target = before + rng.randint(0, 2)
        proc = _start(cfg_path, out, 0, "none")
        while proc.poll() is None and time.monotonic() < deadline:
            try:
                done = len(_metrics(out))
            except (OSError, ValueError):
                done = 0
            if done >= target:
                time.sleep(rng.uniform(0.0, 0.05))
                proc.send_signal(signal.SIGKILL)
                break
            time.sleep(0.005)
        proc.communicate(timeout=120)
        kills += proc.returncode == -signal.SIGKILL
    proc = _start(cfg_path, out, 0, "none")  # finish
    _, err = proc.communicate(timeout=180)
    assert proc.returncode == 0, err
    assert kills >= 3, kills  # the kills really happened

    assert _metrics(out) == _metrics(ref)
    for name in ("model.safetensors", "best.safetensors"):
        a, b = _weights(os.path.join(ref, name)), _weights(os.path.join(out, name))
        assert a.keys() == b.keys()
        for key in a:
            np.testing.assert_array_equal(a[key], b[key], err_msg=f"{name}: {key}")
    assert not [n for n in os.listdir(out) if n.startswith(".tmp-")], os.listdir(out)
    with open(os.path.join(out, "summary.json")) as fh:
        assert json.load(fh)["epochs_run"] == 8


@pytest.mark.parametrize("where", ["fsync", "replace"])
def test_a_write_killed_midway_leaves_the_old_file(tmp_path, where):
    """The first atomic write of a later run dies; the file it replaced is intact and loads."""
    path = tmp_path / "ck.safetensors"
    nnlite.save({"w": nnlite.ones(3)}, str(path))
    code = ("import os, sys\n"
            f"real = os.{where}\n"
            "def dying(*a, **k):\n"
            "    os._exit(137)\n"
            f"os.{where} = dying\n"
            "import nnlite\n"
            f"nnlite.save({{'w': nnlite.zeros(3)}}, {str(path)!r})\n")
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.run([sys.executable, "-c", code], env=env, timeout=120, check=False)
    assert proc.returncode == 137
    assert nnlite.load(str(path))["w"].tolist() == [1.0, 1.0, 1.0]
    leftovers = [n for n in os.listdir(tmp_path) if n.startswith(".tmp-")]
    assert len(leftovers) == 1  # what the next run directory start removes
