"""ONNX export (``torch.onnx.export``'s API); needs the optional ``onnx`` package
(``pip install 'nnlite[onnx]'``), imported only when exporting.

    >>> nnlite.onnx.export(model, nnlite.randn(1, 64), "model.onnx",
    ...                    dynamic_axes={"input": {0: "batch"}})

``SUPPORTED_OPS`` lists the ops a traced ``forward`` may call (registry names: ``add`` covers
``torch.add``, ``x.add`` and ``x + y``), ``SUPPORTED_LAYERS`` the layers exported as one unit.
"""

from nnlite.onnx.export import export
from nnlite.onnx.graph import UnsupportedOperatorError
from nnlite.onnx.tracer import supported_layers, supported_ops

SUPPORTED_OPS = tuple(supported_ops())
SUPPORTED_LAYERS = tuple(supported_layers())

__all__ = ["SUPPORTED_LAYERS", "SUPPORTED_OPS", "UnsupportedOperatorError", "export"]
