"""``torch.nn.modules.normalization``: the same classes as ``nnlite.nn``, under the module path
PyTorch programs import them from."""

from nnlite.nn.groupnorm import (  # noqa: F401
    GroupNorm,
)
from nnlite.nn.normalization import (  # noqa: F401
    LayerNorm,
)

__all__ = [
    "GroupNorm", "LayerNorm"
]
