"""Fused elementwise kernels: ReLU, LeakyReLU, bias add (+ReLU), sigmoid/tanh backward.

Each public function takes numpy arrays, normalises them (C-contiguous, writeable, one float
dtype, Python-float scalars) so that each numba kernel compiles once per dtype, allocates the
output and calls the serial ``@njit`` kernel. Each has a pure-numpy reference ``*_ref`` with the
same semantics that the tests compare against and that the benchmark times.

Elementwise kernels work on the flattened array, so any shape is accepted and the result has the
shape of the first array argument. Float dtypes: float32 and float64 are kept; float16 computes
in float32; integer/bool inputs compute in float64 (see :func:`float_dtype`).

Measured with bench/bench_kernels.py on the 2-vCPU AMD EPYC VM (AVX2, no AVX-512), float32,
median µs per call, numpy reference -> numba wrapper (the VM was shared and noisy; ratios held
across five runs, absolute numbers moved by up to 2x):

    kernel               64x128        256x512       512x2048
    relu_forward          5.6 -> 2.9    75 -> 23      946 -> 215
    relu_backward        13.9 -> 4.0   586 -> 29     5350 -> 416
    bias_add_             3.2 -> 2.7    29 -> 17      283 -> 128
    bias_add_relu_        9.0 -> 2.8   101 -> 14     1172 -> 124
    leaky_relu_forward   16.5 -> 3.1   630 -> 20     5969 -> 167
    leaky_relu_backward  16.9 -> 4.4   696 -> 33     6017 -> 907
    sigmoid_backward      5.5 -> 4.0    58 -> 27      944 -> 675
    tanh_backward         7.9 -> 6.5    70 -> 28     1515 -> 552

Every kernel here beat its numpy reference at all three sizes, so no wrapper falls back to numpy.
At 64x128 the ~2 µs of wrapper + dispatch overhead is most of the numba time.

Example:
    >>> y = relu_forward(np.array([-1.0, 2.0], np.float32))
    >>> y.tolist()
    [0.0, 2.0]
"""

from __future__ import annotations

import numpy as np

from nnlite.kernels._jit import njit

__all__ = [
    "bias_add_",
    "bias_add_ref",
    "bias_add_relu_",
    "bias_add_relu_ref",
    "float_dtype",
    "kernel_array",
    "leaky_relu_backward",
    "leaky_relu_backward_ref",
    "leaky_relu_forward",
    "leaky_relu_forward_ref",
    "relu_backward",
    "relu_backward_ref",
    "relu_forward",
    "relu_forward_ref",
    "sigmoid_backward",
    "sigmoid_backward_ref",
    "tanh_backward",
    "tanh_backward_ref",
]


# --------------------------------------------------------------------------------------------
# input normalisation shared by the kernel modules (plain Python, not jitted)

_F32 = np.dtype(np.float32)
_F64 = np.dtype(np.float64)


def float_dtype(*arrays) -> np.dtype:
    """The dtype a kernel computes in for these arguments (``None`` entries are skipped).

    float64 if numpy's promotion of the arguments gives float64, float32 for float32/float16,
    float64 for anything else (integers, bool). Kernels exist only for float32 and float64: every
    extra dtype would be another full compile.
    """
    # fast path (this runs on every call; np.result_type alone costs ~1 µs): native
    # float32/float64 dtypes are singletons, so identity checks suffice
    dt = _F32
    for a in arrays:
        if a is None:
            continue
        d = getattr(a, "dtype", None)
        if d is _F64:
            dt = _F64
        elif d is not _F32:
            return _float_dtype_slow(arrays)
    return dt


def _float_dtype_slow(arrays) -> np.dtype:
    dt = np.result_type(
        *[a.dtype if hasattr(a, "dtype") else np.asarray(a).dtype for a in arrays if a is not None]
    )
    if dt == _F32 or dt == _F64:
        return np.dtype(dt)
    if dt == np.float16:
        return _F32
    return _F64


def kernel_array(a, dtype) -> np.ndarray:
    """``a`` as a writeable C-contiguous array of ``dtype``; copies only when needed.

    numba compiles a separate specialization for each dtype, layout (C, F, strided) and for
    read-only arrays; normalising here keeps it at one compile per dtype (docs/kernels.md).
    """
    a = np.ascontiguousarray(a, dtype=dtype)
    if not a.flags.writeable:
        a = a.copy()
    return a


def _flat_pair(x, other):
    """Flattened kernel views of two same-shaped arrays, their dtype and the output shape."""
    dt = float_dtype(x, other)
    x = kernel_array(x, dt)
    other = kernel_array(other, dt)
    if x.shape != other.shape:
        raise ValueError(f"shape mismatch: {x.shape} vs {other.shape}")
    return x.reshape(-1), other.reshape(-1), x.shape


# --------------------------------------------------------------------------------------------
# ReLU


@njit
def _relu_fwd_kernel(x, y):
    zero = y.dtype.type(0.0)
    for i in range(x.shape[0]):
        v = x[i]
        # `v < 0` (not `v > 0`) keeps NaN as NaN, like torch.relu
        y[i] = zero if v < zero else v  # noqa: FURB136 (explicit NaN semantics)


@njit
def _relu_bwd_kernel(g, y, out):
    zero = out.dtype.type(0.0)
    for i in range(g.shape[0]):
        # `y <= 0` (not `y > 0`): a NaN unit passes its gradient, as torch's threshold_backward
        out[i] = zero if y[i] <= zero else g[i]


def relu_forward_ref(x: np.ndarray) -> np.ndarray:
    """Reference: ``y = max(x, 0)`` (NaN propagates)."""
    return np.maximum(x, 0)


def relu_backward_ref(grad: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Reference: ``grad`` with 0 selected where ``y <= 0`` (as torch's threshold_backward, so a
    NaN/inf upstream gradient is not turned into NaN where the unit is off, and a NaN unit
    passes its gradient)."""
    return np.where(y <= 0, 0, grad)


def relu_forward(x: np.ndarray) -> np.ndarray:
    """ReLU: ``y = max(x, 0)`` elementwise; NaN stays NaN.

    Args:
        x: array of any shape.

    Returns:
        New array ``y`` with ``x``'s shape, dtype float32 or float64.
    """
    dt = float_dtype(x)
    xc = kernel_array(x, dt)
    y = np.empty_like(xc)
    _relu_fwd_kernel(xc.reshape(-1), y.reshape(-1))
    return y


def relu_backward(grad: np.ndarray, y: np.ndarray) -> np.ndarray:
    """ReLU backward: ``dx = 0 if y <= 0 else grad`` (``y`` is the forward output; NaN passes).

    Args:
        grad: upstream gradient, same shape as ``y``.
        y: the ReLU output saved by the forward.
    """
    g, yf, shape = _flat_pair(grad, y)
    out = np.empty(shape, g.dtype)
    _relu_bwd_kernel(g, yf, out.reshape(-1))
    return out


# --------------------------------------------------------------------------------------------
# bias add, in place (Linear after the BLAS matmul)


@njit
def _bias_add_kernel(out, b):
    for i in range(out.shape[0]):
        row = out[i]
        for j in range(row.shape[0]):
            row[j] += b[j]


@njit
def _bias_add_relu_kernel(out, b):
    zero = out.dtype.type(0.0)
    for i in range(out.shape[0]):
        row = out[i]
        for j in range(row.shape[0]):
            v = row[j] + b[j]
            row[j] = zero if v < zero else v  # noqa: FURB136


def bias_add_ref(out: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Reference: ``out += b`` in place (``b`` broadcast over rows)."""
    np.add(out, b, out=out)
    return out


def bias_add_relu_ref(out: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Reference: ``out = max(out + b, 0)`` in place."""
    np.add(out, b, out=out)
    np.maximum(out, 0, out=out)
    return out


def _bias_rows(out, b):
    """``(out as (rows, C) view, b as C-vector)`` for the kernel, or None if out can't be viewed."""
    if not isinstance(out, np.ndarray) or out.ndim == 0:
        raise ValueError("bias_add_: out must be an array of shape (..., C)")
    c = out.shape[-1]
    if np.shape(b) != (c,):
        raise ValueError(f"bias_add_: bias shape {np.shape(b)} does not match out {out.shape}")
    if (
        (out.dtype != np.float32 and out.dtype != np.float64)
        or not out.flags.c_contiguous
        or not out.flags.writeable
    ):
        return None
    return out.reshape(-1, c), kernel_array(b, out.dtype)


def bias_add_(out: np.ndarray, b: np.ndarray) -> np.ndarray:
    """In-place bias add: ``out[..., j] += b[j]``; returns ``out``.

    ``out`` keeps its dtype (``b`` is cast to it). A non-contiguous or non-float32/64 ``out``
    takes the numpy path (still in place).

    Args:
        out: (N, C) or (..., C) array, modified in place.
        b: (C,) bias.
    """
    views = _bias_rows(out, b)
    if views is None:
        return bias_add_ref(out, b)
    _bias_add_kernel(*views)
    return out


def bias_add_relu_(out: np.ndarray, b: np.ndarray) -> np.ndarray:
    """In-place fused bias add + ReLU: ``out = max(out + b, 0)``; returns ``out``.

    Args:
        out: (N, C) or (..., C) array, modified in place.
        b: (C,) bias.
    """
    views = _bias_rows(out, b)
    if views is None:
        return bias_add_relu_ref(out, b)
    _bias_add_relu_kernel(*views)
    return out


# --------------------------------------------------------------------------------------------
# LeakyReLU


@njit
def _leaky_fwd_kernel(x, slope, y):
    # slope arrives as a Python float: cast so float32 stays float32 (docs/kernels.md, trap 3)
    s = y.dtype.type(slope)
    zero = y.dtype.type(0.0)
    for i in range(x.shape[0]):
        v = x[i]
        y[i] = v if v > zero else v * s


@njit
def _leaky_bwd_kernel(g, x, slope, out):
    s = out.dtype.type(slope)
    zero = out.dtype.type(0.0)
    for i in range(g.shape[0]):
        gi = g[i]
        out[i] = gi if x[i] > zero else gi * s


def leaky_relu_forward_ref(x: np.ndarray, slope: float) -> np.ndarray:
    """Reference: ``y = x if x > 0 else slope * x``."""
    return np.where(x > 0, x, x * x.dtype.type(slope))


def leaky_relu_backward_ref(grad: np.ndarray, x: np.ndarray, slope: float) -> np.ndarray:
    """Reference: ``dx = grad if x > 0 else slope * grad``."""
    return np.where(x > 0, grad, grad * grad.dtype.type(slope))


def leaky_relu_forward(x: np.ndarray, slope: float = 0.01) -> np.ndarray:
    """LeakyReLU: ``y = x if x > 0 else slope * x`` (torch's ``negative_slope``).

    Args:
        x: array of any shape.
        slope: negative slope.
    """
    dt = float_dtype(x)
    xc = kernel_array(x, dt)
    y = np.empty_like(xc)
    _leaky_fwd_kernel(xc.reshape(-1), float(slope), y.reshape(-1))
    return y


def leaky_relu_backward(grad: np.ndarray, x: np.ndarray, slope: float = 0.01) -> np.ndarray:
    """LeakyReLU backward: ``dx = grad if x > 0 else slope * grad`` (``x`` is the input).

    Args:
        grad: upstream gradient, same shape as ``x``.
        x: the forward input.
        slope: negative slope used in the forward.
    """
    g, xf, shape = _flat_pair(grad, x)
    out = np.empty(shape, g.dtype)
    _leaky_bwd_kernel(g, xf, float(slope), out.reshape(-1))
    return out


# --------------------------------------------------------------------------------------------
# sigmoid / tanh backward from the saved output (the forward stays numpy: it is a transcendental)


@njit
def _sigmoid_bwd_kernel(g, y, out):
    one = out.dtype.type(1.0)
    for i in range(g.shape[0]):
        yi = y[i]
        out[i] = g[i] * (yi * (one - yi))


@njit
def _tanh_bwd_kernel(g, y, out):
    one = out.dtype.type(1.0)
    for i in range(g.shape[0]):
        yi = y[i]
        out[i] = g[i] * (one - yi * yi)


def sigmoid_backward_ref(grad: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Reference: ``dx = grad * y * (1 - y)`` with ``y = sigmoid(x)``."""
    return grad * (y * (1 - y))


def tanh_backward_ref(grad: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Reference: ``dx = grad * (1 - y**2)`` with ``y = tanh(x)``."""
    return grad * (1 - y * y)


def sigmoid_backward(grad: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Sigmoid backward from the output: ``dx = grad * y * (1 - y)``.

    Args:
        grad: upstream gradient.
        y: ``sigmoid(x)`` saved by the forward, same shape.
    """
    g, yf, shape = _flat_pair(grad, y)
    out = np.empty(shape, g.dtype)
    _sigmoid_bwd_kernel(g, yf, out.reshape(-1))
    return out


def tanh_backward(grad: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Tanh backward from the output: ``dx = grad * (1 - y * y)``.

    Args:
        grad: upstream gradient.
        y: ``tanh(x)`` saved by the forward, same shape.
    """
    g, yf, shape = _flat_pair(grad, y)
    out = np.empty(shape, g.dtype)
    _tanh_bwd_kernel(g, yf, out.reshape(-1))
    return out
