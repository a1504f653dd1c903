"""Gumbel-softmax (``F.gumbel_softmax``): samples from the Gumbel-softmax distribution
(Jang et al., 2016; Maddison et al., 2016), optionally discretised with a straight-through
gradient.

The noise is drawn as torch draws it, ``-log(Exponential(1))`` through ``exponential_`` on the
global generator, so a seeded program gets torch's samples.
"""

from __future__ import annotations

from nnlite._tensor import Tensor
from nnlite.ops import creation as C
from nnlite.ops import reduce as R


def gumbel_softmax(logits: Tensor, tau: float = 1, hard: bool = False, dim: int = -1) -> Tensor:
    """``softmax((logits + g) / tau)`` with ``g ~ Gumbel(0, 1)``; with ``hard`` the one-hot of
    its argmax in the forward pass and the soft sample's gradient in the backward pass."""
    gumbels = -C.empty_like(logits).exponential_().log()
    y_soft = R.softmax((logits + gumbels) / tau, dim)
    if not hard:
        return y_soft
    index = y_soft.max(dim, keepdim=True)[1]
    y_hard = C.zeros_like(logits).scatter_(dim, index, 1.0)
    return y_hard - y_soft.detach() + y_soft
