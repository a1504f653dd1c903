"""Parameter: a Tensor that a Module registers as learnable (``torch.nn.Parameter``)."""

from __future__ import annotations

import numpy as np

from nnlite._tensor import Tensor, _init


class Parameter(Tensor):
    """A Tensor that requires grad by default and registers itself when set on a Module.

    It shares memory and the version counter with ``data`` (as ``torch.nn.Parameter`` does).

    Example:
        >>> w = Parameter(torch.zeros(3, 4))
        >>> w.requires_grad
        True
    """

    def __new__(cls, data: Tensor | None = None, requires_grad: bool = True):
        if data is None:
            arr = np.empty(0, np.float32)
            vc = [0]
        elif isinstance(data, Tensor):
            arr, vc = data._data, data._vc
        else:
            raise TypeError(
                f"Parameter(): argument 'data' must be Tensor, not {type(data).__name__}"
            )
        p = object.__new__(cls)
        _init(p, arr)
        p._vc = vc
        if requires_grad:
            p.requires_grad = True  # raises for integer data, as torch does
        return p

    def __init__(self, data: Tensor | None = None, requires_grad: bool = True):
        pass  # everything happens in __new__

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()

    __str__ = __repr__

    def __reduce_ex__(self, proto):
        return (_rebuild_parameter, (self._data, self._requires_grad))

    def __deepcopy__(self, memo):
        if id(self) in memo:
            return memo[id(self)]
        p = Parameter(Tensor._wrap(self._data.copy()), self._requires_grad)
        if self.grad is not None:
            p.grad = Tensor._wrap(self.grad._data.copy())
        memo[id(self)] = p
        return p


def _rebuild_parameter(arr, requires_grad):
    return Parameter(Tensor._wrap(np.array(arr)), requires_grad)
