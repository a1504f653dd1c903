"""Adafactor (Shazeer & Stern, 2018) with torch >= 2.5's semantics (``torch.optim.Adafactor``):
a factored second moment (row and column means) for matrices, relative step sizes and update
clipping, no first moment."""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np

from nnlite._tensor import Tensor
from nnlite.optim import _rounding as R
from nnlite.optim._common import check_fused_foreach, scalar
from nnlite.optim.optimizer import Optimizer, _zeros_like

__all__ = ["Adafactor"]


def _norm(a: np.ndarray, dim: int | None = None) -> np.ndarray:
    """``torch.norm(a, dim=dim, keepdim=True)`` rounded as torch's: the sum of squares
    accumulated in float64, the root rounded to ``a``'s dtype (torch squares that root again
    for the row and column means)."""
    w = a
    ss = (w * w).sum() if dim is None else (w * w).sum(dim, keepdims=True)
    return np.sqrt(ss).astype(a.dtype)


class Adafactor(Optimizer):
    r"""Adafactor: Adam's second moment stored as a row and a column factor for tensors of 2 or
    more dims (memory ``O(n + m)`` instead of ``O(n m)``), no momentum.

    For each parameter with a gradient ``g`` (frozen ones are skipped), ``t`` = step count::

        g = -g if maximize
        beta2_hat = t ** beta2_decay;  rho = min(lr, 1 / sqrt(t))
        alpha = max(eps2, RMS(p)) * rho
        p = p * (1 - lr * wd)
        dim >= 2:  R = lerp(R, mean(g*g, -1), beta2_hat);  C = lerp(C, mean(g*g, -2), beta2_hat)
                   v = R @ C / max(mean(R, -2), eps1)
        else:      v = lerp(v, g*g, beta2_hat)
        u = g / sqrt(max(v, eps1**2))
        p -= alpha / max(1, RMS(u) / d) * u

    ``eps1`` defaults to the dtype's machine epsilon. State: ``step``, ``row_var`` and
    ``col_var`` (dim >= 2, keepdim shapes as torch) or ``variance``.

    Example:
        >>> opt = Adafactor(model.parameters(), lr=1e-2)
    """

    _group_defaults = (("foreach", None),)

    def __init__(self, params: Iterable, lr: float | Tensor = 1e-2, beta2_decay: float = -0.8,
                 eps: tuple[float | None, float] = (None, 1e-3), d: float = 1.0,
                 weight_decay: float = 0.0, *, foreach: bool | None = None,
                 maximize: bool = False) -> None:
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 <= lr:
            raise ValueError(f"Learning rate should be >= 0 but is: {lr}")
        if not 0.0 >= beta2_decay:
            raise ValueError(f"beta2_decay should be <= 0 but is: {beta2_decay}")
        if eps[0] is not None and not 0.0 <= eps[0]:
            raise ValueError(f"epsilon1 should be >= 0 but is: {eps[0]}")
        if not 0.0 <= eps[1]:
            raise ValueError(f"epsilon2 should be >= 0 but is: {eps[1]}")
        if not 1.0 <= d:
            raise ValueError(f"Clipping threshold d should be >= 1 but is: {d}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"weight_decay should be >= 0 but is: {weight_decay}")
        defaults = {"lr": lr, "beta2_decay": beta2_decay, "eps": eps, "d": d,
                    "weight_decay": weight_decay, "foreach": foreach, "maximize": maximize}
        super().__init__(params, defaults)
        check_fused_foreach(self, None, foreach, False)

    def _init_state(self, p, state, group):
        x = p._data
        if x.ndim > 1:
            state["row_var"] = Tensor._wrap(np.zeros(x.shape[:-1] + (1,), x.dtype))
            state["col_var"] = Tensor._wrap(np.zeros(x.shape[:-2] + (1, x.shape[-1]), x.dtype))
        else:
            state["variance"] = _zeros_like(p)

    def step(self, closure: Callable | None = None):
        """Perform one Adafactor step; ``closure`` re-evaluates the model and returns the loss."""
        loss = self._run_closure(closure)
        for group in self.param_groups:
            lr, wd = scalar(group["lr"]), float(group["weight_decay"])
            beta2_decay, d = float(group["beta2_decay"]), float(group["d"])
            eps1_group, eps2 = group["eps"]
            for p, state, g in self._stepped_params(group):
                if g.dtype.kind == "c":
                    raise RuntimeError("Adafactor does not support complex parameters")
                x = p._data
                dt = x.dtype.type
                eps1 = float(np.finfo(x.dtype).eps) if eps1_group is None else float(eps1_group)
                step = float(state["step"]._data)
                one_minus_beta2_t = step**beta2_decay
                rho_t = min(lr, 1 / (step**0.5))
                alpha = max(float(eps2), float(_norm(x)) / (x.size**0.5)) * rho_t
                if wd != 0:
                    x *= dt(1 - lr * wd)
                if g.ndim > 1:
                    row_var, col_var = state["row_var"]._data, state["col_var"]._data
                    R.lerp_(row_var, _norm(g, -1) ** 2 / dt(g.shape[-1]), one_minus_beta2_t)
                    R.lerp_(col_var, _norm(g, -2) ** 2 / dt(g.shape[-2]), one_minus_beta2_t)
                    var_estimate = row_var @ col_var
                    var_estimate /= np.maximum(row_var.mean(-2, keepdims=True), dt(eps1))
                else:
                    variance = state["variance"]._data
                    R.lerp_(variance, g * g, one_minus_beta2_t)
                    var_estimate = variance.copy()
                np.maximum(var_estimate, dt(eps1 * eps1), out=var_estimate)
                update = 1 / np.sqrt(var_estimate)
                update *= g
                denom = max(1.0, float(_norm(update)) / ((update.size**0.5) * d))
                R.add_(x, update, -alpha / denom)
        return loss
