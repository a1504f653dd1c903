"""Adamax (Kingma & Ba, 2014): Adam with the infinity norm, as ``torch.optim.Adamax``."""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np

from nnlite._tensor import Tensor
from nnlite.optim import _rounding as R
from nnlite.optim._common import check_betas, check_fused_foreach, check_lr, scalar
from nnlite.optim.optimizer import Optimizer, _step_tensor, _zeros_like

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
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        check_betas(betas)
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay,
                    "foreach": foreach, "maximize": maximize, "differentiable": differentiable,
                    "capturable": capturable}
        super().__init__(params, defaults)
        check_fused_foreach(self, None, foreach, differentiable)

    def __setstate__(self, state):
        super().__setstate__(state)
        for group in self.param_groups:
            for k, v in (("foreach", None), ("maximize", False), ("differentiable", False),
                         ("capturable", False)):
                group.setdefault(k, v)

    def step(self, closure: Callable | None = None):
        """Perform one Adamax step; ``closure`` re-evaluates the model and returns the loss."""
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
                    state["exp_inf"] = _zeros_like(p)
                st = state["step"]._data
                st[()] = float(st) + 1.0
                x, g = p._data, p.grad._data
                dt = x.dtype.type
                if group["maximize"]:
                    g = -g
                if wd != 0:
                    g = R.added(g, x, wd)
                m, u = state["exp_avg"]._data, state["exp_inf"]._data
                R.lerp_(m, g, 1 - beta1)
                u *= dt(beta2)
                a = np.abs(g)
                a += dt(eps)
                np.maximum(u, a, out=u)
                clr = lr / (1 - beta1 ** float(st))
                R.addcdiv_(x, m, u, -clr)
                p._vc[0] += 1
        return loss
