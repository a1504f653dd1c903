"""``nn.MLP``: the Linear -> norm -> activation (-> Dropout) block builder."""

from __future__ import annotations

import difflib
from collections.abc import Callable, Sequence

from nnlite.nn import activation as A
from nnlite.nn.containers import Sequential
from nnlite.nn.dropout import Dropout
from nnlite.nn.linear import Identity, Linear
from nnlite.nn.module import Module
from nnlite.nn.normalization import BatchNorm1d, LayerNorm

ACTIVATIONS: dict[str, Callable[[], Module]] = {
    "relu": A.ReLU, "leaky_relu": A.LeakyReLU, "elu": A.ELU, "gelu": A.GELU,
    "gelu_tanh": lambda: A.GELU(approximate="tanh"), "silu": A.SiLU, "tanh": A.Tanh,
    "sigmoid": A.Sigmoid, "softplus": A.Softplus, "identity": Identity,
}
NORMS: dict[str, Callable[[int], Module]] = {"batchnorm": BatchNorm1d, "layernorm": LayerNorm}


def _choice(value: str, table: dict, what: str):
    if value not in table:
        near = difflib.get_close_matches(str(value), list(table), n=1)
        hint = f" (did you mean '{near[0]}'?)" if near else ""
        raise ValueError(
            f"unknown {what} '{value}'{hint}; expected one of {', '.join(sorted(table))}"
        )
    return table[value]


def MLP(in_features: int, hidden: Sequence[int] = (128, 64), out_features: int = 10,
        norm: str | None = "batchnorm", activation: str | Callable[[], Module] = "relu",
        dropout: float = 0.0) -> Sequential:
    """A ``Sequential`` of ``Linear -> norm -> activation (-> Dropout)`` blocks and a final
    ``Linear``: plain PyTorch layers, so the state_dict keys are ``0.weight``, ``0.bias``,
    ``1.weight``, ``1.running_mean``, ... Every Linear keeps its bias (as PyTorch users expect;
    before a BatchNorm it is redundant but harmless).

    Args:
        in_features: input width.
        hidden: widths of the hidden layers (empty: a single Linear).
        out_features: output width.
        norm: ``'batchnorm'``, ``'layernorm'`` or None.
        activation: a name (``'relu'``, ``'gelu'``, ``'silu'``, ...) or a module factory.
        dropout: probability for a Dropout after each activation (0: none).

    Example:
        >>> nn.MLP(4, [8], 3)
        Sequential(
          (0): Linear(in_features=4, out_features=8, bias=True)
          (1): BatchNorm1d(8, eps=1e-05, momentum=0.1, affine=True, bias=True, \
          track_running_stats=True)
          (2): ReLU()
          (3): Linear(in_features=8, out_features=3, bias=True)
        )
    """
    make_act = activation if callable(activation) else _choice(activation, ACTIVATIONS,
                                                               "activation")
    make_norm = None if norm is None else _choice(norm, NORMS, "norm")
    if not 0.0 <= dropout < 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {dropout}")
    layers: list[Module] = []
    width = in_features
    for h in hidden:
        layers.append(Linear(width, h))
        if make_norm is not None:
            layers.append(make_norm(h))
        layers.append(make_act())
        if dropout > 0:
            layers.append(Dropout(dropout))
        width = h
    layers.append(Linear(width, out_features))
    return Sequential(*layers)
