"""``torch.backends.mha``: the switch of the Transformer encoder's inference fast path.

nnlite has no fused path, but the switch keeps its observable effect: with it on (the
default), ``nn.TransformerEncoder`` in eval mode without grad writes zeros at padded positions,
as PyTorch's nested-tensor path does.
"""

_fastpath = [True]


def get_fastpath_enabled() -> bool:
    return _fastpath[0]


def set_fastpath_enabled(value: bool) -> None:
    _fastpath[0] = bool(value)
