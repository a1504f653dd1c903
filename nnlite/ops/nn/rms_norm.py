"""``F.rms_norm``: ``x / sqrt(mean(x^2) + eps) * weight`` over the trailing
``normalized_shape`` dims (a composite, as torch's, whose last node is the multiply)."""

from __future__ import annotations

import numpy as np

from nnlite._tensor import Tensor


def rms_norm(input: Tensor, normalized_shape, weight: Tensor | None = None,
             eps: float | None = None) -> Tensor:
    """Root-mean-square normalisation; ``eps=None`` is the dtype's machine epsilon."""
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(
        int(s) for s in normalized_shape)
    nd = len(shape)
    if tuple(input.shape[input.dim() - nd:]) != shape or input.dim() < nd:
        raise RuntimeError(
            f"Given normalized_shape={list(shape)}, expected input with shape "
            f"[*, {', '.join(str(s) for s in shape)}], but got input of size"
            f"{list(input.shape)}")
    if weight is not None and tuple(weight.shape) != shape:
        raise RuntimeError(f"Expected weight to be of same shape as normalized_shape, but got "
                           f"weight of shape {list(weight.shape)} and normalized_shape = "
                           f"{list(shape)}")
    if eps is None:
        eps = float(np.finfo(input._data.dtype).eps)
    dims = tuple(range(input.dim() - nd, input.dim()))
    out = input * ((input * input).mean(dim=dims, keepdim=True) + eps).rsqrt()
    return out * weight if weight is not None else out
