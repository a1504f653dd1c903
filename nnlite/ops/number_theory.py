"""Greatest common divisor and least common multiple of integer tensors (``torch.gcd``,
``torch.lcm``), elementwise with broadcasting; results are non-negative, as torch's."""

from __future__ import annotations

import numpy as np

from nnlite._tensor import Tensor
from nnlite.ops._util import TYPE_NAMES


def _ints(name: str, a, b):
    arrs = [x._data if isinstance(x, Tensor) else np.asarray(x) for x in (a, b)]
    dt = np.result_type(*arrs)
    if dt.kind not in "iu":
        raise NotImplementedError(f'"{name}_cpu" not implemented for '
                                  f"'{TYPE_NAMES.get(dt.name, dt.name)}'")
    return arrs[0], arrs[1], dt


def gcd(input, other):
    """Elementwise greatest common divisor (``torch.gcd``), integer tensors only."""
    a, b, dt = _ints("gcd", input, other)
    return Tensor._wrap(np.gcd(a, b).astype(dt))


def lcm(input, other):
    """Elementwise least common multiple (``torch.lcm``), integer tensors only."""
    a, b, dt = _ints("lcm", input, other)
    return Tensor._wrap(np.lcm(a, b).astype(dt))
