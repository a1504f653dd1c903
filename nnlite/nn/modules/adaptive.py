"""``torch.nn.modules.adaptive``: the same class as ``nnlite.nn``, under the module path
PyTorch programs import it from."""

from nnlite.nn.adaptive import AdaptiveLogSoftmaxWithLoss, _ASMoutput  # noqa: F401

__all__ = ["AdaptiveLogSoftmaxWithLoss"]
