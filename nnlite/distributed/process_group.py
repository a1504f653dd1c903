"""The default process group: which MPI job this process is in, and the guards against hangs.

``init_process_group`` imports mpi4py (never ``import nnlite.distributed``). Started by an MPI
launcher (``nnlite-run``, ``mpiexec``, ``srun``) the group is MPI's COMM_WORLD; started alone
(no launcher in the environment) it is a one-process group that needs no MPI at all, so code
written for N ranks also runs as a plain ``python script.py``.

No hangs: once a multi-rank group exists, an uncaught exception in any rank aborts the whole
job (``sys.excepthook`` -> ``MPI.COMM_WORLD.Abort``), and every collective waits with a
deadline (``timeout``): a rank left waiting past it prints which rank, which call and how long,
then aborts the job instead of hanging.
"""

from __future__ import annotations

import datetime
import importlib.util
import os
import stat
import struct
import sys
import time

# torch.distributed's default_pg_timeout
default_pg_timeout = datetime.timedelta(minutes=30)

# environment variables that MPI launchers set in each process they start
_LAUNCHER_SIZE_VARS = ("PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "PMIX_SIZE", "MPI_LOCALNRANKS",
                       "MV2_COMM_WORLD_SIZE")
_LAUNCHER_RANK_VARS = ("PMI_RANK", "OMPI_COMM_WORLD_RANK", "PMIX_RANK", "MV2_COMM_WORLD_RANK")

_BACKENDS = {"mpi": "mpi", "gloo": "mpi", "cpu:gloo": "mpi", "cpu:mpi": "mpi"}


class _LocalComm:
    """A one-process communicator with the few mpi4py methods nnlite uses."""

    rank = 0
    size = 1

    def Abort(self, code=1):  # noqa: N802 - mpi4py's name
        os._exit(code)


class _Group:
    """The state of the default group: communicator, rank, size, timeout, counters."""

    def __init__(self, comm, mpi, backend: str, timeout: float):
        self.comm = comm
        self.mpi = mpi  # the mpi4py.MPI module, or None for the one-process group
        self.rank = comm.rank
        self.size = comm.size
        self.backend = backend
        self.timeout = timeout
        self.calls = 0  # collectives issued, named in timeout messages (a mismatch shows)
        self.local_rank, self.local_size = 0, 1
        if mpi is not None and self.size > 1:
            node = comm.Split_type(mpi.COMM_TYPE_SHARED)
            self.local_rank, self.local_size = node.rank, node.size
            node.Free()


_group: _Group | None = None
_prev_excepthook = None


def _launched_size() -> int | None:
    """The job size an MPI launcher announced in the environment, or None without one."""
    for var in _LAUNCHER_SIZE_VARS:
        v = os.environ.get(var)
        if v and v.strip().isdigit():
            return int(v)
    for var in _LAUNCHER_RANK_VARS:
        if os.environ.get(var):
            return -1  # launched, size unknown
    return None


def _mpi_module():
    try:
        from mpi4py import MPI
    except ImportError as e:
        raise RuntimeError(
            "this process was started by an MPI launcher but mpi4py is not installed: "
            "pip install 'nnlite[mpi]' (mpi4py + the mpich wheel)"
        ) from e
    return MPI


def _timeout_seconds(timeout) -> float:
    if timeout is None:
        return default_pg_timeout.total_seconds()
    if isinstance(timeout, datetime.timedelta):
        s = timeout.total_seconds()
    elif isinstance(timeout, (int, float)) and not isinstance(timeout, bool):
        s = float(timeout)
    else:
        raise TypeError(
            f"timeout must be a datetime.timedelta (or seconds), got {type(timeout).__name__}"
        )
    if not s > 0:
        raise ValueError(f"timeout must be positive, got {timeout}")
    return s


def init_process_group(backend: str | None = None, init_method: str | None = None,
                       timeout=None, world_size: int = -1, rank: int = -1, store=None,
                       group_name: str = "", pg_options=None, device_id=None) -> None:
    """Join the job's default process group (``torch.distributed.init_process_group``).

    Args:
        backend: ``"mpi"`` or ``"gloo"`` (both run on MPI here; None picks it).
        init_method: ``None`` or ``"env://"``; the MPI launcher does the rendezvous.
        timeout: how long a collective may wait for the other ranks (``datetime.timedelta``
            or seconds; default 30 minutes, as torch) before the job is aborted.
        world_size, rank: optional; when given they must match what the launcher started.

    Sets ``RANK``, ``WORLD_SIZE``, ``LOCAL_RANK`` and ``LOCAL_WORLD_SIZE`` when unset.

    Example:
        >>> import nnlite.distributed as dist
        >>> dist.init_process_group("gloo")      # run with: nnlite-run --nproc-per-node 2 x.py
        >>> dist.get_rank(), dist.get_world_size()
    """
    global _group
    if _group is not None:
        raise ValueError("trying to initialize the default process group twice!")
    name = "mpi" if backend is None else str(backend).lower()
    if name in ("nccl", "cuda:nccl"):
        raise RuntimeError(
            "backend 'nccl' needs CUDA; nnlite runs on the CPU: use backend='gloo' or 'mpi' "
            "(both run on MPI)"
        )
    if name not in _BACKENDS:
        raise ValueError(
            f"Invalid backend: '{backend}'; nnlite.distributed supports 'mpi' and 'gloo' "
            "(both on MPI)"
        )
    if init_method not in (None, "env://") and not str(init_method).startswith("env://"):
        raise ValueError(
            f"init_method={init_method!r} is not supported: nnlite's process group comes from "
            "the MPI launcher (nnlite-run, mpiexec, srun); leave init_method unset"
        )
    seconds = _timeout_seconds(timeout)
    launched = _launched_size()
    env_size = os.environ.get("WORLD_SIZE", "").strip()
    if launched is None:
        wanted = world_size if world_size not in (-1, None) else (
            int(env_size) if env_size.isdigit() else 1)
        if wanted != 1:
            raise RuntimeError(
                f"world size {wanted} requested (world_size argument or WORLD_SIZE) but this "
                "process was not started by an MPI launcher: start the job with "
                f"`nnlite-run --nproc-per-node {wanted} script.py` or `mpiexec -n {wanted} "
                "python script.py` (torchrun's TCP rendezvous is not used)"
            )
        g = _Group(_LocalComm(), None, _BACKENDS[name], seconds)
    else:
        mpi = _mpi_module()
        comm = mpi.COMM_WORLD
        if launched > 1 and comm.size == 1:
            raise RuntimeError(
                f"the launcher started {launched} processes but MPI sees a world of 1: mpiexec "
                "and the MPI library mpi4py loaded differ (e.g. Open MPI's mpiexec with the "
                f"mpich wheel: {mpi.Get_library_version().splitlines()[0].strip()}); use the "
                "mpiexec that belongs to mpi4py's MPI (nnlite-run picks it)"
            )
        g = _Group(comm, mpi, _BACKENDS[name], seconds)
    for arg, val, have in (("world_size", world_size, g.size), ("rank", rank, g.rank)):
        if val not in (-1, None) and int(val) != have:
            raise ValueError(
                f"init_process_group({arg}={val}) but the launcher gave this process "
                f"{arg}={have}; leave {arg} unset under an MPI launcher"
            )
    for var, have in (("WORLD_SIZE", g.size), ("RANK", g.rank)):
        v = os.environ.get(var, "").strip()
        if v.isdigit() and int(v) != have and launched is not None:
            raise RuntimeError(
                f"environment variable {var}={v} but MPI gives this process {have}: unset "
                f"{var} (nnlite sets it from MPI)"
            )
    _set_env(g)
    _group = g
    if g.size > 1:
        _install_excepthook()


def _set_env(g: _Group) -> None:
    for var, val in (("RANK", g.rank), ("WORLD_SIZE", g.size), ("LOCAL_RANK", g.local_rank),
                     ("LOCAL_WORLD_SIZE", g.local_size)):
        os.environ.setdefault(var, str(val))


def _install_excepthook() -> None:
    """An uncaught exception in one rank aborts the job, so the others do not wait forever."""
    global _prev_excepthook
    if _prev_excepthook is not None:
        return
    _prev_excepthook = sys.excepthook

    def abort_on_exception(tp, value, tb):
        _prev_excepthook(tp, value, tb)
        g = _group
        if g is not None and g.size > 1:
            print(f"nnlite.distributed: rank {g.rank} of {g.size} raised {tp.__name__}; "
                  "aborting the job", file=sys.stderr, flush=True)
            abort_job(g.comm, 1)

    sys.excepthook = abort_on_exception


def abort(message: str, code: int = 1) -> None:
    """Print ``message`` (prefixed with this rank) and end the whole job now."""
    g = _group
    who = f"rank {g.rank} of {g.size}" if g is not None else "rank ?"
    sys.stderr.write(f"nnlite.distributed: {who}: {message}\n")  # one write: not interleaved
    abort_job(g.comm if g is not None else None, code)


def _unread_bytes(fd: int) -> int:
    """Bytes written to the pipe ``fd`` that its reader has not read yet (0 if not a pipe)."""
    try:
        if not stat.S_ISFIFO(os.fstat(fd).st_mode):
            return 0
        import fcntl  # POSIX-only
        import termios

        return struct.unpack("i", fcntl.ioctl(fd, termios.FIONREAD, b"\0\0\0\0"))[0]
    except (OSError, ValueError, ImportError):
        return 0


def drain_output(limit: float = 2.0, fds=(1, 2)) -> None:
    """Flush stdout/stderr and wait (at most ``limit`` s) until the launcher has read them.

    A rank's output reaches the user through a pipe to the MPI launcher's I/O forwarder.
    ``MPI_Abort`` makes the launcher kill the job at once, and what is still in that pipe is
    lost -- often exactly the traceback and the message saying why the job ended. So before
    aborting, wait until the pipes are empty (Linux ``FIONREAD`` on the write end), then a
    little longer for the forwarder to pass on what it read."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError, AttributeError):
            pass
    deadline = time.monotonic() + limit
    while any(_unread_bytes(fd) for fd in fds) and time.monotonic() < deadline:
        time.sleep(0.005)
    time.sleep(0.05)


_exit_is_agreed = False


def exit_agreed() -> None:
    """Say that every rank is about to exit with the same status on its own (a collective
    decision), so ``nnlite-run``'s worker ends this rank normally instead of aborting the job
    (which would print MPI's abort banner for a clean, coordinated stop)."""
    global _exit_is_agreed
    _exit_is_agreed = True


def abort_job(comm, code: int) -> None:
    """End the whole job with exit status ``code`` once this rank's output is out."""
    drain_output()
    if comm is not None:
        comm.Abort(code)
    os._exit(code)


# How a rank waits for a collective. MPI advances a collective only inside MPI calls, and a
# collective needs several rounds of them on every rank (about 5 for an allreduce with MPICH on
# one machine, whatever its size): sleeping between polls delays every round by the sleep (with
# sleeps growing to 1 ms a 2 MB allreduce took ~5 ms instead of ~0.7). So a wait first polls
# back to back for _SPIN_S, yielding the core between polls (sched_yield: a runnable process on
# this core -- the rank being waited for, when cores are oversubscribed -- runs first; on an
# idle core the poll resumes at once). A longer wait means another rank is busy (computing,
# writing a checkpoint): then it sleeps between bursts of back-to-back polls (_BURST_S long),
# each sleep 1 % of the time waited so far (20 us to 1 ms), so a waiting rank costs little CPU
# and the rounds, once the others arrive, run within a burst.
_SPIN_S = 0.005
_BURST_S = 1e-4


def wait(req, call: str) -> None:
    """Complete the MPI request ``req`` of collective ``call``, aborting the job past the
    group's timeout (see the note above on how it polls)."""
    if req.Test():
        return
    g = _group
    test = req.Test
    yield_core = getattr(os, "sched_yield", _no_yield)
    start = time.monotonic()
    deadline = start + g.timeout
    burst_end = start + _SPIN_S
    while True:
        for _ in range(8):
            if test():
                return
            yield_core()
        now = time.monotonic()
        if now < burst_end:
            continue
        if now > deadline:
            abort(
                f"{call} (collective #{g.calls} on this rank) waited {now - start:.1f} s for "
                f"the other ranks (timeout {g.timeout:g} s); aborting the job. A rank that "
                "died, is stuck, or took another code path (a different number of collectives) "
                "leaves the others waiting; raise timeout= in init_process_group if a step "
                "takes longer."
            )
        time.sleep(min(1e-3, max(2e-5, 0.01 * (now - start))))
        burst_end = time.monotonic() + _BURST_S


def _no_yield() -> None:  # pragma: no cover - sched_yield is there on Linux and macOS
    pass


def _require() -> _Group:
    if _group is None:
        raise ValueError(
            "Default process group has not been initialized, please make sure to call "
            "init_process_group."
        )
    return _group


def is_available() -> bool:
    """True: the API is always there (a launched job also needs mpi4py)."""
    return True


def is_mpi_available() -> bool:
    return importlib.util.find_spec("mpi4py") is not None


def is_gloo_available() -> bool:
    return is_mpi_available()


def is_nccl_available() -> bool:
    return False


def is_initialized() -> bool:
    return _group is not None


def is_torchelastic_launched() -> bool:
    return False


def get_rank(group=None) -> int:
    """This process's rank in the default group (raises before ``init_process_group``)."""
    return _require().rank


def get_world_size(group=None) -> int:
    return _require().size


def get_backend(group=None) -> str:
    return _require().backend


def get_node_local_rank(fallback_rank: int | None = None) -> int:
    """``LOCAL_RANK`` as torch reads it (set from MPI by ``init_process_group``)."""
    v = os.environ.get("LOCAL_RANK")
    if v is not None:
        return int(v)
    if fallback_rank is not None:
        return int(fallback_rank)
    raise RuntimeError(
        "LOCAL_RANK is not in the environment; call init_process_group first or pass "
        "fallback_rank"
    )


def destroy_process_group(group=None) -> None:
    """Leave the default group (MPI itself is finalized at exit, by mpi4py)."""
    global _group
    _require()
    _group = None
