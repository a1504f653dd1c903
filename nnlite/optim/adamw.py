"""AdamW: Adam with decoupled weight decay (``torch.optim.AdamW``)."""

from __future__ import annotations

from collections.abc import Iterable

from nnlite._tensor import Tensor
from nnlite.optim.adam import Adam

__all__ = ["AdamW"]


class AdamW(Adam):
    r"""Adam with decoupled weight decay: ``p = p * (1 - lr * weight_decay)`` before the Adam
    update, instead of adding ``weight_decay * p`` to the gradient. Default ``weight_decay=1e-2``.

    Frozen parameters are skipped entirely, so they are not decayed either.

    Example:
        >>> opt = AdamW(model.parameters(), lr=1e-3, weight_decay=0.05)
    """

    def __init__(
        self,
        params: Iterable,
        lr: float | Tensor = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
        foreach: bool | None = None,
        capturable: bool = False,
        differentiable: bool = False,
        fused: bool | None = None,
    ) -> None:
        super().__init__(
            params,
            lr,
            betas,
            eps,
            weight_decay,
            amsgrad,
            foreach=foreach,
            maximize=maximize,
            capturable=capturable,
            differentiable=differentiable,
            fused=fused,
            decoupled_weight_decay=True,
        )

    def __setstate__(self, state):
        super().__setstate__(state)
        for group in self.param_groups:
            group["decoupled_weight_decay"] = True
