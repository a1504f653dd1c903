"""Run an unchanged PyTorch script on nnlite: ``python -m nnlite.compat script.py [args...]``.

The shim puts an import hook in front of Python's module finders so that every ``torch`` import
resolves to nnlite's module of the same role: ``import torch`` gives ``nnlite``,
``import torch.nn.functional as F`` gives ``nnlite.nn.functional``,
``from torch.utils.data import DataLoader`` gives ``nnlite.data``'s, and so on
(``torch.X.Y`` is ``nnlite.X.Y`` except where nnlite's layout differs, listed in ``ALIASES``).
A ``torch`` module that nnlite does not have fails with ``ModuleNotFoundError`` naming it.

In a program or a test::

    from nnlite import compat
    with compat.torch_is_nnlite():
        import torch            # nnlite
    import torch                # the real PyTorch again (if installed)

``compat.install()`` / ``compat.uninstall()`` do the same without the ``with``.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.abc
import importlib.util
import os
import runpy
import sys

# torch module -> nnlite module, where the names differ. Submodules follow their parent
# (``torch.utils.data.dataloader`` -> ``nnlite.data.dataloader``).
ALIASES = {
    "torch": "nnlite",
    "torch.utils.data": "nnlite.data",
    "torch.utils.data.sampler": "nnlite.data.sampler",
    "torch.utils.data.dataloader": "nnlite.data.dataloader",
    "torch.utils.data.dataset": "nnlite.data.dataset",
    "torch.utils.data._utils": "nnlite.data.dataloader",
    "torch.utils.data._utils.collate": "nnlite.data.dataloader",
    "torch.autograd.variable": "nnlite.autograd",
    "torch.autograd.function": "nnlite.autograd.function",
    "torch.nn.parameter": "nnlite.nn.parameter",
    "torch.nn.init": "nnlite.nn.init",
    "torch.optim.optimizer": "nnlite.optim.optimizer",
    "torch.profiler": "nnlite.autograd.profiler",
    "torch.testing": "nnlite.testing",
    "torch.cuda.amp": "nnlite.amp",
    "torch.random": "nnlite._random",
}


def nnlite_name(torch_name: str) -> str:
    """The nnlite module that plays the role of ``torch_name`` (``torch.nn`` -> ``nnlite.nn``)."""
    parts = torch_name.split(".")
    for i in range(len(parts), 0, -1):
        head = ".".join(parts[:i])
        if head in ALIASES:
            return ".".join([ALIASES[head], *parts[i:]])
    return torch_name  # not a torch name


class _AliasLoader(importlib.abc.Loader):
    def __init__(self, module) -> None:
        self.module = module

    def create_module(self, spec):
        self._own_spec = getattr(self.module, "__spec__", None)
        return self.module

    def exec_module(self, module) -> None:
        # The nnlite module is already executed; the import system only records it under the
        # torch name (and sets it as an attribute of the torch parent, which is nnlite's parent).
        # It did overwrite __spec__ with the torch-named one: put nnlite's back.
        module.__spec__ = self._own_spec


class TorchToNnlite(importlib.abc.MetaPathFinder):
    """The import hook: finds ``torch`` and ``torch.*`` and answers with nnlite's module."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname != "torch" and not fullname.startswith("torch."):
            return None
        target_name = nnlite_name(fullname)
        try:
            module = importlib.import_module(target_name)
        except ModuleNotFoundError as e:
            if e.name is not None and not target_name.startswith(e.name):
                raise  # a real missing dependency inside nnlite: do not disguise it
            raise ModuleNotFoundError(
                f"No module named '{fullname}': nnlite has no counterpart of it (looked for "
                f"'{target_name}'). See the README's 'Running a PyTorch script' section for what "
                f"nnlite covers.",
                name=fullname,
            ) from None
        spec = importlib.util.spec_from_loader(fullname, _AliasLoader(module))
        return spec


_FINDER = TorchToNnlite()
_saved_torch: dict = {}


def _is_torch(name: str) -> bool:
    return name == "torch" or name.startswith("torch.")


def install() -> None:
    """Make ``import torch`` (and every ``torch.*``) resolve to nnlite in this process.

    Real torch modules already imported are set aside and come back on ``uninstall()``.
    """
    if _FINDER in sys.meta_path:
        return
    for name in [n for n in sys.modules if _is_torch(n)]:
        _saved_torch[name] = sys.modules.pop(name)
    sys.meta_path.insert(0, _FINDER)


def uninstall() -> None:
    """Undo ``install()``: forget the torch names bound to nnlite, restore real torch's."""
    if _FINDER in sys.meta_path:
        sys.meta_path.remove(_FINDER)
    for name in [n for n in sys.modules if _is_torch(n)]:
        del sys.modules[name]
    sys.modules.update(_saved_torch)
    _saved_torch.clear()


@contextlib.contextmanager
def torch_is_nnlite():
    """``with torch_is_nnlite(): ...`` -- inside, ``import torch`` gives nnlite."""
    install()
    try:
        yield
    finally:
        uninstall()


_USAGE = """usage: python -m nnlite.compat SCRIPT.py [ARGS...]
       python -m nnlite.compat -m MODULE [ARGS...]

Runs an unchanged PyTorch script with nnlite standing in for torch: every 'import torch...'
resolves to nnlite's module of the same role."""


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``python -m nnlite.compat``."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help"):
        print(_USAGE, file=sys.stderr if not argv else sys.stdout)
        return 2 if not argv else 0
    install()
    if argv[0] == "-m":
        if len(argv) < 2:
            print("nnlite.compat: -m needs a module name", file=sys.stderr)
            return 2
        sys.argv = argv[1:]
        runpy.run_module(argv[1], run_name="__main__", alter_sys=True)
        return 0
    script = argv[0]
    script = os.path.abspath(script)
    if not os.path.isfile(script):
        print(f"nnlite.compat: no such script: {script}", file=sys.stderr)
        return 2
    sys.argv = argv
    # As `python script.py` does: the script's folder goes first on sys.path.
    sys.path.insert(0, os.path.dirname(os.path.abspath(script)))
    runpy.run_path(script, run_name="__main__")
    return 0


if __name__ == "__main__":
    sys.exit(main())
