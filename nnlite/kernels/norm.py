"""BatchNorm1d and LayerNorm kernels on 2-D arrays (forward train/eval, backward).

Semantics follow PyTorch: batch statistics use the biased variance for normalising; the
unbiased variance ``var * N / (N - 1)`` is returned for the running-stat update. Mean and
variance use two passes (mean first, then the sum of squared deviations) with float64
accumulators, so a large common offset does not cancel the variance away as E[x^2] - E[x]^2 does.

Wrappers normalise inputs (C-contiguous, one float dtype, Python-float eps) so each kernel
compiles once per dtype. ``weight``/``bias`` may be ``None`` (affine=False); the kernels then get
a length-0 array and treat weight as 1 and bias as 0, which avoids a second specialization.
Every public kernel has a ``*_ref`` numpy reference with the same semantics.

Measured with bench/bench_kernels.py (2-vCPU EPYC VM, AVX2, float32, median µs, numpy
reference -> numba); numba wins everywhere, so there is no numpy fallback:

    kernel                    64x128        256x512       512x2048
    batchnorm_forward_train   39.5 -> 8.8   214 -> 63     2752 -> 703
    batchnorm_forward_eval    15.7 -> 10.3  131 -> 33     2146 -> 503
    batchnorm_backward        33.3 -> 9.4   303 -> 79     4624 -> 1391
    layernorm_forward         41.9 -> 8.1   285 -> 55     3086 -> 528
    layernorm_backward        61.2 -> 10.5  606 -> 93     8070 -> 1626

Cold compile is the heaviest here (0.8-1.6 s per kernel per dtype); a cached load is ~12 ms.

Example:
    >>> x = np.random.rand(8, 3).astype(np.float32)
    >>> y, mean, invstd, var_unbiased = batchnorm_forward_train(x, None, None, 1e-5)
"""

from __future__ import annotations

import numpy as np

from nnlite.kernels._jit import njit
from nnlite.kernels.elementwise import float_dtype, kernel_array

__all__ = [
    "batchnorm_backward",
    "batchnorm_backward_ref",
    "batchnorm_forward_eval",
    "batchnorm_forward_eval_ref",
    "batchnorm_forward_train",
    "batchnorm_forward_train_ref",
    "layernorm_backward",
    "layernorm_backward_ref",
    "layernorm_forward",
    "layernorm_forward_ref",
]

_F64 = np.dtype(np.float64)
_EMPTY = {
    np.dtype(np.float32): np.empty(0, np.float32),
    np.dtype(np.float64): np.empty(0, np.float64),
}


def _vec(v, n, dtype, name):
    """Parameter vector ``v`` (or ``None``) as a length-n kernel array (length 0 for None)."""
    if v is None:
        return _EMPTY[dtype]
    v = kernel_array(v, dtype)
    if v.shape != (n,):
        raise ValueError(f"{name} must have shape ({n},), got {v.shape}")
    return v


def _matrix(x, name="x"):
    if np.ndim(x) != 2:
        raise ValueError(f"{name} must be 2-D (N, C), got shape {np.shape(x)}")


# --------------------------------------------------------------------------------------------
# BatchNorm1d: statistics over rows (axis 0) for each of the C columns


@njit
def _bn_train_kernel(x, weight, bias, eps, y, mean, invstd, var_unbiased, running_mean,
                     running_var, momentum):  # fmt: skip
    n, c = x.shape
    dt = x.dtype.type
    # Row-wise loops over a C-vector of accumulators vectorize over channels; accumulate in
    # float64 so large N in float32 does not lose digits.
    acc = np.zeros(c, np.float64)
    for i in range(n):
        xi = x[i]
        for j in range(c):
            acc[j] += xi[j]
    # explicit loops, not `acc / n` array expressions: those cost ~1 s of extra compile time
    m64 = np.empty(c, np.float64)
    for j in range(c):
        m64[j] = acc[j] / n
        acc[j] = 0.0
    for i in range(n):
        xi = x[i]
        for j in range(c):
            d = xi[j] - m64[j]
            acc[j] += d * d
    has_w = weight.shape[0] > 0
    has_b = bias.shape[0] > 0
    scale = np.empty(c, x.dtype)
    shift = np.empty(c, x.dtype)
    for j in range(c):
        var = acc[j] / n
        inv = 1.0 / np.sqrt(var + eps)
        mean[j] = dt(m64[j])
        invstd[j] = dt(inv)
        var_unbiased[j] = dt(var * n / (n - 1)) if n > 1 else dt(np.nan)
        scale[j] = dt(inv * weight[j]) if has_w else dt(inv)
        shift[j] = bias[j] if has_b else dt(0.0)
    # running stats (length 0: none), as ATen: momentum * stat + (1 - momentum) * running in
    # float64, rounded once to the stats' dtype
    rdt = running_mean.dtype.type
    omm = 1.0 - momentum
    if running_mean.shape[0] > 0:
        for j in range(c):
            running_mean[j] = rdt(momentum * np.float64(mean[j]) + omm * running_mean[j])
    if running_var.shape[0] > 0:
        for j in range(c):
            running_var[j] = rdt(momentum * np.float64(var_unbiased[j]) + omm * running_var[j])
    mu = mean
    for i in range(n):
        xi = x[i]
        yi = y[i]
        for j in range(c):
            yi[j] = (xi[j] - mu[j]) * scale[j] + shift[j]


@njit
def _affine_rows_kernel(x, center, scale, shift, y):
    for i in range(x.shape[0]):
        xi = x[i]
        yi = y[i]
        for j in range(xi.shape[0]):
            yi[j] = (xi[j] - center[j]) * scale[j] + shift[j]


@njit
def _bn_backward_kernel(g, x, mean, invstd, weight, gx, gw, gb):
    n, c = x.shape
    dt = x.dtype.type
    sg = np.zeros(c, np.float64)
    sgd = np.zeros(c, np.float64)
    for i in range(n):
        gi = g[i]
        xi = x[i]
        for j in range(c):
            gij = gi[j]
            sg[j] += gij
            sgd[j] += gij * (xi[j] - mean[j])
    has_w = weight.shape[0] > 0
    a = np.empty(c, x.dtype)
    b = np.empty(c, x.dtype)
    k = np.empty(c, x.dtype)
    for j in range(c):
        inv = np.float64(invstd[j])
        w = np.float64(weight[j]) if has_w else 1.0
        gb[j] = dt(sg[j])
        gwj = sgd[j] * inv
        gw[j] = dt(gwj)
        # dx = w*inv * (g - mean(g) - xhat * mean(g*xhat)), xhat = (x - mean)*inv
        a[j] = dt(w * inv)
        b[j] = dt(-w * inv * inv * gwj / n)
        k[j] = dt(-w * inv * sg[j] / n)
    for i in range(n):
        gi = g[i]
        xi = x[i]
        gxi = gx[i]
        for j in range(c):
            gxi[j] = a[j] * gi[j] + b[j] * (xi[j] - mean[j]) + k[j]


def _running_update_ref(running, stat, momentum):
    """``running = momentum * stat + (1 - momentum) * running`` in float64, in place."""
    if running is not None:
        upd = momentum * stat.astype(np.float64) + (1.0 - momentum) * running.astype(np.float64)
        running[...] = upd.astype(running.dtype)


def batchnorm_forward_train_ref(x, weight, bias, eps, running_mean=None, running_var=None,
                                momentum=0.1):  # fmt: skip
    """Reference BatchNorm1d training forward in numpy (two-pass statistics).

    ``mean = sum_i x / N``, ``var = sum_i (x - mean)^2 / N``, ``invstd = 1/sqrt(var + eps)``,
    ``y = (x - mean) * invstd * weight + bias``; returns ``(y, mean, invstd, var * N/(N-1))``.
    ``running_mean``/``running_var`` (if given) move in place toward ``mean`` and the unbiased
    variance: ``momentum * stat + (1 - momentum) * running``, computed in float64.
    """
    n = x.shape[0]
    mean = x.mean(axis=0)
    d = x - mean
    var = (d * d).mean(axis=0)
    invstd = 1 / np.sqrt(var + eps)
    y = d * invstd
    if weight is not None:
        y *= weight
    if bias is not None:
        y += bias
    var_unb = var * (n / (n - 1)) if n > 1 else np.full_like(var, np.nan)
    _running_update_ref(running_mean, mean, momentum)
    _running_update_ref(running_var, var_unb, momentum)
    return y, mean, invstd.astype(x.dtype), var_unb


def batchnorm_forward_eval_ref(x, running_mean, running_var, weight, bias, eps):
    """Reference: ``y = (x - running_mean) / sqrt(running_var + eps) * weight + bias``."""
    y = (x - running_mean) / np.sqrt(running_var + eps)
    if weight is not None:
        y *= weight
    if bias is not None:
        y += bias
    return y


def batchnorm_backward_ref(grad_out, x, mean, invstd, weight):
    """Reference BatchNorm1d training backward (through the batch statistics).

    With ``xhat = (x - mean) * invstd``: ``grad_bias = sum_i g``,
    ``grad_weight = sum_i g * xhat``,
    ``grad_x = weight * invstd * (g - grad_bias/N - xhat * grad_weight/N)``.
    """
    n = x.shape[0]
    xhat = (x - mean) * invstd
    gb = grad_out.sum(axis=0)
    gw = (grad_out * xhat).sum(axis=0)
    scale = invstd if weight is None else weight * invstd
    gx = scale * (grad_out - gb / n - xhat * (gw / n))
    return gx, gw, gb


def _running_vec(v, c, name):
    """A running-stat array the kernel can update in place (length 0 for None)."""
    if v is None:
        return _EMPTY[_F64]
    if (
        not isinstance(v, np.ndarray)
        or v.dtype not in _EMPTY
        or v.shape != (c,)
        or not v.flags.c_contiguous
        or not v.flags.writeable
    ):
        raise ValueError(f"{name} must be a writeable C-contiguous float32/float64 array ({c},)")
    return v


def batchnorm_forward_train(
    x: np.ndarray, weight: np.ndarray | None, bias: np.ndarray | None, eps: float = 1e-5,
    running_mean: np.ndarray | None = None, running_var: np.ndarray | None = None,
    momentum: float = 0.1,
):
    """BatchNorm1d forward in training mode, statistics over the batch (axis 0).

    ``mean_j = sum_i x_ij / N``, ``var_j = sum_i (x_ij - mean_j)^2 / N`` (biased, used to
    normalise), ``invstd_j = 1 / sqrt(var_j + eps)``,
    ``y_ij = (x_ij - mean_j) * invstd_j * weight_j + bias_j``.

    Args:
        x: (N, C) input.
        weight: (C,) scale or None (treated as 1).
        bias: (C,) shift or None (treated as 0).
        eps: added to the variance.
        running_mean, running_var: (C,) float32/float64 arrays updated in place (or None):
            ``running = momentum * stat + (1 - momentum) * running`` in float64 (as ATen), with
            the unbiased variance for ``running_var``. Both must have the same dtype.
        momentum: the update weight.

    Returns:
        ``(y, mean, invstd, var_unbiased)``; the last three are (C,) arrays in x's dtype.
        ``var_unbiased = var * N / (N - 1)`` for the running-variance update; it is NaN when
        N == 1 (PyTorch refuses to train BatchNorm on one value per channel: the caller should
        raise, as torch does, before calling this).
    """
    _matrix(x)
    dt = float_dtype(x, weight, bias)
    xc = kernel_array(x, dt)
    n, c = xc.shape
    w = _vec(weight, c, dt, "weight")
    b = _vec(bias, c, dt, "bias")
    y = np.empty_like(xc)
    mean = np.empty(c, dt)
    invstd = np.empty(c, dt)
    var_unb = np.empty(c, dt)
    if n == 0:
        raise ValueError("batchnorm_forward_train: empty batch")
    rm = _running_vec(running_mean, c, "running_mean")
    rv = _running_vec(running_var, c, "running_var")
    if running_mean is None:
        rm = rm if running_var is None else _EMPTY[rv.dtype]
    if running_var is None:
        rv = _EMPTY[rm.dtype]
    if rm.dtype != rv.dtype:
        raise ValueError("running_mean and running_var must have the same dtype")
    _bn_train_kernel(xc, w, b, float(eps), y, mean, invstd, var_unb, rm, rv, float(momentum))
    return y, mean, invstd, var_unb


def batchnorm_forward_eval(
    x: np.ndarray,
    running_mean: np.ndarray,
    running_var: np.ndarray,
    weight: np.ndarray | None,
    bias: np.ndarray | None,
    eps: float = 1e-5,
) -> np.ndarray:
    """BatchNorm1d forward in eval mode with running statistics.

    ``y_ij = (x_ij - running_mean_j) / sqrt(running_var_j + eps) * weight_j + bias_j``.

    Args:
        x: (N, C) input.
        running_mean, running_var: (C,) running statistics.
        weight, bias: (C,) or None.
        eps: added to the variance.
    """
    _matrix(x)
    dt = float_dtype(x, weight, bias)
    xc = kernel_array(x, dt)
    c = xc.shape[1]
    # per-channel constants: C-length numpy work, negligible next to the N*C pass
    rm = _vec(running_mean, c, dt, "running_mean")
    rv = np.asarray(running_var, np.float64)
    scale = 1.0 / np.sqrt(rv + eps)
    if weight is not None:
        scale = scale * _vec(weight, c, dt, "weight")
    shift = np.zeros(c, dt) if bias is None else _vec(bias, c, dt, "bias")
    y = np.empty_like(xc)
    _affine_rows_kernel(xc, rm, kernel_array(scale, dt), shift, y)
    return y


def batchnorm_backward(
    grad_out: np.ndarray,
    x: np.ndarray,
    mean: np.ndarray,
    invstd: np.ndarray,
    weight: np.ndarray | None,
):
    """BatchNorm1d training-mode backward through the batch statistics.

    With ``xhat = (x - mean) * invstd``:
    ``grad_bias_j = sum_i g_ij``, ``grad_weight_j = sum_i g_ij * xhat_ij``,
    ``grad_x_ij = weight_j * invstd_j * (g_ij - grad_bias_j / N - xhat_ij * grad_weight_j / N)``.

    Args:
        grad_out: (N, C) upstream gradient.
        x: (N, C) forward input.
        mean, invstd: (C,) from :func:`batchnorm_forward_train`.
        weight: (C,) or None (treated as 1; grad_weight/grad_bias are still returned).

    Returns:
        ``(grad_x, grad_weight, grad_bias)``.
    """
    _matrix(x)
    dt = float_dtype(grad_out, x, weight)
    g = kernel_array(grad_out, dt)
    xc = kernel_array(x, dt)
    if g.shape != xc.shape:
        raise ValueError(f"grad_out shape {g.shape} does not match x {xc.shape}")
    c = xc.shape[1]
    m = _vec(mean, c, dt, "mean")
    inv = _vec(invstd, c, dt, "invstd")
    w = _vec(weight, c, dt, "weight")
    gx = np.empty_like(xc)
    gw = np.empty(c, dt)
    gb = np.empty(c, dt)
    _bn_backward_kernel(g, xc, m, inv, w, gx, gw, gb)
    return gx, gw, gb


# --------------------------------------------------------------------------------------------
# LayerNorm over the last dim of (M, D): row reductions, so these use fastmath 'reassoc' (lets
# LLVM split the sum into SIMD lanes; no 'nnan'/'ninf', so NaN/Inf still propagate).

_REASSOC = {"reassoc", "nsz"}


@njit(fastmath=_REASSOC)
def _ln_forward_kernel(x, weight, bias, eps, y, mean, invstd):
    m_rows, d = x.shape
    dt = x.dtype.type
    has_w = weight.shape[0] > 0
    has_b = bias.shape[0] > 0
    for i in range(m_rows):
        xi = x[i]
        s = np.float64(0.0)  # not 0.0: without JIT, NEP 50 would sum in float32
        for j in range(d):
            s += xi[j]
        mu = s / d
        ss = np.float64(0.0)
        for j in range(d):
            dv = xi[j] - mu
            ss += dv * dv
        inv = 1.0 / np.sqrt(ss / d + eps)
        mean[i] = dt(mu)
        invstd[i] = dt(inv)
        mu_t = dt(mu)
        inv_t = dt(inv)
        yi = y[i]
        if has_w and has_b:
            for j in range(d):
                yi[j] = (xi[j] - mu_t) * inv_t * weight[j] + bias[j]
        elif has_w:
            for j in range(d):
                yi[j] = (xi[j] - mu_t) * inv_t * weight[j]
        elif has_b:
            for j in range(d):
                yi[j] = (xi[j] - mu_t) * inv_t + bias[j]
        else:
            for j in range(d):
                yi[j] = (xi[j] - mu_t) * inv_t


@njit(fastmath=_REASSOC)
def _ln_backward_kernel(g, x, mean, invstd, weight, gx, gw, gb):
    m_rows, d = x.shape
    dt = x.dtype.type
    has_w = weight.shape[0] > 0
    one = dt(1.0)
    acc_w = np.zeros(d, np.float64)
    acc_b = np.zeros(d, np.float64)
    for i in range(m_rows):
        gi = g[i]
        xi = x[i]
        mu = mean[i]
        inv = invstd[i]
        s1 = np.float64(0.0)  # sum_j g*w (float64 also without JIT: NEP 50)
        s2 = np.float64(0.0)  # sum_j g*w*xhat
        for j in range(d):
            xh = (xi[j] - mu) * inv
            gij = gi[j]
            wj = weight[j] if has_w else one
            gw_ = gij * wj
            s1 += gw_
            s2 += gw_ * xh
            acc_w[j] += gij * xh
            acc_b[j] += gij
        # dx = invstd * (g*w - mean_j(g*w) - xhat * mean_j(g*w*xhat))
        c1 = dt(s1 / d)
        c2 = dt(s2 / d)
        gxi = gx[i]
        for j in range(d):
            xh = (xi[j] - mu) * inv
            wj = weight[j] if has_w else one
            gxi[j] = inv * (gi[j] * wj - c1 - xh * c2)
    for j in range(d):
        gw[j] = dt(acc_w[j])
        gb[j] = dt(acc_b[j])


def layernorm_forward_ref(x, weight, bias, eps):
    """Reference LayerNorm over the last dim: ``y = (x - mean) * invstd * weight + bias``."""
    mean = x.mean(axis=1)
    d = x - mean[:, None]
    var = (d * d).mean(axis=1)
    invstd = (1 / np.sqrt(var + eps)).astype(x.dtype)
    y = d * invstd[:, None]
    if weight is not None:
        y *= weight
    if bias is not None:
        y += bias
    return y, mean, invstd


def layernorm_backward_ref(grad_out, x, mean, invstd, weight):
    """Reference LayerNorm backward.

    ``xhat = (x - mean) * invstd``, ``h = g * weight``:
    ``grad_x = invstd * (h - mean_j(h) - xhat * mean_j(h * xhat))``,
    ``grad_weight = sum_i g * xhat``, ``grad_bias = sum_i g``.
    """
    xhat = (x - mean[:, None]) * invstd[:, None]
    h = grad_out if weight is None else grad_out * weight
    gx = invstd[:, None] * (
        h - h.mean(axis=1, keepdims=True) - xhat * (h * xhat).mean(axis=1, keepdims=True)
    )
    return gx, (grad_out * xhat).sum(axis=0), grad_out.sum(axis=0)


def layernorm_forward(
    x: np.ndarray, weight: np.ndarray | None, bias: np.ndarray | None, eps: float = 1e-5
):
    """LayerNorm over the last dim of a 2-D (M, D) array.

    ``mean_i = sum_j x_ij / D``, ``var_i = sum_j (x_ij - mean_i)^2 / D`` (biased),
    ``invstd_i = 1 / sqrt(var_i + eps)``, ``y_ij = (x_ij - mean_i) * invstd_i * w_j + b_j``.

    Args:
        x: (M, D) input (reshape (..., D) inputs to 2-D first).
        weight, bias: (D,) or None (elementwise_affine=False).
        eps: added to the variance.

    Returns:
        ``(y, mean, invstd)``; mean and invstd are (M,) arrays in x's dtype.
    """
    _matrix(x)
    dt = float_dtype(x, weight, bias)
    xc = kernel_array(x, dt)
    m_rows, d = xc.shape
    w = _vec(weight, d, dt, "weight")
    b = _vec(bias, d, dt, "bias")
    if dt == np.float32 and m_rows:
        from nnlite.kernels import layernorm_order, summation

        lanes = summation.vector_bytes() // 4
        if 0 < d <= layernorm_order.max_row(lanes):  # torch's order and bits (see there)
            return layernorm_order.layernorm_forward_short(xc, weight, bias, eps, lanes)
    y = np.empty_like(xc)
    mean = np.empty(m_rows, dt)
    invstd = np.empty(m_rows, dt)
    _ln_forward_kernel(xc, w, b, float(eps), y, mean, invstd)
    return y, mean, invstd


def layernorm_backward(
    grad_out: np.ndarray,
    x: np.ndarray,
    mean: np.ndarray,
    invstd: np.ndarray,
    weight: np.ndarray | None,
):
    """LayerNorm backward over the last dim.

    With ``xhat = (x - mean) * invstd`` and ``h = g * weight``:
    ``grad_x = invstd * (h - mean_j(h) - xhat * mean_j(h * xhat))``,
    ``grad_weight_j = sum_i g_ij * xhat_ij``, ``grad_bias_j = sum_i g_ij``.

    Args:
        grad_out: (M, D) upstream gradient.
        x: (M, D) forward input.
        mean, invstd: (M,) from :func:`layernorm_forward`.
        weight: (D,) or None (treated as 1; grad_weight/grad_bias still returned).

    Returns:
        ``(grad_x, grad_weight, grad_bias)``.
    """
    _matrix(x)
    dt = float_dtype(grad_out, x, weight)
    g = kernel_array(grad_out, dt)
    xc = kernel_array(x, dt)
    if g.shape != xc.shape:
        raise ValueError(f"grad_out shape {g.shape} does not match x {xc.shape}")
    m_rows, d = xc.shape
    mu = _vec(mean, m_rows, dt, "mean")
    inv = _vec(invstd, m_rows, dt, "invstd")
    w = _vec(weight, d, dt, "weight")
    gx = np.empty_like(xc)
    gw = np.empty(d, dt)
    gb = np.empty(d, dt)
    _ln_backward_kernel(g, xc, mu, inv, w, gx, gw, gb)
    return gx, gw, gb
