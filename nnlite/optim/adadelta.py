"""Adadelta (Zeiler, 2012) with weight decay and maximize (``torch.optim.Adadelta``)."""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np

from nnlite._tensor import Tensor
from nnlite.optim._common import (
    COMPAT_FLAGS,
    check_eps_weight_decay,
    check_fused_foreach,
    check_lr,
    scalar,
)
from nnlite.optim.optimizer import Optimizer, _zeros_like

__all__ = ["Adadelta"]


class Adadelta(Optimizer):
    r"""Adadelta: steps scaled by the ratio of running RMS of updates to that of gradients.

    For each parameter with a gradient ``g`` (frozen ones are skipped)::

        g = -g if maximize;  g = g + weight_decay * p
        v = rho * v + (1 - rho) * g * g
        delta = sqrt(u + eps) / sqrt(v + eps) * g
        u = rho * u + (1 - rho) * delta * delta
        p = p - lr * delta

    State (created on a parameter's first step): ``step``, ``square_avg`` (v),
    ``acc_delta`` (u). float32 arithmetic is rounded in PyTorch's order.

    Example:
        >>> opt = Adadelta(model.parameters(), lr=1.0, rho=0.9)
    """

    def __init__(self, params: Iterable, lr: float | Tensor = 1.0, rho: float = 0.9,
                 eps: float = 1e-6, weight_decay: float = 0, foreach: bool | None = None, *,
                 capturable: bool = False, maximize: bool = False,
                 differentiable: bool = False) -> None:
        check_lr(lr)
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Invalid rho value: {rho}")
        check_eps_weight_decay(eps, weight_decay)
        defaults = {"lr": lr, "rho": rho, "eps": eps, "weight_decay": weight_decay,
                    "maximize": maximize, "capturable": capturable, "foreach": foreach,
                    "differentiable": differentiable}
        super().__init__(params, defaults)
        check_fused_foreach(self, None, foreach, differentiable)

    _group_defaults = COMPAT_FLAGS

    def _init_state(self, p, state, group):
        state["square_avg"] = _zeros_like(p)
        state["acc_delta"] = _zeros_like(p)

    def step(self, closure: Callable | None = None):
        """Perform one Adadelta step; ``closure`` re-evaluates the model and returns the loss."""
        loss = self._run_closure(closure)
        for group in self.param_groups:
            for p, state, g in self._stepped_params(group):
                x = p._data
                dt = x.dtype.type
                rho, eps, lr = dt(group["rho"]), dt(group["eps"]), dt(scalar(group["lr"]))
                g = self._weight_decayed(group, x, g)
                v, u = state["square_avg"]._data, state["acc_delta"]._data
                one_m = dt(1 - group["rho"])
                v *= rho
                v += one_m * g * g
                std = np.sqrt(v + eps)
                delta = np.sqrt(u + eps)
                delta /= std
                delta *= g
                u *= rho
                u += one_m * delta * delta
                x -= lr * delta
        return loss
