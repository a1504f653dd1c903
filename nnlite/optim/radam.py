"""RAdam (Liu et al., 2019): Adam with a rectified adaptive learning rate (``torch.optim.RAdam``)."""

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

__all__ = ["RAdam"]


class RAdam(Optimizer):
    r"""RAdam: plain momentum SGD until the variance of the adaptive rate is tractable, then Adam
    scaled by the rectification term.

    For each parameter with a gradient ``g`` (frozen ones are skipped), ``t`` = step count::

        g = -g if maximize
        p = p * (1 - lr * wd) (decoupled_weight_decay)  |  g = g + wd * p
        m = lerp(m, g, 1 - beta1);  v = beta2 * v + (1 - beta2) * g * g
        m_hat = m / (1 - beta1**t)
        rho_inf = 2 / (1 - beta2) - 1;  rho_t = rho_inf - 2 t beta2**t / (1 - beta2**t)
        rho_t > 5:  p -= lr * m_hat * sqrt(1 - beta2**t) / (sqrt(v) + eps) * r_t
                    r_t = sqrt((rho_t - 4)(rho_t - 2) rho_inf / ((rho_inf - 4)(rho_inf - 2) rho_t))
        else:       p -= lr * m_hat

    State: ``step``, ``exp_avg``, ``exp_avg_sq``.

    Example:
        >>> opt = RAdam(model.parameters(), lr=1e-3)
    """

    def __init__(self, params: Iterable, lr: float | Tensor = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, decoupled_weight_decay: bool = False, *,
                 foreach: bool | None = None, maximize: bool = False, capturable: bool = False,
                 differentiable: bool = False) -> None:
        check_lr(lr)
        check_eps_weight_decay(eps, weight_decay)
        check_betas(betas)
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay,
                    "maximize": maximize, "foreach": foreach, "capturable": capturable,
                    "decoupled_weight_decay": decoupled_weight_decay,
                    "differentiable": differentiable}
        super().__init__(params, defaults)
        check_fused_foreach(self, None, foreach, differentiable)

    _group_defaults = COMPAT_FLAGS + (("decoupled_weight_decay", False),)

    def _init_state(self, p, state, group):
        state["exp_avg"] = _zeros_like(p)
        state["exp_avg_sq"] = _zeros_like(p)

    def step(self, closure: Callable | None = None):
        """Perform one RAdam step; ``closure`` re-evaluates the model and returns the loss."""
        loss = self._run_closure(closure)
        for group in self.param_groups:
            beta1, beta2 = (scalar(b) for b in group["betas"])
            lr, eps = scalar(group["lr"]), float(group["eps"])
            for p, state, g in self._stepped_params(group):
                step = float(state["step"]._data)
                x = p._data
                dt = x.dtype.type
                g = self._weight_decayed(group, x, g)
                m, v = state["exp_avg"]._data, state["exp_avg_sq"]._data
                R.lerp_(m, g, 1 - beta1)
                v *= dt(beta2)
                R.addcmul_(v, g, g, 1 - beta2)
                bias_correction1 = 1 - beta1**step
                bias_correction2 = 1 - beta2**step
                m_hat = m / dt(bias_correction1)
                rho_inf = 2 / (1 - beta2) - 1
                rho_t = rho_inf - 2 * step * (beta2**step) / bias_correction2
                upd = m_hat * dt(lr)
                if rho_t > 5.0:
                    rect = ((rho_t - 4) * (rho_t - 2) * rho_inf
                            / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5
                    adaptive = np.sqrt(v)
                    adaptive += dt(eps)
                    upd *= dt(bias_correction2**0.5) / adaptive
                    upd *= dt(rect)
                x -= upd
        return loss
