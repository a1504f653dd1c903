"""``torch.nn.modules.module``: the same classes as ``nnlite.nn``, under the module path
PyTorch programs import them from."""

from nnlite.nn.module import (  # noqa: F401
    Module,
)

__all__ = [
    "Module"
]
