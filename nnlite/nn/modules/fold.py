"""``torch.nn.modules.fold``: the same classes as ``nnlite.nn``, under the module path
PyTorch programs import them from."""

from nnlite.nn.fold import Fold, Unfold  # noqa: F401

__all__ = ["Fold", "Unfold"]
