"""``nnlite-train CONFIG --dry-run --graph graph.svg``: the autograd graph of one training step.

The config's model runs forward on the first training batch and the loss is drawn with
``nnlite.autograd.graph`` (leaves named by parameter name). The file type follows the suffix:
``.dot``/``.gv`` DOT text and ``.txt`` a text tree (nothing needed), ``.svg``/``.png``/``.pdf``
rendered by Graphviz (the ``graphviz`` package, ``pip install 'nnlite[viz]'``, and its ``dot``
program, ``apt-get install graphviz``).
"""

from __future__ import annotations

import io
import os

import nnlite
from nnlite.autograd.graph import make_dot, print_graph, to_dot
from nnlite.serialization import atomic_write
from nnlite.train.schema import ConfigError

RENDERED = ("svg", "png", "pdf")
TEXT = ("dot", "gv", "txt")


def write_graph(setup, path: str) -> str:
    """Draw the loss graph of ``setup`` (a runner setup) into ``path``; returns a one-line note.

    Raises ``ConfigError("--graph", ...)`` for an unknown suffix or a missing Graphviz.
    """
    ext = os.path.splitext(path)[1].lstrip(".").lower()
    if ext not in RENDERED + TEXT:
        raise ConfigError("--graph", f"'{path}': give a .svg, .png, .pdf, .dot, .gv or .txt file")
    x, y = next(iter(setup.train_loader))
    model = setup.model
    model.train()
    with nnlite.enable_grad():
        loss = setup.loss_fn(model(x), y)
    params = dict(model.named_parameters())
    if ext == "txt":
        buf = io.StringIO()
        print_graph(loss, params=params, file=buf)
        data = buf.getvalue().encode()
    elif ext in ("dot", "gv"):
        data = to_dot(loss, params=params).encode()
    else:
        try:
            dot = make_dot(loss, params=params)
        except ImportError as e:
            raise ConfigError("--graph", f"{e} (or write --graph graph.dot)") from None
        import graphviz

        try:
            data = dot.pipe(format=ext)
        except graphviz.ExecutableNotFound:
            raise ConfigError("--graph", "rendering needs Graphviz's dot program (apt-get "
                              "install graphviz / brew install graphviz), or write --graph "
                              "graph.dot") from None
    try:
        atomic_write(path, data)
    except OSError as e:
        raise ConfigError("--graph", f"cannot write '{path}': {e.strerror or e}") from None
    return f"graph of one training step written to {path}"
