"""The census: run a directory of PyTorch programs under real torch and under nnlite-as-torch
(``nnlite.compat``) and compare what they print.

    python -m tests.programs.census DIR [--rtol 1e-3] [--atol 1e-4] [--timeout 60] [--in-process]

Each ``*.py`` in DIR runs twice, from a fresh temporary working directory: ``python prog.py``
and ``python -m nnlite.compat prog.py`` (or both inside this process with ``--in-process``,
much faster for many small programs). Outputs are compared line by line: numbers (in tensors,
lists, f-strings) within ``atol + rtol * |torch's|``, everything else exactly. A program
matches when both runs succeed and print the same; the report names the first differing line.
Exit status: 0 when every program matches, 1 otherwise, 2 on bad arguments.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import math
import os
import re
import runpy
import signal
import subprocess
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass

_ADDRESS = re.compile(r"\b0x[0-9a-fA-F]+\b")  # object reprs: never equal between two runs
_NUMBER = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?|[-+]?inf\b|\bnan\b")


@dataclass
class Run:
    """One program's run: what it printed, and the error that stopped it (None if it ended)."""

    stdout: str
    error: str | None = None
    seconds: float = 0.0


@dataclass
class Verdict:
    name: str
    ok: bool
    detail: str = ""
    seconds: tuple[float, float] = (0.0, 0.0)  # CPU time of the torch and the nnlite run


def _tokens(line: str) -> tuple[list[str], list[float]]:
    """The line's text with numbers replaced by a placeholder, and the numbers."""
    nums = [float(m) for m in _NUMBER.findall(line)]
    return _NUMBER.split(line), nums


def compare_outputs(expected: str, actual: str, rtol: float = 1e-3, atol: float = 1e-4):
    """None when ``actual`` prints the same as ``expected`` (numbers within the tolerance),
    else a one-line description of the first difference."""
    e_lines = _ADDRESS.sub("0x?", expected).splitlines()
    a_lines = _ADDRESS.sub("0x?", actual).splitlines()
    for i, (e, a) in enumerate(zip(e_lines, a_lines), 1):
        if e == a:
            continue
        e_text, e_nums = _tokens(e)
        a_text, a_nums = _tokens(a)
        same = len(e_nums) == len(a_nums) and (e_text == a_text or (
            # a number printed wider (a sign, one more digit) shifts the padding around it
            # ("{x:8.4f}", a tensor's column alignment): spacing may differ then, not otherwise
            _NUMBER.findall(e) != _NUMBER.findall(a)
            and [" ".join(t.split()) for t in e_text] == [" ".join(t.split()) for t in a_text]))
        if same:
            for x, y in zip(e_nums, a_nums):
                if math.isnan(x) and math.isnan(y):
                    continue
                if math.isinf(x) or math.isinf(y):
                    if x != y:
                        same = False
                        break
                    continue
                if abs(x - y) > atol + rtol * abs(x):
                    same = False
                    break
        if not same:
            return f"line {i}: torch {e!r} vs nnlite {a!r}"
    if len(e_lines) != len(a_lines):
        n = min(len(e_lines), len(a_lines))
        extra = (e_lines if len(e_lines) > n else a_lines)[n]
        who = "torch" if len(e_lines) > n else "nnlite"
        return (f"torch printed {len(e_lines)} lines, nnlite {len(a_lines)}; first extra line "
                f"({who}): {extra!r}")
    return None


def _project_root() -> str:
    import nnlite

    return os.path.dirname(os.path.dirname(os.path.abspath(nnlite.__file__)))


def run_subprocess(path: str, backend: str, timeout: float) -> Run:
    """Run ``path`` in a fresh interpreter, under ``backend`` "torch" or "nnlite"."""
    cmd = [sys.executable, "-m", "nnlite.compat", path] if backend == "nnlite" else [
        sys.executable, path]
    env = dict(os.environ)
    env.setdefault("OMP_NUM_THREADS", "1")  # see _reset_global_state
    env["PYTHONPATH"] = _project_root() + os.pathsep + env.get("PYTHONPATH", "")
    with tempfile.TemporaryDirectory() as cwd:
        try:
            r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=cwd,
                               env=env)
        except subprocess.TimeoutExpired as e:
            out = e.stdout.decode() if isinstance(e.stdout, bytes) else (e.stdout or "")
            return Run(out, f"timed out after {timeout:g} s")
    err = None
    if r.returncode != 0:
        lines = r.stderr.strip().splitlines()
        err = f"exit {r.returncode}: {lines[-1] if lines else ''}"
    return Run(r.stdout, err)


class _Timeout(Exception):
    pass


def _reset_global_state(torch_like) -> None:
    # what one program may leave behind for the next one in the same process
    if torch_like.__name__ == "torch":
        # one intra-op thread: on a loaded machine torch's OpenMP pool spins (a small GRU
        # loop ran 30x slower with the default pool)
        torch_like.set_num_threads(1)
    torch_like.set_default_dtype(torch_like.float32)
    torch_like.set_grad_enabled(True)
    torch_like.use_deterministic_algorithms(False)
    torch_like.manual_seed(0)


def run_in_process(path: str, backend: str, timeout: float) -> Run:
    """Run ``path`` inside this process (``runpy``), under ``backend`` "torch" or "nnlite"."""
    from nnlite import compat

    buf = io.StringIO()
    err = None
    old_cwd, old_argv, old_path = os.getcwd(), sys.argv, list(sys.path)
    ctx = compat.torch_is_nnlite() if backend == "nnlite" else contextlib.nullcontext()

    def on_alarm(signum, frame):
        raise _Timeout()

    use_alarm = hasattr(signal, "SIGALRM") and timeout > 0
    t0 = time.process_time()
    with tempfile.TemporaryDirectory() as cwd, ctx:
        import torch as torch_like  # nnlite inside the compat context

        _reset_global_state(torch_like)
        os.chdir(cwd)
        sys.argv = [path]
        sys.path.insert(0, os.path.dirname(os.path.abspath(path)))
        if use_alarm:
            # a running timer is the suite's per-test limit (tests/conftest.py): re-armed after
            outer = signal.getitimer(signal.ITIMER_REAL)[0]
            outer_t0 = time.monotonic()
            old_handler = signal.signal(signal.SIGALRM, on_alarm)
            signal.setitimer(signal.ITIMER_REAL, timeout)
        try:
            with contextlib.redirect_stdout(buf):
                runpy.run_path(path, run_name="__main__")
        except _Timeout:
            err = f"timed out after {timeout:g} s"
        except SystemExit as e:
            if e.code not in (None, 0):
                err = f"exit {e.code}"
        except BaseException as e:  # noqa: BLE001 - the program's failure is the result
            tb = traceback.extract_tb(e.__traceback__)
            where = next((f"{os.path.basename(f.filename)}:{f.lineno}" for f in reversed(tb)
                          if f.filename == path), "")
            err = f"{type(e).__name__}: {e} ({where})"
        finally:
            if use_alarm:
                signal.setitimer(signal.ITIMER_REAL, 0)
                signal.signal(signal.SIGALRM, old_handler)
                if outer > 0:
                    left = outer - (time.monotonic() - outer_t0)
                    signal.setitimer(signal.ITIMER_REAL, max(left, 1e-3))
            os.chdir(old_cwd)
            sys.argv, sys.path[:] = old_argv, old_path
            _reset_global_state(torch_like)
    return Run(buf.getvalue(), err, time.process_time() - t0)


def judge(name: str, t: Run, n: Run, rtol: float, atol: float) -> Verdict:
    secs = (t.seconds, n.seconds)
    if t.error is not None:
        return Verdict(name, False, f"fails under torch: {t.error}", secs)
    if n.error is not None:
        return Verdict(name, False, f"fails under nnlite: {n.error}", secs)
    diff = compare_outputs(t.stdout, n.stdout, rtol, atol)
    return Verdict(name, diff is None, diff or "", secs)


def census(directory: str, rtol: float = 1e-3, atol: float = 1e-4, timeout: float = 60.0,
           in_process: bool = False, expected: dict[str, str] | None = None) -> list[Verdict]:
    """Judge every ``*.py`` in ``directory``; ``expected`` (name -> torch's stdout) replaces
    the torch runs when given."""
    runner = run_in_process if in_process else run_subprocess
    out = []
    for fn in sorted(os.listdir(directory)):
        if not fn.endswith(".py") or fn.startswith("_"):
            continue
        path = os.path.abspath(os.path.join(directory, fn))
        t = Run(expected[fn]) if expected is not None else runner(path, "torch", timeout)
        n = runner(path, "nnlite", timeout)
        out.append(judge(fn, t, n, rtol, atol))
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tests.programs.census",
                                 description=__doc__.split("\n\n")[0])
    ap.add_argument("directory")
    ap.add_argument("--rtol", type=float, default=1e-3)
    ap.add_argument("--atol", type=float, default=1e-4)
    ap.add_argument("--timeout", type=float, default=60.0)
    ap.add_argument("--in-process", action="store_true")
    args = ap.parse_args(argv)
    if not os.path.isdir(args.directory):
        print(f"census: not a directory: {args.directory}", file=sys.stderr)
        return 2
    verdicts = census(args.directory, args.rtol, args.atol, args.timeout, args.in_process)
    for v in verdicts:
        cpu = f"{v.seconds[0]:5.2f}s {v.seconds[1]:5.2f}s" if args.in_process else ""
        print(f"{'match' if v.ok else 'DIFF '} {cpu}  {v.name}"
              + (f"  -- {v.detail}" if v.detail else ""))
    good = sum(v.ok for v in verdicts)
    print(f"{good} of {len(verdicts)} programs print the same under nnlite as under torch")
    return 0 if good == len(verdicts) else 1


if __name__ == "__main__":
    sys.exit(main())
