"""``torch.nn.modules.linear``: the same classes as ``nnlite.nn``, under the module path
PyTorch programs import them from."""

from nnlite.nn.attention import (  # noqa: F401
    NonDynamicallyQuantizableLinear,
)
from nnlite.nn.linear import (  # noqa: F401
    Bilinear,
    Identity,
    Linear,
)

from nnlite.nn.lazy import (  # noqa: F401
    LazyLinear,
)

__all__ = [
    "Bilinear", "Identity", "LazyLinear", "Linear", "NonDynamicallyQuantizableLinear"
]
