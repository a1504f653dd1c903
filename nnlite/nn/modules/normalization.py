"""``torch.nn.modules.normalization``: the same classes as ``nnlite.nn``, under the module path
PyTorch programs import them from."""

from nnlite.nn.channel import LocalResponseNorm  # noqa: F401
from nnlite.nn.groupnorm import (  # noqa: F401
    GroupNorm,
)
from nnlite.nn.normalization import (  # noqa: F401
    LayerNorm,
)
from nnlite.nn.rms_norm import RMSNorm  # noqa: F401

__all__ = [
    "GroupNorm", "LayerNorm", "LocalResponseNorm", "RMSNorm"
]
