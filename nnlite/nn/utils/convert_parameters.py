"""``parameters_to_vector`` / ``vector_to_parameters``."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from nnlite._tensor import Tensor
from nnlite.ops.shape import cat


def parameters_to_vector(parameters: Iterable[Tensor]) -> Tensor:
    """All parameters flattened and concatenated into one 1-D tensor (a differentiable cat)."""
    return cat([p.reshape(-1) for p in parameters])


def vector_to_parameters(vec: Tensor, parameters: Iterable[Tensor]) -> None:
    """Copy consecutive slices of ``vec`` into the parameters (in place, no graph).

    Unlike PyTorch, the parameters keep their own memory (PyTorch makes them views of ``vec``).
    """
    if not isinstance(vec, Tensor):
        raise TypeError(f"expected torch.Tensor, but got: {type(vec).__name__}")
    params = list(parameters)
    n = sum(p.numel() for p in params)
    if vec.dim() != 1 or vec.numel() != n:
        raise RuntimeError(
            f"vector_to_parameters: expected a 1-D vector of {n} elements, got shape "
            f"{list(vec.shape)}"
        )
    src = vec._data
    ptr = 0
    for p in params:
        k = p.numel()
        np.copyto(p._data, src[ptr:ptr + k].reshape(p._data.shape), casting="unsafe")
        p._vc[0] += 1
        ptr += k
