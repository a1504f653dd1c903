"""Where the default run's start-up goes: one instrumented ``scripts/train.py configs/mlp.yaml``,
CPU seconds per phase and per numba kernel, counts that hold under load (issue 12).

Wall-clock numbers on a loaded machine say little; CPU time per phase moves much less, and a
numba compile's CPU time hardly at all. This runs the command once in a child process with
timers wrapped around the functions that make up each phase, and prints, per phase, the CPU
seconds of the main thread (``time.thread_time``: BLAS worker threads and the background
writer excluded) and of the whole process (``time.process_time``), *exclusive* (a phase nested
in another is charged to the inner one only), with the call count:

* ``imports``          everything before the first kernel module loads (nnlite, yaml, ...)
* ``numba import``     the first ``nnlite.kernels.<name>`` module: ``import numba`` & co.
* ``kernel modules``   the other kernel modules (decorating, no compile)
* ``kernel load``      numba dispatch of a first call: a cache load (warm) or a compile (cold),
                       per kernel below
* ``setup``, ``trial step``, ``training``, ``evaluation``, ``checkpoint encode``, ``save``,
  ``other``            the run's own phases (``other``: the CLI, writing files, the summary)

Per kernel: its CPU seconds, cache hits and compiles (numba's own jitted implementations such
as ``np.empty``'s, compiled inside a kernel's compile, are charged to that kernel).

Usage::

    python bench/startup_phases.py             # warm: numba's cache as it is (a run first fills it)
    python bench/startup_phases.py --fresh     # cold: an empty NUMBA_CACHE_DIR (a fresh clone)
    python bench/startup_phases.py --root DIR  # another checkout (e.g. /work/wt/before)

``--repeat N`` runs it N times and prints the median of each number.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

# Runs scripts/train.py in this process with phase timers; writes the result as JSON to
# $STARTUP_PHASES_OUT at exit. A stack of phases: entering a timed function charges the time
# since the last switch to the phase on top, and so on.
PROBE = r"""
import atexit, json, os, runpy, sys, time
_tt, _pt = time.thread_time, time.process_time
_stack = ["imports"]
_acc = {}
_last = [_tt(), _pt()]
def _switch():
    t, p = _tt(), _pt()
    a = _acc.setdefault(_stack[-1], [0.0, 0.0, 0])
    a[0] += t - _last[0]; a[1] += p - _last[1]
    _last[0], _last[1] = t, p
def _enter(name):
    _switch(); _stack.append(name); _acc.setdefault(name, [0.0, 0.0, 0])[2] += 1
def _leave():
    _switch(); _stack.pop()
def _timed(fn, name):
    def wrapper(*a, **k):
        _enter(name)
        try:
            return fn(*a, **k)
        finally:
            _leave()
    wrapper.__wrapped__ = fn
    return wrapper
def _patch(obj, attr, name):
    setattr(obj, attr, _timed(getattr(obj, attr), name))

_kernels = {}
def _patch_numba():
    from numba.core import dispatcher
    real = dispatcher.Dispatcher._compile_for_args
    def compile_for_args(self, *a, **k):
        key = f"{self.py_func.__module__}.{self.py_func.__name__}"
        hits0, miss0 = sum(self._cache_hits.values()), sum(self._cache_misses.values())
        t, p = _tt(), _pt()
        _enter("kernel load")
        try:
            return real(self, *a, **k)
        finally:
            _leave()
            e = _kernels.setdefault(key, [0.0, 0.0, 0, 0])
            e[0] += _tt() - t; e[1] += _pt() - p
            e[2] += sum(self._cache_hits.values()) - hits0
            e[3] += sum(self._cache_misses.values()) - miss0
    dispatcher.Dispatcher._compile_for_args = compile_for_args

import nnlite.kernels as _K
_real_load = _K.load
def _load(name):
    if name in _K._LOADED:
        return _K._LOADED[name]
    first = "numba" not in sys.modules
    _enter("numba import" if first else "kernel modules")
    try:
        mod = _real_load(name)
    finally:
        _leave()
    if first and "numba" in sys.modules:
        _patch_numba()
    return mod
_K.load = _load
import nnlite.train.cli, nnlite.train.runner as R, nnlite.train.trainer as T
import nnlite.serialization as S
_patch(R._Setup, "__init__", "setup")
_patch(R, "trial_step", "trial step")
_patch(T.Trainer, "fit", "training")
_patch(T.Trainer, "evaluate", "evaluation")
_patch(R, "to_bytes", "checkpoint encode")
_patch(R.nnlite, "save", "save")
def _report():
    _switch()
    out = {"phases": _acc, "kernels": _kernels, "modules": len(sys.modules),
           "numba": "numba" in sys.modules}
    with open(os.environ["STARTUP_PHASES_OUT"], "w") as f:
        json.dump(out, f)
atexit.register(_report)
_switch()
_stack[0] = "other"  # from here on, time outside the timed phases
sys.argv = sys.argv[1:]
runpy.run_path(sys.argv[0], run_name="__main__")
"""

ORDER = ["imports", "numba import", "kernel modules", "kernel load", "setup", "trial step",
         "training", "evaluation", "checkpoint encode", "save", "other"]


def run_once(root: str, fresh: bool, tmp: str, n: int) -> dict:
    out_json = os.path.join(tmp, f"phases{n}.json")
    env = dict(os.environ, PYTHONPATH=root, STARTUP_PHASES_OUT=out_json)
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # as a user runs it: .pyc files cached
    env["PYTHONPYCACHEPREFIX"] = os.path.join(tmp, "pyc")
    if fresh:
        env["NUMBA_CACHE_DIR"] = os.path.join(tmp, f"numba{n}")
        env["NNLITE_BLAS_CACHE"] = os.path.join(tmp, f"blas{n}.json")
    cmd = [sys.executable, "-c", PROBE, "scripts/train.py", "configs/mlp.yaml", "--quiet",
           "--output-dir", os.path.join(tmp, f"run{n}")]
    p = subprocess.run(cmd, cwd=root, env=env, capture_output=True, text=True, timeout=900,
                       check=False)
    if p.returncode != 0:
        raise SystemExit(f"startup_phases: the run failed ({p.returncode}):\n{p.stderr[-3000:]}")
    with open(out_json) as f:
        return json.load(f)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--root", default=ROOT, help="the checkout to run (default: this one)")
    ap.add_argument("--fresh", action="store_true",
                    help="an empty NUMBA_CACHE_DIR: every kernel compiles (a fresh clone)")
    ap.add_argument("--repeat", type=int, default=1, help="runs; medians are printed")
    a = ap.parse_args(argv)
    root = os.path.abspath(a.root)
    tmp = tempfile.mkdtemp(prefix="startup_phases-")
    try:
        if not a.fresh:  # fill numba's cache and the .pyc files first
            run_once(root, False, tmp, 0)
        runs = [run_once(root, a.fresh, tmp, i + 1) for i in range(a.repeat)]
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    load = " ".join(f"{v:.2f}" for v in os.getloadavg())

    def med(values):
        return statistics.median(values)

    print(f"# {root} ({'fresh numba cache' if a.fresh else 'warm'}), {a.repeat} run(s), "
          f"load {load}; CPU seconds, exclusive")
    print(f"{'phase':<20}{'thread s':>10}{'process s':>11}{'calls':>7}")
    names = ORDER + sorted({k for r in runs for k in r["phases"]} - set(ORDER))
    tot_t = tot_p = 0.0
    for name in names:
        vals = [r["phases"].get(name, [0.0, 0.0, 0]) for r in runs]
        t, p, c = med([v[0] for v in vals]), med([v[1] for v in vals]), med([v[2] for v in vals])
        tot_t, tot_p = tot_t + t, tot_p + p
        print(f"{name:<20}{t:>10.3f}{p:>11.3f}{c:>7.0f}")
    print(f"{'total':<20}{tot_t:>10.3f}{tot_p:>11.3f}")
    ks = sorted({k for r in runs for k in r["kernels"]},
                key=lambda k: -med([r["kernels"].get(k, [0, 0, 0, 0])[0] for r in runs]))
    print(f"\n{'kernel (first calls)':<48}{'thread s':>10}{'hits':>6}{'compiles':>9}")
    for k in ks:
        vals = [r["kernels"].get(k, [0.0, 0.0, 0, 0]) for r in runs]
        print(f"{k.removeprefix('nnlite.kernels.'):<48}{med([v[0] for v in vals]):>10.3f}"
              f"{med([v[2] for v in vals]):>6.0f}{med([v[3] for v in vals]):>9.0f}")
    print(f"{len(ks)} kernels; {runs[0]['modules']} modules imported")
    return 0


if __name__ == "__main__":
    sys.exit(main())
