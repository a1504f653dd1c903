"""Parameter initialisation (``torch.nn.init``), drawing from nnlite's global generator.

The formulas (fans, gains, bounds) are PyTorch's, and ``uniform_``/``normal_`` (hence the
xavier/kaiming variants and ``nn.Linear``'s default init) draw from nnlite's PyTorch-compatible
generator: after ``manual_seed(s)`` they give the values ``torch.manual_seed(s)`` gives.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from nnlite import _random as _R
from nnlite._tensor import Tensor
from nnlite.ops.creation import randperm

__all__ = [
    "calculate_gain",
    "constant_",
    "dirac_",
    "eye_",
    "kaiming_normal_",
    "kaiming_uniform_",
    "normal_",
    "ones_",
    "orthogonal_",
    "sparse_",
    "trunc_normal_",
    "uniform_",
    "xavier_normal_",
    "xavier_uniform_",
    "zeros_",
]


def _fill(tensor: Tensor, arr) -> Tensor:
    """Write values into ``tensor`` in place (no graph, version bumped), return it."""
    np.copyto(tensor._data, arr, casting="unsafe")
    tensor._vc[0] += 1
    return tensor


def calculate_gain(nonlinearity: str, param=None) -> float:
    """The recommended gain for an activation (PyTorch's table).

    ``linear``/``conv*``/``sigmoid``: 1, ``tanh``: 5/3, ``relu``: sqrt(2),
    ``leaky_relu``: sqrt(2 / (1 + slope^2)), ``selu``: 3/4.
    """
    linear_fns = ["linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d",
                  "conv_transpose2d", "conv_transpose3d"]
    if nonlinearity in linear_fns or nonlinearity == "sigmoid":
        return 1
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            negative_slope = 0.01
        elif not isinstance(param, bool) and isinstance(param, (int, float)):
            negative_slope = param
        else:
            raise ValueError(f"negative_slope {param} not a valid number")
        return math.sqrt(2.0 / (1 + negative_slope**2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"Unsupported nonlinearity {nonlinearity}")


def _calculate_fan_in_and_fan_out(tensor: Tensor) -> tuple[int, int]:
    dim = tensor.dim()
    if dim < 2:
        raise ValueError(
            "Fan in and fan out can not be computed for tensor with fewer than 2 dimensions"
        )
    shape = tensor.shape
    receptive = 1
    for s in shape[2:]:
        receptive *= s
    return shape[1] * receptive, shape[0] * receptive


def _calculate_correct_fan(tensor: Tensor, mode: str) -> int:
    mode = mode.lower()
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"Mode {mode} not supported, please use one of fan_in, fan_out")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def uniform_(tensor: Tensor, a: float = 0.0, b: float = 1.0, generator=None) -> Tensor:
    """Fill with ``U(a, b)`` (PyTorch's sampler: same seed, same values)."""
    d = tensor._data
    return _fill(tensor, _R.uniform(_R._gen(generator), d.shape, d.dtype, a, b))


def normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0, generator=None) -> Tensor:
    """Fill with ``N(mean, std^2)`` (PyTorch's sampler: same seed, same values)."""
    d = tensor._data
    return _fill(tensor, _R.normal(_R._gen(generator), d.shape, d.dtype, mean, std))


def trunc_normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0, a: float = -2.0,
                  b: float = 2.0, generator=None) -> Tensor:
    """Fill with ``N(mean, std^2)`` truncated to ``[a, b]``, drawing as PyTorch 2.13 does.

    When the interval holds more than 30% of the mass: draw normals, redraw (a full-size draw,
    kept where out of range) until all lie in ``[a, b]``. Otherwise: uniform candidates on
    ``[a, b]`` accepted when ``log U < -((x - mean) / std)^2 / 2 - log_peak``, redrawn (full
    size) where still pending. Same seed, same values as ``torch.nn.init.trunc_normal_``.
    """
    g = _R._gen(generator)
    d = tensor._data
    dt, shape = d.dtype, d.shape

    def norm_cdf(x: float) -> float:
        return (1.0 + math.erf(x / math.sqrt(2.0))) / 2.0

    p = norm_cdf((b - mean) / std) - norm_cdf((a - mean) / std)
    if p > 0.3:
        lo, hi = dt.type(a), dt.type(b)  # bounds in the tensor's dtype, as torch casts them
        result = _R.normal(g, shape, dt, mean, std)
        while True:
            mask = (result < lo) | (result > hi)
            if not mask.any():
                break
            result = np.where(mask, _R.normal(g, shape, dt, mean, std), result)
        return _fill(tensor, result)

    mode = max(a, min(mean, b))
    log_peak = -0.5 * ((mode - mean) / std) ** 2

    def log_pdf(c):  # torch's in-place chain sub_(mean).div_(std).pow_(2).mul_(-0.5).sub_(peak)
        c = (c - dt.type(mean)) / dt.type(std)
        return c * c * dt.type(-0.5) - dt.type(log_peak)

    result = _R.uniform(g, shape, dt, a, b)
    pending = np.log(_R.uniform(g, shape, dt)) > log_pdf(result)
    while pending.any():
        cand = _R.uniform(g, shape, dt, a, b)
        result = np.where(pending, cand, result)
        pending = np.where(pending, np.log(_R.uniform(g, shape, dt)) > log_pdf(cand), pending)
    return _fill(tensor, result)


def constant_(tensor: Tensor, val: float) -> Tensor:
    """Fill with ``val``."""
    return _fill(tensor, val)


def ones_(tensor: Tensor) -> Tensor:
    return _fill(tensor, 1)


def zeros_(tensor: Tensor) -> Tensor:
    return _fill(tensor, 0)


def eye_(tensor: Tensor) -> Tensor:
    if tensor.dim() != 2:
        raise ValueError("Only tensors with 2 dimensions are supported")
    return _fill(tensor, np.eye(*tensor._data.shape))


def xavier_uniform_(tensor: Tensor, gain: float = 1.0, generator=None) -> Tensor:
    """``U(-a, a)`` with ``a = gain * sqrt(6 / (fan_in + fan_out))`` (Glorot)."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    a = math.sqrt(3.0) * std
    return uniform_(tensor, -a, a, generator)


def xavier_normal_(tensor: Tensor, gain: float = 1.0, generator=None) -> Tensor:
    """``N(0, std^2)`` with ``std = gain * sqrt(2 / (fan_in + fan_out))``."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    return normal_(tensor, 0.0, std, generator)


def kaiming_uniform_(tensor: Tensor, a: float = 0, mode: str = "fan_in",
                     nonlinearity: str = "leaky_relu", generator=None) -> Tensor:
    """``U(-bound, bound)``, ``bound = gain * sqrt(3 / fan)`` (He); ``a`` is the leaky slope.

    ``Linear``'s default init is ``kaiming_uniform_(w, a=sqrt(5))``, i.e.
    ``bound = 1 / sqrt(fan_in)``.
    """
    if 0 in tensor.shape:
        _warn("Initializing zero-element tensors is a no-op")
        return tensor
    fan = _calculate_correct_fan(tensor, mode)
    gain = calculate_gain(nonlinearity, a)
    std = gain / math.sqrt(fan)
    bound = math.sqrt(3.0) * std
    return uniform_(tensor, -bound, bound, generator)


def kaiming_normal_(tensor: Tensor, a: float = 0, mode: str = "fan_in",
                    nonlinearity: str = "leaky_relu", generator=None) -> Tensor:
    """``N(0, std^2)``, ``std = gain / sqrt(fan)`` (He)."""
    if 0 in tensor.shape:
        _warn("Initializing zero-element tensors is a no-op")
        return tensor
    fan = _calculate_correct_fan(tensor, mode)
    gain = calculate_gain(nonlinearity, a)
    std = gain / math.sqrt(fan)
    return normal_(tensor, 0.0, std, generator)


def _warn(msg: str) -> None:
    warnings.warn(msg, stacklevel=3)


def orthogonal_(tensor: Tensor, gain: float = 1.0, generator=None) -> Tensor:
    """A (semi-)orthogonal matrix (Saxe et al.): the Q of a QR decomposition of a standard
    normal draw, its columns' signs fixed by R's diagonal, times ``gain``; tensors with more
    than two dimensions are flattened after the first. Draws as PyTorch does."""
    if tensor.dim() < 2:
        raise ValueError("Only tensors with 2 or more dimensions are supported")
    if tensor.numel() == 0:
        return tensor
    rows = tensor.shape[0]
    cols = tensor.numel() // rows
    flat = Tensor._wrap(np.empty((rows, cols), tensor._data.dtype))
    normal_(flat, 0.0, 1.0, generator)
    a = flat._data.T if rows < cols else flat._data
    q, r = np.linalg.qr(a)
    q = q * np.sign(np.diag(r))
    if rows < cols:
        q = q.T
    return _fill(tensor, (q * gain).reshape(tensor._data.shape))


def dirac_(tensor: Tensor, groups: int = 1) -> Tensor:
    """The Dirac delta of a 3-, 4- or 5-D convolution weight: identity in each of ``groups``
    groups (``w[g * out_g + d, d, center] = 1`` for ``d < min(out_g, in)``), zeros elsewhere, so
    the convolution passes its input channels through."""
    dims = tensor.dim()
    if dims not in (3, 4, 5):
        raise ValueError("Only tensors with 3, 4, or 5 dimensions are supported")
    sizes = tuple(tensor.shape)
    if sizes[0] % groups != 0:
        raise ValueError("dim 0 must be divisible by groups")
    out_per_group = sizes[0] // groups
    min_dim = min(out_per_group, sizes[1])
    arr = np.zeros(sizes, tensor._data.dtype)
    center = tuple(s // 2 for s in sizes[2:])
    for g in range(groups):
        for d in range(min_dim):
            arr[(g * out_per_group + d, d) + center] = 1
    return _fill(tensor, arr)


def sparse_(tensor: Tensor, sparsity: float, std: float = 0.01, generator=None) -> Tensor:
    """A sparse 2-D matrix (Martens 2010): ``N(0, std)`` entries, then in every column the rows
    of the first ``ceil(sparsity * rows)`` items of a random permutation set to zero (drawn as
    torch draws: one normal fill, then one ``randperm`` per column)."""
    if tensor.dim() != 2:
        raise ValueError("Only tensors with 2 dimensions are supported")
    rows, cols = tensor.shape
    num_zeros = math.ceil(sparsity * rows)
    normal_(tensor, 0.0, std, generator)
    arr = tensor._data.copy()
    for col in range(cols):
        zero_rows = randperm(rows, generator=generator)._data[:num_zeros]
        arr[zero_rows, col] = 0
    return _fill(tensor, arr)


def _deprecated(new):
    old = new.__name__[:-1]

    def fn(*args, **kwargs):
        warnings.warn(f"`nn.init.{old}` is now deprecated in favor of `nn.init.{new.__name__}`.",
                      FutureWarning, stacklevel=2)
        return new(*args, **kwargs)

    fn.__name__ = fn.__qualname__ = old
    fn.__doc__ = f"Deprecated alias of :func:`{new.__name__}` (warns, as torch does)."
    return fn


uniform = _deprecated(uniform_)
normal = _deprecated(normal_)
constant = _deprecated(constant_)
xavier_uniform = _deprecated(xavier_uniform_)
xavier_normal = _deprecated(xavier_normal_)
kaiming_uniform = _deprecated(kaiming_uniform_)
kaiming_normal = _deprecated(kaiming_normal_)
orthogonal = _deprecated(orthogonal_)
sparse = _deprecated(sparse_)
