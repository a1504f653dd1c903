"""The error boundary of the command line: every failure becomes one line on stderr and an exit
status; a traceback only with ``--debug`` or ``NNLITE_DEBUG=1``.

Exit status:

====  =====================================================================================
0     done
1     training stopped because the loss became NaN/inf (the last good checkpoint is kept)
2     bad input: config, arguments, a file that cannot be read, a run directory in use
3     the run failed: a file could not be written (disk full, read-only), out of memory, or
      an internal error (a bug: the line says so; ``--debug`` shows the traceback)
130   interrupted (Ctrl-C, SIGTERM); files on disk are whole, continue with ``--resume``
====  =====================================================================================
"""

from __future__ import annotations

import os
import sys
import traceback

from nnlite.train.schema import ConfigError
from nnlite.train.trainer import NonFiniteLoss, TrainingInterrupted

EXIT_OK = 0
EXIT_NONFINITE = 1
EXIT_BAD_INPUT = 2
EXIT_FAILED = 3
EXIT_INTERRUPTED = 130


class RunError(RuntimeError):
    """A run that failed for a reason outside its config, e.g. a file that could not be written
    (``path``). The message says what is kept and how to go on."""

    def __init__(self, message: str, path: str | None = None) -> None:
        super().__init__(message)
        self.path = path
        self.message = message

    def __str__(self) -> str:
        return f"cannot write '{self.path}': {self.message}" if self.path else self.message


def debug_requested(argv: list[str]) -> tuple[bool, list[str]]:
    """(whether ``--debug`` or NNLITE_DEBUG asks for tracebacks, argv without ``--debug``)."""
    env = os.environ.get("NNLITE_DEBUG", "").strip().lower() not in ("", "0", "false", "no")
    rest = [a for a in argv if a != "--debug"]
    return env or len(rest) != len(argv), rest


def one_line(text: str, limit: int = 2000) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def report(prog: str, exc: BaseException, *, debug: bool, run_dir: str | None = None,
           quiet: bool = False) -> int:
    """Print ``exc`` as one line (after its traceback if ``debug``) and return the exit status
    (``quiet``: print nothing, e.g. on ranks other than 0 when rank 0 says the same)."""
    if debug and not quiet:
        traceback.print_exception(exc, file=sys.stderr)
    where = run_dir or getattr(exc, "run_dir", None)
    resume = f"; continue with: {prog} --resume {where}" if where else ""
    if isinstance(exc, ConfigError):
        path = f"{exc.path}: " if exc.path else ""
        code, line = EXIT_BAD_INPUT, f"{prog}: error: {path}{exc.message}"
    elif isinstance(exc, TrainingInterrupted):
        code = EXIT_INTERRUPTED
        line = (f"{prog}: interrupted in epoch {exc.epoch} after batch {exc.batch}; checkpoint "
                f"saved{resume}" if exc.saved else
                f"{prog}: interrupted in epoch {exc.epoch}; the last checkpoint is kept{resume}")
    elif isinstance(exc, KeyboardInterrupt):
        code = EXIT_INTERRUPTED
        line = f"{prog}: interrupted; every file already written is whole{resume}"
    elif isinstance(exc, NonFiniteLoss):
        code = EXIT_NONFINITE
        line = (f"{prog}: stopped: the training loss became {exc.value} at epoch {exc.epoch}, "
                f"batch {exc.batch}; the last good checkpoint is kept (lower optimizer.lr or set "
                "trainer.grad_clip)")
    elif isinstance(exc, RunError):
        code, line = EXIT_FAILED, f"{prog}: failed: {exc}{resume if where else ''}"
    elif isinstance(exc, OSError):
        name = f" '{exc.filename}'" if exc.filename else ""
        code = EXIT_FAILED
        line = f"{prog}: failed: I/O error{name}: {exc.strerror or exc}{resume}"
    elif isinstance(exc, MemoryError):
        code = EXIT_FAILED
        line = f"{prog}: failed: out of memory; use a smaller model or data.batch_size{resume}"
    else:
        code = EXIT_FAILED
        hint = "" if debug else " (rerun with --debug for the traceback)"
        line = (f"{prog}: internal error: {type(exc).__name__}: {exc}{hint}; this is a bug in "
                "nnlite, please report it")
    if not quiet:
        print(one_line(line), file=sys.stderr)
    return code
