"""``torch.nn.modules.batchnorm``: the same classes as ``nnlite.nn``, under the module path
PyTorch programs import them from."""

from nnlite.nn.normalization import (  # noqa: F401
    BatchNorm1d,
    BatchNorm2d,
    _BatchNorm,
    _NormBase,
)

__all__ = [
    "BatchNorm1d", "BatchNorm2d", "_BatchNorm", "_NormBase"
]
