"""End-to-end start-up benchmark of the default run (issue 12): ``python scripts/train.py
configs/mlp.yaml`` against the same run written in PyTorch and against a baseline checkout.

Measured, side by side in one run, every command in its own process, interleaved round by
round (so the machine's drift hits all of them alike), after one warm-up run each (numba's
cache and the ``.pyc`` files filled):

* ``nnlite``      this checkout: ``scripts/train.py configs/mlp.yaml`` (no ``--quiet``: the
                  per-epoch lines are printed, as a user sees them)
* ``baseline``    the same command in ``--baseline DIR`` (default /work/wt/baseline, when it
                  exists)
* ``torch``       ``bench/mlp_digits_torch.py``: the same model, data, optimizer, schedule,
                  epochs, batch size, metrics and per-epoch checkpoints as a PyTorch program
                  (scikit-learn for the data and metrics, as a PyTorch user writes it)
* ``torch-nosk``  the same program reading the digits file and computing the metrics with
                  numpy (PyTorch's floor: ``import torch`` plus the training)

Each: wall seconds (median, min-max) and CPU seconds (user + sys of the child, median), and the
ratios nnlite/torch, nnlite/baseline of the medians. Then one instrumented run of each
checkout prints counts, which hold under load where timings do not: modules imported (all,
nnlite's), whether numba / scipy.linalg / scikit-learn / matplotlib were imported, numba kernels
loaded (dispatchers with a compiled signature) and fsync calls (made in the background
writer's thread or not). Last, the first run on a fresh copy of this checkout and of the
baseline (tracked and untracked files, no ``__pycache__``: no numba cache and no ``.pyc``; an
empty ``NUMBA_CACHE_DIR`` and BLAS-choice cache), once each, instrumented: wall, CPU and the
numba kernels (specializations) it compiled.

Python's bytecode cache is on for the timed runs (``PYTHONDONTWRITEBYTECODE`` is removed and
``PYTHONPYCACHEPREFIX`` points into the bench's temporary directory, so nothing is written into
the checkouts but numba's cache), as on a user's machine; ``--no-pyc`` keeps the environment's
setting instead.

Usage::

    python bench/bench_startup.py [--rounds 5] [--baseline DIR] [--no-torch] [--no-fresh]

On the quiet machine at the end: ``python bench/bench_startup.py --rounds 7 --baseline
/work/wt/before``. Where the seconds go (CPU per phase and per numba kernel, which holds under
load where wall time does not): ``python bench/startup_phases.py [--fresh] [--root DIR]``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

# Runs a script (argv[1:]) in this process and, at exit, writes what it imported and loaded to
# $BENCH_STARTUP_PROBE as JSON. os.fsync is counted by wrapping it before the script starts.
PROBE = r"""
import atexit, json, os, resource, runpy, sys, time
_t0 = time.perf_counter()
_fsyncs = [0]
_fsync = os.fsync
def _counting_fsync(fd):
    _fsyncs[0] += 1
    return _fsync(fd)
os.fsync = _counting_fsync
def _report():
    mods = list(sys.modules)
    kernels = []
    if "numba" in sys.modules:
        import gc
        from numba.core.registry import CPUDispatcher
        for o in gc.get_objects():
            if isinstance(o, CPUDispatcher) and o.signatures:
                kernels.append(f"{o.py_func.__module__}.{o.py_func.__name__}"
                               f"[{len(o.signatures)}]")
    r = resource.getrusage(resource.RUSAGE_SELF)
    out = {"modules": len(mods), "nnlite_modules": sum(m.split(".")[0] == "nnlite" for m in mods),
           "numba": "numba" in sys.modules, "scipy.linalg": "scipy.linalg" in sys.modules,
           "sklearn": "sklearn" in sys.modules, "matplotlib": "matplotlib" in sys.modules,
           "kernels": sorted(kernels), "fsyncs": _fsyncs[0],
           "cpu_s": r.ru_utime + r.ru_stime, "wall_s": time.perf_counter() - _t0}
    with open(os.environ["BENCH_STARTUP_PROBE"], "w") as f:
        json.dump(out, f)
atexit.register(_report)
sys.argv = sys.argv[1:]
sys.path.insert(0, os.path.dirname(os.path.abspath(sys.argv[0])))
runpy.run_path(sys.argv[0], run_name="__main__")
"""


def machine() -> str:
    cpu = platform.processor() or "?"
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next((ln.split(":", 1)[1].strip() for ln in f if ln.startswith("model name")),
                       cpu)
    except OSError:
        pass
    try:
        load = " ".join(f"{v:.2f}" for v in os.getloadavg())
    except OSError:
        load = "?"
    return f"{cpu}, {os.cpu_count()} cores, load {load}"


def versions() -> str:
    out = [f"python {platform.python_version()}"]
    for name in ("numpy", "numba", "torch", "sklearn"):
        try:
            out.append(f"{name} {__import__(name).__version__}")
        except ImportError:
            out.append(f"{name} -")
    return ", ".join(out)


class Runner:
    """Runs one command in a fresh output directory; returns (wall s, child CPU s, stdout)."""

    def __init__(self, tmp: str, env: dict):
        self.tmp, self.env, self.n = tmp, env, 0

    def outdir(self) -> str:
        self.n += 1
        return os.path.join(self.tmp, f"out{self.n}")

    def run(self, argv: list[str], cwd: str, env: dict | None = None):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t = time.perf_counter()
        p = subprocess.run(argv, cwd=cwd, env=env or self.env, capture_output=True, text=True,
                           timeout=600, check=False)
        wall = time.perf_counter() - t
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        if p.returncode != 0:
            raise SystemExit(f"bench_startup: {' '.join(argv)} (in {cwd}) failed with status "
                             f"{p.returncode}:\n{p.stderr[-2000:]}")
        return wall, cpu, p.stdout


def commands(a, runner: Runner) -> dict:
    """name -> function() -> (argv, cwd, env): a new output directory per call."""
    py = sys.executable
    cmds = {}

    def cli(root):
        def make():
            env = dict(runner.env, PYTHONPATH=root)
            return [py, "scripts/train.py", "configs/mlp.yaml", "--output-dir",
                    runner.outdir()], root, env
        return make

    cmds["nnlite"] = cli(ROOT)
    if a.baseline and os.path.isfile(os.path.join(a.baseline, "scripts", "train.py")):
        cmds["baseline"] = cli(os.path.abspath(a.baseline))
    if not a.no_torch:
        try:
            import importlib.util

            has_torch = importlib.util.find_spec("torch") is not None
        except (ImportError, ValueError):
            has_torch = False
        if has_torch:
            script = os.path.join(HERE, "mlp_digits_torch.py")
            cmds["torch"] = lambda: ([py, script, runner.outdir()], ROOT, runner.env)
            cmds["torch-nosk"] = lambda: ([py, script, runner.outdir(), "--no-sklearn"], ROOT,
                                          runner.env)
    return cmds


def probe(runner: Runner, root: str, env: dict | None = None) -> dict:
    """One instrumented run in ``root``: the PROBE's counts, plus its wall and CPU seconds."""
    path = os.path.join(runner.tmp, "probe.json")
    env = dict(env or runner.env, PYTHONPATH=root, BENCH_STARTUP_PROBE=path)
    w, c, _ = runner.run([sys.executable, "-c", PROBE, "scripts/train.py", "configs/mlp.yaml",
                          "--output-dir", runner.outdir()], root, env)
    with open(path) as f:
        return dict(json.load(f), run_wall_s=w, run_cpu_s=c)


def fresh_copy(root: str, dest: str) -> None:
    """A checkout's tracked and untracked (not ignored) files, without any cache."""
    files = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=root,
                           capture_output=True, check=True).stdout.decode().split("\0")
    for rel in filter(None, files):
        if rel.startswith("runs/"):
            continue
        src = os.path.join(root, rel)
        if not os.path.isfile(src):
            continue
        dst = os.path.join(dest, rel)
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        shutil.copy2(src, dst)


def summary_line(name: str, walls: list, cpus: list) -> str:
    return (f"{name:<12}{statistics.median(walls):>9.2f}  ({min(walls):.2f}-{max(walls):.2f})"
            f"{statistics.median(cpus):>10.2f}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=5, help="timed runs of each command")
    ap.add_argument("--baseline", default="/work/wt/baseline",
                    help="a checkout to compare with (skipped when it does not exist)")
    ap.add_argument("--no-torch", action="store_true", help="skip the PyTorch program")
    ap.add_argument("--no-fresh", action="store_true", help="skip the fresh-copy first run")
    ap.add_argument("--no-pyc", action="store_true",
                    help="keep the environment's PYTHONDONTWRITEBYTECODE / PYTHONPYCACHEPREFIX")
    a = ap.parse_args(argv)
    if a.rounds < 5:
        print(f"# note: {a.rounds} rounds; medians need >= 5 to mean much", file=sys.stderr)

    tmp = tempfile.mkdtemp(prefix="bench_startup-")
    env = dict(os.environ)
    if not a.no_pyc:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = os.path.join(tmp, "pyc")
    runner = Runner(tmp, env)
    try:
        print(f"# {time.strftime('%Y-%m-%d %H:%M:%S')}  {machine()}")
        print(f"# {versions()}")
        print(f"# bytecode cache: {'off' if env.get('PYTHONDONTWRITEBYTECODE') else 'on'}; "
              f"{a.rounds} rounds after one warm-up run each")
        cmds = commands(a, runner)
        for name, make in cmds.items():  # warm-up: numba cache, .pyc, BLAS choices
            argv_, cwd, e = make()
            runner.run(argv_, cwd, e)
        walls = {n: [] for n in cmds}
        cpus = {n: [] for n in cmds}
        outputs = {}
        for r in range(a.rounds):
            order = list(cmds) if r % 2 == 0 else list(reversed(cmds))
            for name in order:
                argv_, cwd, e = cmds[name]()
                w, c, out = runner.run(argv_, cwd, e)
                walls[name].append(w)
                cpus[name].append(c)
                outputs[name] = out
        print(f"\n{'command':<12}{'wall s median (min-max)':>26}{'cpu s':>8}")
        for name in cmds:
            print(summary_line(name, walls[name], cpus[name]))
        med = {n: statistics.median(v) for n, v in walls.items()}
        for other in ("torch", "torch-nosk", "baseline"):
            if other in med:
                print(f"nnlite/{other:<11} wall {med['nnlite'] / med[other]:.2f}x")
        for name in ("nnlite", "baseline", "torch"):
            done = [ln for ln in outputs.get(name, "").splitlines() if ln.startswith("done:")]
            if done:
                print(f"{name} result: {done[-1]}")

        print("\ncounts (one instrumented run each):")
        roots = {"nnlite": ROOT}
        if "baseline" in cmds:
            roots["baseline"] = os.path.abspath(a.baseline)
        for name, root in roots.items():
            c = probe(runner, root)
            imported = ", ".join(k for k in ("numba", "scipy.linalg", "sklearn", "matplotlib")
                                 if c[k])
            print(f"  {name}: {c['modules']} modules ({c['nnlite_modules']} nnlite), imported: "
                  f"{imported or 'none of numba/scipy.linalg/sklearn/matplotlib'}; "
                  f"{len(c['kernels'])} numba kernels; {c['fsyncs']} fsyncs; "
                  f"cpu {c['cpu_s']:.2f} s")
            if c["kernels"]:
                print("    kernels: " + " ".join(k.removeprefix("nnlite.kernels.")
                                                 for k in c["kernels"]))

        if not a.no_fresh:
            print("\nfirst run on a fresh copy (no numba cache, no .pyc; instrumented):")
            for name, root in roots.items():
                dest = os.path.join(tmp, f"fresh-{name}")
                fresh_copy(root, dest)
                fenv = dict(env, NNLITE_BLAS_CACHE=os.path.join(tmp, f"blas-{name}.json"),
                            NUMBA_CACHE_DIR=os.path.join(tmp, f"numba-{name}"),
                            PYTHONPYCACHEPREFIX=os.path.join(tmp, f"pyc-fresh-{name}"))
                c = probe(runner, dest, fenv)
                ours = [k for k in c["kernels"] if k.startswith("nnlite.")]
                specs = sum(int(k.rsplit("[", 1)[1].rstrip("]")) for k in ours)
                # numba's own jitted implementations (np.empty, ...) compiled along with them
                print(f"  {name}: wall {c['run_wall_s']:.2f} s, cpu {c['run_cpu_s']:.2f} s; "
                      f"compiled {len(ours)} nnlite numba kernels ({specs} specializations) "
                      f"+ {len(c['kernels']) - len(ours)} of numba's own implementations")
                print("    kernels: " + " ".join(k.removeprefix("nnlite.kernels.")
                                                 for k in ours))
        print(f"# load at the end: {machine().rsplit('load ', 1)[1]}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
