"""Adam (with amsgrad, maximize, L2 or decoupled weight decay), as ``torch.optim.Adam``."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from nnlite._tensor import Tensor
from nnlite.kernels import lazy as _lazy_kernels
from nnlite.optim import flat
from nnlite.optim._common import check_fused_foreach, check_lr, scalar
from nnlite.optim.optimizer import Optimizer, _step_tensor, _zeros_like

_optim_kernels = _lazy_kernels("optim")

__all__ = ["Adam"]


class Adam(Optimizer):
    r"""Adam: adaptive moment estimation.

    For each parameter with a gradient ``g`` (frozen ones are skipped), ``t`` = step count::

        g = -g if maximize
        p = p * (1 - lr * wd) (decoupled_weight_decay)  |  g = g + wd * p
        m = lerp(m, g, 1 - beta1);  v = beta2 * v + (1 - beta2) * g * g
        v_max = max(v_max, v) (amsgrad)
        p = p - lr / (1 - beta1**t) * m / (sqrt(v or v_max) / sqrt(1 - beta2**t) + eps)

    State: ``step`` (float32 0-dim tensor), ``exp_avg``, ``exp_avg_sq``, ``max_exp_avg_sq``
    (amsgrad).

    Example:
        >>> opt = Adam(model.parameters(), lr=1e-3, betas=(0.9, 0.999))
    """

    def __init__(
        self,
        params: Iterable,
        lr: float | Tensor = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        amsgrad: bool = False,
        *,
        foreach: bool | None = None,
        maximize: bool = False,
        capturable: bool = False,
        differentiable: bool = False,
        fused: bool | None = None,
        decoupled_weight_decay: bool = False,
    ) -> None:
        check_lr(lr)
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= betas[0] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
        if not 0.0 <= betas[1] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not (
            (isinstance(betas[0], float) and isinstance(betas[1], float))
            or (isinstance(betas[0], Tensor) and isinstance(betas[1], Tensor))
        ):
            raise ValueError("betas must be either both floats or both Tensors")  # noqa: TRY004 (as torch)
        betas = (scalar(betas[0]), scalar(betas[1]))
        defaults = {
            "lr": lr,
            "betas": betas,
            "eps": eps,
            "weight_decay": weight_decay,
            "amsgrad": amsgrad,
            "maximize": maximize,
            "foreach": foreach,
            "capturable": capturable,
            "differentiable": differentiable,
            "fused": fused,
            "decoupled_weight_decay": decoupled_weight_decay,
        }
        super().__init__(params, defaults)
        check_fused_foreach(self, fused, foreach, differentiable)

    _group_defaults = (
        ("amsgrad", False), ("maximize", False), ("foreach", None), ("capturable", False),
        ("differentiable", False), ("decoupled_weight_decay", False), ("fused", None),
    )

    def step(self, closure: Callable | None = None):
        """Perform one Adam step; ``closure`` re-evaluates the model and returns the loss."""
        adam_step_ = _optim_kernels.adam_step_

        loss = None if closure is None else self._run_closure(closure)
        state_of = self.state
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            amsgrad = bool(group["amsgrad"])
            # the group's hyper-parameters, converted once per group (not per parameter)
            lr = group["lr"]
            lr = lr if lr.__class__ is float else scalar(lr)
            if beta1.__class__ is not float or beta2.__class__ is not float:
                beta1, beta2 = scalar(beta1), scalar(beta2)
            eps = float(group["eps"])
            weight_decay = float(group["weight_decay"])
            maximize = bool(group["maximize"])
            decoupled = bool(group["decoupled_weight_decay"])
            hyper = {"lr": lr, "beta1": beta1, "beta2": beta2, "eps": eps,
                     "weight_decay": weight_decay, "amsgrad": amsgrad, "maximize": maximize,
                     "decoupled_weight_decay": decoupled}
            if group.get("fused") or group.get("foreach"):  # flat.wants_flat, inline
                names = ("exp_avg", "exp_avg_sq") + (("max_exp_avg_sq",) if amsgrad else ())
                arenas = flat.arenas_of(self, group, names)
                if arenas is not None:
                    for arena in arenas:
                        self._step_arena(arena, group, hyper)
                    continue
            for p in group["params"]:
                grad = p._grad  # the slot: a leaf's .grad property would cost a call
                if grad is None or not p._requires_grad:  # frozen: skipped (Optimizer._has_grad)
                    continue
                state = state_of[p]
                if len(state) == 0:
                    state["step"] = _step_tensor(fused=group["fused"])
                    state["exp_avg"] = _zeros_like(p)
                    state["exp_avg_sq"] = _zeros_like(p)
                    if amsgrad:
                        state["max_exp_avg_sq"] = _zeros_like(p)
                elif amsgrad and "max_exp_avg_sq" not in state:
                    state["max_exp_avg_sq"] = _zeros_like(p)
                step_t = state["step"]._data
                # step_t += 1 in its dtype (float32, like torch's step tensor): the exact double
                # sum rounded once on the store is that addition, at 0.2 us instead of 1.6 us
                step_t[()] = float(step_t) + 1.0
                adam_step_(
                    p._data,
                    grad._data,
                    state["exp_avg"]._data,
                    state["exp_avg_sq"]._data,
                    state["max_exp_avg_sq"]._data if amsgrad else None,
                    step=float(step_t),
                    lr=lr,
                    beta1=beta1,
                    beta2=beta2,
                    eps=eps,
                    weight_decay=weight_decay,
                    amsgrad=amsgrad,
                    maximize=maximize,
                    decoupled_weight_decay=decoupled,
                )
                p._vc[0] += 1
        return loss

    def _step_arena(self, arena, group, hyper) -> None:
        """``fused``/``foreach``: one kernel call per run of consecutive parameters with the
        same step count whose gradients are in their slots (:mod:`nnlite.optim.flat`)."""
        adam_step_ = _optim_kernels.adam_step_

        state_of = self.state
        amsgrad = hyper["amsgrad"]
        members = []
        uniform = None  # the step count every member shares so far (False: they differ)
        pviews, gviews = arena.pviews, arena.gviews
        mviews, vviews = arena.sviews["exp_avg"], arena.sviews["exp_avg_sq"]
        for k, p in enumerate(arena.params):
            grad = p._grad
            if grad is None or not p._requires_grad:  # frozen: skipped, untouched
                continue
            state = state_of[p]
            if "step" not in state:
                state["step"] = _step_tensor(fused=group["fused"])
            m, v = state.get("exp_avg"), state.get("exp_avg_sq")
            if m is None or m._data is not mviews[k]:
                m, _ = arena.state_tensor(k, state, "exp_avg", "zeros")
            if v is None or v._data is not vviews[k]:
                v, _ = arena.state_tensor(k, state, "exp_avg_sq", "zeros")
            vm = arena.state_tensor(k, state, "max_exp_avg_sq", "zeros")[0] if amsgrad else None
            step_t = state["step"]._data
            step_t[()] = float(step_t) + 1.0  # in its dtype, as the per-parameter path
            step = float(step_t)
            if p._data is pviews[k] and grad._data is gviews[k]:
                members.append((k, step))
                if uniform is None:
                    uniform = step
                elif uniform != step:
                    uniform = False
            else:
                adam_step_(p._data, grad._data, m._data, v._data,
                           None if vm is None else vm._data, step=step, **hyper)
            p._vc[0] += 1
        sb = arena.state_bufs
        vmax = sb["max_exp_avg_sq"] if amsgrad else None
        if len(members) == len(pviews) and uniform and not flat.SPLIT_MIN:
            # every parameter in its slot, one step count: one call over the whole buffers
            _optim_kernels.adam_step_flat_(arena.param_buf, arena.grad_buf, sb["exp_avg"],
                                           sb["exp_avg_sq"], vmax, step=uniform, **hyper)
            return
        for a, b, step in arena.runs(members):
            flat.run_split(adam_step_, a, b, (arena.param_buf, arena.grad_buf, sb["exp_avg"],
                                              sb["exp_avg_sq"], vmax),
                           step=step, **hyper)
