"""The lazy kernel handle (``nnlite.kernels.lazy``): imports its module on the first attribute
read, then reads are plain attribute lookups into the module's own namespace (no call per op)."""

import subprocess
import sys

import pytest

from nnlite import kernels


def test_handle_imports_on_first_use_then_reads_the_module_namespace():
    code = (
        "import sys, nnlite\n"
        "from nnlite.kernels import lazy\n"
        "h = lazy('special')\n"
        "assert 'nnlite.kernels.special' not in sys.modules and 'numba' not in sys.modules\n"
        "assert 'not loaded' in repr(h)\n"
        "mod_erf = h.erf\n"
        "m = sys.modules['nnlite.kernels.special']\n"
        "assert mod_erf is m.erf and h.__dict__ is m.__dict__\n"
        "print('ok')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"


def test_handle_sees_what_the_module_holds_now(monkeypatch):
    h = kernels.lazy("elementwise")
    mod = kernels.load("elementwise")
    sentinel = object()
    monkeypatch.setattr(mod, "relu_forward", sentinel)
    assert h.relu_forward is sentinel  # a live view, not a copy taken at first use


def test_missing_attribute_and_missing_module_raise():
    h = kernels.lazy("elementwise")
    with pytest.raises(AttributeError, match="no_such_kernel"):
        h.no_such_kernel
    with pytest.raises(ModuleNotFoundError):
        kernels.lazy("no_such_module").anything


def test_hot_path_reads_call_no_python_function():
    """After first use, reading a kernel through the handle runs no Python frame (the
    per-op cost the issue measured: one ``load(name)`` call per op)."""
    h = kernels.lazy("elementwise")
    h.relu_forward  # noqa: B018  (first use: loads)
    calls = []

    def prof(frame, event, arg):
        if event == "call":
            calls.append(frame.f_code.co_name)

    sys.setprofile(prof)
    try:
        for _ in range(5):
            h.relu_backward  # noqa: B018
    finally:
        sys.setprofile(None)
    assert calls == []
