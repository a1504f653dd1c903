"""The reduction arguments of the losses, as ``torch.nn._reduction``.

``size_average`` / ``reduce`` are PyTorch's deprecated spelling of ``reduction``; the losses in
:mod:`nnlite.nn.functional` and :mod:`nnlite.nn.loss` turn them into a ``reduction`` string here,
with PyTorch's deprecation warning.
"""

from __future__ import annotations

import warnings


def get_enum(reduction: str) -> int:
    """``'none'`` -> 0, ``'mean'`` -> 1, ``'sum'`` -> 2 (ValueError for anything else)."""
    if reduction == "none":
        return 0
    if reduction == "mean":
        return 1
    if reduction == "elementwise_mean":
        warnings.warn(
            "reduction='elementwise_mean' is deprecated. Please use reduction='mean' instead.",
            stacklevel=2,
        )
        return 1
    if reduction == "sum":
        return 2
    raise ValueError(f"{reduction} is not a valid value for reduction")


def legacy_get_string(size_average, reduce, emit_warning: bool = True) -> str:
    """The ``reduction`` that ``size_average`` / ``reduce`` mean (None counts as True)."""
    if size_average is None:
        size_average = True
    if reduce is None:
        reduce = True
    if size_average and reduce:
        ret = "mean"
    elif reduce:
        ret = "sum"
    else:
        ret = "none"
    if emit_warning:
        warnings.warn(
            f"size_average and reduce args will be deprecated, please use reduction='{ret}' "
            "instead.", stacklevel=3,
        )
    return ret


def legacy_get_enum(size_average, reduce, emit_warning: bool = True) -> int:
    return get_enum(legacy_get_string(size_average, reduce, emit_warning))
