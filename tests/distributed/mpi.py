"""Run a script on N real MPI processes with hard time limits (never a hang)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PROGS = Path(__file__).resolve().parent / "progs"


def need_mpi():
    pytest.importorskip("mpi4py")


def env(extra: dict | None = None) -> dict:
    e = dict(os.environ)
    e["PYTHONPATH"] = str(ROOT) + os.pathsep + e.get("PYTHONPATH", "")
    for var in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "LOCAL_WORLD_SIZE"):
        e.pop(var, None)
    e.setdefault("NNLITE_NUM_THREADS", "1")
    e.setdefault("OMP_NUM_THREADS", "1")
    e.update(extra or {})
    return e


def mpiexec(n: int, argv: list[str], timeout: float = 120, extra_env: dict | None = None,
            cwd=None) -> subprocess.CompletedProcess:
    """``mpiexec -n n python argv...``; the subprocess is killed past ``timeout``."""
    need_mpi()
    from nnlite.distributed.run import find_mpiexec

    cmd = [find_mpiexec(), "-n", str(n), sys.executable] + list(argv)
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                              env=env(extra_env), cwd=cwd or ROOT)
    except subprocess.TimeoutExpired as e:
        raise AssertionError(f"{' '.join(cmd)} hung for {timeout} s:\n{e.stdout}\n{e.stderr}")


def run_prog(name: str, n: int = 2, args=(), timeout: float = 120, extra_env=None):
    """Run tests/distributed/progs/<name> under the nnlite worker on n ranks."""
    return mpiexec(n, ["-m", "nnlite.distributed.worker", str(PROGS / name), *args],
                   timeout=timeout, extra_env=extra_env)


def check_ok(out: subprocess.CompletedProcess, n: int = 2) -> None:
    """Every rank printed its ``OK <rank>`` line and the job exited 0."""
    assert out.returncode == 0, f"rc={out.returncode}\n{out.stdout}\n{out.stderr}"
    for r in range(n):
        assert re.search(rf"OK {r}(?!\d)", out.stdout), out.stdout + out.stderr
