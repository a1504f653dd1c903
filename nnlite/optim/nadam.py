"""NAdam (Dozat, 2016): Adam with Nesterov momentum, as ``torch.optim.NAdam``."""

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
from nnlite.optim.optimizer import Optimizer, _scalar_dtype, _zeros_like

__all__ = ["NAdam"]


class NAdam(Optimizer):
    r"""NAdam: Adam whose momentum looks one step ahead, with a decaying momentum schedule.

    For each parameter with a gradient ``g`` (frozen ones are skipped), ``t`` = step count::

        g = -g if maximize
        p = p * (1 - lr * wd) (decoupled_weight_decay)  |  g = g + wd * p
        mu_t = beta1 * (1 - 0.5 * 0.96 ** (t * momentum_decay))
        mu_product = mu_product * mu_t
        m = lerp(m, g, 1 - beta1);  v = beta2 * v + (1 - beta2) * g * g
        denom = sqrt(v / (1 - beta2**t)) + eps
        p -= lr * (1 - mu_t) / (1 - mu_product) * g / denom
        p -= lr * mu_{t+1} / (1 - mu_product * mu_{t+1}) * m / denom

    State: ``step`` and ``mu_product`` (0-dim float32 tensors, float64 under a float64 default
    dtype, as torch), ``exp_avg``, ``exp_avg_sq``. ``decoupled_weight_decay=True`` is NAdamW.

    Example:
        >>> opt = NAdam(model.parameters(), lr=2e-3, momentum_decay=4e-3)
    """

    def __init__(self, params: Iterable, lr: float | Tensor = 2e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, momentum_decay: float = 4e-3,
                 decoupled_weight_decay: bool = False, *, foreach: bool | None = None,
                 maximize: bool = False, capturable: bool = False,
                 differentiable: bool = False) -> None:
        check_lr(lr)
        check_eps_weight_decay(eps, weight_decay)
        check_betas(betas)
        if not 0.0 <= momentum_decay:
            raise ValueError(f"Invalid momentum_decay value: {momentum_decay}")
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay,
                    "momentum_decay": momentum_decay,
                    "decoupled_weight_decay": decoupled_weight_decay, "maximize": maximize,
                    "foreach": foreach, "capturable": capturable,
                    "differentiable": differentiable}
        super().__init__(params, defaults)
        check_fused_foreach(self, None, foreach, differentiable)

    _group_defaults = COMPAT_FLAGS + (("decoupled_weight_decay", False),)

    def _init_state(self, p, state, group):
        state["mu_product"] = Tensor._wrap(np.array(1.0, _scalar_dtype()))
        state["exp_avg"] = _zeros_like(p)
        state["exp_avg_sq"] = _zeros_like(p)

    def step(self, closure: Callable | None = None):
        """Perform one NAdam step; ``closure`` re-evaluates the model and returns the loss."""
        loss = self._run_closure(closure)
        for group in self.param_groups:
            beta1, beta2 = (scalar(b) for b in group["betas"])
            lr, eps, md = scalar(group["lr"]), float(group["eps"]), float(group["momentum_decay"])
            for p, state, g in self._stepped_params(group):
                step = float(state["step"]._data)
                x = p._data
                dt = x.dtype.type
                bias_correction2 = 1 - beta2**step
                g = self._weight_decayed(group, x, g)
                mu = beta1 * (1.0 - 0.5 * (0.96 ** (step * md)))
                mu_next = beta1 * (1.0 - 0.5 * (0.96 ** ((step + 1) * md)))
                mp = state["mu_product"]._data
                mp[()] = mp * mp.dtype.type(mu)  # in the state's dtype, as torch's tensor op
                mu_product = float(mp)
                m, v = state["exp_avg"]._data, state["exp_avg_sq"]._data
                R.lerp_(m, g, 1 - beta1)
                v *= dt(beta2)
                R.addcmul_(v, g, g, 1 - beta2)
                denom = np.sqrt(v / dt(bias_correction2))
                denom += dt(eps)
                R.addcdiv_(x, g, denom, -lr * (1.0 - mu) / (1.0 - mu_product))
                R.addcdiv_(x, m, denom, (-lr * mu_next) / (1.0 - mu_product * mu_next))
        return loss
