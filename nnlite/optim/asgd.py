"""ASGD (Polyak & Juditsky, 1992): SGD with iterate averaging, as ``torch.optim.ASGD``."""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np

from nnlite._tensor import Tensor
from nnlite.optim import _rounding as R
from nnlite.optim._common import (
    COMPAT_FLAGS,
    check_eps_weight_decay,
    check_fused_foreach,
    check_lr,
    scalar,
)
from nnlite.optim.optimizer import Optimizer, _scalar_dtype, _zeros_like

__all__ = ["ASGD"]


class ASGD(Optimizer):
    r"""Averaged SGD: decayed SGD steps, and ``ax`` the running average of the iterates.

    For each parameter with a gradient ``g`` (frozen ones are skipped), ``t`` = step count::

        g = -g if maximize;  g = g + wd * p
        p = p * (1 - lambd * eta) - eta * g
        ax = ax + (p - ax) * mu   (ax = p while mu == 1)
        eta = lr / (1 + lambd * lr * t) ** alpha;  mu = 1 / max(1, t - t0)

    State: ``step``, ``eta``, ``mu`` (0-dim float32 tensors, as torch), ``ax``. The averaged
    parameters are ``optimizer.state[p]["ax"]``.

    Example:
        >>> opt = ASGD(model.parameters(), lr=1e-2, t0=100)
    """

    def __init__(self, params: Iterable, lr: float | Tensor = 1e-2, lambd: float = 1e-4,
                 alpha: float = 0.75, t0: float = 1e6, weight_decay: float = 0,
                 foreach: bool | None = None, maximize: bool = False,
                 differentiable: bool = False, capturable: bool = False) -> None:
        check_lr(lr)
        check_eps_weight_decay(None, weight_decay)
        defaults = {"lr": lr, "lambd": lambd, "alpha": alpha, "t0": t0,
                    "weight_decay": weight_decay, "foreach": foreach, "maximize": maximize,
                    "differentiable": differentiable, "capturable": capturable}
        super().__init__(params, defaults)
        check_fused_foreach(self, None, foreach, differentiable)

    _group_defaults = COMPAT_FLAGS

    def _init_state(self, p, state, group):
        sd = _scalar_dtype()
        state["eta"] = Tensor._wrap(np.array(scalar(group["lr"]), sd))
        state["mu"] = Tensor._wrap(np.array(1.0, sd))
        state["ax"] = _zeros_like(p)

    def step(self, closure: Callable | None = None):
        """Perform one ASGD step; ``closure`` re-evaluates the model and returns the loss."""
        loss = self._run_closure(closure)
        for group in self.param_groups:
            lr = scalar(group["lr"])
            lambd, alpha, t0 = float(group["lambd"]), float(group["alpha"]), float(group["t0"])
            for p, state, g in self._stepped_params(group):
                x = p._data
                dt = x.dtype.type
                g = self._weight_decayed(group, x, g)
                eta_t, mu_t = state["eta"]._data, state["mu"]._data
                eta = float(eta_t)
                x *= dt(1 - lambd * eta)
                R.add_(x, g, -eta)
                ax = state["ax"]._data
                if float(mu_t) != 1:
                    d = x - ax
                    d *= dt(float(mu_t))
                    ax += d
                else:
                    ax[...] = x
                step = float(state["step"]._data)
                # torch builds these through torch.as_tensor(float): rounded to the default
                # dtype even when the state (loaded from a state_dict) is float64
                sd = _scalar_dtype()
                eta_t[()] = sd.type(lr / ((1 + lambd * lr * step) ** alpha))
                mu_t[()] = sd.type(1 / max(1, step - t0))
        return loss
