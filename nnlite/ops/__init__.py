"""The differentiable ops, and the Tensor methods and operators that call them.

Everything public here is generated from the one registry (``nnlite.ops.registry``): the
``torch.<name>`` functions and ``__all__``, the Tensor methods (each bound to the op's own
function: no wrapper on the call path) and the in-place methods (``x.sin_()``).
"""

from __future__ import annotations

from nnlite._tensor import Tensor
from nnlite.ops import creation, elementwise, inplace, linalg, reduce, shape, special  # noqa: F401
from nnlite.ops import registry as _registry
from nnlite.ops.methods import _inplace_of

for _name, _fn in _registry.method_table().items():
    setattr(Tensor, _name, _fn)
for _name, _fn in _registry.inplace_table().items():
    setattr(Tensor, _name, _inplace_of(_fn, _name))
for _name, _fn in _registry.PROPERTIES.items():
    setattr(Tensor, _name, property(_fn))

globals().update(_registry.public_functions())
# in-place functional forms (``torch.sin_(x)`` is ``x.sin_()``)
globals().update({_n: getattr(Tensor, _n) for _n in _registry.TORCH_INPLACE})
__all__ = _registry.public_names("torch")  # noqa: PLE0605
