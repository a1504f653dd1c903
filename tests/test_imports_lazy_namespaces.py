"""Torch-namespace names whose module loads on first attribute access (PEP 562 ``__getattr__``):
``import nnlite`` does not import them, the first access does, and they are the real objects."""

import subprocess
import sys

CODE = r"""
import sys, nnlite
lazy = ["nnlite.autograd.functional", "nnlite.autograd.profiler", "nnlite.serialization",
        "nnlite.amp", "nnlite.nn.parallel"]
assert not [m for m in lazy if m in sys.modules], [m for m in lazy if m in sys.modules]
import nnlite.autograd as A
assert A.functional is sys.modules["nnlite.autograd.functional"]
assert callable(A.functional.jacobian) and A.gradcheck.__module__ == "nnlite.autograd.gradcheck"
assert nnlite.profiler is A.profiler is sys.modules["nnlite.autograd.profiler"]
assert nnlite.save is sys.modules["nnlite.serialization"].save
assert nnlite.autocast is sys.modules["nnlite.amp"].autocast
assert nnlite.nn.parallel is sys.modules["nnlite.nn.parallel"]
for ns, name in ((nnlite, "no_such_name"), (A, "no_such_name"), (nnlite.nn, "no_such_name")):
    try:
        getattr(ns, name)
    except AttributeError as e:
        assert name in str(e), e
    else:
        raise AssertionError(f"{ns.__name__}.{name} did not raise")
x = nnlite.ones(2, requires_grad=True)
(x * x).sum().backward()  # Tensor.backward through the slot the engine filled at import
assert x.grad.tolist() == [2.0, 2.0]
print("ok")
"""


def test_lazy_namespace_attributes_load_on_first_use():
    out = subprocess.run([sys.executable, "-c", CODE], capture_output=True, text=True,
                         timeout=300, check=False)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"
