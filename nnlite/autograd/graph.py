"""The autograd graph as a picture: ``make_dot`` (torchviz's), ``to_dot`` and ``print_graph``.

Every op run on tensors that require grad records a node (``grad_fn``, named as PyTorch names
it: ``AddBackward0``, ``MulBackward0``...) whose ``next_functions`` point at the nodes of its
inputs; leaves that require grad end in ``AccumulateGrad`` nodes holding the leaf as
``.variable``. This module walks that graph from an output and draws it the way torchviz draws
PyTorch's:

- grey boxes: backward nodes (``show_attrs=True`` adds their saved attributes);
- light blue: leaves that will receive ``.grad`` (named from ``params``, with their shape);
- orange: tensors saved for backward (a custom Function's always, built-in ones with
  ``show_saved=True``);
- green: the output(s); dark green: the base of an output that is a view.

``make_dot`` returns a ``graphviz.Digraph`` (``pip install 'nnlite[viz]'``; rendering to SVG/PNG
needs Graphviz's ``dot`` program: ``apt-get install graphviz`` / ``brew install graphviz``).
``to_dot`` returns the same graph as a DOT string and ``print_graph`` prints a text tree; neither
needs anything installed. The real ``torchviz.make_dot`` also works on nnlite graphs when nnlite
is imported as ``torch``.

Example:
    >>> x = nnlite.ones(3, requires_grad=True); y = nnlite.ones(3, requires_grad=True)
    >>> print_graph((x + y) * 2, params={"x": x, "y": y})
    MulBackward0
    └─ AddBackward0
       ├─ AccumulateGrad  x (3)
       └─ AccumulateGrad  y (3)
"""

from __future__ import annotations

import sys

from nnlite._tensor import Tensor
from nnlite.autograd.function import Node

__all__ = ["Node", "make_dot", "to_dot", "print_graph"]

_NODE_ATTR = dict(style="filled", shape="box", align="left", fontsize="10", ranksep="0.1",
                  height="0.2", fontname="monospace")
_SAVED_PREFIX = "_saved_"


def _is_tensor(obj) -> bool:
    return isinstance(obj, Tensor)


def _param_map(params) -> dict:
    if params is None:
        return {}
    items = params.items() if hasattr(params, "items") else params
    out = {}
    for name, p in items:
        if not _is_tensor(p):
            raise TypeError(
                f"make_dot: params[{name!r}] is a {type(p).__name__}, not a tensor; pass "
                "params=dict(model.named_parameters())"
            )
        out[id(p)] = name
    return out


def _outputs(var) -> list:
    outs = list(var) if isinstance(var, (tuple, list)) else [var]
    for v in outs:
        if not _is_tensor(v):
            raise TypeError(
                f"make_dot: expected a tensor (or a tuple of tensors) as output, got "
                f"{type(v).__name__}"
            )
    return outs


def _size_str(t) -> str:
    return "(" + ", ".join("%d" % v for v in t.shape) + ")"


def _saved_attrs(fn) -> list:
    """``[(name, value)]`` of the node's ``_saved_*`` attributes, as torchviz lists them."""
    out = []
    for attr in dir(fn):
        if attr.startswith(_SAVED_PREFIX):
            out.append((attr[len(_SAVED_PREFIX):], getattr(fn, attr)))
    return out


def _fn_label(fn, show_attrs: bool, max_attr_chars: int) -> str:
    name = type(fn).__name__
    if not show_attrs:
        return name
    attrs = {}
    for key, val in _saved_attrs(fn):
        if _is_tensor(val):
            attrs[key] = "[saved tensor]"
        elif isinstance(val, tuple) and any(_is_tensor(t) for t in val):
            attrs[key] = "[saved tensors]"
        else:
            attrs[key] = str(val)
    if not attrs:
        return name
    max_attr_chars = max(max_attr_chars, 3)
    w1 = max(len(k) for k in attrs)
    w2 = min(max(len(v) for v in attrs.values()), max_attr_chars)
    sep = "-" * max(w1 + w2 + 2, len(name))

    def cut(s):
        return s[: w2 - 3] + "..." if len(s) > w2 else s

    rows = "\n".join(f"{k:<{w1}}: {cut(v):>{w2}}" for k, v in attrs.items())
    return name + "\n" + sep + "\n" + rows


def _graph_items(var, params=None, show_attrs=False, show_saved=False, max_attr_chars=50):
    """The graph as ``(nodes, edges)``: nodes ``[(id, label, attrs)]`` (one per object, first
    occurrence wins, later attribute updates merged), edges ``[(tail, head, attrs)]``."""
    param_map = _param_map(params)
    nodes: dict = {}
    edges: list = []

    def node(obj, label=None, **attrs):
        key = str(id(obj))
        if key in nodes:
            if label is not None:
                nodes[key][0] = label
            nodes[key][1].update(attrs)
        else:
            nodes[key] = [label, attrs]

    def var_label(t, name=None):
        if not name:
            name = param_map.get(id(t), "")
        return "%s\n %s" % (name, _size_str(t))

    seen: set = set()
    stack: list = []

    def visit(fn):  # iterative: a 10,000-op chain must not hit the recursion limit
        stack.append((fn, False))
        while stack:
            fn, done = stack.pop()
            if done:
                # after the node's inputs, as torchviz does: a saved tensor that is also a leaf
                # ends up orange
                for t in getattr(fn, "saved_tensors", ()):
                    if t is None:
                        continue
                    seen.add(id(t))
                    edges.append((str(id(t)), str(id(fn)), {"dir": "none"}))
                    node(t, var_label(t), fillcolor="orange")
                continue
            if id(fn) in seen:
                continue
            seen.add(id(fn))
            if show_saved:
                for key, val in _saved_attrs(fn):
                    vals = [(key, val)] if _is_tensor(val) else (
                        [(f"{key}[{i}]", t) for i, t in enumerate(val) if _is_tensor(t)]
                        if isinstance(val, tuple) else [])
                    for name, t in vals:
                        seen.add(id(t))
                        edges.append((str(id(fn)), str(id(t)), {"dir": "none"}))
                        node(t, var_label(t, name), fillcolor="orange")
            leaf = getattr(fn, "variable", None)
            if leaf is not None:
                seen.add(id(leaf))
                node(leaf, var_label(leaf), fillcolor="lightblue")
                edges.append((str(id(leaf)), str(id(fn)), {}))
            node(fn, _fn_label(fn, show_attrs, max_attr_chars))
            for u, _ in getattr(fn, "next_functions", ()):
                if u is not None:
                    edges.append((str(id(u)), str(id(fn)), {}))
            # a user Function's ctx shows its saved tensors, as torchviz does for PyTorch's
            if getattr(fn, "saved_tensors", ()):
                stack.append((fn, True))
            stack.extend((u, False) for u, _ in reversed(getattr(fn, "next_functions", ()))
                         if u is not None and id(u) not in seen)

    def add_base_tensor(t, color="darkolivegreen1"):
        while t is not None and id(t) not in seen:
            seen.add(id(t))
            node(t, var_label(t), fillcolor=color)
            if t.grad_fn is not None:
                visit(t.grad_fn)
                edges.append((str(id(t.grad_fn)), str(id(t)), {}))
            base = t._base if t._is_view() else None
            if base is not None and id(base) not in seen:
                node(base, var_label(base), fillcolor="darkolivegreen3")
                seen.discard(id(base))
                nodes[str(id(base))][1]["style"] = "dotted"
            t, color = base, "darkolivegreen3"

    for v in _outputs(var):
        add_base_tensor(v)
    return [(k, lab, at) for k, (lab, at) in nodes.items()], edges


def _graph_size(n_statements: int) -> str:
    # torchviz's rule: 0.15 inch per statement, at least 12x12
    size = max(12, n_statements * 0.15)
    return f"{size},{size}"


def _quote(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _attr_list(attrs: dict) -> str:
    return " ".join(f"{k}={_quote(str(v))}" for k, v in attrs.items())


def to_dot(var, params=None, show_attrs=False, show_saved=False, max_attr_chars=50) -> str:
    """The autograd graph of ``var`` as a Graphviz DOT string (no package needed).

    Takes the same arguments as :func:`make_dot`; feed the result to ``dot -Tsvg``.
    """
    nodes, edges = _graph_items(var, params, show_attrs, show_saved, max_attr_chars)
    lines = ["digraph {",
             f"\tgraph [size={_quote(_graph_size(len(nodes) + len(edges)))}]",
             f"\tnode [{_attr_list(_NODE_ATTR)}]"]
    for key, label, attrs in nodes:
        extra = {"label": label, **attrs} if label is not None else attrs
        lines.append(f"\t{key} [{_attr_list(extra)}]")
    for tail, head, attrs in edges:
        lines.append(f"\t{tail} -> {head}" + (f" [{_attr_list(attrs)}]" if attrs else ""))
    lines.append("}")
    return "\n".join(lines) + "\n"


def make_dot(var, params=None, show_attrs=False, show_saved=False, max_attr_chars=50):
    """Draw the autograd graph of ``var`` as a ``graphviz.Digraph`` (torchviz's ``make_dot``).

    Args:
        var: the output tensor, or a tuple of output tensors.
        params: ``{name: tensor}`` (e.g. ``dict(model.named_parameters())``) to label the leaves.
        show_attrs: list each node's saved attributes in its box.
        show_saved: draw the tensors built-in nodes saved for backward (orange).
        max_attr_chars: longest attribute value shown with ``show_attrs``.

    Returns:
        graphviz.Digraph: ``.render("graph", format="svg")`` writes ``graph.svg`` (needs
        Graphviz's ``dot`` program); ``.source`` is the DOT text.

    Raises:
        ImportError: the ``graphviz`` Python package is missing (``pip install 'nnlite[viz]'``;
            :func:`to_dot` and :func:`print_graph` need nothing).

    Example:
        >>> dot = make_dot(model(x).sum(), params=dict(model.named_parameters()))
        >>> dot.render("graph", format="svg")
    """
    try:
        from graphviz import Digraph
    except ImportError as e:
        raise ImportError(
            "make_dot needs the graphviz Python package: pip install 'nnlite[viz]' (or use "
            "nnlite.autograd.graph.to_dot / print_graph, which need nothing)"
        ) from e
    nodes, edges = _graph_items(var, params, show_attrs, show_saved, max_attr_chars)
    dot = Digraph(node_attr=dict(_NODE_ATTR), graph_attr=dict(size="12,12"))
    for key, label, attrs in nodes:
        dot.node(key, label, **attrs) if label is not None else dot.node(key, **attrs)
    for tail, head, attrs in edges:
        dot.edge(tail, head, **attrs)
    dot.graph_attr.update(size=_graph_size(len(dot.body)))
    return dot


def print_graph(var, params=None, file=None) -> None:
    """Print the autograd graph of ``var`` as an indented tree (no package needed).

    A node reached a second time (a diamond, a reused layer) is printed once and referred to by
    ``(see #n above)`` afterwards, so the output stays linear in the graph size.

    Args:
        var: the output tensor, or a tuple of output tensors.
        params: ``{name: tensor}`` to name the leaves (``dict(model.named_parameters())``).
        file: where to write (default ``sys.stdout``).
    """
    param_map = _param_map(params)
    out = file if file is not None else sys.stdout
    numbers: dict = {}
    lines = []
    outs = _outputs(var)
    shared = _in_degree(outs)
    for v in outs:
        if v.grad_fn is None:
            name = param_map.get(id(v), "")
            kind = "leaf" if v.requires_grad else "tensor without a graph (requires_grad=False)"
            lines.append(f"{kind} {name} {_size_str(v)}".replace("  ", " "))
            continue
        stack = [(v.grad_fn, "", "")]
        while stack:
            fn, prefix, child_prefix = stack.pop()
            if id(fn) in numbers:
                lines.append(f"{prefix}{type(fn).__name__} (see #{numbers[id(fn)]} above)")
                continue
            numbers[id(fn)] = len(numbers) + 1
            text = type(fn).__name__
            leaf = getattr(fn, "variable", None)
            if leaf is not None:
                name = param_map.get(id(leaf), "")
                text += f"  {name} {_size_str(leaf)}" if name else f"  {_size_str(leaf)}"
            if shared.get(id(fn), 0) > 1:
                text += f"  #{numbers[id(fn)]}"
            lines.append(prefix + text)
            kids = [u for u, _ in getattr(fn, "next_functions", ()) if u is not None]
            for i in reversed(range(len(kids))):
                last = i == len(kids) - 1
                stack.append((kids[i], child_prefix + ("└─ " if last else "├─ "),
                              child_prefix + ("   " if last else "│  ")))
    print("\n".join(lines), file=out)


def _in_degree(outs) -> dict:
    """How many edges point at each node (by id): a node with more than one gets a number."""
    counts: dict = {}
    seen: set = set()
    stack = [v.grad_fn for v in outs if v.grad_fn is not None]
    while stack:
        fn = stack.pop()
        if id(fn) in seen:
            continue
        seen.add(id(fn))
        for u, _ in getattr(fn, "next_functions", ()):
            if u is not None:
                counts[id(u)] = counts.get(id(u), 0) + 1
                stack.append(u)
    return counts
