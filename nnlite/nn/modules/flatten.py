"""``torch.nn.modules.flatten``: the same classes as ``nnlite.nn``, under the module path
PyTorch programs import them from."""

from nnlite.nn.flatten import (  # noqa: F401
    Flatten,
    Unflatten,
)

__all__ = [
    "Flatten", "Unflatten"
]
