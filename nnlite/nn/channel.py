"""Layers that mix or reorder channels: ``nn.LocalResponseNorm`` and ``nn.ChannelShuffle``."""

from __future__ import annotations

from nnlite._tensor import Tensor
from nnlite.nn.module import Module
from nnlite.ops.nn import channel as _channel

__all__ = ["ChannelShuffle", "LocalResponseNorm"]


class LocalResponseNorm(Module):
    """Each channel divided by ``(k + alpha/size * sum of squares of its size neighbours)^beta``
    (AlexNet's normalisation).

    Example:
        >>> nn.LocalResponseNorm(2)(torch.randn(2, 4, 3, 3)).shape
        torch.Size([2, 4, 3, 3])
    """

    def __init__(self, size: int, alpha: float = 1e-4, beta: float = 0.75,
                 k: float = 1.0) -> None:
        super().__init__()
        self.size, self.alpha, self.beta, self.k = size, alpha, beta, k

    def forward(self, input: Tensor) -> Tensor:
        return _channel.local_response_norm(input, self.size, self.alpha, self.beta, self.k)

    def extra_repr(self) -> str:
        return "{size}, alpha={alpha}, beta={beta}, k={k}".format(**self.__dict__)


class ChannelShuffle(Module):
    """Interleave the channels of ``groups`` groups (ShuffleNet).

    Example:
        >>> nn.ChannelShuffle(2)(torch.arange(4.0).view(1, 4, 1)).flatten().tolist()
        [0.0, 2.0, 1.0, 3.0]
    """

    def __init__(self, groups: int) -> None:
        super().__init__()
        self.groups = groups

    def forward(self, input: Tensor) -> Tensor:
        return _channel.channel_shuffle(input, self.groups)

    def extra_repr(self) -> str:
        return f"groups={self.groups}"
