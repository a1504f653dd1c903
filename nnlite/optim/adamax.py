"""Adamax (Kingma & Ba, 2014): Adam with the infinity norm, as ``torch.optim.Adamax``."""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np

from nnlite._tensor import Tensor
from nnlite.optim import _rounding as R
from nnlite.optim._common import (
    COMPAT_FLAGS,
    check_betas,
    check_eps_weight_decay,
    check_fused_foreach,
    check_lr,
    scalar,
)
from nnlite.optim.optimizer import Optimizer, _zeros_like

__all__ = ["Adamax"]


class Adamax(Optimizer):
    r"""Adamax: Adam's second moment replaced by an exponentially weighted infinity norm.

    For each parameter with a gradient ``g`` (frozen ones are skipped), ``t`` = step count::

        g = -g if maximize;  g = g + wd * p
        m = lerp(m, g, 1 - beta1)
        u = max(beta2 * u, |g| + eps)
        p -= lr / (1 - beta1**t) * m / u

    State: ``step``, ``exp_avg`` (m), ``exp_inf`` (u).

    Example:
        >>> opt = Adamax(model.parameters(), lr=2e-3)
    """

    def __init__(self, params: Iterable, lr: float | Tensor = 2e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, foreach: bool | None = None, *,
                 maximize: bool = False, differentiable: bool = False,
                 capturable: bool = False) -> None:
        check_lr(lr)
        check_eps_weight_decay(eps, weight_decay)
        check_betas(betas)
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay,
                    "foreach": foreach, "maximize": maximize, "differentiable": differentiable,
                    "capturable": capturable}
        super().__init__(params, defaults)
        check_fused_foreach(self, None, foreach, differentiable)

    _group_defaults = COMPAT_FLAGS

    def _init_state(self, p, state, group):
        state["exp_avg"] = _zeros_like(p)
        state["exp_inf"] = _zeros_like(p)

    def step(self, closure: Callable | None = None):
        """Perform one Adamax step; ``closure`` re-evaluates the model and returns the loss."""
        loss = self._run_closure(closure)
        for group in self.param_groups:
            beta1, beta2 = (scalar(b) for b in group["betas"])
            lr, eps = scalar(group["lr"]), float(group["eps"])
            for p, state, g in self._stepped_params(group):
                x = p._data
                dt = x.dtype.type
                g = self._weight_decayed(group, x, g)
                m, u = state["exp_avg"]._data, state["exp_inf"]._data
                R.lerp_(m, g, 1 - beta1)
                u *= dt(beta2)
                a = np.abs(g)
                a += dt(eps)
                np.maximum(u, a, out=u)
                clr = lr / (1 - beta1 ** float(state["step"]._data))
                R.addcdiv_(x, m, u, -clr)
        return loss
