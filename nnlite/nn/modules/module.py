"""``torch.nn.modules.module``: the same classes as ``nnlite.nn``, under the module path
PyTorch programs import them from."""

from nnlite.nn.module import (
    Module,
)
from nnlite.nn.parameter import Buffer, Parameter

__all__ = [
    "Buffer", "Module", "Parameter"
]
