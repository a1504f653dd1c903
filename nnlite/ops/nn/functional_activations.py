"""``nn.functional``'s activations: PyTorch's arguments over the activation ops.

``inplace=True`` writes the op's result into the input through the one in-place mechanism
(``nnlite.ops.inplace.apply_inplace``: version counter bumped, graph rewired, torch's
``...Backward1`` names); softmax, log_softmax and softmin without ``dim`` warn as torch does.
The ops themselves (forward and node) are in :mod:`nnlite.ops.nn.activations`.
``nnlite.nn.functional`` re-exports these functions and the nn modules call them, so both
handle the arguments the same way and ``F.relu`` is one object everywhere
(``nn.TransformerEncoderLayer(activation="relu")`` stores it, as torch does).
"""

from __future__ import annotations

import warnings

from nnlite._tensor import Tensor
from nnlite.ops import elementwise as _E
from nnlite.ops import reduce as _R
from nnlite.ops.inplace import apply_inplace as _apply_inplace
from nnlite.ops.nn import activations as _A
from nnlite.ops.nn.gumbel_softmax import gumbel_softmax as _gumbel_softmax


def inplace_activation(input: Tensor, op, name: str, *args) -> Tensor:
    """``inplace=True``: ``op``'s result written into ``input``, version counter bumped, graph
    rewired (a leaf that requires grad is refused), as PyTorch's in-place activations."""
    return _apply_inplace(input, op, *args, name=name)


def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """``max(x, 0)``; with ``inplace`` the result is written into ``input`` (version bumped)."""
    if inplace:
        return inplace_activation(input, _A.relu, "relu_")
    return _A.relu(input)


def relu_(input: Tensor) -> Tensor:
    return input.relu_()


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """``x if x > 0 else negative_slope * x``."""
    if inplace:
        return _A.leaky_relu_(input, negative_slope)
    return _A.leaky_relu(input, negative_slope)


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """``x if x > 0 else alpha * (exp(x) - 1)``."""
    if inplace:
        return _A.elu_(input, alpha)
    return _A.elu(input, alpha)


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """``x * Phi(x)`` with the exact normal CDF (erf), or its tanh approximation."""
    return _A.gelu(input, approximate)


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    """``x * sigmoid(x)``."""
    if inplace:
        return inplace_activation(input, _A.silu, "silu_")
    return _A.silu(input)


def sigmoid(input: Tensor) -> Tensor:
    return _E.sigmoid(input)


def tanh(input: Tensor) -> Tensor:
    return _E.tanh(input)


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """``log(1 + exp(beta x)) / beta``, and ``x`` itself where ``beta x > threshold``."""
    return _A.softplus(input, beta, threshold)


def logsigmoid(input: Tensor) -> Tensor:
    return _A.log_sigmoid(input)


def relu6(input: Tensor, inplace: bool = False) -> Tensor:
    """``min(max(x, 0), 6)``."""
    return hardtanh(input, 0.0, 6.0, inplace)


def hardtanh(input: Tensor, min_val: float = -1.0, max_val: float = 1.0,
             inplace: bool = False) -> Tensor:
    """``clamp(x, min_val, max_val)``; zero gradient at the bounds (as torch)."""
    if inplace:
        return _A.hardtanh_(input, min_val, max_val)
    return _A.hardtanh(input, min_val, max_val)


def mish(input: Tensor, inplace: bool = False) -> Tensor:
    """``x * tanh(softplus(x))``."""
    if inplace:
        return inplace_activation(input, _A.mish, "mish_")
    return _A.mish(input)


def hardswish(input: Tensor, inplace: bool = False) -> Tensor:
    """``x * relu6(x + 3) / 6``."""
    if inplace:
        return inplace_activation(input, _A.hardswish, "hardswish_")
    return _A.hardswish(input)


def hardsigmoid(input: Tensor, inplace: bool = False) -> Tensor:
    """``relu6(x + 3) / 6``."""
    if inplace:
        return inplace_activation(input, _A.hardsigmoid, "hardsigmoid_")
    return _A.hardsigmoid(input)


def selu(input: Tensor, inplace: bool = False) -> Tensor:
    """``scale * elu(x, alpha)`` with the self-normalising constants."""
    if inplace:
        return _A.selu_(input)
    return _A.selu(input)


def celu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """``max(0, x) + min(0, alpha * (exp(x / alpha) - 1))``."""
    if inplace:
        return _A.celu_(input, alpha)
    return _A.celu(input, alpha)


def prelu(input: Tensor, weight: Tensor) -> Tensor:
    """``max(0, x) + weight * min(0, x)``, ``weight`` per channel (dim 1) or shared."""
    return _A.prelu(input, weight)


def softsign(input: Tensor) -> Tensor:
    """``x / (1 + |x|)``."""
    return _A.softsign(input)


def tanhshrink(input: Tensor) -> Tensor:
    """``x - tanh(x)``."""
    return _A.tanhshrink(input)


def glu(input: Tensor, dim: int = -1) -> Tensor:
    """``a * sigmoid(b)`` where ``a, b`` are the two halves of ``input`` along ``dim``."""
    return _A.glu(input, dim)


def threshold(input: Tensor, threshold: float, value: float, inplace: bool = False) -> Tensor:
    """``x`` where ``x > threshold``, else ``value`` (a NaN input stays NaN, as torch)."""
    if inplace:
        return _A.threshold_(input, threshold, value)
    return _A.threshold(input, threshold, value)


def threshold_(input: Tensor, threshold: float, value: float) -> Tensor:
    """In-place :func:`threshold` (torch's ``ThresholdBackward1``)."""
    return _A.threshold_(input, threshold, value)


def leaky_relu_(input: Tensor, negative_slope: float = 0.01) -> Tensor:
    """In-place :func:`leaky_relu` (``LeakyReluBackward1``; the slope must be >= 0 for its
    gradient, as torch's)."""
    return _A.leaky_relu_(input, negative_slope)


def elu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    """In-place :func:`elu` (``EluBackward1``)."""
    return _A.elu_(input, alpha)


def selu_(input: Tensor) -> Tensor:
    """In-place :func:`selu` (``EluBackward1``, as torch's)."""
    return _A.selu_(input)


def celu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    """In-place :func:`celu` (``CeluBackward1``)."""
    return _A.celu_(input, alpha)


def hardtanh_(input: Tensor, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:
    """In-place :func:`hardtanh`."""
    return _A.hardtanh_(input, min_val, max_val)


def rrelu(input: Tensor, lower: float = 1.0 / 8, upper: float = 1.0 / 3, training: bool = False,
          inplace: bool = False) -> Tensor:
    """Randomized leaky ReLU; evaluation mode (``training=False``): slope ``(lower+upper)/2``;
    ``training=True``: a slope ``U(lower, upper)`` per non-positive element, drawn as torch's
    CPU kernel draws it (same seed, same slopes)."""
    if inplace:
        return _A.rrelu_(input, lower, upper, training)
    return _A.rrelu(input, lower, upper, training)


def rrelu_(input: Tensor, lower: float = 1.0 / 8, upper: float = 1.0 / 3,
           training: bool = False) -> Tensor:
    """In-place :func:`rrelu` (``RreluWithNoiseBackward1``)."""
    return _A.rrelu_(input, lower, upper, training)


def hardshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """``x`` where ``|x| > lambd``, else 0 (a NaN input stays NaN, as torch)."""
    return _A.hardshrink(input, lambd)


def softshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """``x - lambd`` above ``lambd``, ``x + lambd`` below ``-lambd``, else 0."""
    return _A.softshrink(input, lambd)


def _softmax_dim_warn(dim):
    if dim is None:
        warnings.warn(
            "Implicit dimension choice for softmax has been deprecated. Change the call to "
            "include dim=X as an argument.", stacklevel=3,
        )


def softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype=None) -> Tensor:
    """``exp(x_i) / sum_j exp(x_j)`` along ``dim`` (max-shifted: no overflow)."""
    _softmax_dim_warn(dim)
    return _R.softmax(input, dim, dtype=dtype)


def log_softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3,
                dtype=None) -> Tensor:
    """``x_i - log(sum_j exp(x_j))`` along ``dim``."""
    _softmax_dim_warn(dim)
    return _R.log_softmax(input, dim, dtype=dtype)


def softmin(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype=None) -> Tensor:
    """``softmax(-x)`` along ``dim``."""
    _softmax_dim_warn(dim)
    return _A.softmin(input, dim, dtype=dtype)


def gumbel_softmax(logits: Tensor, tau: float = 1, hard: bool = False, eps: float = 1e-10,
                   dim: int = -1) -> Tensor:
    """Gumbel-softmax samples over ``dim`` (one-hot with a straight-through gradient when
    ``hard``); seeded as torch's. ``eps`` is deprecated and unused, as in torch."""
    if eps != 1e-10:
        warnings.warn("`eps` parameter is deprecated and has no effect.", stacklevel=2)
    return _gumbel_softmax(logits, tau, hard, dim)
