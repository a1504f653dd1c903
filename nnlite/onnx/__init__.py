"""ONNX export (``torch.onnx.export``'s API); needs the optional ``onnx`` package
(``pip install 'nnlite[onnx]'``), imported only when exporting.

    >>> nnlite.onnx.export(model, nnlite.randn(1, 64), "model.onnx",
    ...                    dynamic_axes={"input": {0: "batch"}})
"""

from nnlite.onnx.export import UnsupportedOperatorError, export

__all__ = ["export", "UnsupportedOperatorError"]
