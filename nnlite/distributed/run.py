"""``nnlite-run``: start N ranks of a script on this machine (torchrun's role, on MPI).

``nnlite-run --nproc-per-node 2 train.py --lr 0.1`` runs
``mpiexec -n 2 python -m nnlite.distributed.worker train.py --lr 0.1`` with the BLAS thread
count set to cores / N (unless ``OMP_NUM_THREADS`` etc. are set), and with Open MPI's flags
when its mpiexec is the one found (``--allow-run-as-root`` as root, ``--oversubscribe`` for
more ranks than cores, ``--bind-to none`` so BLAS threads are not pinned to one core). Its
exit status is the job's. On a cluster, run the worker with the cluster's own launcher:
``srun python -m nnlite.distributed.worker train.py`` or ``mpiexec -n 64 -ppn 8 ...``.
"""

from __future__ import annotations

import argparse
import ctypes
import importlib.util
import os
import shutil
import signal
import subprocess
import sys

_THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                "NNLITE_NUM_THREADS")


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def find_mpiexec(explicit: str | None = None) -> str:
    """The mpiexec to use: ``explicit``, ``NNLITE_MPIEXEC``, the one installed next to this
    Python (the mpich wheel's, which matches mpi4py), else the first on PATH."""
    for cand in (explicit, os.environ.get("NNLITE_MPIEXEC")):
        if cand:
            path = shutil.which(cand)
            if path is None:
                raise FileNotFoundError(f"mpiexec {cand!r} not found")
            return path
    here = os.path.join(os.path.dirname(sys.executable), "mpiexec")
    if os.path.isfile(here) and os.access(here, os.X_OK):
        return here
    path = shutil.which("mpiexec") or shutil.which("mpirun")
    if path is None:
        raise FileNotFoundError(
            "no mpiexec found: pip install 'nnlite[mpi]' (mpi4py + the mpich wheel), or put "
            "your MPI's mpiexec on PATH"
        )
    return path


def _is_open_mpi(mpiexec: str) -> bool:
    try:
        out = subprocess.run([mpiexec, "--version"], capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired):
        return False
    text = (out.stdout + out.stderr).lower()
    return "open mpi" in text or "open-mpi" in text or "openrte" in text or "prrte" in text


def build_command(nproc: int, target: list[str], mpiexec: str, threads: int | None = None,
                  env: dict | None = None) -> tuple[list[str], dict]:
    """The mpiexec command line and environment that start ``nproc`` ranks of ``target``
    (``[script, args...]`` or ``["-m", module, args...]``)."""
    env = dict(os.environ if env is None else env)
    cores = _cores()
    per_rank = threads if threads is not None else max(1, cores // nproc)
    for var in _THREAD_VARS:
        if threads is not None or not env.get(var):
            env[var] = str(per_rank)
    cmd = [mpiexec, "-n", str(nproc)]
    if _is_open_mpi(mpiexec):
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            cmd.append("--allow-run-as-root")
            env.setdefault("OMPI_ALLOW_RUN_AS_ROOT", "1")
            env.setdefault("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1")
        if nproc > cores:
            cmd.append("--oversubscribe")
        cmd += ["--bind-to", "none"]
    cmd += [sys.executable, "-m", "nnlite.distributed.worker"] + list(target)
    return cmd, env


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="nnlite-run",
        description="Run N data-parallel ranks of a script on this machine (over MPI).",
    )
    p.add_argument("--nproc-per-node", "--nproc_per_node", dest="nproc", default="1",
                   help="number of ranks to start (default 1)")
    p.add_argument("--nnodes", default="1", help="only 1: for several nodes use your "
                   "cluster's launcher (srun / mpiexec) with python -m nnlite.distributed.worker")
    p.add_argument("--standalone", action="store_true", help="accepted for torchrun "
                   "compatibility (a single-node job is always standalone here)")
    p.add_argument("--threads", type=int, default=None,
                   help="BLAS threads per rank (default: cores / N)")
    p.add_argument("--mpiexec", default=None, help="the mpiexec to use")
    p.add_argument("--dry-run", action="store_true", help="print the command, run nothing")
    p.add_argument("target", nargs="*", help="script.py [args...] or -m module [args...]")
    return p


_VALUED = ("--nproc-per-node", "--nproc_per_node", "--nnodes", "--threads", "--mpiexec")


def _split_argv(argv: list[str]) -> tuple[list[str], list[str]]:
    """Split ``argv`` into nnlite-run's own options and the target (``script.py args`` or
    ``-m module args``): the target starts at the first token that is not one of ours."""
    i = 0
    while i < len(argv):
        a = argv[i]
        if a == "-m" or not a.startswith("-"):
            break
        if a == "--":
            return argv[:i], argv[i + 1:]
        i += 2 if a in _VALUED else 1
    return argv[:i], argv[i:]


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    p = _parser()
    ours, target = _split_argv(argv)
    ns = p.parse_args(ours)

    def fail(msg: str) -> int:
        print(f"nnlite-run: {msg}", file=sys.stderr)
        return 2

    try:
        nproc = int(ns.nproc)
    except ValueError:
        return fail(f"--nproc-per-node must be a positive integer, got {ns.nproc!r}")
    if nproc < 1:
        return fail(f"--nproc-per-node must be a positive integer, got {nproc}")
    if str(ns.nnodes) not in ("1", "1:1"):
        return fail(f"--nnodes {ns.nnodes}: nnlite-run starts ranks on this machine only; on a "
                    "cluster run `srun python -m nnlite.distributed.worker script.py` or "
                    "`mpiexec -n N -ppn K python -m nnlite.distributed.worker script.py`")
    if ns.threads is not None and ns.threads < 1:
        return fail(f"--threads must be a positive integer, got {ns.threads}")
    if target and target[0] == "--":
        target = target[1:]
    if not target or (target[0] == "-m" and len(target) < 2):
        return fail("give a script to run: nnlite-run --nproc-per-node N script.py [args]")
    if target[0] != "-m" and not os.path.isfile(target[0]):
        return fail(f"no such script: {target[0]}")
    if importlib.util.find_spec("mpi4py") is None:
        return fail("mpi4py is not installed: pip install 'nnlite[mpi]' (mpi4py + mpich)")
    try:
        mpiexec = find_mpiexec(ns.mpiexec)
    except FileNotFoundError as e:
        return fail(str(e))
    cmd, env = build_command(nproc, target, mpiexec, ns.threads)
    if ns.dry_run:
        print(" ".join(cmd))
        return 0
    return run_command(cmd, env)


def _die_with_parent() -> None:
    """In the mpiexec child (Linux): get SIGTERM when the launcher dies, even by SIGKILL, so a
    killed launcher leaves no job running."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # pragma: no cover - not Linux
        pass


def run_command(cmd: list[str], env: dict) -> int:
    """Run the mpiexec command and return the job's exit status (128 + signal number if it was
    killed).

    mpiexec runs in its own session, so a Ctrl-C at the terminal reaches it once, through this
    process (as the terminal's process group it would also get it directly, and two SIGINTs
    make mpiexec kill the ranks at once instead of passing them one Ctrl-C to stop cleanly).
    Ctrl-C is passed on as SIGINT (a second Ctrl-C: mpiexec stops the job now), SIGTERM and
    SIGQUIT as themselves, a hang-up as SIGTERM; if this process dies, mpiexec gets SIGTERM.
    """
    proc = subprocess.Popen(cmd, env=env, start_new_session=True,
                            preexec_fn=_die_with_parent if sys.platform == "linux" else None)

    def forward(sig, frame):
        try:
            proc.send_signal(signal.SIGTERM if sig == signal.SIGHUP else sig)
        except ProcessLookupError:
            pass

    previous = {}
    for sig in (signal.SIGINT, signal.SIGTERM, getattr(signal, "SIGHUP", None),
                getattr(signal, "SIGQUIT", None)):
        if sig is not None:
            previous[sig] = signal.signal(sig, forward)
    try:
        while True:
            try:
                rc = proc.wait()
                break
            except KeyboardInterrupt:  # pragma: no cover - a handler was replaced under us
                forward(signal.SIGINT, None)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 128 - rc if rc < 0 else rc


if __name__ == "__main__":
    sys.exit(main())
