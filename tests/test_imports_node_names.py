"""Every autograd Node class name is defined once across nnlite.

A grad_fn name (``ViewBackward0``) is torch's name for ONE backward formula; two classes with the
same name meant two formulas behind one name (a view's reshape and a linear layer's product).
The check imports every nnlite module and walks ``Node``'s subclasses.
"""

import collections
import importlib
import pkgutil

import pytest

import nnlite
from nnlite.autograd.graph import Node

# modules that import an optional dependency at module level (absent here is fine)
_OPTIONAL = ("nnlite.utils.tensorboard",)


def _import_all():
    for m in pkgutil.walk_packages(nnlite.__path__, "nnlite."):
        try:
            importlib.import_module(m.name)
        except ImportError:
            if not m.name.startswith(_OPTIONAL):
                raise


def duplicate_node_names(root=Node) -> dict:
    """``{name: [qualified classes]}`` for every Node class name defined more than once."""
    seen = collections.defaultdict(set)
    stack = [root]
    while stack:
        cls = stack.pop()
        for sub in cls.__subclasses__():
            stack.append(sub)
            seen[sub.__name__].add(f"{sub.__module__}.{sub.__qualname__}#{id(sub)}")
    return {n: sorted(v) for n, v in seen.items() if len(v) > 1}


def test_no_node_class_name_is_defined_twice():
    _import_all()
    dups = duplicate_node_names()
    assert not dups, f"Node class names defined more than once: {dups}"


def test_the_check_fails_on_a_duplicate_name():
    class _Base(Node):
        pass

    first = type("FooBackward0", (_Base,), {})
    second = type("FooBackward0", (_Base,), {})
    dups = duplicate_node_names(_Base)
    assert list(dups) == ["FooBackward0"] and len(dups["FooBackward0"]) == 2
    assert first is not second


# the only places a Node subclass may be defined: the op layer, autograd's own nodes (graph
# roots, user Functions) and compile's replayed-plan node
NODE_HOMES = ("nnlite.ops", "nnlite.autograd", "nnlite.compile")


def nodes_outside(homes, root=Node) -> list:
    """``module.Class`` of every Node subclass of nnlite defined outside ``homes`` (classes
    made by tests are not nnlite's)."""
    out, stack = [], [root]
    while stack:
        for sub in stack.pop().__subclasses__():
            stack.append(sub)
            if sub.__module__.startswith("nnlite.") and not sub.__module__.startswith(homes):
                out.append(f"{sub.__module__}.{sub.__qualname__}")
    return sorted(out)


def test_every_node_lives_in_the_op_layer():
    """``nnlite/ops`` is the only op layer: no nn module (or any other) defines a node."""
    _import_all()
    assert nodes_outside(NODE_HOMES) == []


def test_the_node_home_check_fails_on_a_stray_node():
    class _Base(Node):
        pass

    stray = type("StrayBackward0", (_Base,), {"__module__": "nnlite.nn.somewhere"})
    assert nodes_outside(NODE_HOMES, _Base) == ["nnlite.nn.somewhere.StrayBackward0"]
    assert stray is not None


def test_no_display_relabelling_is_left():
    """Every op records its own node under torch's name: the display-only relabelling that
    composite ops once used (``ops.calling.relabel``) is gone."""
    from nnlite.ops import calling

    assert not hasattr(calling, "relabel")


@pytest.mark.parametrize("name", ["ViewBackward0", "MmBackward0", "UnsqueezeBackward0"])
def test_linear_graph_nodes_are_the_shape_and_linalg_classes(name):
    """F.linear's graph reuses the one class of each name (the issue's ViewBackward0 case)."""
    import nnlite.nn.functional as F

    x = nnlite.randn(2, 3, 4, requires_grad=True) if name != "UnsqueezeBackward0" else \
        nnlite.randn(4, requires_grad=True)
    w = nnlite.randn(5, 4, requires_grad=True)
    y = F.linear(x, w)
    fns, stack = set(), [y.grad_fn]
    while stack:
        fn = stack.pop()
        if fn is None:
            continue
        fns.add(type(fn))
        stack.extend(f for f, _ in fn.next_functions)
    by_name = {c.__name__: c for c in fns}
    assert name in by_name
    home = {"ViewBackward0": "nnlite.ops.shape", "UnsqueezeBackward0": "nnlite.ops.shape",
            "MmBackward0": "nnlite.ops.linalg"}[name]
    assert by_name[name].__module__ == home
