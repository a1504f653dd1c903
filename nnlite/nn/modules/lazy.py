"""``torch.nn.modules.lazy``: the same classes as ``nnlite.nn``, under the module path
PyTorch programs import them from."""

from nnlite.nn.lazy import (  # noqa: F401
    LazyModuleMixin,
)

__all__ = [
    "LazyModuleMixin"
]
