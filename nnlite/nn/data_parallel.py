"""``nn.DataParallel`` as PyTorch behaves on a machine without GPUs.

With no CUDA device (always, here) torch's DataParallel only wraps the module: ``device_ids``
becomes ``[]`` whatever was passed, ``output_device``/``dim`` are ignored and not stored, and
``forward`` calls the module. Programs written for GPUs keep working unchanged, including the
``module.``-prefixed state_dict keys and the ``model.module`` unwrapping idiom.
"""

from __future__ import annotations

from nnlite.nn.module import Module

__all__ = ["DataParallel", "data_parallel"]


class DataParallel(Module):
    """Wraps ``module``; with no GPUs (nnlite's case) calls it directly, as torch does.

    Args:
        module: the module to wrap (registered as the submodule ``module``).
        device_ids: GPU ids; without GPUs torch ignores them, so nnlite does too.
        output_device: ignored without GPUs.
        dim: the scatter dim; ignored without GPUs.

    Example:
        >>> net = nn.DataParallel(nn.Linear(4, 2))
        >>> list(net.state_dict())
        ['module.weight', 'module.bias']
    """

    def __init__(self, module: Module, device_ids=None, output_device=None, dim: int = 0) -> None:
        super().__init__()
        self.module = module
        self.device_ids = []

    def forward(self, *inputs, **kwargs):
        return self.module(*inputs, **kwargs)


def data_parallel(module: Module, inputs, device_ids=None, output_device=None, dim: int = 0,
                  module_kwargs=None):
    """torch's functional form; it needs a GPU device type, so on a CPU-only machine it raises
    torch's error (``DataParallel`` itself works)."""
    raise RuntimeError("device type could not be determined")
