"""Per-step Python work of the eager training step, counted (not timed), for two checkouts.

Timing on a loaded machine measures the load; counts do not move with it. For each workload and
optimizer this runs bench/bench_train.py's step of one implementation (``--impl``: ``nnlite``,
the eager step, by default; ``nnlite-compiled``, the PyTorch program with ``torch.compile`` and
``fused=True`` run with nnlite as torch) of each checkout in a fresh process, warms it up, then counts over ``--steps`` steps:

* ``py_calls``: Python function calls (``sys.setprofile`` "call" events);
* ``c_calls``: calls of C functions/methods (numpy, builtins: "c_call" events; listed as
  ``C:name`` among the functions);
* ``tensors``: Tensor objects created (``Tensor._wrap`` / ``Tensor.__init__`` / Parameter calls);
* ``nodes``: graph nodes created (``Node.__new__``, patched to count);
* ``alloc_kib``: tracemalloc's peak minus start of a step (KiB, arrays included);
* ``blas_switches``: OpenBLAS thread-count changes (``nnlite._blas`` switching numpy's BLAS to
  the count chosen for a product and back: ctypes calls, not among ``c_calls``);

and prints them per step side by side, with the functions whose call counts differ most.

Usage::

    python bench/step_work.py /work/wt/baseline . --workloads small,tiny-batch,mid
    python bench/step_work.py OLD_CHECKOUT . --impl nnlite-compiled --workloads small
"""

from __future__ import annotations

import argparse
import os

from bench_revisions import run_in_checkout  # bench/ is on sys.path when run as a script

CHILD = r"""
import collections, json, os, sys, tracemalloc
sys.path.insert(0, os.path.join(sys.argv[1], "bench"))
import bench_train as bt
import nnlite
assert os.path.dirname(os.path.dirname(os.path.abspath(nnlite.__file__))) == os.path.abspath(
    sys.argv[1]), f"imported {nnlite.__file__}, not the checkout {sys.argv[1]}"
from nnlite.autograd.function import Node
step, _ = bt.SETUPS[sys.argv[5]](sys.argv[2], sys.argv[3])
n_steps = int(sys.argv[4])
for _ in range(30):
    step()
switches = [0]  # OpenBLAS thread-count switches (ctypes calls: not among c_calls)
try:
    from nnlite import _blas as _B
    _ob = _B._openblas()
except (ImportError, AttributeError):
    _ob = None
if _ob:
    def _count_switch(n, _set=_ob[0]):
        switches[0] += 1
        _set(n)
    _B._ob = (_count_switch, _ob[1])
nodes = [0]
_orig_new = Node.__new__
def _counting_new(cls, *a, **k):
    nodes[0] += 1
    return _orig_new(cls)
Node.__new__ = _counting_new
calls = collections.Counter()
ccalls = [0]
root = os.path.abspath(sys.argv[1])
def prof(frame, event, arg):
    if event == "call":
        co = frame.f_code
        fn = co.co_filename
        if fn.startswith(root):
            fn = os.path.relpath(fn, root)
        calls[(fn, co.co_firstlineno, co.co_name)] += 1
    elif event == "c_call":
        ccalls[0] += 1
        calls[("C", 0, getattr(arg, "__qualname__", getattr(arg, "__name__", "?")))] += 1
sys.setprofile(prof)
for _ in range(n_steps):
    step()
sys.setprofile(None)
Node.__new__ = _orig_new
# _counting_new itself is a Python call: leave it out
calls = {k: v for k, v in calls.items() if k[2] not in ("_counting_new", "_count_switch")}
n_switches = switches[0]
ccounts = {k: v for k, v in calls.items() if k[0] == "C"}
calls = {k: v for k, v in calls.items() if k[0] != "C"}
tensors = sum(v for (f, _, n), v in calls.items()
              if f.endswith(os.path.join("nnlite", "_tensor.py")) and n in ("_wrap", "__init__")
              or f.endswith(os.path.join("nn", "parameter.py")) and n == "__new__")
tracemalloc.start()
peaks = []
for _ in range(n_steps):
    tracemalloc.reset_peak()
    start = tracemalloc.get_traced_memory()[0]
    step()
    peaks.append(tracemalloc.get_traced_memory()[1] - start)
tracemalloc.stop()
peaks.sort()
per_fn = collections.Counter()
for (f, _, n), v in list(calls.items()) + list(ccounts.items()):
    per_fn[f"{f}:{n}"] += v / n_steps  # by file and name: line numbers differ between checkouts
out = {
    "py_calls": sum(calls.values()) / n_steps,
    "c_calls": ccalls[0] / n_steps,
    "tensors": tensors / n_steps,
    "nodes": nodes[0] / n_steps,
    "alloc_kib": peaks[len(peaks) // 2] / 1024,
    "blas_switches": n_switches / n_steps,
    "per_fn": per_fn,
}
print(json.dumps(out))
"""


def count(checkout: str, workload: str, optimizer: str, steps: int,
          impl: str = "nnlite") -> dict:
    return run_in_checkout(checkout, CHILD, (workload, optimizer, steps, impl), "step_work")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("before")
    p.add_argument("after")
    p.add_argument("--workloads", default="small,tiny-batch,mid")
    p.add_argument("--optimizers", default="sgd,adam")
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--impl", default="nnlite",
                   help="bench_train implementation to count (nnlite, nnlite-compiled, ...)")
    p.add_argument("--top", type=int, default=12, help="functions with the largest call diff")
    p.add_argument("--threads", type=int, default=None,
                   help="nnlite's thread count in the step (BENCH_THREADS; default: one BLAS "
                        "thread) -- at 2, products chosen at one thread switch OpenBLAS")
    a = p.parse_args()
    if a.threads is not None:
        if a.threads < 1:
            p.error(f"--threads must be >= 1, got {a.threads}")
        os.environ["BENCH_THREADS"] = str(a.threads)
    keys = ("py_calls", "c_calls", "tensors", "nodes", "alloc_kib", "blas_switches")
    print(f"# before={a.before}  after={a.after}  impl={a.impl}  threads={a.threads or 1}  "
          f"(per step, {a.steps} steps after 30 warm-up)")
    print(f"{'workload':11} {'opt':5} " + " ".join(f"{k + ' b/a':>20}" for k in keys))
    for w in a.workloads.split(","):
        for o in a.optimizers.split(","):
            b = count(a.before, w, o, a.steps, a.impl)
            f = count(a.after, w, o, a.steps, a.impl)
            print(f"{w:11} {o:5} " + " ".join(f"{b.get(k, 0):>9.1f}/{f.get(k, 0):<10.1f}"
                                              for k in keys))
            if a.top:
                names = set(b["per_fn"]) | set(f["per_fn"])
                diff = sorted(names, key=lambda n: -abs(f["per_fn"].get(n, 0)
                                                        - b["per_fn"].get(n, 0)))
                for n in diff[: a.top]:
                    x, y = b["per_fn"].get(n, 0), f["per_fn"].get(n, 0)
                    if x != y:
                        print(f"    {y - x:+8.1f}  {x:8.1f} -> {y:8.1f}  {n}")


if __name__ == "__main__":
    main()
