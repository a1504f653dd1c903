"""``F.alpha_dropout`` / ``F.feature_alpha_dropout``: dropout that keeps SELU's zero mean and
unit variance. Dropped units are set to SELU's negative saturation value, then the result is
scaled and shifted back (torch's ``_dropout_impl`` with alpha): with ``keep ~ Bernoulli(1-p)``
(drawn from the global generator as torch draws it), ``a = 1/sqrt((alpha^2 p + 1)(1 - p))``,
``y = x * keep * a + (keep - 1) * alpha * a + alpha * a * p``."""

from __future__ import annotations

import math

from nnlite._tensor import Tensor
from nnlite.ops.creation import empty

_ALPHA = 1.7580993408473766


def _alpha_dropout(input: Tensor, p: float, training: bool, feature: bool) -> Tensor:
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0:
        return input
    if p == 1:
        return input * 0.0
    shape = tuple(input.shape)
    if feature:
        if input.dim() < 2:
            raise RuntimeError("Feature dropout requires at least 2 dimensions in the input")
        shape = shape[:2] + (1,) * (input.dim() - 2)
    noise = empty(shape, dtype=input.dtype).bernoulli_(1 - p)
    a = 1.0 / math.sqrt((_ALPHA * _ALPHA * p + 1) * (1 - p))
    b = (noise - 1.0) * (_ALPHA * a) + _ALPHA * a * p
    return input * (noise * a) + b


def alpha_dropout(input: Tensor, p: float = 0.5, training: bool = False,
                  inplace: bool = False) -> Tensor:
    """Alpha dropout of single elements (identity unless ``training``)."""
    return _alpha_dropout(input, p, training, False)


def feature_alpha_dropout(input: Tensor, p: float = 0.5, training: bool = False,
                          inplace: bool = False) -> Tensor:
    """Alpha dropout of whole channels (dim 1)."""
    return _alpha_dropout(input, p, training, True)
