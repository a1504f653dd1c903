"""Reduce a Graphviz graph (from make_dot/torchviz/to_dot) to a comparable structure.

Node ids are object ids, so two graphs of the same expression are compared through labels: the
multiset of node labels (with their colour) and the multiset of edges as (tail label, head label).
"""

from __future__ import annotations

import re
from collections import Counter

_NODE = re.compile(r'^\s*(\w+) \[(.*)\]\s*$', re.S)
_EDGE = re.compile(r'^\s*(\w+) -> (\w+)(?: \[(.*)\])?\s*$', re.S)
_ATTR = re.compile(r'(\w+)=("(?:[^"\\]|\\.)*"|[^\s\]]+)', re.S)


def _unquote(v: str) -> str:
    if v.startswith('"'):
        v = v[1:-1].replace('\\"', '"').replace("\\n", "\n").replace("\\\\", "\\")
    return v


def statements(source: str) -> list:
    """Split DOT text into statements (a quoted label may span lines)."""
    out, cur, quoted = [], "", False
    for ch in source:
        if ch == '"' and not cur.endswith("\\"):
            quoted = not quoted
        if ch == "\n" and not quoted:
            out.append(cur)
            cur = ""
        else:
            cur += ch
    return [s for s in out + [cur] if s.strip()]


def structure(source: str):
    """``(Counter of (label, colour), Counter of (tail label, head label, dir))``."""
    labels, colours, edges = {}, {}, []
    for st in statements(source):
        m = _EDGE.match(st)
        if m:
            attrs = dict((k, _unquote(v)) for k, v in _ATTR.findall(m.group(3) or ""))
            edges.append((m.group(1), m.group(2), attrs.get("dir", "")))
            continue
        m = _NODE.match(st)
        if m and m.group(1) not in ("graph", "node", "edge"):
            attrs = dict((k, _unquote(v)) for k, v in _ATTR.findall(m.group(2)))
            if "label" in attrs:
                labels[m.group(1)] = attrs["label"]
            if "fillcolor" in attrs:
                colours[m.group(1)] = attrs["fillcolor"]
    nodes = Counter((labels.get(k, k), colours.get(k, "")) for k in set(labels) | set(colours))
    edge_set = Counter((labels.get(a, a), labels.get(b, b), d) for a, b, d in edges)
    return nodes, edge_set
