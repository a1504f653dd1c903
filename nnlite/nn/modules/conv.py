"""``torch.nn.modules.conv``: the same classes as ``nnlite.nn``, under the module path
PyTorch programs import them from."""

from nnlite.nn.conv import (  # noqa: F401
    Conv1d,
    Conv2d,
    Conv3d,
    ConvTranspose1d,
    ConvTranspose2d,
    ConvTranspose3d,
)

__all__ = [
    "Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d", "ConvTranspose2d", "ConvTranspose3d"
]
