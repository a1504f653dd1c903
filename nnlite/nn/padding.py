"""Padding: ``F.pad`` (constant, reflect, replicate, circular) and the ``*Pad*d`` modules."""

from __future__ import annotations

from nnlite._tensor import Tensor
from nnlite.nn.module import Module
from nnlite.ops.nn.padding import pad

__all__ = ["pad", "ConstantPad1d", "ConstantPad2d", "ZeroPad2d", "ReflectionPad1d",
           "ReflectionPad2d", "ReplicationPad1d", "ReplicationPad2d", "ZeroPad1d", "ZeroPad3d",
           "ConstantPad3d", "ReflectionPad3d", "ReplicationPad3d", "CircularPad1d",
           "CircularPad2d", "CircularPad3d"]


class _PadNd(Module):
    mode = "constant"
    _n = 1

    def __init__(self, padding, value: float = 0.0) -> None:
        super().__init__()
        if isinstance(padding, int):
            padding = (padding,) * (2 * self._n)
        self.padding = tuple(padding)
        self.value = value

    def forward(self, input: Tensor) -> Tensor:
        if self.mode == "constant":
            return pad(input, self.padding, "constant", self.value)
        return pad(input, self.padding, self.mode)

    def extra_repr(self) -> str:
        if type(self).__name__.startswith("Constant"):
            return f"padding={self.padding}, value={self.value}"
        return f"{self.padding}"


class ConstantPad1d(_PadNd):
    def __init__(self, padding, value: float) -> None:
        super().__init__(padding, value)


class ConstantPad2d(_PadNd):
    _n = 2

    def __init__(self, padding, value: float) -> None:
        super().__init__(padding, value)


class ZeroPad2d(_PadNd):
    _n = 2

    def __init__(self, padding) -> None:
        super().__init__(padding, 0.0)


class ReflectionPad1d(_PadNd):
    mode = "reflect"


class ReflectionPad2d(_PadNd):
    mode, _n = "reflect", 2


class ReplicationPad1d(_PadNd):
    mode = "replicate"


class ReplicationPad2d(_PadNd):
    mode, _n = "replicate", 2


class ZeroPad1d(_PadNd):
    def __init__(self, padding) -> None:
        super().__init__(padding, 0.0)


class ZeroPad3d(_PadNd):
    _n = 3

    def __init__(self, padding) -> None:
        super().__init__(padding, 0.0)


class ConstantPad3d(_PadNd):
    _n = 3

    def __init__(self, padding, value: float) -> None:
        super().__init__(padding, value)


class ReflectionPad3d(_PadNd):
    mode, _n = "reflect", 3


class ReplicationPad3d(_PadNd):
    mode, _n = "replicate", 3


class CircularPad1d(_PadNd):
    """Pad the last dim by wrapping around (``F.pad(mode='circular')``)."""

    mode = "circular"


class CircularPad2d(_PadNd):
    mode, _n = "circular", 2


class CircularPad3d(_PadNd):
    mode, _n = "circular", 3
