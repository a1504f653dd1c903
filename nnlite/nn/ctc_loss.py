"""CTCLoss: the connectionist temporal classification loss as a module (torch's signature)."""

from __future__ import annotations

from nnlite._tensor import Tensor
from nnlite.nn.loss import _Loss
from nnlite.ops.nn.ctc_loss import ctc_loss


class CTCLoss(_Loss):
    """CTC loss between (T, N, C) log-probabilities and unaligned targets (see
    ``nnlite.nn.functional.ctc_loss`` for the shapes, reductions and gradient).

    Example:
        >>> ctc = nn.CTCLoss()
        >>> lp = torch.randn(6, 2, 4, requires_grad=True).log_softmax(2)
        >>> ctc(lp, torch.tensor([[1, 2], [3, 3]]), [6, 5], [2, 2]).backward()
    """

    def __init__(self, blank: int = 0, reduction: str = "mean", zero_infinity: bool = False):
        super().__init__(reduction=reduction)
        self.blank = blank
        self.zero_infinity = zero_infinity

    def forward(self, log_probs: Tensor, targets: Tensor, input_lengths,
                target_lengths) -> Tensor:
        return ctc_loss(log_probs, targets, input_lengths, target_lengths, self.blank,
                        self.reduction, self.zero_infinity)
