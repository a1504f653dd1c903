"""RMSprop with momentum, centering, weight decay and maximize (``torch.optim.RMSprop``)."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from nnlite._tensor import Tensor
from nnlite.kernels import lazy as _lazy_kernels
from nnlite.optim._common import check_fused_foreach, check_lr, scalar
from nnlite.optim.optimizer import Optimizer, _step_tensor, _zeros_like

_optim_kernels = _lazy_kernels("optim")

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    r"""RMSprop: divide the gradient by a running root-mean-square of recent gradients.

    For each parameter with a gradient ``g`` (frozen ones are skipped)::

        g = -g if maximize;  g = g + weight_decay * p
        s = alpha * s + (1 - alpha) * g * g
        avg = sqrt(s - ga * ga) + eps, ga = lerp(ga, g, 1 - alpha) (centered)  |  sqrt(s) + eps
        b = momentum * b + g / avg;  p = p - lr * b (momentum > 0)  |  p = p - lr * g / avg

    State: ``step``, ``square_avg``, ``momentum_buffer`` (momentum > 0), ``grad_avg`` (centered).

    Example:
        >>> opt = RMSprop(model.parameters(), lr=1e-2, alpha=0.99)
    """

    def __init__(
        self,
        params: Iterable,
        lr: float | Tensor = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0,
        momentum: float = 0,
        centered: bool = False,
        capturable: bool = False,
        foreach: bool | None = None,
        maximize: bool = False,
        differentiable: bool = False,
    ) -> None:
        check_lr(lr)
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= momentum:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= alpha:
            raise ValueError(f"Invalid alpha value: {alpha}")
        defaults = {
            "lr": lr,
            "momentum": momentum,
            "alpha": alpha,
            "eps": eps,
            "centered": centered,
            "weight_decay": weight_decay,
            "capturable": capturable,
            "foreach": foreach,
            "maximize": maximize,
            "differentiable": differentiable,
        }
        super().__init__(params, defaults)
        check_fused_foreach(self, None, foreach, differentiable)

    _group_defaults = (
        ("momentum", 0), ("centered", False), ("foreach", None), ("maximize", False),
        ("differentiable", False), ("capturable", False),
    )

    def step(self, closure: Callable | None = None):
        """Perform one RMSprop step; ``closure`` re-evaluates the model and returns the loss."""
        rmsprop_step_ = _optim_kernels.rmsprop_step_

        loss = self._run_closure(closure)
        for group in self.param_groups:
            momentum = float(group["momentum"])
            centered = bool(group["centered"])
            for p in group["params"]:
                if not self._has_grad(p):
                    continue
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = _step_tensor()
                    state["square_avg"] = _zeros_like(p)
                if momentum > 0 and "momentum_buffer" not in state:
                    state["momentum_buffer"] = _zeros_like(p)
                if centered and "grad_avg" not in state:
                    state["grad_avg"] = _zeros_like(p)
                state["step"]._data += 1
                rmsprop_step_(
                    p._data,
                    p.grad._data,
                    state["square_avg"]._data,
                    state["grad_avg"]._data if centered else None,
                    state["momentum_buffer"]._data if momentum > 0 else None,
                    lr=scalar(group["lr"]),
                    alpha=float(group["alpha"]),
                    eps=float(group["eps"]),
                    weight_decay=float(group["weight_decay"]),
                    momentum=momentum,
                    centered=centered,
                    maximize=bool(group["maximize"]),
                )
                p._vc[0] += 1
        return loss
