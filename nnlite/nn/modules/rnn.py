"""``torch.nn.modules.rnn``: the same classes as ``nnlite.nn``, under the module path
PyTorch programs import them from."""

from nnlite.nn.rnn import (  # noqa: F401
    GRU,
    LSTM,
    RNN,
    GRUCell,
    LSTMCell,
    RNNBase,
    RNNCell,
    RNNCellBase,
)

__all__ = [
    "GRU", "GRUCell", "LSTM", "LSTMCell", "RNN", "RNNBase", "RNNCell", "RNNCellBase"
]
