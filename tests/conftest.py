"""Suite-wide settings (a developer's own environment variables win).

* ``NNLITE_BLAS=openblas``: the matrix products run on numpy's own BLAS. The per-shape autotune
  of ``nnlite._blas`` times candidates on first use; on a loaded machine it could pick MKL for
  some shapes, so results that tests compare with numpy or PyTorch would round differently from
  run to run, and it would write the user's cache. ``tests/compile/test_blas.py`` tests the
  autotune itself (with its own cache dir); ``NNLITE_BLAS=auto pytest`` runs everything on it.
* ``NNLITE_NUM_THREADS=1``: the configs say ``threads: auto`` (the machine's cores); the suite
  checks results, not speed, and one BLAS thread keeps it steady on a shared machine.
* A per-test time limit (``NNLITE_TEST_TIMEOUT`` seconds, default 300; 0 turns it off;
  ``@pytest.mark.timeout(seconds)`` raises it for one test): a test that hangs fails alone, with
  a message and the traceback of where it was, instead of stalling the whole run. The limit is
  a SIGALRM timer, so it interrupts Python code (a loop, a blocking wait); a hang inside native
  code (a numba kernel, a C call holding the GIL) cannot be interrupted there, so a second
  watchdog, ``NNLITE_TEST_TIMEOUT_GRACE`` seconds later (default 60), dumps every thread's
  stack to the terminal and ends the run.
* SIGINT at Python's default (``KeyboardInterrupt``) when pytest was started with it ignored (a
  background job of a non-interactive shell inherits SIGINT as ignored, and so would every CLI
  subprocess): the tests of the CLI's Ctrl-C handling need the signal delivered as a terminal
  user's shell delivers it.
"""

import faulthandler
import os
import signal
import sys
import threading

import pytest

os.environ.setdefault("NNLITE_BLAS", "openblas")
os.environ.setdefault("NNLITE_NUM_THREADS", "1")
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)  # children get SIG_DFL at exec

DEFAULT_TIMEOUT = 300.0  # generous: the suite runs on 2 cores shared with other work
DEFAULT_GRACE = 60.0  # after the limit: for a hang in native code SIGALRM's handler cannot reach
_watchdog_stream = []  # the terminal's stderr (pytest captures fd 2 while a test runs)


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "timeout(seconds): this test's time limit (default NNLITE_TEST_TIMEOUT or "
        f"{DEFAULT_TIMEOUT:g} s)")
    capman = config.pluginmanager.getplugin("capturemanager")
    if capman is not None:
        capman.suspend_global_capture()
    try:
        _watchdog_stream.append(os.fdopen(os.dup(2), "w"))
    finally:
        if capman is not None:
            capman.resume_global_capture()


def _seconds(env: str, default: float) -> float:
    value = os.environ.get(env)
    if value is None:
        return default
    try:
        return float(value)
    except ValueError:
        raise pytest.UsageError(f"{env}={value!r}: expected a number of seconds "
                                "(0 turns the limit off)") from None


def _limit(item) -> float:
    marker = item.get_closest_marker("timeout")
    if marker is not None:
        seconds = marker.args[0] if marker.args else marker.kwargs.get("seconds")
        if not isinstance(seconds, (int, float)) or isinstance(seconds, bool) or seconds < 0:
            raise pytest.UsageError(f"{item.nodeid}: @pytest.mark.timeout needs a number of "
                                    f"seconds >= 0, got {seconds!r}")
        return float(seconds)
    return _seconds("NNLITE_TEST_TIMEOUT", DEFAULT_TIMEOUT)


def _usable() -> bool:
    return hasattr(signal, "SIGALRM") and threading.current_thread() is threading.main_thread()


@pytest.fixture(autouse=True)
def _per_test_timeout(request):
    """Fail the running test when it exceeds its limit (see the module docstring)."""
    seconds = _limit(request.node)
    if seconds <= 0 or not _usable():
        yield
        return

    def on_alarm(signum, frame):
        # pytest.fail raises a BaseException: an ``except Exception`` in the code under test
        # cannot swallow it
        pytest.fail(f"{request.node.nodeid} ran past its {seconds:g} s time limit (a hang?); "
                    "give a slow test more with @pytest.mark.timeout(seconds)", pytrace=True)

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    grace = _seconds("NNLITE_TEST_TIMEOUT_GRACE", DEFAULT_GRACE)
    if grace > 0:
        stream = _watchdog_stream[0] if _watchdog_stream else sys.__stderr__
        faulthandler.dump_traceback_later(seconds + grace, exit=True, file=stream)
    try:
        yield
    finally:
        faulthandler.cancel_dump_traceback_later()
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
