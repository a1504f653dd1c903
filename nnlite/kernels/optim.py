"""Fused optimizer updates: SGD, Adam/AdamW, RMSprop, Adagrad, one serial loop per parameter.

Each public ``*_step_`` function updates numpy arrays in place (the parameter and its state
buffers) with one pass over memory and no temporaries. Hyper-parameters arrive as Python floats
already combined the way PyTorch combines them in Python (float64: bias corrections, ``1 - beta``,
``-lr``); the kernel casts them to the array dtype once (docs/kernels.md, trap 3), as ATen casts a
Python scalar to the tensor's dtype, and then applies the element-wise ops in PyTorch's order
(``lerp_``, ``mul_().addcmul_()``, ``addcdiv_``). ATen's CPU kernels round ``add(alpha=)``,
``lerp`` and ``addcmul`` once, as a fused multiply-add: so do we (:func:`fma`, LLVM's
``llvm.fma``), which makes SGD bit-identical to ``torch.optim.SGD`` in float32 and float64. The
others differ in the last bit now and then because ATen's vectorised ``sqrt`` is not correctly
rounded (measured: ~16 % of float32 and ~1 % of float64 results off by one ulp), so Adam, RMSprop
and Adagrad agree to a few ulp.

Each has a pure-numpy reference ``*_step_ref`` with the same semantics (same op order, same
dtype), which the tests compare against and the benchmark times as the in-place numpy baseline.

Arrays: the wrappers accept any shape. State buffers are created C-contiguous by the optimizers;
a non-contiguous parameter or gradient is handled by a contiguous copy (and a write-back). float32
and float64 go to the numba kernels; other float dtypes (float16) use the numpy reference.

Buffers that an option does not use (``momentum_buffer`` without momentum, ``max_exp_avg_sq``
without amsgrad, ``grad_avg`` without centered) are passed as ``None``; the wrapper substitutes a
size-0 array so that each kernel compiles once per dtype.

Example:
    >>> p = np.ones(3, np.float32); g = np.full(3, 0.5, np.float32)
    >>> sgd_step_(p, g, None, lr=0.1, weight_decay=0.0, momentum=0.0, dampening=0.0,
    ...           nesterov=False, maximize=False, first=True)
    >>> p.tolist()
    [0.949999988079071, 0.949999988079071, 0.949999988079071]
"""

from __future__ import annotations

import numpy as np

from nnlite.kernels._jit import njit
from nnlite.kernels.fma import fma, fma_f32_ref

__all__ = [
    "adagrad_step_",
    "adagrad_step_ref",
    "adam_step_",
    "adam_step_ref",
    "rmsprop_step_",
    "rmsprop_step_ref",
    "sgd_step_",
    "sgd_step_ref",
]

_KERNEL_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


# --------------------------------------------------------------------------------------------
# fused multiply-add, rounded once (ATen's vectorised add(alpha=)/lerp/addcmul are FMAs):
# ``fma`` (nnlite.kernels.fma; a Python stand-in with the same rounding under NUMBA_DISABLE_JIT)


def _fma_ref(a, b, c):
    """numpy ``a * b + c``; float32 rounded once (``fma_f32_ref``), as the kernels' ``fma``."""
    dt = np.result_type(a, b, c)
    if dt == np.float32:
        return fma_f32_ref(a, b, c)
    return a * b + c


# --------------------------------------------------------------------------------------------
# array normalisation (plain Python)


class _Flat:
    """A 1-D C-contiguous writeable view of ``arr`` or a copy that is written back on ``done``."""

    __slots__ = ("arr", "copied", "flat")

    def __init__(self, arr: np.ndarray, dtype: np.dtype, write: bool):
        self.arr = arr
        if arr.dtype == dtype and arr.flags.c_contiguous and arr.flags.writeable:
            self.flat = arr.reshape(-1)
            self.copied = False
        else:
            self.flat = np.ascontiguousarray(arr, dtype=dtype).reshape(-1)
            if self.flat is arr or not self.flat.flags.writeable:
                self.flat = self.flat.copy()
            self.copied = write

    def done(self) -> None:
        if self.copied:
            self.arr[...] = self.flat.reshape(self.arr.shape)


_EMPTY = {dt: np.empty(0, dt) for dt in _KERNEL_DTYPES}


def _empty_like(dtype: np.dtype) -> np.ndarray:
    return _EMPTY[dtype]


def _view(arr: np.ndarray, dtype: np.dtype):
    """``arr`` as a 1-D view the kernels take as is (C-contiguous, writeable, ``dtype``), or
    None when it needs :class:`_Flat` (a copy, written back). The per-step fast path."""
    if arr.dtype == dtype:
        f = arr.flags
        if f.c_contiguous and f.writeable:
            return arr.reshape(-1)
    return None


# --------------------------------------------------------------------------------------------
# SGD


@njit
def _sgd_kernel(p, g, buf, lr_neg, weight_decay, momentum, one_minus_dampening,
                nesterov, maximize, first):  # fmt: skip
    dt = p.dtype.type
    lr_neg = dt(lr_neg)
    wd = dt(weight_decay)
    mom = dt(momentum)
    omd = dt(one_minus_dampening)
    use_wd = weight_decay != 0.0
    use_mom = momentum != 0.0
    for i in range(p.shape[0]):
        d = g[i]
        if maximize:
            d = -d
        if use_wd:
            d = fma(wd, p[i], d)
        if use_mom:
            if first:
                b = d
            else:
                b = fma(omd, d, buf[i] * mom)
            buf[i] = b
            if nesterov:
                d = fma(mom, b, d)
            else:
                d = b
        p[i] = fma(lr_neg, d, p[i])


def sgd_step_(param, grad, momentum_buffer, *, lr: float, weight_decay: float, momentum: float,
              dampening: float, nesterov: bool, maximize: bool, first: bool) -> None:  # fmt: skip
    """One SGD step in place, as ``torch.optim.SGD`` (single-tensor path).

    ``d = -g if maximize else g``; ``d += wd * p``; with momentum ``b = d`` on the ``first`` step,
    else ``b = momentum * b + (1 - dampening) * d``, then ``d = d + momentum * b`` (nesterov) or
    ``d = b``; ``p -= lr * d``. ``momentum_buffer`` may be ``None`` when ``momentum == 0``.
    """
    dt = param.dtype
    if dt not in _KERNEL_DTYPES:
        sgd_step_ref(param, grad, momentum_buffer, lr=lr, weight_decay=weight_decay,
                     momentum=momentum, dampening=dampening, nesterov=nesterov,
                     maximize=maximize, first=first)  # fmt: skip
        return
    pv, gv = _view(param, dt), _view(grad, dt)
    bv = _view(momentum_buffer, dt) if momentum != 0.0 else _EMPTY[dt]
    if pv is not None and gv is not None and bv is not None:  # no copies to write back
        _sgd_kernel(pv, gv, bv, -float(lr), float(weight_decay), float(momentum),
                    1.0 - float(dampening), bool(nesterov), bool(maximize), bool(first))
        return
    p = _Flat(param, dt, True)
    g = _Flat(grad, dt, False)
    b = _Flat(momentum_buffer, dt, True) if momentum != 0.0 else None
    _sgd_kernel(p.flat, g.flat, b.flat if b is not None else _empty_like(dt), -float(lr),
                float(weight_decay), float(momentum), 1.0 - float(dampening), bool(nesterov),
                bool(maximize), bool(first))  # fmt: skip
    p.done()
    if b is not None:
        b.done()


def sgd_step_flat_(param, grad, momentum_buffer, *, lr: float, weight_decay: float,
                   momentum: float, dampening: float, nesterov: bool, maximize: bool,
                   first: bool) -> None:  # fmt: skip
    """:func:`sgd_step_` on 1-D, C-contiguous, writeable arrays of one float32/float64 dtype (a
    fused optimizer's flat buffers): the kernel call alone, no checks, no copies."""
    _sgd_kernel(param, grad, momentum_buffer if momentum != 0.0 else _EMPTY[param.dtype],
                -float(lr), float(weight_decay), float(momentum), 1.0 - float(dampening),
                bool(nesterov), bool(maximize), bool(first))  # fmt: skip


def sgd_step_ref(param, grad, momentum_buffer, *, lr, weight_decay, momentum, dampening, nesterov,
                 maximize, first) -> None:  # fmt: skip
    """numpy reference of :func:`sgd_step_` (same op order, computed in the param dtype)."""
    dt = param.dtype.type
    d = -grad if maximize else grad
    if weight_decay != 0:
        d = _fma_ref(dt(weight_decay), param, d)
    if momentum != 0:
        if first:
            momentum_buffer[...] = d
        else:
            np.multiply(momentum_buffer, dt(momentum), out=momentum_buffer)
            momentum_buffer[...] = _fma_ref(dt(1.0 - dampening), d, momentum_buffer)
        d = _fma_ref(dt(momentum), momentum_buffer, d) if nesterov else momentum_buffer
    param[...] = _fma_ref(dt(-lr), d, param)


# --------------------------------------------------------------------------------------------
# Adam / AdamW


@njit
def _adam_kernel(p, g, m, v, vmax, beta1_weight, beta2, one_minus_beta2, step_size_neg,
                 bias_correction2_sqrt, eps, weight_decay, decay_factor, decoupled, amsgrad,
                 maximize):  # fmt: skip
    dt = p.dtype.type
    w1 = dt(beta1_weight)
    # ATen's lerp: fma(w, end - self, self) for |w| < 0.5, else fma(w - 1, end - self, end)
    w1_small = beta1_weight < 0.5
    w1c = w1 - dt(1.0)
    b2 = dt(beta2)
    omb2 = dt(one_minus_beta2)
    ssn = dt(step_size_neg)
    bc2 = dt(bias_correction2_sqrt)
    ep = dt(eps)
    wd = dt(weight_decay)
    df = dt(decay_factor)
    use_wd = weight_decay != 0.0
    for i in range(p.shape[0]):
        d = g[i]
        if maximize:
            d = -d
        x = p[i]
        if use_wd:
            if decoupled:
                x = x * df
            else:
                d = fma(wd, x, d)
        mi = m[i]
        if w1_small:
            mi = fma(w1, d - mi, mi)
        else:
            mi = fma(w1c, d - mi, d)
        m[i] = mi
        vi = fma(omb2 * d, d, v[i] * b2)
        v[i] = vi
        if amsgrad:
            vm = vmax[i]
            if vi > vm or np.isnan(vi):  # np.maximum: NaN propagates
                vm = vi
            vmax[i] = vm
            vi = vm
        den = np.sqrt(vi) / bc2 + ep
        p[i] = x + ssn * mi / den


def _adam_scalars(lr, beta1, beta2, weight_decay, step):
    # PyTorch computes these in Python (float64) before touching the tensors.
    bias_correction1 = 1 - beta1**step
    bias_correction2 = 1 - beta2**step
    step_size = lr / bias_correction1
    return -step_size, bias_correction2**0.5, 1 - lr * weight_decay


def adam_step_(param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq, *, step: float, lr: float,
               beta1: float, beta2: float, eps: float, weight_decay: float, amsgrad: bool,
               maximize: bool, decoupled_weight_decay: bool) -> None:  # fmt: skip
    """One Adam (or AdamW with ``decoupled_weight_decay``) step in place, as ``torch.optim.Adam``.

    ``step`` is the step count after incrementing (1 on the first step). Per element::

        d = -g if maximize else g
        p *= 1 - lr*wd (decoupled)  |  d += wd * p (L2)
        m = lerp(m, d, 1 - beta1);  v = v * beta2 + (1 - beta2) * d * d
        vmax = max(vmax, v) (amsgrad)
        p += -(lr / (1 - beta1**step)) * m / (sqrt(v or vmax) / sqrt(1 - beta2**step) + eps)
    """
    dt = param.dtype
    if dt not in _KERNEL_DTYPES:
        adam_step_ref(param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq, step=step, lr=lr,
                      beta1=beta1, beta2=beta2, eps=eps, weight_decay=weight_decay,
                      amsgrad=amsgrad, maximize=maximize,
                      decoupled_weight_decay=decoupled_weight_decay)  # fmt: skip
        return
    ssn, bc2s, decay = _adam_scalars(float(lr), float(beta1), float(beta2),
                                     float(weight_decay), float(step))  # fmt: skip
    pv, gv, mv, vv = _view(param, dt), _view(grad, dt), _view(exp_avg, dt), _view(exp_avg_sq, dt)
    vmv = _view(max_exp_avg_sq, dt) if amsgrad else _EMPTY[dt]
    if pv is not None and gv is not None and mv is not None and vv is not None and vmv is not None:
        _adam_kernel(pv, gv, mv, vv, vmv, 1.0 - float(beta1), float(beta2), 1.0 - float(beta2),
                     ssn, bc2s, float(eps), float(weight_decay), decay,
                     bool(decoupled_weight_decay), bool(amsgrad), bool(maximize))  # fmt: skip
        return
    p = _Flat(param, dt, True)
    g = _Flat(grad, dt, False)
    m = _Flat(exp_avg, dt, True)
    v = _Flat(exp_avg_sq, dt, True)
    vm = _Flat(max_exp_avg_sq, dt, True) if amsgrad else None
    _adam_kernel(p.flat, g.flat, m.flat, v.flat, vm.flat if vm is not None else _empty_like(dt),
                 1.0 - float(beta1), float(beta2), 1.0 - float(beta2), ssn, bc2s, float(eps),
                 float(weight_decay), decay, bool(decoupled_weight_decay), bool(amsgrad),
                 bool(maximize))  # fmt: skip
    for f in (p, m, v, vm):
        if f is not None:
            f.done()


def adam_step_flat_(param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq, *, step: float,
                    lr: float, beta1: float, beta2: float, eps: float, weight_decay: float,
                    amsgrad: bool, maximize: bool,
                    decoupled_weight_decay: bool) -> None:  # fmt: skip
    """:func:`adam_step_` on 1-D, C-contiguous, writeable arrays of one float32/float64 dtype
    (a fused optimizer's flat buffers): the kernel call alone, no checks, no copies."""
    ssn, bc2s, decay = _adam_scalars(float(lr), float(beta1), float(beta2),
                                     float(weight_decay), float(step))  # fmt: skip
    _adam_kernel(param, grad, exp_avg, exp_avg_sq,
                 max_exp_avg_sq if amsgrad else _EMPTY[param.dtype], 1.0 - float(beta1),
                 float(beta2), 1.0 - float(beta2), ssn, bc2s, float(eps), float(weight_decay),
                 decay, bool(decoupled_weight_decay), bool(amsgrad), bool(maximize))  # fmt: skip


def _lerp_ref(start, end, weight, dt):
    # ATen's vectorised lerp: small weights interpolate from start, large ones from end.
    w = dt(weight)
    if abs(weight) < 0.5:
        start[...] = _fma_ref(w, end - start, start)
    else:
        start[...] = _fma_ref(w - dt(1.0), end - start, end)


def adam_step_ref(param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq, *, step, lr, beta1, beta2,
                  eps, weight_decay, amsgrad, maximize, decoupled_weight_decay) -> None:  # fmt: skip
    """numpy reference of :func:`adam_step_` (same op order, computed in the param dtype)."""
    dt = param.dtype.type
    ssn, bc2s, decay = _adam_scalars(float(lr), float(beta1), float(beta2),
                                     float(weight_decay), float(step))  # fmt: skip
    d = -grad if maximize else grad
    if weight_decay != 0:
        if decoupled_weight_decay:
            np.multiply(param, dt(decay), out=param)
        else:
            d = _fma_ref(dt(weight_decay), param, d)
    _lerp_ref(exp_avg, d, 1.0 - beta1, dt)
    np.multiply(exp_avg_sq, dt(beta2), out=exp_avg_sq)
    exp_avg_sq[...] = _fma_ref(dt(1.0 - beta2) * d, d, exp_avg_sq)
    if amsgrad:
        np.maximum(max_exp_avg_sq, exp_avg_sq, out=max_exp_avg_sq)
        den = np.sqrt(max_exp_avg_sq)
    else:
        den = np.sqrt(exp_avg_sq)
    np.divide(den, dt(bc2s), out=den)
    den += dt(eps)
    param += dt(ssn) * exp_avg / den


# --------------------------------------------------------------------------------------------
# RMSprop


@njit
def _rmsprop_kernel(p, g, sq, gavg, buf, lr_neg, alpha, one_minus_alpha, eps, weight_decay,
                    momentum, centered, maximize):  # fmt: skip
    dt = p.dtype.type
    lrn = dt(lr_neg)
    al = dt(alpha)
    oma = dt(one_minus_alpha)
    oma_small = one_minus_alpha < 0.5
    omac = oma - dt(1.0)
    ep = dt(eps)
    wd = dt(weight_decay)
    mom = dt(momentum)
    use_wd = weight_decay != 0.0
    use_mom = momentum > 0.0
    for i in range(p.shape[0]):
        d = g[i]
        if maximize:
            d = -d
        x = p[i]
        if use_wd:
            d = fma(wd, x, d)
        s = fma(oma * d, d, sq[i] * al)
        sq[i] = s
        if centered:
            a = gavg[i]
            if oma_small:
                a = fma(oma, d - a, a)
            else:
                a = fma(omac, d - a, d)
            gavg[i] = a
            avg = np.sqrt(fma(-a, a, s)) + ep
        else:
            avg = np.sqrt(s) + ep
        if use_mom:
            b = buf[i] * mom + d / avg
            buf[i] = b
            p[i] = fma(lrn, b, x)
        else:
            p[i] = x + lrn * d / avg


def rmsprop_step_(param, grad, square_avg, grad_avg, momentum_buffer, *, lr: float, alpha: float,
                  eps: float, weight_decay: float, momentum: float, centered: bool,
                  maximize: bool) -> None:  # fmt: skip
    """One RMSprop step in place, as ``torch.optim.RMSprop``.

    Per element::

        d = -g if maximize else g;  d += wd * p
        s = s * alpha + (1 - alpha) * d * d
        avg = sqrt(s - ga * ga) + eps, ga = lerp(ga, d, 1 - alpha) (centered)  |  sqrt(s) + eps
        b = momentum * b + d / avg; p -= lr * b (momentum > 0)  |  p -= lr * d / avg
    """
    dt = param.dtype
    if dt not in _KERNEL_DTYPES:
        rmsprop_step_ref(param, grad, square_avg, grad_avg, momentum_buffer, lr=lr, alpha=alpha,
                         eps=eps, weight_decay=weight_decay, momentum=momentum,
                         centered=centered, maximize=maximize)  # fmt: skip
        return
    p = _Flat(param, dt, True)
    g = _Flat(grad, dt, False)
    s = _Flat(square_avg, dt, True)
    ga = _Flat(grad_avg, dt, True) if centered else None
    b = _Flat(momentum_buffer, dt, True) if momentum > 0 else None
    e = _empty_like(dt)
    _rmsprop_kernel(p.flat, g.flat, s.flat, ga.flat if ga is not None else e,
                    b.flat if b is not None else e, -float(lr), float(alpha), 1.0 - float(alpha),
                    float(eps), float(weight_decay), float(momentum), bool(centered),
                    bool(maximize))  # fmt: skip
    for f in (p, s, ga, b):
        if f is not None:
            f.done()


def rmsprop_step_ref(param, grad, square_avg, grad_avg, momentum_buffer, *, lr, alpha, eps,
                     weight_decay, momentum, centered, maximize) -> None:  # fmt: skip
    """numpy reference of :func:`rmsprop_step_` (same op order, computed in the param dtype)."""
    dt = param.dtype.type
    d = -grad if maximize else grad
    if weight_decay != 0:
        d = _fma_ref(dt(weight_decay), param, d)
    np.multiply(square_avg, dt(alpha), out=square_avg)
    square_avg[...] = _fma_ref(dt(1.0 - alpha) * d, d, square_avg)
    if centered:
        _lerp_ref(grad_avg, d, 1.0 - alpha, dt)
        avg = np.sqrt(_fma_ref(-grad_avg, grad_avg, square_avg))
    else:
        avg = np.sqrt(square_avg)
    avg += dt(eps)
    if momentum > 0:
        np.multiply(momentum_buffer, dt(momentum), out=momentum_buffer)
        momentum_buffer += d / avg
        param[...] = _fma_ref(dt(-lr), momentum_buffer, param)
    else:
        param += dt(-lr) * d / avg


# --------------------------------------------------------------------------------------------
# Adagrad


@njit
def _adagrad_kernel(p, g, acc, clr_neg, eps, weight_decay, maximize):
    dt = p.dtype.type
    cn = dt(clr_neg)
    ep = dt(eps)
    wd = dt(weight_decay)
    use_wd = weight_decay != 0.0
    for i in range(p.shape[0]):
        d = g[i]
        if maximize:
            d = -d
        x = p[i]
        if use_wd:
            d = fma(wd, x, d)
        s = fma(d, d, acc[i])
        acc[i] = s
        p[i] = x + cn * d / (np.sqrt(s) + ep)


def adagrad_step_(param, grad, state_sum, *, step: float, lr: float, lr_decay: float, eps: float,
                  weight_decay: float, maximize: bool) -> None:  # fmt: skip
    """One Adagrad step in place, as ``torch.optim.Adagrad``.

    Per element::

        d = -g if maximize else g;  d += wd * p;  s += d * d
        p -= lr / (1 + (step - 1) * lr_decay) * d / (sqrt(s) + eps)
    """
    dt = param.dtype
    if dt not in _KERNEL_DTYPES:
        adagrad_step_ref(param, grad, state_sum, step=step, lr=lr, lr_decay=lr_decay, eps=eps,
                         weight_decay=weight_decay, maximize=maximize)  # fmt: skip
        return
    clr = float(lr) / (1 + (float(step) - 1) * float(lr_decay))
    p = _Flat(param, dt, True)
    g = _Flat(grad, dt, False)
    s = _Flat(state_sum, dt, True)
    _adagrad_kernel(p.flat, g.flat, s.flat, -clr, float(eps), float(weight_decay), bool(maximize))
    p.done()
    s.done()


def adagrad_step_ref(param, grad, state_sum, *, step, lr, lr_decay, eps, weight_decay,
                     maximize) -> None:  # fmt: skip
    """numpy reference of :func:`adagrad_step_` (same op order, computed in the param dtype)."""
    dt = param.dtype.type
    clr = float(lr) / (1 + (float(step) - 1) * float(lr_decay))
    d = -grad if maximize else grad
    if weight_decay != 0:
        d = _fma_ref(dt(weight_decay), param, d)
    state_sum[...] = _fma_ref(d, d, state_sum)
    std = np.sqrt(state_sum)
    std += dt(eps)
    param += dt(-clr) * d / std
