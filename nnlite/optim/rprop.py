"""Rprop (Riedmiller & Braun, 1993): sign-based steps with per-weight step sizes
(``torch.optim.Rprop``)."""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np

from nnlite._tensor import Tensor
from nnlite.optim._common import COMPAT_FLAGS, check_fused_foreach, check_lr, scalar
from nnlite.optim.optimizer import Optimizer, _zeros_like

__all__ = ["Rprop"]


class Rprop(Optimizer):
    r"""Resilient backpropagation: each weight's step size grows by ``etas[1]`` while its gradient
    keeps its sign and shrinks by ``etas[0]`` when the sign flips (that step is then skipped).

    For each parameter with a gradient ``g`` (frozen ones are skipped)::

        g = -g if maximize
        s = sign(g * prev):  factor = etas[1] (s > 0), etas[0] (s < 0), 1 (s == 0)
        step_size = clamp(step_size * factor, *step_sizes)
        g = 0 where s < 0
        p -= sign(g) * step_size;  prev = g

    State: ``step``, ``prev``, ``step_size`` (starts at ``lr``).

    Example:
        >>> opt = Rprop(model.parameters(), lr=1e-2, etas=(0.5, 1.2))
    """

    def __init__(self, params: Iterable, lr: float | Tensor = 1e-2,
                 etas: tuple[float, float] = (0.5, 1.2),
                 step_sizes: tuple[float, float] = (1e-6, 50), *, capturable: bool = False,
                 foreach: bool | None = None, maximize: bool = False,
                 differentiable: bool = False) -> None:
        check_lr(lr)
        if not 0.0 < etas[0] < 1.0 < etas[1]:
            raise ValueError(f"Invalid eta values: {etas[0]}, {etas[1]}")
        defaults = {"lr": lr, "etas": etas, "step_sizes": step_sizes, "foreach": foreach,
                    "maximize": maximize, "differentiable": differentiable,
                    "capturable": capturable}
        super().__init__(params, defaults)
        check_fused_foreach(self, None, foreach, differentiable)

    _group_defaults = COMPAT_FLAGS

    def _init_state(self, p, state, group):
        state["prev"] = _zeros_like(p)
        state["step_size"] = Tensor._wrap(
            np.full(p._data.shape, scalar(group["lr"]), p._data.dtype))

    def step(self, closure: Callable | None = None):
        """Perform one Rprop step; ``closure`` re-evaluates the model and returns the loss."""
        loss = self._run_closure(closure)
        for group in self.param_groups:
            etaminus, etaplus = (float(e) for e in group["etas"])
            smin, smax = (float(s) for s in group["step_sizes"])
            for p, state, g in self._stepped_params(group):
                x = p._data
                dt = x.dtype.type
                prev, size = state["prev"]._data, state["step_size"]._data
                sign = np.sign(g * prev)
                factor = np.where(sign > 0, dt(etaplus),
                                  np.where(sign < 0, dt(etaminus), dt(1))).astype(x.dtype)
                size *= factor
                np.clip(size, dt(smin), dt(smax), out=size)
                g = np.where(factor == dt(etaminus), dt(0), g).astype(x.dtype)
                x -= np.sign(g) * size
                prev[...] = g
        return loss
