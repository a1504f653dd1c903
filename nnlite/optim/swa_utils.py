"""Stochastic weight averaging and EMA of a model's weights (``torch.optim.swa_utils``).

:class:`AveragedModel` keeps a deep copy of a model whose parameters (and, with
``use_buffers=True``, buffers) are running averages of the model's: the equal-weight SWA
average by default, an exponential moving average through :func:`get_ema_multi_avg_fn` or
:func:`get_ema_avg_fn`, or any ``avg_fn``/``multi_avg_fn``. :class:`SWALR` anneals each group's
learning rate to a fixed ``swa_lr``; :func:`update_bn` recomputes BatchNorm statistics with one
pass over a loader. The arithmetic follows PyTorch's CPU path, so averages equal torch's.

Example:
    >>> swa_model = AveragedModel(model)
    >>> swa_sched = SWALR(optimizer, swa_lr=0.05)
    >>> for epoch in range(epochs):
    ...     train_one_epoch(model, optimizer)
    ...     if epoch >= swa_start:
    ...         swa_model.update_parameters(model); swa_sched.step()
    >>> update_bn(loader, swa_model)
"""

from __future__ import annotations

import itertools
import math
import warnings
from collections.abc import Callable, Iterable
from copy import deepcopy
from typing import Any

import numpy as np

from nnlite._tensor import Tensor
from nnlite.autograd.grad_mode import no_grad
from nnlite.nn.module import Module
from nnlite.nn.normalization import _BatchNorm
from nnlite.optim import _rounding
from nnlite.optim.lr_scheduler import LRScheduler, _format_param
from nnlite.optim.optimizer import Optimizer

__all__ = ["SWALR", "AveragedModel", "get_ema_avg_fn", "get_ema_multi_avg_fn",
           "get_swa_avg_fn", "get_swa_multi_avg_fn", "update_bn"]


def _check_decay(decay: float) -> None:
    if decay < 0.0 or decay > 1.0:
        raise ValueError(
            f"Invalid decay value {decay} provided. Please provide a value in [0,1] range."
        )


def _bump(t: Tensor) -> None:
    t._vc[0] += 1  # an in-place write: autograd's version check sees it


def get_ema_multi_avg_fn(decay: float = 0.999) -> Callable:
    """In-place EMA over lists of tensors: ``ema = lerp(ema, model, 1 - decay)``."""
    _check_decay(decay)

    def ema_update(ema_param_list, current_param_list, _num_averaged) -> None:
        for e, c in zip(ema_param_list, current_param_list, strict=True):
            if e._data.dtype.kind == "f":
                _rounding.lerp_(e._data, c._data, 1 - decay)
            else:  # integer buffers: computed in float, truncated by the copy
                e._data[...] = (e._data * decay + c._data * (1 - decay)).astype(e._data.dtype)
            _bump(e)

    return ema_update


def get_swa_multi_avg_fn() -> Callable:
    """In-place equal-weight average over lists of tensors (``lerp`` by ``1 / (n + 1)``)."""

    def swa_update(averaged_param_list, current_param_list, num_averaged) -> None:
        n = int(num_averaged.item()) if isinstance(num_averaged, Tensor) else num_averaged
        for a, c in zip(averaged_param_list, current_param_list, strict=True):
            if a._data.dtype.kind == "f":
                _rounding.lerp_(a._data, c._data, 1 / (n + 1))
            else:  # torch's integer path goes through addcdiv, which refuses integers
                raise RuntimeError(
                    "Integer division with addcdiv is no longer supported: "
                    "get_swa_multi_avg_fn cannot average integer buffers (num_batches_tracked); "
                    "use use_buffers=False or get_ema_multi_avg_fn")
            _bump(a)

    return swa_update


def get_ema_avg_fn(decay: float = 0.999) -> Callable:
    """EMA of one tensor: returns ``decay * ema + (1 - decay) * model``."""
    _check_decay(decay)

    def ema_update(ema_param: Tensor, current_param: Tensor, num_averaged) -> Tensor:
        with no_grad():
            return decay * ema_param + (1 - decay) * current_param

    return ema_update


def get_swa_avg_fn() -> Callable:
    """Equal-weight average of one tensor: returns ``avg + (model - avg) / (n + 1)``."""

    def swa_update(averaged_param: Tensor, current_param: Tensor, num_averaged) -> Tensor:
        with no_grad():
            return averaged_param + (current_param - averaged_param) / (num_averaged + 1)

    return swa_update


class AveragedModel(Module):
    r"""A copy of ``model`` whose weights are running averages of ``model``'s (SWA or EMA).

    Args:
        model: the module to average (deep-copied; the copy is ``self.module``).
        device: accepted as torch's; only the CPU exists here.
        avg_fn: ``avg_fn(averaged, current, n_averaged) -> Tensor`` for one tensor.
        multi_avg_fn: ``multi_avg_fn(averaged_list, current_list, n_averaged)``, in place.
        use_buffers: average buffers too (else they are copied from ``model`` on each update).

    The first :meth:`update_parameters` copies ``model``'s values; later ones average. The
    count is the ``n_averaged`` buffer (int64), so ``state_dict()`` holds ``module.<name>``
    entries and ``n_averaged``; the averaging functions are not saved.

    Example:
        >>> ema = AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(0.99))
        >>> ema.update_parameters(model)
    """

    n_averaged: Tensor

    def __init__(self, model: Module, device=None, avg_fn: Callable | None = None,
                 multi_avg_fn: Callable | None = None, use_buffers: bool = False) -> None:
        super().__init__()
        if avg_fn is not None and multi_avg_fn is not None:
            raise AssertionError("Only one of avg_fn and multi_avg_fn should be provided")
        self.module = deepcopy(model)
        if device is not None:
            self.module = self.module.to(device)
        self.register_buffer("n_averaged", Tensor._wrap(np.array(0, np.int64)))
        self.avg_fn = avg_fn
        self.multi_avg_fn = multi_avg_fn
        self.use_buffers = use_buffers

    def forward(self, *args, **kwargs):
        """The averaged module's forward."""
        return self.module(*args, **kwargs)

    def update_parameters(self, model: Module) -> None:
        """Fold ``model``'s current weights into the average (copy them on the first call)."""
        if self.use_buffers:
            mine = list(itertools.chain(self.module.parameters(), self.module.buffers()))
            theirs = list(itertools.chain(model.parameters(), model.buffers()))
        else:
            mine, theirs = list(self.parameters()), list(model.parameters())
        pairs = [(a.detach(), b.detach()) for a, b in zip(mine, theirs, strict=False)]
        n = int(self.n_averaged._data)
        with no_grad():
            if n == 0:
                for a, b in pairs:
                    a.copy_(b)
            elif self.multi_avg_fn is not None:
                # grouped by dtype, as torch groups by device and dtype
                groups: dict[Any, list] = {}
                for a, b in pairs:
                    groups.setdefault(a._data.dtype, []).append((a, b))
                for group in groups.values():
                    self.multi_avg_fn([a for a, _ in group], [b for _, b in group],
                                      self.n_averaged)
            else:
                fn = self.avg_fn if self.avg_fn is not None else get_swa_avg_fn()
                for a, b in pairs:
                    a.copy_(fn(a, b, self.n_averaged))
            if not self.use_buffers:
                for b_swa, b_model in zip(self.module.buffers(), model.buffers(), strict=True):
                    b_swa.detach().copy_(b_model.detach())
        self.n_averaged._data[()] = n + 1
        _bump(self.n_averaged)


def update_bn(loader: Iterable, model: Module, device=None) -> None:
    """Recompute the running statistics of ``model``'s BatchNorm layers with one pass over
    ``loader`` (batches are tensors, or lists/tuples whose first item is the input).

    The statistics are reset and accumulated as a cumulative average (``momentum=None``);
    each layer's momentum and the model's train/eval mode are restored afterwards.
    """
    momenta = {}
    for module in model.modules():
        if isinstance(module, _BatchNorm):
            module.reset_running_stats()
            momenta[module] = module.momentum
    if not momenta:
        return
    was_training = model.training
    model.train()
    for module in momenta:
        module.momentum = None
    try:
        with no_grad():
            for batch in loader:
                if isinstance(batch, (list, tuple)):
                    batch = batch[0]
                if device is not None:
                    batch = batch.to(device)
                model(batch)
    finally:
        for module, momentum in momenta.items():
            module.momentum = momentum
        model.train(was_training)


class SWALR(LRScheduler):
    """Anneal each group's learning rate to ``swa_lr`` over ``anneal_epochs`` steps.

    Args:
        optimizer: the wrapped optimizer.
        swa_lr: the final learning rate (one for all groups, or one per group).
        anneal_epochs: steps of the annealing phase (an int >= 0, default 10).
        anneal_strategy: ``"cos"`` (default) or ``"linear"``.
        last_epoch: the index of the last epoch when resuming (default -1).
    """

    def __init__(self, optimizer: Optimizer, swa_lr, anneal_epochs: int = 10,
                 anneal_strategy: str = "cos", last_epoch: int = -1) -> None:
        swa_lrs = _format_param("swa_lr", optimizer, swa_lr)
        for lr, group in zip(swa_lrs, optimizer.param_groups, strict=True):
            group["swa_lr"] = lr
        if anneal_strategy not in ["cos", "linear"]:
            raise ValueError("anneal_strategy must be one of 'cos' or 'linear', "
                             f"instead got {anneal_strategy}")
        self._set_anneal_func(anneal_strategy)
        if not isinstance(anneal_epochs, int) or anneal_epochs < 0:
            raise ValueError(f"anneal_epochs must be equal or greater than 0, got {anneal_epochs}")
        self.anneal_epochs = anneal_epochs
        super().__init__(optimizer, last_epoch)

    @staticmethod
    def _linear_anneal(t: float) -> float:
        return t

    @staticmethod
    def _cosine_anneal(t: float) -> float:
        return (1 - math.cos(math.pi * t)) / 2

    @staticmethod
    def _get_initial_lr(lr, swa_lr, alpha):
        if alpha == 1:
            return swa_lr
        return (lr - alpha * swa_lr) / (1 - alpha)

    def get_lr(self) -> list[float]:
        """The groups' learning rates for the current step (chainable form, as torch)."""
        if not self._get_lr_called_within_step:
            warnings.warn("To get the last learning rate computed by the scheduler, "
                          "please use `get_last_lr()`.", UserWarning, stacklevel=2)
        step = self._step_count - 1
        if self.anneal_epochs == 0:
            step = max(1, step)
        prev_t = max(0, min(1, (step - 1) / max(1, self.anneal_epochs)))
        prev_alpha = self.anneal_func(prev_t)
        prev_lrs = [self._get_initial_lr(g["lr"], g["swa_lr"], prev_alpha)
                    for g in self.optimizer.param_groups]
        t = max(0, min(1, step / max(1, self.anneal_epochs)))
        alpha = self.anneal_func(t)
        return [g["swa_lr"] * alpha + lr * (1 - alpha)
                for g, lr in zip(self.optimizer.param_groups, prev_lrs, strict=True)]

    def _set_anneal_func(self, anneal_strategy: str) -> None:
        self._anneal_strategy = anneal_strategy
        self.anneal_func = (self._cosine_anneal if anneal_strategy == "cos"
                            else self._linear_anneal)

    def state_dict(self) -> dict[str, Any]:
        """Every attribute except the optimizer and the annealing function."""
        return {k: v for k, v in self.__dict__.items() if k not in ("optimizer", "anneal_func")}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore the attributes and the annealing function named by the strategy."""
        self.__dict__.update(state_dict)
        self._set_anneal_func(self._anneal_strategy)
