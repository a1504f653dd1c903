"""Dropout (elementwise, from nnlite's seeded generator) and channel dropout (1d/2d/3d).
"""

from __future__ import annotations

import warnings

import numpy as np

from nnlite import _batch_shard
from nnlite import _random as _R
from nnlite._tensor import Tensor
from nnlite.autograd.function import record
from nnlite.autograd.grad_mode import _CaptureState
from nnlite.ops import elementwise as _E

_W = Tensor._wrap


def _const(arr: np.ndarray) -> Tensor:
    """A constant (no-grad) tensor around an array, for Tensor-op backward formulas."""
    return _W(arr)

# ---- dropout -------------------------------------------------------------------------------


def check_probability(p: float) -> None:
    """torch's ValueError for a dropout probability outside [0, 1] (F.dropout, nn.Dropout)."""
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def dropout(x: Tensor, p: float = 0.5, training: bool = True) -> Tensor:
    """Zero each element with probability ``p`` and scale the rest by ``1/(1-p)``.

    The mask comes from nnlite's PyTorch-compatible global generator: after the same
    ``manual_seed`` it is the mask torch draws (on CPUs where torch uses ATen's own bernoulli).
    """
    if not training or p == 0.0:
        return x
    xd = x._data
    if p == 1.0:
        mask = np.zeros(xd.shape, xd.dtype)
    else:
        # torch: noise.bernoulli_(1 - p).div_(1 - p); input * noise -- same draws, same mask
        # a data-parallel rank: its rows of the global batch's mask (nnlite._batch_shard)
        keep = _batch_shard.per_sample(
            xd.shape, lambda s: _R.bernoulli_scalar(_R._gen(), s, 1.0 - p))
        mask = keep.astype(xd.dtype) / xd.dtype.type(1.0 - p)
    out = _W(xd * mask)
    # torch's graph: ``input * noise``, a MulBackward0 with no edge to the noise
    noise = _W(mask)
    node = record(out, _E.MulBackward0, (x, noise))
    if node is not None:
        node.save_for_backward(None, noise)
        node.a_shape = node.b_shape = xd.shape
    if _CaptureState.recorder is not None:  # recording a plan for nnlite.compile
        _CaptureState.recorder.emit("dropout", out, (x,), p=p)
    return out




def _feature_dropout(input: Tensor, p: float, training: bool, inplace: bool, batched: bool,
                     name: str) -> Tensor:
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0.0 or input.numel() == 0:
        return input
    if p == 1.0:
        out = input * _E.zeros_like(input)
        return input.copy_(out) if inplace else out
    # torch: noise of shape (N, C, 1, ...) drawn by bernoulli_(1 - p), divided by 1 - p
    sh = input.shape
    noise_shape = (sh[0], sh[1]) + (1,) * (len(sh) - 2) if batched else (sh[0],) + (1,) * (
        len(sh) - 1)
    # a data-parallel rank: its rows of the global batch's noise (nnlite._batch_shard)
    keep = _batch_shard.per_sample(noise_shape,
                                   lambda s: _R.bernoulli_scalar(_R._gen(), s, 1.0 - p))
    noise = _W(keep.astype(input._data.dtype))
    noise.div_(1.0 - p)
    out = input * noise
    return input.copy_(out) if inplace else out


def dropout1d(input: Tensor, p: float = 0.5, training: bool = True,
              inplace: bool = False) -> Tensor:
    """Zero whole channels of (N, C, L) or (C, L) input with probability ``p``."""
    if input.ndim not in (2, 3):
        raise RuntimeError(
            f"dropout1d: Expected 2D or 3D input, but received a {input.ndim}D input. Note that "
            "dropout1d exists to provide channel-wise dropout on inputs with 1 spatial "
            "dimension, a channel dimension, and an optional batch dimension (i.e. 2D or 3D "
            "inputs)."
        )
    return _feature_dropout(input, p, training, inplace, input.ndim == 3, "dropout1d")


def dropout2d(input: Tensor, p: float = 0.5, training: bool = True,
              inplace: bool = False) -> Tensor:
    """Zero whole channels of (N, C, H, W) input with probability ``p`` (a 3-D input is read as
    (N, C, L), as PyTorch still does, with its warning)."""
    if input.ndim not in (3, 4):
        warnings.warn(
            f"dropout2d: Received a {input.ndim}-D input to dropout2d, which is deprecated and "
            "will result in an error in a future release. To retain the behavior and silence "
            "this warning, please use dropout instead. Note that dropout2d exists to provide "
            "channel-wise dropout on inputs with 2 spatial dimensions, a channel dimension, and "
            "an optional batch dimension (i.e. 3D or 4D inputs).", stacklevel=2,
        )
    if input.ndim == 3:
        warnings.warn(
            "dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D "
            "dropout behavior is desired - input is interpreted as shape (N, C, L), where C is "
            "the channel dim. This behavior will change in a future release to interpret the "
            "input as one without a batch dimension, i.e. shape (C, H, W). To maintain the 1D "
            "channel-wise dropout behavior, please switch to using dropout1d instead.",
            stacklevel=2,
        )
    return _feature_dropout(input, p, training, inplace, True, "dropout2d")


def dropout3d(input: Tensor, p: float = 0.5, training: bool = True,
              inplace: bool = False) -> Tensor:
    return _feature_dropout(input, p, training, inplace, input.ndim == 5, "dropout3d")
