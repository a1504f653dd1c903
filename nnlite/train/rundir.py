"""A run directory owned by one process at a time, whose files are only ever replaced whole.

- An exclusive lock (``.lock``, holding the owner's pid): a second ``nnlite-train`` on the same
  directory fails at once naming the holder. The lock is an ``flock`` on that file, so the
  kernel releases it when its owner dies however it dies (kill -9 included); the next run takes
  the directory over and says whose lock it was.
- Every file is written with ``atomic_write`` (temporary file, fsync, rename, fsync of the
  directory): a reader, or a run resumed after a crash, sees the old file or the new one.
- Temporary files a crash left behind are removed when the next run takes the lock.
- A write that fails (disk full, read-only directory) raises ``RunError`` naming the file; the
  previous version of that file (the last good checkpoint) is intact.
- ``write_behind`` hands the per-epoch files (checkpoint, metrics) to one background thread
  that writes them in order, exactly as ``write`` does: the training goes on while the disk
  syncs (the fsyncs cost ~4 ms each on the project's VMs, ~15 ms an epoch, as long as a
  40-epoch digits run's epoch itself). Every ``write``, ``flush`` and ``release`` first waits
  for the pending writes, so files land in the order they were given, and a failed background
  write is raised (as the ``OSError`` that ``atomic_write`` raised) by the next call of any of
  them; writes queued after a failure are dropped, so nothing newer lands after it. A crash
  loses at most the writes still in flight: the files on disk are the previous ones, whole.
"""

from __future__ import annotations

import errno
import os
import queue
import threading
from typing import Self

import nnlite
from nnlite._tensor import Tensor
from nnlite.serialization import TEMP_PREFIX, atomic_write
from nnlite.train.errors import RunError
from nnlite.train.schema import ConfigError

LOCK = ".lock"

try:
    import fcntl
except ImportError:  # Windows: an O_EXCL lock file with a liveness check of its pid
    fcntl = None


class RunLocked(ConfigError):
    """Another process holds the run directory."""


def _pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True


class RunDir:
    """Create (or open, for ``--resume``) and lock the run directory ``path``.

    Use as a context manager, or call ``release()``. ``notes`` says what was taken over or
    cleaned up, for the log. ``key`` names the option that chose the directory in errors.
    """

    def __init__(self, path: str, *, key: str = "--output-dir") -> None:
        self.path = os.fspath(path)
        self.key = key
        self.notes: list[str] = []
        self._fd = None
        self._created = False
        self._behind = _WriteBehind()
        try:
            if not os.path.isdir(self.path):
                os.makedirs(self.path)
                self._created = True
        except OSError as e:
            raise ConfigError(key, f"cannot create the run directory '{self.path}': "
                              f"{e.strerror or e}") from None
        self._lock()
        self._clean_temporaries()

    # ---- lock ----------------------------------------------------------------------------
    def _lock(self) -> None:
        lock = os.path.join(self.path, LOCK)
        try:
            if fcntl is not None:
                fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except OSError as e:
                    os.close(fd)
                    if e.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                        self._refuse(self._holder(lock))
                    raise
            else:
                fd = self._lock_exclusive(lock)
            previous = self._holder(lock, fd)
            if previous and previous != os.getpid():
                self.notes.append(f"took over the lock of pid {previous}, which is no longer "
                                  "running")
            os.ftruncate(fd, 0)
            os.lseek(fd, 0, os.SEEK_SET)
            os.write(fd, f"{os.getpid()}\n".encode())
            os.fsync(fd)
        except OSError as e:
            raise ConfigError(self.key, f"cannot lock the run directory '{self.path}': "
                              f"{e.strerror or e}") from None
        self._fd = fd

    def _lock_exclusive(self, lock: str) -> int:
        for _ in range(2):
            try:
                return os.open(lock, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o644)
            except FileExistsError:
                pid = self._holder(lock)
                if pid and _pid_alive(pid):
                    self._refuse(pid)
                os.unlink(lock)  # stale: its owner is gone
        self._refuse(self._holder(lock))
        return -1  # unreachable

    @staticmethod
    def _holder(lock: str, fd: int | None = None) -> int | None:
        try:
            if fd is not None:
                os.lseek(fd, 0, os.SEEK_SET)
                text = os.read(fd, 64)
            else:
                with open(lock, "rb") as fh:
                    text = fh.read(64)
            return int(text.strip() or 0) or None
        except (OSError, ValueError):
            return None

    def _refuse(self, pid: int | None) -> None:
        who = f"pid {pid}" if pid else "another process"
        raise RunLocked(self.key, f"the run directory '{self.path}' is in use by {who} "
                        "(another nnlite-train writing to it); wait for it to finish, stop it, "
                        "or choose another directory")

    def release(self, *, failed_before_start: bool = False) -> None:
        """Unlock. ``failed_before_start``: a new directory that got no file but the lock is
        removed again (a config error should not leave empty run directories)."""
        if self._fd is None:
            return
        self._behind.close()  # the pending writes land before the lock goes
        fd, self._fd = self._fd, None
        try:
            if failed_before_start and self._created and os.listdir(self.path) == [LOCK]:
                os.unlink(os.path.join(self.path, LOCK))
                os.close(fd)
                os.rmdir(self.path)
                return
        except OSError:
            pass
        try:
            if fcntl is None:
                os.close(fd)
                os.unlink(os.path.join(self.path, LOCK))
            else:
                os.close(fd)  # closing drops the flock; the file stays (see module docstring)
        except OSError:
            pass

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc) -> None:
        self.release()

    # ---- files ---------------------------------------------------------------------------
    def _clean_temporaries(self) -> None:
        stale = [n for n in os.listdir(self.path) if n.startswith(TEMP_PREFIX)]
        for name in stale:
            try:
                os.unlink(os.path.join(self.path, name))
            except OSError:
                pass
        if stale:
            self.notes.append(f"removed {len(stale)} temporary file(s) left by an interrupted "
                              "write")

    def file(self, name: str) -> str:
        return os.path.join(self.path, name)

    def write(self, name: str, data: bytes | str) -> None:
        """Replace the file ``name`` atomically (after the pending ``write_behind`` writes); a
        failure is a ``RunError`` naming it."""
        self.flush()
        try:
            atomic_write(self.file(name), data)
        except OSError as e:
            raise RunError(f"{e.strerror or e}; the previous {name} in {self.path} is kept",
                           path=self.file(name)) from None

    def write_behind(self, name: str, data: bytes | str) -> None:
        """``write`` on the background writer: returns at once (after raising the failure of
        an earlier background write, if any)."""
        self._behind.submit(self.file(name), data)

    def flush(self) -> None:
        """Wait for the pending ``write_behind`` writes; raise the ``OSError`` of one that
        failed."""
        self._behind.flush()


class _WriteBehind:
    """One daemon thread running ``atomic_write`` on (path, data) items, in order."""

    def __init__(self) -> None:
        self._queue: queue.Queue = queue.Queue()
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None

    def submit(self, path: str, data) -> None:
        self.raise_failure()
        if self._thread is None:
            self._thread = threading.Thread(target=self._work, name="nnlite-run-writer",
                                            daemon=True)
            self._thread.start()
        self._queue.put((path, data))

    def _work(self) -> None:
        while True:
            item = self._queue.get()
            try:
                if item is None:
                    return
                if self._error is None:  # after a failure nothing newer may land
                    atomic_write(*item)
            except BaseException as e:  # noqa: BLE001 (handed to the training thread)
                self._error = e
            finally:
                self._queue.task_done()

    def raise_failure(self) -> None:
        if self._error is not None:
            err, self._error = self._error, None
            raise err

    def flush(self) -> None:
        if self._thread is not None:
            self._queue.join()
        self.raise_failure()

    def close(self) -> None:
        """Finish the pending writes and stop the thread (a failure here was either raised
        by ``flush`` already or the run is ending on another error: it is not raised)."""
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join()
            self._thread = None


# ---- reading back what a run wrote -------------------------------------------------------------
_CHECKPOINT_KEYS = ("model", "optimizer", "epoch", "batch", "sums", "rng", "history")


def read_checkpoint(path: str, key: str = "--resume") -> dict:
    """The training checkpoint at ``path``, or a ``ConfigError`` naming the file and the way
    out (damaged, truncated, empty, a pickle, not a checkpoint)."""
    try:
        state = nnlite.load(path)
    except RuntimeError as e:
        raise ConfigError(key, f"{str(e).removeprefix('nnlite.load: ')}; the checkpoint is "
                          "damaged: restore it from a backup, or start the run again") from None
    if not isinstance(state, dict) or any(k not in state for k in _CHECKPOINT_KEYS):
        got = ("a mapping with keys " + ", ".join(map(str, list(state)[:6]))
               if isinstance(state, dict) else f"a {type(state).__name__}")
        raise ConfigError(key, f"'{path}' is not an nnlite training checkpoint (expected the "
                          f"keys {', '.join(_CHECKPOINT_KEYS)}; got {got})")
    return state


def read_weights(path: str, key: str = "--resume") -> dict:
    """A ``{name: Tensor}`` state dict (e.g. best.safetensors), or a ``ConfigError``."""
    try:
        state = nnlite.load(path)
    except RuntimeError as e:
        raise ConfigError(key, f"{str(e).removeprefix('nnlite.load: ')}; delete it to go on "
                          "without it") from None
    if not isinstance(state, dict) or not all(
            isinstance(k, str) and isinstance(v, Tensor) for k, v in state.items()):
        raise ConfigError(key, f"'{path}' is not a state dict of tensors; delete it to go on "
                          "without it")
    return state


def check_resume_batches(checkpoint: dict, batch_size: int, batches: int, where: str) -> None:
    """A run stopped in the middle of an epoch continues with the same batches, so the batch
    size may change only at an epoch boundary (``checkpoint['run']`` records it)."""
    run = checkpoint.get("run")
    if not isinstance(run, dict) or not int(checkpoint.get("batch", 0)):
        return
    old_size, old_batches = run.get("batch_size"), run.get("batches_per_epoch")
    if (old_size, old_batches) != (batch_size, batches):
        raise ConfigError("data.batch_size", f"the checkpoint in '{where}' stopped in the middle "
                          f"of epoch {int(checkpoint['epoch']) + 1} (after batch "
                          f"{int(checkpoint['batch'])} of {old_batches}, batches of {old_size}); "
                          f"resume with data.batch_size={old_size} (and the same data) to finish "
                          "that epoch: the batch size can change only between epochs")
