"""Softmax, log-softmax and cross-entropy kernels along the last axis of 2-D (N, C) arrays.

Hybrid kernels (docs/kernels.md): numba computes the max-shifted logits in one fused pass, ``exp``
runs in numpy's SIMD ufunc (numba's scalar exp measured 2.9 vs 1.4 ns/element here), and numba
fuses the cheap passes after it (row sums, normalisation, log-sum-exp subtraction, the loss
gather and the label-smoothing sum). Row sums use fastmath ``reassoc`` only, which lets LLVM use
SIMD partial sums (512x2048 row sum 101 µs vs 1065 µs strict, numpy 339 µs); NaN/Inf still
propagate.

Measured with bench/bench_kernels.py (2-vCPU EPYC VM, AVX2, float32, median µs, numpy
reference -> hybrid). ``exp`` is 70-80 % of the forward time, so the gains are modest but held
in every run (the smallest, log_softmax at 512x2048 and its backward, 7-19 %); numba never lost,
so there is no numpy fallback:

    kernel                    64x128        256x512       512x2048
    softmax_forward           30.6 -> 17.9  336 -> 244    7200 -> 3602
    log_softmax_forward       31.7 -> 19.3  343 -> 291    8873 -> 8303
    softmax_backward          12.3 -> 5.0   129 -> 37     6874 -> 1309
    log_softmax_backward      22.3 -> 19.3  308 -> 265    3690 -> 3330
    cross_entropy_forward     58.8 -> 20.4  476 -> 280    5266 -> 3931
    cross_entropy_backward    56.1 -> 18.2  588 -> 252   14402 -> 7465

Every exponent is max-shifted, so logits of 1e4 do not overflow. Inputs with more than two
dims are accepted by softmax/log-softmax and reshaped to (-1, C).

Example:
    >>> logits = np.array([[1.0, 2.0, 3.0]], np.float32)
    >>> loss, logp = cross_entropy_forward(logits, np.array([2]), None, -100, 0.0)
"""

from __future__ import annotations

import numpy as np

from nnlite.kernels._jit import njit
from nnlite.kernels.elementwise import float_dtype, kernel_array

__all__ = [
    "cross_entropy_backward",
    "cross_entropy_backward_ref",
    "cross_entropy_forward",
    "cross_entropy_forward_ref",
    "cross_entropy_forward_sums",
    "cross_entropy_row_weights",
    "log_softmax_backward",
    "log_softmax_backward_ref",
    "log_softmax_forward",
    "log_softmax_forward_ref",
    "softmax_backward",
    "softmax_backward_ref",
    "softmax_forward",
    "softmax_forward_ref",
]

_REASSOC = {"reassoc", "nsz"}
_EMPTY = {
    np.dtype(np.float32): np.empty(0, np.float32),
    np.dtype(np.float64): np.empty(0, np.float64),
}


def _rows(x):
    """x as a (rows, C) kernel array in its float dtype, plus the original shape."""
    x = kernel_array(x, float_dtype(x))
    if x.ndim == 0:
        raise ValueError("softmax needs at least 1 dim")
    return x.reshape(-1, x.shape[-1]) if x.ndim != 2 else x, x.shape


@njit(inline="always")
def _max_skip_nan(m, v):
    return v if v > m else m  # noqa: FURB136 (spelled out: a NaN v is skipped)


@njit
def _shift_rows_kernel(x, out):
    # out[i] = x[i] - max(x[i]). LLVM does not vectorize a float max reduction without 'nnan'
    # (which would make NaN handling undefined), so the max runs on 8 independent scalar chains
    # for instruction-level parallelism: 512x2048 f32 row max 180 µs vs 350 µs with one chain;
    # fused with the subtraction this beats numpy's max + broadcast subtract (see module doc).
    # A NaN is skipped by the max but stays NaN after the subtraction, so the row's sum and thus
    # the whole softmax row become NaN, as in torch.
    n, c = x.shape
    for i in range(n):
        xi = x[i]
        oi = out[i]
        if c == 0:
            continue
        m0 = m1 = m2 = m3 = m4 = m5 = m6 = m7 = xi[0]
        nb = c // 8
        for b in range(nb):
            blk = xi[b * 8 : b * 8 + 8]
            m0 = _max_skip_nan(m0, blk[0])
            m1 = _max_skip_nan(m1, blk[1])
            m2 = _max_skip_nan(m2, blk[2])
            m3 = _max_skip_nan(m3, blk[3])
            m4 = _max_skip_nan(m4, blk[4])
            m5 = _max_skip_nan(m5, blk[5])
            m6 = _max_skip_nan(m6, blk[6])
            m7 = _max_skip_nan(m7, blk[7])
        m0 = _max_skip_nan(m0, m1)
        m2 = _max_skip_nan(m2, m3)
        m4 = _max_skip_nan(m4, m5)
        m6 = _max_skip_nan(m6, m7)
        m0 = _max_skip_nan(m0, m2)
        m4 = _max_skip_nan(m4, m6)
        m = _max_skip_nan(m0, m4)
        for j in range(nb * 8, c):
            m = _max_skip_nan(m, xi[j])
        for j in range(c):
            oi[j] = xi[j] - m


def _shifted(x2):
    """``x - max(x, axis=1)`` in a new array."""
    out = np.empty_like(x2)
    _shift_rows_kernel(x2, out)
    return out


# --------------------------------------------------------------------------------------------
# softmax / log-softmax forward


@njit(fastmath=_REASSOC)
def _normalise_rows_kernel(e):
    # e holds exp(x - max) per row; divide each row by its sum
    for i in range(e.shape[0]):
        ei = e[i]
        s = ei.dtype.type(0.0)
        for j in range(ei.shape[0]):
            s += ei[j]
        r = ei.dtype.type(1.0) / s
        for j in range(ei.shape[0]):
            ei[j] *= r


@njit(fastmath=_REASSOC)
def _sub_logsumexp_kernel(shifted, e):
    # shifted = x - max; e = exp(shifted); shifted -= log(sum(e)) in place -> log_softmax
    for i in range(shifted.shape[0]):
        ei = e[i]
        s = ei.dtype.type(0.0)
        for j in range(ei.shape[0]):
            s += ei[j]
        lse = np.log(s)  # one log per row: the scalar libm call is cheap here
        yi = shifted[i]
        for j in range(yi.shape[0]):
            yi[j] -= lse


def softmax_forward_ref(x: np.ndarray) -> np.ndarray:
    """Reference: ``y = exp(x - max) / sum(exp(x - max))`` along the last axis (in-place numpy)."""
    e = x - x.max(axis=-1, keepdims=True)
    np.exp(e, out=e)
    e /= e.sum(axis=-1, keepdims=True)
    return e


def log_softmax_forward_ref(x: np.ndarray) -> np.ndarray:
    """Reference: ``y = (x - max) - log(sum(exp(x - max)))`` along the last axis."""
    y = x - x.max(axis=-1, keepdims=True)
    y -= np.log(np.exp(y).sum(axis=-1, keepdims=True))
    return y


def softmax_forward(x: np.ndarray) -> np.ndarray:
    """Softmax along the last axis: ``y_ij = exp(x_ij - m_i) / sum_k exp(x_ik - m_i)``,
    ``m_i = max_k x_ik``.

    Args:
        x: (N, C) logits (or (..., C)).

    Returns:
        y with x's shape, float32 or float64.
    """
    x2, shape = _rows(x)
    e = _shifted(x2)
    np.exp(e, out=e)
    _normalise_rows_kernel(e)
    return e.reshape(shape)


def log_softmax_forward(x: np.ndarray) -> np.ndarray:
    """Log-softmax along the last axis: ``y_ij = x_ij - m_i - log(sum_k exp(x_ik - m_i))``.

    Args:
        x: (N, C) logits (or (..., C)).
    """
    x2, shape = _rows(x)
    y = _shifted(x2)
    e = np.exp(y)
    _sub_logsumexp_kernel(y, e)
    return y.reshape(shape)


# --------------------------------------------------------------------------------------------
# softmax / log-softmax backward


@njit(fastmath=_REASSOC)
def _softmax_bwd_kernel(g, y, out):
    for i in range(g.shape[0]):
        gi = g[i]
        yi = y[i]
        s = gi.dtype.type(0.0)
        for j in range(gi.shape[0]):
            s += gi[j] * yi[j]
        oi = out[i]
        for j in range(gi.shape[0]):
            oi[j] = yi[j] * (gi[j] - s)


@njit(fastmath=_REASSOC)
def _log_softmax_bwd_kernel(g, p, out):
    # p holds exp(y) (the softmax); out may alias p
    for i in range(g.shape[0]):
        gi = g[i]
        s = gi.dtype.type(0.0)
        for j in range(gi.shape[0]):
            s += gi[j]
        pi = p[i]
        oi = out[i]
        for j in range(gi.shape[0]):
            oi[j] = gi[j] - pi[j] * s


def softmax_backward_ref(grad: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Reference: ``dx = y * (grad - sum_k grad_k * y_k)`` per row."""
    gy = grad * y
    gy -= y * gy.sum(axis=-1, keepdims=True)
    return gy


def log_softmax_backward_ref(grad: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Reference: ``dx = grad - exp(y) * sum_k grad_k`` per row (``y`` = log-softmax output)."""
    out = np.exp(y)
    out *= grad.sum(axis=-1, keepdims=True)
    np.subtract(grad, out, out=out)
    return out


def _grad_rows(grad, y):
    dt = float_dtype(grad, y)
    g = kernel_array(grad, dt)
    yc = kernel_array(y, dt)
    if g.shape != yc.shape:
        raise ValueError(f"grad shape {g.shape} does not match output {yc.shape}")
    c = yc.shape[-1]
    return g.reshape(-1, c), yc.reshape(-1, c), yc.shape


def softmax_backward(grad: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Softmax backward from the output: ``dx_ij = y_ij * (g_ij - sum_k g_ik * y_ik)``.

    Args:
        grad: upstream gradient, same shape as ``y``.
        y: softmax output saved by the forward.
    """
    g, yc, shape = _grad_rows(grad, y)
    out = np.empty_like(yc)
    _softmax_bwd_kernel(g, yc, out)
    return out.reshape(shape)


def log_softmax_backward(grad: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Log-softmax backward from the output: ``dx_ij = g_ij - exp(y_ij) * sum_k g_ik``.

    Args:
        grad: upstream gradient, same shape as ``y``.
        y: log-softmax output saved by the forward.
    """
    g, yc, shape = _grad_rows(grad, y)
    out = np.exp(yc)
    _log_softmax_bwd_kernel(g, out, out)
    return out.reshape(shape)


# --------------------------------------------------------------------------------------------
# cross-entropy with class-index targets, class weights, ignore_index and label smoothing
#
# Per row (PyTorch's definition), with logp = log_softmax(logits), t = target_i:
#   loss_i = (1 - ls) * w[t] * (-logp[i, t]) + ls / C * sum_c w[c] * (-logp[i, c])
# and loss_i = 0 for rows with t == ignore_index. For reduction='mean' PyTorch divides the sum
# of loss_i by sum_i w[t_i] over non-ignored rows (cross_entropy_row_weights gives those).


@njit(fastmath=_REASSOC)
def _ce_forward_kernel(logp, e, target, weight, ignore_index, ls, loss, sums):
    # sums (float64, 2): sum_i loss_i and sum_i w[t_i] over kept rows (the 'mean' denominator)
    n, c = logp.shape
    dt = logp.dtype.type
    has_w = weight.shape[0] > 0
    lsf = dt(ls)
    bad = -1
    loss_sum = np.float64(0.0)
    w_sum = np.float64(0.0)
    for i in range(n):
        ei = e[i]
        s = dt(0.0)
        for j in range(c):
            s += ei[j]
        lse = np.log(s)
        li = logp[i]
        # finish log_softmax in place and, when smoothing, the weighted row sum in the same pass
        acc = dt(0.0)
        if ls != 0.0 and has_w:
            for j in range(c):
                v = li[j] - lse
                li[j] = v
                acc += weight[j] * v
        elif ls != 0.0:
            for j in range(c):
                v = li[j] - lse
                li[j] = v
                acc += v
        else:
            for j in range(c):
                li[j] -= lse
        t = target[i]
        if t == ignore_index:
            loss[i] = dt(0.0)
            continue
        if t < 0 or t >= c:
            if bad < 0:
                bad = i
            loss[i] = dt(np.nan)
            continue
        wt = weight[t] if has_w else dt(1.0)
        li_loss = -((dt(1.0) - lsf) * wt * li[t] + lsf / dt(c) * acc)
        loss[i] = li_loss
        loss_sum += li_loss
        w_sum += wt
    sums[0] = loss_sum
    sums[1] = w_sum
    return bad


@njit
def _ce_backward_kernel(g_rows, p, target, weight, ignore_index, ls, out):
    # p holds exp(logp) (the softmax); out may alias p. For a kept row i with t = target_i:
    #   dloss_i/dz_c = p_c * ((1-ls) w_t + ls/C * W) - (1-ls) w_t [c == t] - ls/C * w_c
    # with W = sum_c w_c (= C without weights), times the upstream g_i.
    n, c = p.shape
    dt = p.dtype.type
    has_w = weight.shape[0] > 0
    lsf = dt(ls)
    sm = lsf / dt(c)
    w_total = dt(c)
    if has_w:
        acc = np.float64(0.0)  # not 0.0: without JIT, NEP 50 would make it float32
        for j in range(c):
            acc += weight[j]
        w_total = dt(acc)
    zero = dt(0.0)
    for i in range(n):
        t = target[i]
        oi = out[i]
        pi = p[i]
        if t == ignore_index or t < 0 or t >= c:
            for j in range(c):
                oi[j] = zero
            continue
        gi = g_rows[i]
        wt = weight[t] if has_w else dt(1.0)
        a = gi * ((dt(1.0) - lsf) * wt + sm * w_total)
        if ls != 0.0 and has_w:
            k = gi * sm
            for j in range(c):
                oi[j] = pi[j] * a - k * weight[j]
        elif ls != 0.0:
            k = gi * sm
            for j in range(c):
                oi[j] = pi[j] * a - k
        else:
            for j in range(c):
                oi[j] = pi[j] * a
        oi[t] -= gi * (dt(1.0) - lsf) * wt


def _ce_args(logits_or_logp, target, weight, name):
    dt = float_dtype(logits_or_logp, weight)
    z = kernel_array(logits_or_logp, dt)
    if z.ndim != 2:
        raise ValueError(f"{name}: expected (N, C) input, got shape {z.shape}")
    n, c = z.shape
    t = np.asarray(target)
    if t.shape != (n,):
        raise ValueError(f"{name}: target shape {t.shape} does not match input {z.shape}")
    if t.dtype.kind not in "iu":
        raise ValueError(f"{name}: target must hold integer class indices, got {t.dtype}")
    t = kernel_array(t, np.int64)
    if weight is None:
        w = _EMPTY[dt]
    else:
        w = kernel_array(weight, dt)
        if w.shape != (c,):
            raise ValueError(f"{name}: weight must have shape ({c},), got {w.shape}")
    return z, t, w


def cross_entropy_forward_ref(logits, target, weight, ignore_index=-100, label_smoothing=0.0):
    """Reference (numpy) cross-entropy per row; see :func:`cross_entropy_forward`."""
    n, c = logits.shape
    logp = log_softmax_forward_ref(logits)
    keep = target != ignore_index
    t = np.where(keep, target, 0)
    w = np.ones(c, logits.dtype) if weight is None else weight.astype(logits.dtype)
    nll = -logp[np.arange(n), t] * w[t]
    smooth = -(logp * w).sum(axis=1)
    loss = (1 - label_smoothing) * nll + (label_smoothing / c) * smooth
    return np.where(keep, loss, 0).astype(logits.dtype), logp


def cross_entropy_backward_ref(
    grad_rows, log_probs, target, weight, ignore_index=-100, label_smoothing=0.0
):
    """Reference (numpy) gradient of ``sum_i grad_rows_i * loss_i`` w.r.t. the logits."""
    n, c = log_probs.shape
    keep = target != ignore_index
    t = np.where(keep, target, 0)
    w = np.ones(c, log_probs.dtype) if weight is None else weight.astype(log_probs.dtype)
    p = np.exp(log_probs)
    ls = label_smoothing
    onehot = np.zeros_like(p)
    onehot[np.arange(n), t] = 1
    # d/dz of (1-ls) w_t (-logp_t) + ls/C sum_c w_c (-logp_c)
    g = (1 - ls) * w[t][:, None] * (p - onehot) + (ls / c) * (w.sum() * p - w)
    g *= (grad_rows * keep)[:, None]
    return g.astype(log_probs.dtype)


def cross_entropy_row_weights(
    target: np.ndarray, weight: np.ndarray | None, ignore_index: int = -100, dtype=np.float32
) -> np.ndarray:
    """Per-row weight ``w[target_i]`` (1 without weights), 0 where ``target_i == ignore_index``.

    reduction='mean' in PyTorch is ``sum_i loss_i / sum_i row_weight_i``.
    """
    t = np.asarray(target)
    keep = t != ignore_index
    if weight is None:
        return keep.astype(dtype)
    w = np.asarray(weight, dtype)
    return np.where(keep, w[np.where(keep, t, 0)], 0).astype(dtype)


def cross_entropy_forward(
    logits: np.ndarray,
    target: np.ndarray,
    weight: np.ndarray | None = None,
    ignore_index: int = -100,
    label_smoothing: float = 0.0,
):
    """Cross-entropy per row from logits and class-index targets (PyTorch semantics).

    ``logp = log_softmax(logits)``;
    ``loss_i = (1 - ls) * w[t_i] * (-logp[i, t_i]) + ls / C * sum_c w[c] * (-logp[i, c])``,
    ``loss_i = 0`` where ``t_i == ignore_index``. ``w`` is all ones when ``weight`` is None.

    Args:
        logits: (N, C) scores.
        target: (N,) integer class indices (any int dtype; converted to int64).
        weight: (C,) class weights or None.
        ignore_index: target value whose rows are skipped.
        label_smoothing: ``ls`` in [0, 1].

    Returns:
        ``(loss_per_row, log_probs)``: (N,) losses and the (N, C) log-softmax that
        :func:`cross_entropy_backward` needs. Reduce with ``loss.sum()`` or, for 'mean',
        ``loss.sum() / cross_entropy_row_weights(...).sum()``.

    Raises:
        IndexError: a target outside ``[0, C)`` that is not ``ignore_index`` (as torch).
    """
    loss, logp, _, _ = cross_entropy_forward_sums(logits, target, weight, ignore_index,
                                                  label_smoothing)
    return loss, logp


def cross_entropy_forward_sums(
    logits: np.ndarray,
    target: np.ndarray,
    weight: np.ndarray | None = None,
    ignore_index: int = -100,
    label_smoothing: float = 0.0,
):
    """:func:`cross_entropy_forward` plus the two sums the reductions need, from the same pass.

    Returns:
        ``(loss_per_row, log_probs, loss_sum, weight_sum)``: ``loss_sum = sum_i loss_i`` and
        ``weight_sum = sum_i w[t_i]`` over non-ignored rows (``cross_entropy_row_weights(...)
        .sum()``), both Python floats accumulated in float64.
    """
    z, t, w = _ce_args(logits, target, weight, "cross_entropy")
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"label_smoothing must be in [0, 1], got {label_smoothing}")
    logp = _shifted(z)
    e = np.exp(logp)
    loss = np.empty(z.shape[0], z.dtype)
    sums = np.empty(2, np.float64)
    bad = _ce_forward_kernel(logp, e, t, w, int(ignore_index), float(label_smoothing), loss,
                             sums)  # fmt: skip
    if bad >= 0:
        raise IndexError(f"Target {t[bad]} is out of bounds.")
    return loss, logp, float(sums[0]), float(sums[1])


def cross_entropy_backward(
    grad_rows: np.ndarray,
    log_probs: np.ndarray,
    target: np.ndarray,
    weight: np.ndarray | None = None,
    ignore_index: int = -100,
    label_smoothing: float = 0.0,
) -> np.ndarray:
    """Gradient of ``sum_i grad_rows_i * loss_i`` with respect to the logits.

    With ``p = exp(log_probs)`` and ``W = sum_c w_c``:
    ``dz_ic = g_i * (p_ic * ((1-ls) w[t_i] + ls/C * W) - (1-ls) w[t_i] [c == t_i] - ls/C * w_c)``,
    zero rows where ``t_i == ignore_index``.

    Args:
        grad_rows: (N,) upstream gradient per row (reduction scaling already applied).
        log_probs: (N, C) from :func:`cross_entropy_forward`.
        target, weight, ignore_index, label_smoothing: as in the forward.
    """
    lp, t, w = _ce_args(log_probs, target, weight, "cross_entropy_backward")
    g = kernel_array(grad_rows, lp.dtype)
    if g.shape != (lp.shape[0],):
        raise ValueError(f"grad_rows must have shape ({lp.shape[0]},), got {g.shape}")
    out = np.exp(lp)
    _ce_backward_kernel(g, out, t, w, int(ignore_index), float(label_smoothing), out)
    return out
