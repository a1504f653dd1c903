"""``torch.nn.modules.channelshuffle``: the same classes as ``nnlite.nn``, under the module path
PyTorch programs import them from."""

from nnlite.nn.channel import ChannelShuffle  # noqa: F401

__all__ = [
    "ChannelShuffle"
]
