"""Parameter: a Tensor that a Module registers as learnable (``torch.nn.Parameter``), and the
placeholders of lazy modules, UninitializedParameter and UninitializedBuffer.

``materialize(shape)`` gives a placeholder its array and turns it into a plain Parameter (or
Tensor) in place: the object keeps its identity, so an optimizer built before a lazy module's
first forward already holds the materialized parameter, as in torch.
"""

from __future__ import annotations

import numpy as np

from nnlite._dtype import get_default_dtype, to_dtype
from nnlite._tensor import Tensor, _init


class Parameter(Tensor):
    """A Tensor that requires grad by default and registers itself when set on a Module.

    It shares memory and the version counter with ``data`` (as ``torch.nn.Parameter`` does).

    Example:
        >>> w = Parameter(torch.zeros(3, 4))
        >>> w.requires_grad
        True
    """

    def __new__(cls, data: Tensor | None = None, requires_grad: bool = True):
        if data is None:
            arr = np.empty(0, np.float32)
            vc = [0]
        elif isinstance(data, Tensor):
            arr, vc = data._data, data._vc
        else:
            raise TypeError(
                f"Parameter(): argument 'data' must be Tensor, not {type(data).__name__}"
            )
        p = object.__new__(cls)
        _init(p, arr)
        p._vc = vc
        if requires_grad:
            p.requires_grad = True  # raises for integer data, as torch does
        return p

    def __init__(self, data: Tensor | None = None, requires_grad: bool = True):
        pass  # everything happens in __new__

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()

    __str__ = __repr__

    def __reduce_ex__(self, proto):
        return (_rebuild_parameter, (self._data, self._requires_grad))

    def __deepcopy__(self, memo):
        if id(self) in memo:
            return memo[id(self)]
        p = Parameter(Tensor._wrap(self._data.copy()), self._requires_grad)
        if self.grad is not None:
            p.grad = Tensor._wrap(self.grad._data.copy())
        memo[id(self)] = p
        return p


def _rebuild_parameter(arr, requires_grad):
    return Parameter(Tensor._wrap(np.array(arr)), requires_grad)



# ---- placeholders of lazy modules ----------------------------------------------------------

_SHAPE_ERROR = (
    "Can't access the shape of an uninitialized parameter or buffer. This error usually happens "
    "in `load_state_dict` when trying to load an uninitialized parameter into an initialized "
    "one. Call `forward` to initialize the parameters before accessing their attributes."
)


_USE_ERROR = (
    "Attempted to use an uninitialized parameter in {}. This error happens when you are using a "
    "`LazyModule` or explicitly manipulating `torch.nn.parameter.UninitializedParameter` "
    "objects. When using LazyModules Call `forward` with a dummy batch to initialize the "
    "parameters before calling torch functions"
)
_slot = Tensor._data  # the array slot; the placeholder's own ``_data`` refuses to be read


def _array(t) -> np.ndarray:
    """The placeholder's (empty) array, for its dtype."""
    return _slot.__get__(t)


class UninitializedTensorMixin:
    """What the two placeholders share: no shape and no values until ``materialize`` (every op
    reads ``_data``, which raises torch's ValueError, so nothing computes on an empty array)."""

    cls_to_become: type = Tensor

    @property
    def _data(self):
        raise ValueError(_USE_ERROR.format("an nnlite operation"))

    @_data.setter
    def _data(self, arr):
        _slot.__set__(self, arr)

    def materialize(self, shape, device=None, dtype=None) -> None:
        """Give the placeholder an (uninitialised, here zero) array of ``shape`` and turn it
        into ``cls_to_become`` in place."""
        if isinstance(shape, int):
            shape = (shape,)
        dt = _array(self).dtype if dtype is None else to_dtype(dtype).np
        _slot.__set__(self, np.zeros(tuple(shape), dt))
        self.__class__ = self.cls_to_become

    @property
    def shape(self):
        raise RuntimeError(_SHAPE_ERROR)

    @property
    def dtype(self):
        return Tensor._wrap(_array(self)).dtype

    def _convert(self, fn) -> None:
        """Apply an array conversion (``module.double()``) to the empty array."""
        _slot.__set__(self, fn(_array(self)))

    def __repr__(self) -> str:
        return f"<{self.__class__.__name__}>"

    __str__ = __repr__


def _placeholder(cls, requires_grad: bool, dtype):
    t = object.__new__(cls)
    _init(t, np.empty(0, to_dtype(dtype or get_default_dtype()).np))
    t._requires_grad = bool(requires_grad)
    return t


class UninitializedParameter(UninitializedTensorMixin, Parameter):
    """A Parameter with no shape yet; becomes a Parameter on ``materialize``.

    Example:
        >>> p = UninitializedParameter()
        >>> p.materialize((2, 3))
        >>> type(p).__name__, p.shape
        ('Parameter', torch.Size([2, 3]))
    """

    cls_to_become = Parameter

    def __new__(cls, requires_grad: bool = True, device=None, dtype=None):
        return _placeholder(cls, requires_grad, dtype)

    def __init__(self, requires_grad: bool = True, device=None, dtype=None):
        pass

    def __deepcopy__(self, memo):
        if id(self) not in memo:
            memo[id(self)] = type(self)(self._requires_grad, dtype=None)
            memo[id(self)]._convert(lambda a: a.copy())
        return memo[id(self)]


class UninitializedBuffer(UninitializedTensorMixin, Tensor):
    """A buffer with no shape yet; becomes a Tensor on ``materialize``."""

    cls_to_become = Tensor

    def __new__(cls, requires_grad: bool = False, device=None, dtype=None, persistent=True):
        t = _placeholder(cls, requires_grad, dtype)
        t.persistent = persistent
        return t

    def __init__(self, requires_grad: bool = False, device=None, dtype=None, persistent=True):
        pass


def is_lazy(param) -> bool:
    """Whether ``param`` is a placeholder not yet materialized (``torch.nn.parameter.is_lazy``)."""
    return isinstance(param, UninitializedTensorMixin)


class _BufferMeta(type):
    # ``isinstance(t, Buffer)`` holds for the tensors Buffer(...) returns (plain Tensors that
    # carry the mark), as torch's metaclass does: Buffer(...) is no subclass instance
    def __instancecheck__(cls, instance) -> bool:
        if cls is Buffer:
            return isinstance(instance, Tensor) and getattr(instance, "_is_buffer", False)
        return super().__instancecheck__(instance)


class Buffer(Tensor, metaclass=_BufferMeta):
    """A Tensor marked as module state (``torch.nn.Buffer``): assigned as a Module attribute it
    is registered as a buffer (``persistent=False``: kept out of ``state_dict``).

    ``Buffer(t)`` returns ``t.detach()`` (a plain Tensor sharing t's memory, keeping its
    ``requires_grad``) with the mark and a ``persistent`` attribute, as torch does.

    Example:
        >>> m = nn.Module()
        >>> m.steps = nn.Buffer(torch.zeros(()), persistent=False)
        >>> [n for n, _ in m.named_buffers()], list(m.state_dict())
        (['steps'], [])
    """

    def __new__(cls, data: Tensor | None = None, *, persistent: bool = True):
        if data is None:
            t = Tensor._wrap(np.empty(0, get_default_dtype().np))
        elif isinstance(data, Tensor):
            t = data.detach()
            if data.requires_grad:  # torch keeps the flag: detach().requires_grad_(...)
                t.requires_grad_(True)
        else:  # torch fails on ``data.detach()``: the same error type, with the way out
            raise AttributeError(f"Buffer(): data must be a Tensor, not {type(data).__name__} "
                                 f"(wrap it: nn.Buffer(torch.tensor(...)))")
        t._is_buffer = True
        t.persistent = persistent
        return t
