"""RAdam (Liu et al., 2019): Adam with a rectified adaptive learning rate (``torch.optim.RAdam``)."""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np

from nnlite._tensor import Tensor
from nnlite.optim import _rounding as R
from nnlite.optim._common import check_betas, check_fused_foreach, check_lr, scalar
from nnlite.optim.optimizer import Optimizer, _step_tensor, _zeros_like

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
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        check_betas(betas)
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay,
                    "maximize": maximize, "foreach": foreach, "capturable": capturable,
                    "decoupled_weight_decay": decoupled_weight_decay,
                    "differentiable": differentiable}
        super().__init__(params, defaults)
        check_fused_foreach(self, None, foreach, differentiable)

    def __setstate__(self, state):
        super().__setstate__(state)
        for group in self.param_groups:
            for k, v in (("foreach", None), ("maximize", False), ("differentiable", False),
                         ("capturable", False), ("decoupled_weight_decay", False)):
                group.setdefault(k, v)

    def step(self, closure: Callable | None = None):
        """Perform one RAdam step; ``closure`` re-evaluates the model and returns the loss."""
        loss = self._run_closure(closure)
        for group in self.param_groups:
            beta1, beta2 = (scalar(b) for b in group["betas"])
            lr, wd, eps = scalar(group["lr"]), float(group["weight_decay"]), float(group["eps"])
            for p in group["params"]:
                if not self._has_grad(p):
                    continue
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = _step_tensor()
                    state["exp_avg"] = _zeros_like(p)
                    state["exp_avg_sq"] = _zeros_like(p)
                st = state["step"]._data
                st[()] = float(st) + 1.0
                step = float(st)
                x, g = p._data, p.grad._data
                dt = x.dtype.type
                if group["maximize"]:
                    g = -g
                if wd != 0:
                    if group["decoupled_weight_decay"]:
                        x *= dt(1 - lr * wd)
                    else:
                        g = R.added(g, x, wd)
                m, v = state["exp_avg"]._data, state["exp_avg_sq"]._data
                R.lerp_(m, g, 1 - beta1)
                v *= dt(beta2)
                R.addcmul_(v, g, g, 1 - beta2)
                bias_correction1 = 1 - beta1**step
                bias_correction2 = 1 - beta2**step
                m_hat = m / dt(bias_correction1)
                rho_inf = 2 / (1 - beta2) - 1
                rho_t = rho_inf - 2 * step * (beta2**step) / bias_correction2
                if rho_t > 5.0:
                    rect = ((rho_t - 4) * (rho_t - 2) * rho_inf
                            / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5
                    adaptive = np.sqrt(v)
                    adaptive += dt(eps)
                    adaptive = dt(bias_correction2**0.5) / adaptive
                    upd = m_hat * dt(lr)
                    upd *= adaptive
                    upd *= dt(rect)
                else:
                    upd = m_hat * dt(lr)
                x -= upd
                p._vc[0] += 1
        return loss
