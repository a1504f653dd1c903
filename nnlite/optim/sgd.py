"""SGD with momentum, dampening, Nesterov, weight decay and maximize (``torch.optim.SGD``)."""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np

from nnlite._tensor import Tensor
from nnlite.kernels import lazy as _lazy_kernels
from nnlite.optim import flat
from nnlite.optim._common import check_fused_foreach, scalar
from nnlite.optim.optimizer import Optimizer

_optim_kernels = _lazy_kernels("optim")

__all__ = ["SGD"]


class SGD(Optimizer):
    r"""Stochastic gradient descent, optionally with (Nesterov) momentum.

    For each parameter with a gradient ``g`` (frozen ones are skipped)::

        g = -g if maximize;   g = g + weight_decay * p
        b = g (first step) | momentum * b + (1 - dampening) * g
        g = g + momentum * b (nesterov) | b
        p = p - lr * g

    State: ``momentum_buffer`` (only when ``momentum != 0``).

    Example:
        >>> opt = SGD(model.parameters(), lr=0.1, momentum=0.9)
    """

    def __init__(
        self,
        params: Iterable,
        lr: float | Tensor = 1e-3,
        momentum: float = 0,
        dampening: float = 0,
        weight_decay: float = 0,
        nesterov: bool = False,
        *,
        maximize: bool = False,
        foreach: bool | None = None,
        differentiable: bool = False,
        fused: bool | None = None,
    ) -> None:
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = {
            "lr": lr,
            "momentum": momentum,
            "dampening": dampening,
            "weight_decay": weight_decay,
            "nesterov": nesterov,
            "maximize": maximize,
            "foreach": foreach,
            "differentiable": differentiable,
            "fused": fused,
        }
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, defaults)
        check_fused_foreach(self, fused, foreach, differentiable)

    _group_defaults = (
        ("nesterov", False), ("maximize", False), ("foreach", None), ("differentiable", False),
        ("fused", False),
    )

    def step(self, closure: Callable | None = None):
        """Perform one SGD step; ``closure`` re-evaluates the model and returns the loss."""
        sgd_step_ = _optim_kernels.sgd_step_

        loss = None if closure is None else self._run_closure(closure)
        state_of = self.state
        for group in self.param_groups:
            # the group's hyper-parameters, converted once per group (not per parameter)
            lr = group["lr"]
            lr = lr if lr.__class__ is float else scalar(lr)
            momentum = float(group["momentum"])
            weight_decay = float(group["weight_decay"])
            dampening = float(group["dampening"])
            nesterov = bool(group["nesterov"])
            maximize = bool(group["maximize"])
            hyper = {"lr": lr, "weight_decay": weight_decay, "momentum": momentum,
                     "dampening": dampening, "nesterov": nesterov, "maximize": maximize}
            if group.get("fused") or group.get("foreach"):  # flat.wants_flat, inline
                arenas = flat.arenas_of(self, group, ("momentum_buffer",) if momentum else ())
                if arenas is not None:
                    for arena in arenas:
                        self._step_arena(arena, hyper)
                    continue
            for p in group["params"]:
                grad = p._grad  # the slot: a leaf's .grad property would cost a call
                if grad is None or not p._requires_grad:  # frozen: skipped (Optimizer._has_grad)
                    continue
                buf, first = None, False
                if momentum != 0:
                    state = state_of[p]
                    buf = state.get("momentum_buffer")
                    if buf is None:
                        buf = Tensor._wrap(np.empty(p._data.shape, p._data.dtype))
                        state["momentum_buffer"] = buf
                        first = True
                sgd_step_(
                    p._data,
                    grad._data,
                    None if buf is None else buf._data,
                    lr=lr,
                    weight_decay=weight_decay,
                    momentum=momentum,
                    dampening=dampening,
                    nesterov=nesterov,
                    maximize=maximize,
                    first=first,
                )
                p._vc[0] += 1
        return loss

    def _step_arena(self, arena, hyper) -> None:
        """``fused``/``foreach``: one kernel call per run of consecutive parameters whose
        gradients are in their slots (see :mod:`nnlite.optim.flat`); the others one by one.
        When every parameter of the arena is in its slot with the same ``first`` flag (the
        steady state of a captured step), that is one call over the whole buffers."""
        sgd_step_ = _optim_kernels.sgd_step_

        state_of = self.state
        momentum = hyper["momentum"]
        members = []
        pviews, gviews = arena.pviews, arena.gviews
        sviews = arena.sviews.get("momentum_buffer")
        uniform = None  # the ``first`` flag every member shares so far (None: none yet)
        for k, p in enumerate(arena.params):
            grad = p._grad
            if grad is None or not p._requires_grad:  # frozen: skipped, untouched
                continue
            first = False
            buf = None
            if momentum != 0:
                state = state_of[p]
                buf = state.get("momentum_buffer")
                if buf is None or buf._data is not sviews[k]:
                    buf, first = arena.state_tensor(k, state, "momentum_buffer", "empty")
            if p._data is pviews[k] and grad._data is gviews[k]:
                members.append((k, first))
                if uniform is None:
                    uniform = first
                elif uniform is not first:
                    uniform = "mixed"
            else:
                sgd_step_(p._data, grad._data, None if buf is None else buf._data,
                          first=first, **hyper)
            p._vc[0] += 1
        bufs = arena.state_bufs.get("momentum_buffer")
        if len(members) == len(pviews) and uniform.__class__ is bool and not flat.SPLIT_MIN:
            _optim_kernels.sgd_step_flat_(arena.param_buf, arena.grad_buf, bufs, first=uniform,
                                          **hyper)
            return
        for a, b, first in arena.runs(members):
            flat.run_split(sgd_step_, a, b, (arena.param_buf, arena.grad_buf, bufs),
                           first=first, **hyper)
