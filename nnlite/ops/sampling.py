"""The rejection samplers as public ops: ``torch.poisson``, ``torch.binomial``,
``torch._standard_gamma`` and ``torch._sample_dirichlet`` (seeded like torch's CPU kernels:
``ops/rejection_samplers.py``), and the reparameterization gradients torch exposes with them,
``torch._standard_gamma_grad`` and ``torch._dirichlet_grad``.

The graph is torch's: ``poisson`` records ``PoissonBackward0`` (a zero gradient),
``_standard_gamma`` records ``StandardGammaBackward0`` (the implicit gradient ``dx/dalpha``),
``binomial`` and ``_sample_dirichlet`` record a ``NotImplemented`` node whose backward raises.
"""

from __future__ import annotations

import numpy as np

from nnlite._random import _gen
from nnlite._tensor import Tensor
from nnlite.autograd.function import Node, record
from nnlite.ops import incomplete_gamma_beta as _S
from nnlite.ops import rejection_samplers as _samplers
from nnlite.ops._util import TYPE_NAMES

_W = Tensor._wrap


def _floating(x: Tensor, kernel: str) -> np.ndarray:
    a = x._data
    if a.dtype.kind != "f":
        raise NotImplementedError(f'"{kernel}" not implemented for '
                                  f"'{TYPE_NAMES[a.dtype.name]}'")
    return a


class PoissonBackward0(Node):
    def backward(self, g):
        return (g * 0,)


class StandardGammaBackward0(Node):
    def backward(self, g):
        alpha, x = self._unpacked_saved
        return (g * _standard_gamma_grad(alpha, x),)


def _no_derivative_backward(self, g):
    raise RuntimeError(f"derivative for aten::{self.op} is not implemented")


# torch's grad_fn for an op without a derivative formula is named NotImplemented
_NotImplemented = type("NotImplemented", (Node,), {"backward": _no_derivative_backward,
                                                   "__module__": __name__})


def _record_no_derivative(out, inputs, op: str) -> None:
    node = record(out, _NotImplemented, inputs)
    if node is not None:
        node.op = op


def poisson(input, generator=None):
    """Counts drawn from ``Poisson(input)`` elementwise (floats of input's dtype).

    Example:
        >>> torch.manual_seed(0); torch.poisson(torch.tensor([1.0, 20.0]))
    """
    rate = _floating(input, "poisson_cpu")
    if rate.size and not (rate >= 0).all():
        raise RuntimeError("invalid Poisson rate, expected rate to be non-negative")
    out = _W(_samplers.poisson(rate, _gen(generator)))
    record(out, PoissonBackward0, (input,))
    return out


def binomial(count, prob, generator=None):
    """Successes in ``count`` trials of probability ``prob`` (broadcast; floats of one dtype).

    Example:
        >>> torch.binomial(torch.tensor([10.0]), torch.tensor([0.3]))
    """
    c, p = count._data, prob._data
    if c.dtype.kind != "f":
        raise ValueError(f"binomial only supports floating-point dtypes for count, got: "
                         f"{TYPE_NAMES[c.dtype.name]}")
    if p.dtype != c.dtype:
        raise RuntimeError(f"Found dtype {TYPE_NAMES[p.dtype.name]} but expected "
                           f"{TYPE_NAMES[c.dtype.name]}")
    try:
        shape = np.broadcast_shapes(c.shape, p.shape)
    except ValueError:
        dim = next(i for i in range(1, min(c.ndim, p.ndim) + 1)
                   if c.shape[-i] != p.shape[-i] and 1 not in (c.shape[-i], p.shape[-i]))
        raise RuntimeError(f"The size of tensor a ({c.shape[-dim]}) must match the size of "
                           f"tensor b ({p.shape[-dim]}) at non-singleton dimension "
                           f"{max(c.ndim, p.ndim) - dim}") from None
    out = _W(_samplers.binomial(np.broadcast_to(c, shape), np.broadcast_to(p, shape),
                                _gen(generator)))
    _record_no_derivative(out, (count, prob), "binomial")
    return out


def _standard_gamma(input, generator=None):
    """``Gamma(input, 1)`` samples (at least ``finfo.tiny``), differentiable in ``input``
    through the implicit gradient.

    Example:
        >>> torch._standard_gamma(torch.tensor([0.5, 2.0]))
    """
    alpha = _floating(input, "gamma_cpu")
    out = _W(_samplers.standard_gamma(alpha, _gen(generator)))
    record(out, StandardGammaBackward0, (input,), saved=(input, out))
    return out


def _sample_dirichlet(input, generator=None):
    """Dirichlet samples over the last dim of the concentrations ``input``.

    Example:
        >>> torch._sample_dirichlet(torch.tensor([0.5, 2.0, 1.0]))
    """
    alpha = _floating(input, "dirichlet")
    out = _W(_samplers.dirichlet(alpha, _gen(generator)))
    _record_no_derivative(out, (input,), "_sample_dirichlet")
    return out


def _standard_gamma_grad(input, output):
    """``d output / d input`` of ``output ~ Gamma(input, 1)`` at a fixed cdf."""
    d = _S.standard_gamma_grad(input._data, output._data)
    return _W(d.astype(np.result_type(input._data.dtype, output._data.dtype)))


def _dirichlet_grad(x, alpha, total):
    """torch's ``_dirichlet_grad(x, alpha, total)`` (the Dirichlet rsample's backward factor)."""
    d = _S.dirichlet_grad(x._data, alpha._data, total._data)
    return _W(d.astype(x._data.dtype))
