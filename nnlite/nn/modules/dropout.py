"""``torch.nn.modules.dropout``: the same classes as ``nnlite.nn``, under the module path
PyTorch programs import them from."""

from nnlite.nn.dropout import (  # noqa: F401
    Dropout,
    Dropout1d,
    Dropout2d,
    Dropout3d,
)

__all__ = [
    "Dropout", "Dropout1d", "Dropout2d", "Dropout3d"
]
