"""``torch.nn.modules.dropout``: the same classes as ``nnlite.nn``, under the module path
PyTorch programs import them from."""

from nnlite.nn.alpha_dropout import AlphaDropout, FeatureAlphaDropout  # noqa: F401
from nnlite.nn.dropout import (  # noqa: F401
    Dropout,
    Dropout1d,
    Dropout2d,
    Dropout3d,
)

__all__ = [
    "AlphaDropout", "Dropout", "Dropout1d", "Dropout2d", "Dropout3d", "FeatureAlphaDropout"
]
