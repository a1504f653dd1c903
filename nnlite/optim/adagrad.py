"""Adagrad with learning-rate decay, weight decay and maximize (``torch.optim.Adagrad``)."""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np

from nnlite._tensor import Tensor
from nnlite.kernels import lazy as _lazy_kernels
from nnlite.optim._common import check_fused_foreach, check_lr, scalar
from nnlite.optim.optimizer import Optimizer, _step_tensor

_optim_kernels = _lazy_kernels("optim")

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    r"""Adagrad: per-element learning rates from the running sum of squared gradients.

    For each parameter with a gradient ``g`` (frozen ones are skipped), ``t`` = step count::

        g = -g if maximize;  g = g + weight_decay * p;  s = s + g * g
        p = p - lr / (1 + (t - 1) * lr_decay) * g / (sqrt(s) + eps)

    State: ``step``, ``sum`` (starts at ``initial_accumulator_value``). As in PyTorch the state
    is created in the constructor, but only for parameters that require grad (frozen ones get
    none; one unfrozen later gets its state on its first step).

    Example:
        >>> opt = Adagrad(model.parameters(), lr=1e-2)
    """

    def __init__(
        self,
        params: Iterable,
        lr: float | Tensor = 1e-2,
        lr_decay: float = 0,
        weight_decay: float = 0,
        initial_accumulator_value: float = 0,
        eps: float = 1e-10,
        foreach: bool | None = None,
        *,
        maximize: bool = False,
        differentiable: bool = False,
        fused: bool | None = None,
    ) -> None:
        check_lr(lr)
        if not 0.0 <= lr_decay:
            raise ValueError(f"Invalid lr_decay value: {lr_decay}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= initial_accumulator_value:
            raise ValueError(
                f"Invalid initial_accumulator_value value: {initial_accumulator_value}"
            )
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        defaults = {
            "lr": lr,
            "lr_decay": lr_decay,
            "eps": eps,
            "weight_decay": weight_decay,
            "initial_accumulator_value": initial_accumulator_value,
            "foreach": foreach,
            "maximize": maximize,
            "differentiable": differentiable,
            "fused": fused,
        }
        super().__init__(params, defaults)
        check_fused_foreach(self, fused, foreach, differentiable)
        for group in self.param_groups:
            for p in group["params"]:
                if p.requires_grad:
                    self._init_state(p, group)

    def _init_state(self, p: Tensor, group) -> dict:
        state = self.state[p]
        state["step"] = _step_tensor(fused=group["fused"])
        state["sum"] = Tensor._wrap(
            np.full(p._data.shape, group["initial_accumulator_value"], p._data.dtype)
        )
        return state

    _group_defaults = (
        ("foreach", None), ("maximize", False), ("differentiable", False), ("fused", None),
    )

    def step(self, closure: Callable | None = None):
        """Perform one Adagrad step; ``closure`` re-evaluates the model and returns the loss."""
        adagrad_step_ = _optim_kernels.adagrad_step_

        loss = self._run_closure(closure)
        for group in self.param_groups:
            for p in group["params"]:
                if not self._has_grad(p):
                    continue
                state = self.state[p]
                if len(state) == 0:
                    state = self._init_state(p, group)
                step_t = state["step"]._data
                step_t += 1
                adagrad_step_(
                    p._data,
                    p.grad._data,
                    state["sum"]._data,
                    step=float(step_t),
                    lr=scalar(group["lr"]),
                    lr_decay=float(group["lr_decay"]),
                    eps=float(group["eps"]),
                    weight_decay=float(group["weight_decay"]),
                    maximize=bool(group["maximize"]),
                )
                p._vc[0] += 1
        return loss
