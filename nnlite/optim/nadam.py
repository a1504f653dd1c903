"""NAdam (Dozat, 2016): Adam with Nesterov momentum, as ``torch.optim.NAdam``."""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np

from nnlite._tensor import Tensor
from nnlite.optim import _rounding as R
from nnlite.optim._common import check_betas, check_fused_foreach, check_lr, scalar
from nnlite.optim.optimizer import Optimizer, _scalar_dtype, _step_tensor, _zeros_like

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
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        check_betas(betas)
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= momentum_decay:
            raise ValueError(f"Invalid momentum_decay value: {momentum_decay}")
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay,
                    "momentum_decay": momentum_decay,
                    "decoupled_weight_decay": decoupled_weight_decay, "maximize": maximize,
                    "foreach": foreach, "capturable": capturable,
                    "differentiable": differentiable}
        super().__init__(params, defaults)
        check_fused_foreach(self, None, foreach, differentiable)

    def __setstate__(self, state):
        super().__setstate__(state)
        for group in self.param_groups:
            for k, v in (("maximize", False), ("foreach", None), ("capturable", False),
                         ("differentiable", False), ("decoupled_weight_decay", False)):
                group.setdefault(k, v)

    def step(self, closure: Callable | None = None):
        """Perform one NAdam step; ``closure`` re-evaluates the model and returns the loss."""
        loss = self._run_closure(closure)
        for group in self.param_groups:
            beta1, beta2 = (scalar(b) for b in group["betas"])
            lr, wd = scalar(group["lr"]), float(group["weight_decay"])
            eps, md = float(group["eps"]), float(group["momentum_decay"])
            for p in group["params"]:
                if not self._has_grad(p):
                    continue
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = _step_tensor()
                    state["mu_product"] = Tensor._wrap(np.array(1.0, _scalar_dtype()))
                    state["exp_avg"] = _zeros_like(p)
                    state["exp_avg_sq"] = _zeros_like(p)
                st = state["step"]._data
                st[()] = float(st) + 1.0
                step = float(st)
                x, g = p._data, p.grad._data
                dt = x.dtype.type
                if group["maximize"]:
                    g = -g
                bias_correction2 = 1 - beta2**step
                if wd != 0:
                    if group["decoupled_weight_decay"]:
                        x *= dt(1 - lr * wd)
                    else:
                        g = R.added(g, x, wd)
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
                p._vc[0] += 1
        return loss
