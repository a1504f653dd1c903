"""Small helpers shared by the algorithms (argument checks as PyTorch words them)."""

from __future__ import annotations

from nnlite._tensor import Tensor


def check_lr(lr) -> None:
    if isinstance(lr, Tensor) and lr.numel() != 1:
        raise ValueError("Tensor lr must be 1-element")
    if not 0.0 <= lr:
        raise ValueError(f"Invalid learning rate: {lr}")


def check_fused_foreach(optimizer, fused, foreach, differentiable) -> None:
    # nnlite's kernels are always fused per parameter: ``fused``/``foreach`` are accepted for
    # compatibility and change nothing; their invalid combinations raise as in PyTorch.
    if fused:
        if differentiable:
            raise RuntimeError("`fused` does not support `differentiable`")
        if foreach:
            raise RuntimeError("`fused` and `foreach` cannot be `True` together.")
    if differentiable:
        raise NotImplementedError(
            f"{type(optimizer).__name__}(differentiable=True) is not supported by nnlite"
        )


def scalar(x) -> float:
    """A hyper-parameter as a Python float (a 1-element Tensor ``lr`` included)."""
    return float(x._data) if isinstance(x, Tensor) else float(x)


def check_betas(betas) -> None:
    if not 0.0 <= betas[0] < 1.0:
        raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
    if not 0.0 <= betas[1] < 1.0:
        raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")


def check_eps_weight_decay(eps, weight_decay) -> None:
    if eps is not None and not 0.0 <= eps:
        raise ValueError(f"Invalid epsilon value: {eps}")
    if not 0.0 <= weight_decay:
        raise ValueError(f"Invalid weight_decay value: {weight_decay}")


#: the compatibility flags of torch's single-tensor optimizers, as their ``__setstate__`` fills
#: them into groups saved before they existed
COMPAT_FLAGS = (("foreach", None), ("maximize", False), ("differentiable", False),
                ("capturable", False))
