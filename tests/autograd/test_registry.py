"""The op registry is the one list of ops: every public op, Tensor method and F function has a
row, every row exists, and the table tests cover the rows (the uncovered ones are listed and the
list may only shrink)."""

import types

import pytest

import nnlite
import nnlite.nn.functional as F
from nnlite import ops
from nnlite._tensor import Tensor
from nnlite.ops import registry

from .test_ops_table import CASES, make_inputs, nl_inputs

TORCH_NAMES = set(registry.public_names("torch"))
F_NAMES = set(registry.public_names("F"))


def _defined_callables(module, prefix):
    out = {}
    for n, v in vars(module).items():
        if n.startswith("_") or isinstance(v, (type, types.ModuleType)) or not callable(v):
            continue
        if getattr(v, "__module__", "").startswith(prefix):
            out[n] = v
    return out


def test_every_public_op_has_a_row_and_every_row_is_public():
    public = _defined_callables(nnlite, "nnlite.ops")
    missing = sorted(set(public) - TORCH_NAMES)
    assert not missing, f"public ops without a registry row: {missing}"
    for n in TORCH_NAMES:
        assert callable(getattr(nnlite, n)), n
    assert sorted(ops.__all__) == sorted(TORCH_NAMES)


def test_every_F_function_has_a_row_and_every_row_exists():
    public = {n for n in _defined_callables(F, "nnlite")
              if not n.startswith("_") and n != "record"}
    assert sorted(public - F_NAMES) == [], "F functions without a registry row"
    for n in F_NAMES:
        assert callable(getattr(F, n)), n
    assert sorted(F.__all__) == sorted(F_NAMES)


def test_every_tensor_method_from_the_op_layer_comes_from_the_registry():
    table, inplace = registry.method_table(), registry.inplace_table()
    for n, v in vars(Tensor).items():
        if n in table:
            assert v is table[n], f"Tensor.{n} is not the registry's callable"
        elif n in inplace:
            assert getattr(v, "__name__", "") == n
        elif callable(v) and getattr(v, "__module__", "").startswith("nnlite.ops"):
            pytest.fail(f"Tensor.{n} is set outside the registry")


def test_a_missing_row_would_fail():
    """The coverage check is not vacuous: drop one row and the public set no longer matches."""
    row = next(r for r in registry.OPS if r.name == "sinh")
    registry.OPS.remove(row)
    try:
        assert "sinh" not in registry.public_names("torch")
        assert "sinh" in _defined_callables(nnlite, "nnlite.ops")
    finally:
        registry.OPS.append(row)


def _row_of(key):
    """The registry name a table key exercises: its longest ``_``-prefix that is a name."""
    parts = key.split("_")
    for i in range(len(parts), 0, -1):
        k = "_".join(parts[:i])
        if k in TORCH_NAMES or k in F_NAMES:
            return k
    return None


def _aliases():
    return {a: r.name for r in registry.OPS for a in r.aliases}


def _covered():
    """``{(namespace, row name)}`` the table exercises."""
    al = _aliases()
    out = set()
    for key, case in CASES.items():
        ns, name = case.row if case.row else ("torch", _row_of(key))
        if name:
            out.add((ns, al.get(name, name) if ns == "torch" else name))
    return out


def test_table_covers_every_row():
    rows = {(r.namespace, r.name) for r in registry.OPS if r.namespace in ("torch", "F")}
    missing = sorted(rows - _covered())
    assert not missing, f"registry rows without a table entry (add one to op_table): {missing}"


def test_a_row_without_a_table_entry_would_fail():
    row = registry.Op("no_such_op", None, namespace="F")
    registry.OPS.append(row)
    try:
        with pytest.raises(AssertionError, match="no_such_op"):
            test_table_covers_every_row()
    finally:
        registry.OPS.remove(row)


def test_table_keys_name_their_rows():
    assert _row_of("add_alpha") == "add" and _row_of("log_softmax") == "log_softmax"
    assert _row_of("no_such_op") is None
    assert CASES["F.relu"].row == ("F", "relu") and CASES["relu"].row is None
    xs = nl_inputs(make_inputs([(3, 4)], "real"))
    assert CASES["exp"].fn(nnlite, *xs).shape == (3, 4)
