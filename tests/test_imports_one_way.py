"""Imports run one way: no import cycle, the layers import only downward, and an import inside a
function needs a reason.

Every nnlite module is parsed with ``ast`` (nothing is imported). A module-level import (one in
an ``if TYPE_CHECKING:`` block excepted) is an edge, plus the packages Python runs on the way to
the target (``from nnlite.ops.nn import linear`` runs ``nnlite/ops/__init__.py`` first); the
strongly connected components of that graph are the cycles.

Layers, bottom up: ``nnlite.kernels`` (imports nothing from nnlite); the grad-mode state
(``nnlite._grad_mode``), dtypes and printing (imports nothing above them); ``_tensor`` (only
those); the autograd graph and engine (the ``nnlite.autograd`` package but its lazily loaded
``functional``/``profiler``: ``_tensor`` and below, never ``ops``); ``ops`` (anything below,
never ``nn``, ``optim``, ``train``, ...); ``nn`` implementation modules import ``ops``, never
``nn.functional`` (the facade over ``ops``). A lower layer reaches an upper one only through a
slot the upper one fills when it is imported (the engine sets ``_tensor._run_backward``, ops
bind the Tensor methods).

An import inside a function hides a cycle or a cost from the module's header. Each one left is
listed below with the reason it stays; a new one fails the test.
"""

from __future__ import annotations

import ast
import collections
import pathlib

import pytest

import nnlite

ROOT = pathlib.Path(nnlite.__file__).parent

# ---- what may be imported inside a function, and why ---------------------------------------

# by top-level package: optional dependencies (absent on a plain install) and heavy ones that
# only some commands need, so `import nnlite` and the CLI's start-up stay fast
LAZY_PACKAGES = {
    "torch": "optional (parity checks, torch interop)",
    "onnx": "optional (nnlite.onnx export)",
    "onnxruntime": "optional (nnlite.onnx check)",
    "mpi4py": "optional (the MPI process-group backend)",
    "graphviz": "optional (model graph drawing)",
    "matplotlib": "optional (plots)",
    "tensorboard": "optional (SummaryWriter)",
    "mkl": "optional (BLAS thread control)",
    "pandas": "optional (tabular data frames)",
    "threadpoolctl": "optional (BLAS thread control)",
    "sklearn": "scikit-learn takes ~0.5 s to import: only its estimators/datasets load it",
    "yaml": "config files only (train CLI), not `import nnlite`",
    "tqdm": "progress bars only (train loop), not `import nnlite`",
    "safetensors": "checkpoint files only (serialization), not `import nnlite`",
    "termios": "POSIX-only (the CLI's key handling)",
    "fcntl": "POSIX-only (the CLI's key handling)",
}

_CLI = "CLI start-up: `nnlite-train --help` and bad-config errors must not import the trainer"

# (module, imported module) -> reason; may only shrink
ALLOWED: dict[tuple[str, str], str] = {
    ("nnlite.backends.cpu", "numpy._core._multiarray_umath"): "numpy-private, absent in some "
                                                               "numpy versions (try/except)",
    ("nnlite.train.cli", "nnlite.onnx.run_export"): _CLI,
    ("nnlite.train.cli", "nnlite.train.config"): _CLI,
    ("nnlite.train.cli", "nnlite.train.configdoc"): _CLI,
    ("nnlite.train.cli", "nnlite.train.distributed"): _CLI,
    ("nnlite.train.cli", "nnlite.train.errors"): _CLI,
    ("nnlite.train.cli", "nnlite.train.plots"): _CLI,
    ("nnlite.train.cli", "nnlite.train.predict"): _CLI,
    ("nnlite.train.cli", "nnlite.train.resume"): _CLI,
    ("nnlite.train.cli", "nnlite.train.runner"): _CLI,
    ("nnlite.train.cli", "nnlite.train.schema"): _CLI,
    ("nnlite.train.cli", "re"): _CLI,
    ("nnlite.train.cli", "signal"): _CLI,
    ("nnlite.train.cli", "threading"): _CLI,
    ("nnlite.kernels._jit", "numba.np"): "numba's linalg registry (~0.1-0.2 s with its arrayobj "
                                         "import) only before a compile: a kernel loaded from "
                                         "numba's cache never imports it",
}

# modules importing something above their layer, -> reason; may only shrink (empty: keep it so)
LAYER_EXCEPTIONS: dict[tuple[str, str], str] = {}


# ---- the analysis ------------------------------------------------------------------------


def module_sources(root: pathlib.Path = ROOT) -> dict[str, str]:
    """``{dotted module name: source}`` of every module under ``root`` (the nnlite package)."""
    out = {}
    for p in sorted(root.rglob("*.py")):
        parts = list(p.relative_to(root.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = p.read_text()
    return out


class Imports:
    """Module-level edges and in-function imports of a set of modules."""

    def __init__(self, sources: dict[str, str], packages: set[str] | None = None):
        self.sources = sources
        self.packages = packages if packages is not None else {
            m for m in sources if any(k.startswith(m + ".") for k in sources)}
        self.edges: dict[str, set[str]] = collections.defaultdict(set)
        self.module_level: dict[str, set[str]] = collections.defaultdict(set)
        self.in_function: list[tuple[str, str, int]] = []
        for m, src in sources.items():
            self._scan(m, ast.parse(src))

    def _targets(self, m: str, node) -> list[str]:
        if isinstance(node, ast.Import):
            return [a.name for a in node.names]
        base = node.module or ""
        if node.level:
            pkg = m.split(".") if m in self.packages else m.split(".")[:-1]
            pkg = pkg[:len(pkg) - node.level + 1]
            base = ".".join(pkg + ([base] if base else []))
        out = []
        for a in node.names:
            full = f"{base}.{a.name}"
            out.append(full if full in self.sources else base)
        return out

    def _with_packages(self, m: str, x: str) -> list[str]:
        """``x`` and the packages run on the way to it (not ``m``'s own, not the root)."""
        if x not in self.sources or x == m:
            return []
        parts = x.split(".")
        out = [".".join(parts[:i]) for i in range(2, len(parts))]
        out = [a for a in out if a in self.sources and not (m == a or m.startswith(a + "."))]
        return out + [x]

    def _scan(self, m: str, tree) -> None:
        def visit(node, in_fn: bool) -> None:
            for child in ast.iter_child_nodes(node):
                if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                    continue
                if isinstance(child, (ast.Import, ast.ImportFrom)):
                    for x in self._targets(m, child):
                        if in_fn:
                            self.in_function.append((m, x, child.lineno))
                        else:
                            self.module_level[m].add(x)
                            self.edges[m].update(self._with_packages(m, x))
                    continue
                fn = isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
                visit(child, in_fn or fn)

        visit(tree, False)

    def cycles(self) -> list[list[str]]:
        """The strongly connected components with more than one module (Tarjan)."""
        index, low, stack, on, out = {}, {}, [], set(), []
        counter = [0]

        def strong(v):
            index[v] = low[v] = counter[0]
            counter[0] += 1
            stack.append(v)
            on.add(v)
            for w in self.edges.get(v, ()):
                if w not in index:
                    strong(w)
                    low[v] = min(low[v], low[w])
                elif w in on:
                    low[v] = min(low[v], index[w])
            if low[v] == index[v]:
                comp = []
                while True:
                    w = stack.pop()
                    on.discard(w)
                    comp.append(w)
                    if w == v:
                        break
                if len(comp) > 1:
                    out.append(sorted(comp))

        for v in sorted(self.sources):
            if v not in index:
                strong(v)
        return out

    def all_imports(self):
        """(module, target, where) for every import, module level and in functions."""
        for m, xs in self.module_level.items():
            for x in xs:
                yield m, x, "module level"
        for m, x, line in self.in_function:
            yield m, x, f"line {line}"


def _is(mod: str, *prefixes: str) -> bool:
    return any(mod == p or mod.startswith(p + ".") for p in prefixes)


# above the op layer: what ops (and everything below them) must not import
ABOVE_OPS = ("nnlite.nn", "nnlite.optim", "nnlite.train", "nnlite.data", "nnlite.compile",
             "nnlite.distributed", "nnlite.sklearn", "nnlite.onnx", "nnlite.utils",
             "nnlite.distributions", "nnlite.serialization", "nnlite.amp", "nnlite.functional",
             "nnlite.linalg", "nnlite.testing", "nnlite.cuda", "nnlite.backends")
BELOW_TENSOR = ("nnlite._dtype", "nnlite._format", "nnlite._grad_mode")
# the autograd modules built on ops (loaded lazily by the package: torch.autograd.functional)
AUTOGRAD_ON_OPS = ("nnlite.autograd.functional", "nnlite.autograd.profiler")


def layer_violations(imp: Imports) -> list[str]:
    """Imports that go up a layer, as ``"module -> target (where)"`` lines."""
    bad = []
    for m, x, where in imp.all_imports():
        if not x.startswith("nnlite") or x == m:
            continue
        rule = None
        if _is(m, "nnlite.kernels") and not _is(x, "nnlite.kernels"):
            rule = "kernels import nothing from nnlite"
        elif m in BELOW_TENSOR and not _is(x, *BELOW_TENSOR):
            rule = "grad mode, dtypes and printing import nothing above them"
        elif m == "nnlite._tensor" and not _is(x, *BELOW_TENSOR):
            rule = "_tensor imports only what is below it"
        elif (_is(m, "nnlite.autograd") and not _is(m, *AUTOGRAD_ON_OPS)
              and not _is(x, "nnlite.autograd", "nnlite._tensor", *BELOW_TENSOR)):
            rule = "the autograd graph and engine import only _tensor and below"
        elif _is(m, "nnlite.ops") and _is(x, *ABOVE_OPS):
            rule = "ops import nothing above them"
        elif (_is(m, "nnlite.nn") and not _is(m, "nnlite.nn.functional", "nnlite.nn.modules")
              and m != "nnlite.nn" and x == "nnlite.nn.functional"):
            rule = "nn modules import ops, never nn.functional"
        if rule and (m, x) not in LAYER_EXCEPTIONS:
            bad.append(f"{m} -> {x} ({where}): {rule}")
    return bad


def unlisted_in_function_imports(imp: Imports) -> list[str]:
    bad = []
    for m, x, line in imp.in_function:
        if x.split(".")[0] in LAZY_PACKAGES or (m, x) in ALLOWED:
            continue
        bad.append(f"{m} line {line}: import {x}")
    return bad


@pytest.fixture(scope="module")
def imports():
    return Imports(module_sources())


def test_no_import_cycle(imports):
    assert imports.cycles() == []


def test_layers_import_only_downward(imports):
    bad = layer_violations(imports)
    assert not bad, "imports going up a layer:\n" + "\n".join(bad)


def test_every_in_function_import_has_a_listed_reason(imports):
    bad = unlisted_in_function_imports(imports)
    assert not bad, (
        "in-function imports without a reason (move them to the module header, or list them in "
        "ALLOWED with the cycle or cost they avoid):\n" + "\n".join(bad))


def test_allow_lists_hold_no_stale_entries(imports):
    """An entry whose import is gone must go too (the lists only shrink)."""
    present = {(m, x) for m, x, _ in imports.in_function}
    assert sorted(set(ALLOWED) - present) == []
    everywhere = {(m, x) for m, x, _ in imports.all_imports()}
    assert sorted(set(LAYER_EXCEPTIONS) - everywhere) == []
    assert all(r.strip() for r in (*ALLOWED.values(), *LAYER_EXCEPTIONS.values(),
                                   *LAZY_PACKAGES.values()))


# ---- the checks fail where they should --------------------------------------------------


def test_a_synthetic_cycle_is_found():
    imp = Imports({"nnlite": "", "nnlite.a": "import nnlite.b\n",
                   "nnlite.b": "from nnlite import a\n", "nnlite.c": "import nnlite.a\n"},
                  packages={"nnlite"})
    assert imp.cycles() == [["nnlite.a", "nnlite.b"]]
    # in a function, or under TYPE_CHECKING, it is no module-level cycle
    imp = Imports({"nnlite": "", "nnlite.a": "import nnlite.b\n",
                   "nnlite.b": "def f():\n    import nnlite.a\n"
                               "from typing import TYPE_CHECKING\n"
                               "if TYPE_CHECKING:\n    import nnlite.a\n"},
                  packages={"nnlite"})
    assert imp.cycles() == []


def test_a_cycle_through_a_package_init_is_found():
    """``from nnlite.p.q import x`` runs ``nnlite/p/__init__.py``: an edge to the package too."""
    imp = Imports({"nnlite": "", "nnlite.p": "import nnlite.r\n", "nnlite.p.q": "",
                   "nnlite.r": "from nnlite.p.q import x\n"}, packages={"nnlite", "nnlite.p"})
    assert imp.cycles() == [["nnlite.p", "nnlite.r"]]


@pytest.mark.parametrize("mod, src, rule", [
    ("nnlite.kernels.k", "from nnlite._tensor import Tensor\n", "kernels"),
    ("nnlite._tensor", "def f():\n    from nnlite.optim import sgd\n", "_tensor"),
    ("nnlite.ops.x", "import nnlite.nn.functional as F\n", "ops import nothing above"),
    ("nnlite.nn.linear", "from nnlite.nn import functional as F\n", "never nn.functional"),
    ("nnlite._grad_mode", "from nnlite._tensor import Tensor\n", "grad mode"),
    ("nnlite.autograd.engine", "from nnlite.ops import shape\n", "autograd graph and engine"),
])
def test_a_synthetic_layer_violation_is_found(mod, src, rule):
    sources = {"nnlite": "", "nnlite.kernels": "", "nnlite.ops": "", "nnlite.nn": "",
               "nnlite._tensor": "", "nnlite.optim": "", "nnlite.optim.sgd": "",
               "nnlite.nn.functional": "", "nnlite.nn.linear": "", "nnlite._grad_mode": "",
               "nnlite.autograd": "", "nnlite.autograd.engine": "", "nnlite.ops.shape": "",
               mod: src}
    bad = layer_violations(Imports(sources))
    assert len(bad) == 1 and rule in bad[0], bad
    # the same import in an allowed direction is no violation
    assert layer_violations(Imports(dict(sources, **{mod: ""}))) == []


def test_a_new_in_function_import_is_found():
    src = ("import os\n\ndef f():\n    import json\n    import torch\n"
           "    from nnlite.ops import shape\n")
    bad = unlisted_in_function_imports(Imports({"nnlite": "", "nnlite.ops": "",
                                                "nnlite.ops.shape": "", "nnlite.m": src}))
    assert bad == ["nnlite.m line 4: import json", "nnlite.m line 6: import nnlite.ops.shape"]
