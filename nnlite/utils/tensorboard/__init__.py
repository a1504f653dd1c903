"""``torch.utils.tensorboard``: ``SummaryWriter`` writing TensorBoard event files.

Needs the optional ``tensorboard`` package (``pip install 'nnlite[tensorboard]'``); without it,
importing this module raises PyTorch's ImportError.
"""

try:
    from tensorboard.summary.writer.record_writer import RecordWriter  # noqa: F401
except ImportError:
    raise ImportError(
        "TensorBoard logging requires TensorBoard version 1.15 or above "
        "(install it with: pip install 'nnlite[tensorboard]')"
    ) from None

from nnlite.utils.tensorboard.writer import SummaryWriter  # noqa: E402

__all__ = ["SummaryWriter"]
