"""Tensor: a numpy array plus the autograd fields (requires_grad, grad, grad_fn, version).

Most methods are thin delegations to the op functions in ``nnlite.ops``; the op functions hold
the math and the backward formulas.
"""

from __future__ import annotations

import builtins
import warnings

import numpy as np

from nnlite import _dtype as D
from nnlite._format import tensor_repr
from nnlite._grad_mode import _GradState

# Tensor.backward runs the engine (nnlite.autograd.engine), which is above this module: it
# builds Tensors, so it imports this module, never the other way. It puts its entry point in
# this slot when it is imported (``import nnlite`` does), as nnlite.ops binds the op methods.
_run_backward = None
# clone/contiguous/to (and float(), double(), ..., which call to) are ops: nnlite.ops binds them
# with the other op methods (nnlite.ops.methods, through the registry).


class _RemovableHandle:
    """What ``register_hook`` returns (a Tensor's or a graph node's): ``.remove()`` takes the
    hook out of its list again; as a context manager, on exit."""

    __slots__ = ("_lst", "_fn")

    def __init__(self, lst, fn):
        self._lst, self._fn = lst, fn

    def remove(self) -> None:
        try:
            self._lst.remove(self._fn)
        except ValueError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


class Size(tuple):
    """A tensor's shape (a tuple), printed as PyTorch prints it: ``torch.Size([2, 3])``."""

    __slots__ = ()

    def __repr__(self) -> str:
        return f"torch.Size({list(self)})"

    def numel(self) -> int:
        n = 1
        for s in self:
            n *= s
        return n

    def __getitem__(self, i):
        r = tuple.__getitem__(self, i)
        return Size(r) if isinstance(i, slice) else r


_TYPE_NAMES = {
    "float32": "torch.FloatTensor", "float64": "torch.DoubleTensor",
    "float16": "torch.HalfTensor", "int64": "torch.LongTensor", "int32": "torch.IntTensor",
    "int16": "torch.ShortTensor", "int8": "torch.CharTensor", "uint8": "torch.ByteTensor",
    "bool": "torch.BoolTensor",
}


def _type_name(t) -> str:
    return _TYPE_NAMES.get(t._data.dtype.name, "torch.Tensor")


def _as_array(data, dtype=None) -> np.ndarray:
    """numpy array from Python data / arrays / Tensors, with PyTorch's default dtypes."""
    if isinstance(data, Tensor):
        arr = data._data
    elif isinstance(data, np.ndarray):
        arr = data
    elif isinstance(data, (builtins.float, builtins.int, builtins.bool, np.generic)):
        arr = np.asarray(data)
        if isinstance(data, builtins.bool) or arr.dtype == np.bool_:
            arr = arr.astype(np.bool_)
        elif isinstance(data, builtins.float) and dtype is None and not isinstance(
                data, np.generic):  # np.float64 subclasses float, but keeps its dtype (torch)
            arr = arr.astype(D._default_float.np)
        elif isinstance(data, builtins.int):
            arr = arr.astype(np.int64)
    else:
        if isinstance(data, (list, tuple)) and any(isinstance(e, Tensor) for e in _flat(data)):
            data = _untensor(data)
        arr = np.array(data)
        if arr.dtype == object:
            raise TypeError(f"Could not infer dtype of {type(data).__name__}: ragged or mixed data")
        if arr.dtype.kind == "f" and not isinstance(data, np.ndarray):
            # Python floats give the default dtype (float32), as in PyTorch; with an explicit
            # dtype they convert straight from double (no float32 rounding on the way)
            if dtype is None and not _has_np_float64(data):
                arr = arr.astype(D._default_float.np)
        elif arr.dtype.kind in "iu" and arr.dtype != np.uint8 and not _has_np_scalar(data):
            arr = arr.astype(np.int64)
        elif arr.dtype.kind == "U":
            raise TypeError("new(): invalid data type 'str'")
        elif arr.size == 0 and arr.dtype.kind == "f":
            arr = arr.astype(D._default_float.np)
    if dtype is not None:
        npd = D.to_dtype(dtype).np
        if arr.dtype != npd:
            arr = arr.astype(npd)
    elif arr.dtype not in D._BY_NP:
        if arr.dtype.kind == "f":
            arr = arr.astype(np.float64)
        elif arr.dtype.kind in "iu":
            arr = arr.astype(np.int64)
        else:
            D.from_numpy_dtype(arr.dtype)  # raises TypeError naming the dtype
    return arr


def _flat(x):
    for e in x:
        if isinstance(e, (list, tuple)):
            yield from _flat(e)
        else:
            yield e


def _untensor(x):
    if isinstance(x, Tensor):
        return x._data
    if isinstance(x, (list, tuple)):
        return [_untensor(e) for e in x]
    return x


def _has_np_float64(data) -> bool:
    for e in _flat(data) if isinstance(data, (list, tuple)) else (data,):
        if isinstance(e, (np.floating, np.ndarray)) and getattr(e, "dtype", None) == np.float64:
            return True
    return False


def _has_np_scalar(data) -> bool:
    for e in _flat(data) if isinstance(data, (list, tuple)) else (data,):
        if isinstance(e, (np.generic, np.ndarray)):
            return True
    return False


class Tensor:
    """A multi-dimensional array that records the operations applied to it for autograd."""

    __slots__ = (
        "_data", "_requires_grad", "_grad", "grad_fn", "_vc", "_output_nr", "_accum",
        "_hooks", "_retains_grad", "_base", "__weakref__", "__dict__",
    )
    __array_priority__ = 1000  # numpy scalars/arrays defer to our reflected operators
    # Hooks run after a leaf's .grad is written (register_post_accumulate_grad_hook). A class
    # default, so the engine's check costs one attribute read and _wrap sets nothing; a
    # tensor that gets hooks holds its own list in __dict__.
    _post_accumulate_grad_hooks = None

    def __init__(self, *args, dtype=None, requires_grad=False):
        # torch.Tensor(2, 3) -> uninitialized (zeros here) float tensor of that shape;
        # torch.Tensor(data) -> float32 copy of data.
        if len(args) == 1 and not isinstance(args[0], builtins.int):
            arr = _as_array(args[0], dtype or D._default_float)
            if arr.dtype.kind != "f" and dtype is None:
                arr = arr.astype(D._default_float.np)
            arr = np.array(arr, copy=True)
        else:
            shape = args[0] if len(args) == 1 and isinstance(args[0], tuple) else args
            arr = np.zeros(tuple(shape), (D.to_dtype(dtype) if dtype else D._default_float).np)
        _init(self, arr)
        if requires_grad:
            self.requires_grad = True

    @classmethod
    def _wrap(cls, arr: np.ndarray) -> Tensor:
        """Fast internal constructor: no checks, no copy.

        It runs once per op, so it sets the slots inline rather than calling ``_init`` (which
        does the same for ``__init__`` and ``Parameter``); keep the two in step.
        """
        t = object.__new__(Tensor)
        t._data = arr
        t._requires_grad = False
        t._grad = None
        t.grad_fn = None
        t._vc = [0]
        t._output_nr = 0
        t._accum = None
        t._hooks = None
        t._retains_grad = False
        t._base = None
        return t

    # ---- basic properties ---------------------------------------------------------------
    @property
    def requires_grad(self) -> bool:
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value) -> None:
        value = builtins.bool(value)
        if self.grad_fn is not None and not value:
            raise RuntimeError(
                "you can only change requires_grad flags of leaf variables. If you want to use "
                "a computed variable in a subgraph that doesn't require differentiation use "
                "var_no_grad = var.detach()."
            )
        if value and self._data.dtype.kind not in "fc":
            raise RuntimeError(
                "only Tensors of floating point and complex dtype can require gradients"
            )
        self._requires_grad = value

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        if not isinstance(requires_grad, bool):  # a truthy 'no' must not switch it on
            raise TypeError("requires_grad_(): argument 'requires_grad' (position 1) must be "
                            f"bool, not {type(requires_grad).__name__}")
        if requires_grad and self._data.dtype.kind not in "fc":  # torch's wording for the method
            raise RuntimeError("only Tensors of floating point dtype can require gradients")
        self.requires_grad = requires_grad
        return self

    @property
    def grad(self):
        """The accumulated gradient (a leaf's, or a non-leaf's after ``retain_grad()``)."""
        g = self._grad
        if g is None and self.grad_fn is not None and not self._retains_grad:
            warnings.warn(_NON_LEAF_GRAD, UserWarning, stacklevel=2)
        return g

    @grad.setter
    def grad(self, value) -> None:
        if value is not None:
            _check_grad(self, value)
        self._grad = value

    @grad.deleter
    def grad(self) -> None:
        self._grad = None

    @property
    def is_leaf(self) -> bool:
        return self.grad_fn is None

    def _is_view(self) -> bool:
        """Whether this tensor is a view of another (``._base``), as ``torch.Tensor._is_view``."""
        return self._base is not None

    @property
    def data(self) -> Tensor:
        """A detached alias sharing memory and version counter (``torch.Tensor.data``)."""
        t = Tensor._wrap(self._data)
        t._vc = self._vc
        return t

    @data.setter
    def data(self, value) -> None:
        arr = value._data if isinstance(value, Tensor) else np.asarray(value)
        self._data = arr

    @property
    def shape(self) -> Size:
        return Size(self._data.shape)

    def size(self, dim=None):
        if dim is None:
            return Size(self._data.shape)
        return self._data.shape[_wrap_dim(dim, self._data.ndim)]

    @property
    def dtype(self) -> D.dtype:
        return D._BY_NP[self._data.dtype]

    @property
    def device(self):
        return _CPU

    @property
    def is_cuda(self) -> bool:
        return False

    # Backend flags programs test before moving data: nnlite is a dense CPU tensor only.
    is_cpu = property(lambda self: True, doc="True: nnlite tensors live on the CPU.")
    is_xpu = is_mps = is_meta = is_sparse = is_sparse_csr = is_quantized = is_mkldnn = \
        is_vulkan = is_ipu = is_mtia = is_maia = is_nested = \
        property(lambda self: False, doc="False: nnlite has only dense CPU tensors.")

    def is_inference(self) -> bool:
        """False: ``inference_mode`` here is ``no_grad`` and makes no separate tensors."""
        return False

    @property
    def layout(self):
        return "torch.strided"

    @property
    def ndim(self) -> int:
        return self._data.ndim

    def dim(self) -> int:
        return self._data.ndim

    def ndimension(self) -> int:
        return self._data.ndim

    def numel(self) -> int:
        return self._data.size

    def nelement(self) -> int:
        return self._data.size

    def element_size(self) -> int:
        return self._data.itemsize

    def stride(self, dim=None):
        st = tuple(s // self._data.itemsize for s in self._data.strides)
        return st if dim is None else st[_wrap_dim(dim, self._data.ndim)]

    def is_contiguous(self, memory_format=None) -> bool:
        return self._data.flags.c_contiguous

    def is_floating_point(self) -> bool:
        return self._data.dtype.kind == "f"

    def data_ptr(self) -> int:
        return self._data.__array_interface__["data"][0]

    @property
    def _version(self) -> int:
        return self._vc[0]

    def __len__(self) -> int:
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self):
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return iter(self.unbind(0))

    # identity hashing, as torch; object's own (C) hash so that dict/set lookups keyed by
    # tensors (optimizer state, the engine's bookkeeping) make no Python call
    __hash__ = object.__hash__

    def __bool__(self) -> bool:
        if self._data.size != 1:
            raise RuntimeError(
                f"Boolean value of Tensor with more than one value is ambiguous"
            )
        return builtins.bool(self._data.reshape(()))

    def __float__(self) -> builtins.float:
        return builtins.float(self.item())

    def __int__(self) -> builtins.int:
        return builtins.int(self.item())

    def __index__(self) -> builtins.int:
        if self._data.dtype.kind not in "iub" or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return builtins.int(self._data.reshape(()))

    def __complex__(self):
        return complex(self.item())

    def __format__(self, spec):
        if self._data.ndim == 0:
            return format(self.item(), spec)
        return object.__format__(self, spec)

    def __array__(self, dtype=None, copy=None):
        if self._requires_grad:
            raise RuntimeError(
                "Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() "
                "instead."
            )
        return self._data if dtype is None else self._data.astype(dtype)

    def __reduce_ex__(self, proto):
        return (_rebuild, (self._data, self._requires_grad))

    # ---- conversion -------------------------------------------------------------------
    def numpy(self, *, force: bool = False) -> np.ndarray:
        if self._requires_grad and not force:
            raise RuntimeError(
                "Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() "
                "instead."
            )
        return self._data

    def tolist(self):
        return self._data.tolist()

    def item(self):
        if self._data.size != 1:
            raise RuntimeError(
                f"a Tensor with {self._data.size} elements cannot be converted to Scalar"
            )
        return self._data.reshape(()).item()

    def detach(self) -> Tensor:
        t = Tensor._wrap(self._data)
        t._vc = self._vc
        return t

    def detach_(self) -> Tensor:
        self.grad_fn = None
        self._requires_grad = False
        return self

    def type(self, dtype=None):
        if dtype is None:
            return _type_name(self)
        if isinstance(dtype, str):
            inv = {v: k for k, v in _TYPE_NAMES.items()}
            dtype = getattr(D, inv[dtype])
        return self.to(dtype)

    def cpu(self) -> Tensor:
        return self

    def cuda(self, device=None, non_blocking=False, memory_format=None):
        """Fails as in a CPU-only PyTorch: nnlite has no CUDA device."""
        if isinstance(device, builtins.int) and not isinstance(device, builtins.bool):
            raise RuntimeError("Cannot access accelerator device when none is available.")
        raise AssertionError("Torch not compiled with CUDA enabled")

    def float(self) -> Tensor:
        return self.to(D.float32)

    def double(self) -> Tensor:
        return self.to(D.float64)

    def half(self) -> Tensor:
        return self.to(D.float16)

    def long(self) -> Tensor:
        return self.to(D.int64)

    def int(self) -> Tensor:
        return self.to(D.int32)

    def bool(self) -> Tensor:
        return self.to(D.bool)

    def type_as(self, other) -> Tensor:
        return self.to(other.dtype)

    # ---- autograd ---------------------------------------------------------------------
    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        """Accumulate d(self)/d(leaf) * gradient into every leaf's ``.grad``."""
        if inputs is not None:
            inputs = [inputs] if isinstance(inputs, Tensor) else list(inputs)
        _run_backward([self], [gradient], retain_graph, create_graph, inputs=inputs)

    def retain_grad(self) -> None:
        if self.grad_fn is None:
            if not self._requires_grad:
                raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
            return
        if self._retains_grad:
            return
        self._retains_grad = True
        ref = self

        def hook(g):
            if ref._grad is None:
                if not _GradState.enabled:
                    ref._grad = Tensor._wrap(np.array(g._data, copy=True))
                else:
                    ref._grad = g
            else:
                ref._grad = ref._grad + g
            return None

        self._add_node_hook(hook)

    @property
    def retains_grad(self) -> bool:
        return self._retains_grad

    def _add_node_hook(self, hook):
        fn = self.grad_fn
        if fn._tensor_pre_hooks is None:
            fn._tensor_pre_hooks = {}
        lst = fn._tensor_pre_hooks.setdefault(self._output_nr, [])
        lst.append(hook)
        return _RemovableHandle(lst, hook)

    def register_hook(self, hook):
        """``hook(grad) -> Tensor or None`` called with this tensor's gradient."""
        if not self._requires_grad:
            raise RuntimeError(
                "cannot register a hook on a tensor that doesn't require gradient"
            )
        if self.grad_fn is not None:
            return self._add_node_hook(hook)
        if self._hooks is None:
            self._hooks = []
        self._hooks.append(hook)
        return _RemovableHandle(self._hooks, hook)

    def register_post_accumulate_grad_hook(self, hook):
        """``hook(tensor) -> None`` called after this leaf's ``.grad`` has been accumulated.

        As ``torch.Tensor.register_post_accumulate_grad_hook``: the hook sees the tensor (not
        the gradient), runs once per backward pass in which the leaf gets a gradient, and may
        read or change ``tensor.grad`` in place. Returns a handle with ``.remove()``.
        """
        if not self._requires_grad:
            raise RuntimeError(
                "cannot register a hook on a tensor that doesn't require gradient"
            )
        if self.grad_fn is not None:
            raise RuntimeError(
                "post accumulate grad hooks cannot be registered on non-leaf tensors"
            )
        hooks = self.__dict__.get("_post_accumulate_grad_hooks")
        if hooks is None:
            hooks = self._post_accumulate_grad_hooks = []
        hooks.append(hook)
        return _RemovableHandle(hooks, hook)

    # ---- printing ---------------------------------------------------------------------
    def __repr__(self) -> str:
        return tensor_repr(self)

    __str__ = __repr__


_NON_LEAF_GRAD = (
    "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its .grad "
    "attribute won't be populated during autograd.backward(). If you indeed want the .grad field "
    "to be populated for a non-leaf Tensor, use .retain_grad() on the non-leaf Tensor. If you "
    "access the non-leaf Tensor by mistake, make sure you access the leaf Tensor instead."
)

# ATen's C++ names of the scalar types, which its gradient-assignment errors print
_CPP_NAMES = {
    "float32": "float", "float64": "double", "float16": "c10::Half", "int64": "long int",
    "int32": "int", "int16": "short int", "int8": "signed char", "uint8": "unsigned char",
    "bool": "bool", "complex64": "c10::complex<float>", "complex128": "c10::complex<double>",
}


def _check_grad(t, g) -> None:
    """PyTorch's checks when ``t.grad = g`` is assigned: a Tensor, not ``t`` itself, of ``t``'s
    dtype and shape."""
    if not isinstance(g, Tensor):
        raise TypeError(
            f"assigned grad expected to be a Tensor or None but got grad of type "
            f"{type(g).__module__ + '.' if type(g).__module__ != 'builtins' else ''}"
            f"{type(g).__name__}"
        )
    if g is t:
        raise RuntimeError("can't assign Variable as its own grad")
    gd, td = g._data.dtype, t._data.dtype
    if gd != td:
        tname = _TYPE_NAMES.get(td.name, "torch.Tensor")[6:-6] or td.name
        raise RuntimeError(
            f"attempting to assign a gradient with dtype '{_CPP_NAMES.get(gd.name, gd.name)}' "
            f"to a tensor with grad_dtype '{tname}'. The gradient must match the tensor's "
            "grad_dtype (defaults to the tensor's dtype)."
        )
    if g._data.shape != t._data.shape:
        raise RuntimeError(
            f"attempting to assign a gradient of size '{list(g._data.shape)}' to a tensor of "
            f"size '{list(t._data.shape)}'. Please ensure that the gradient and the tensor are "
            "the same size"
        )


def _rebuild(arr, requires_grad):
    t = Tensor._wrap(np.array(arr))
    t._requires_grad = requires_grad
    return t


_DEVICE_TYPES = ("cpu", "cuda", "ipu", "xpu", "mkldnn", "opengl", "opencl", "ideep", "hip", "ve",
                 "fpga", "maia", "xla", "lazy", "vulkan", "mps", "meta", "hpu", "mtia",
                 "privateuseone")


class device:
    """``torch.device``: a device name, as torch parses it (``"cuda:1"``, ``("cuda", 1)``).

    Naming any device is fine, as in a CPU-only PyTorch; only the CPU holds tensors, and
    placing a tensor or module elsewhere raises torch's error (see ``_check_device``).

    Example:
        >>> device("cuda:1")
        device(type='cuda', index=1)
    """

    __slots__ = ("type", "index")

    def __init__(self, type, index=None):
        if isinstance(type, device):
            type, index = type.type, type.index if index is None else index
        elif isinstance(type, builtins.int) and not isinstance(type, builtins.bool):
            raise RuntimeError("Cannot access accelerator device when none is available.")
        elif not isinstance(type, str):
            raise TypeError(f"device() received an invalid combination of arguments - got "
                            f"({builtins.type(type).__name__})")
        else:
            name, sep, idx = type.partition(":")
            if sep:
                if index is not None or not idx.isdigit() or (len(idx) > 1 and idx[0] == "0"):
                    raise RuntimeError(f"Invalid device string: '{type}'")
                index = builtins.int(idx)
            if name not in _DEVICE_TYPES:
                raise RuntimeError(f"Expected one of {', '.join(_DEVICE_TYPES)} device type at "
                                   f"start of device string: {name}")
            type = name
        if index is not None and index < 0:
            raise RuntimeError(f"Device index must not be negative, got {index}")
        object.__setattr__(self, "type", type)
        object.__setattr__(self, "index", index)

    def __setattr__(self, name, value):
        raise AttributeError(f"attribute '{name}' of 'torch.device' objects is not writable")

    def __repr__(self):
        if self.index is None:
            return f"device(type='{self.type}')"
        return f"device(type='{self.type}', index={self.index})"

    def __str__(self):
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __eq__(self, other):
        # as torch: a device equals only a device (``t.device == "cpu"`` is False)
        if not isinstance(other, device):
            return NotImplemented
        return self.type == other.type and self.index == other.index

    def __hash__(self):
        return hash((self.type, self.index))

    def __reduce__(self):
        return (device, (self.type, self.index))

    # ``with torch.device("cpu"):`` makes the device the factories' default inside the block:
    # the CPU already is, and placing anything elsewhere raises torch's CPU-only error (here at
    # the ``with``, where torch raises at the first tensor made inside)
    def __enter__(self):
        _check_device(self)
        return self

    def __exit__(self, *exc) -> None:
        return None


_CPU = device("cpu")


def _check_device(spec) -> None:
    """Raise what a CPU-only PyTorch raises when ``spec`` asks to hold data off the CPU.

    ``None`` and any CPU spelling pass. CUDA fails like ``torch.cuda._lazy_init`` (an
    ``AssertionError``), MPS like its backend check; other devices name what is missing.
    """
    if spec is None or spec is _CPU:
        return
    if isinstance(spec, str) and spec == "cpu":
        return
    d = spec if isinstance(spec, device) else device(spec)
    if d.type == "cpu":
        return
    if d.type == "cuda":
        raise AssertionError("Torch not compiled with CUDA enabled")
    if d.type == "mps":
        raise RuntimeError("PyTorch is not linked with support for mps devices")
    raise RuntimeError(f"nnlite holds tensors on the CPU only; device '{d}' is not available "
                       "(use device='cpu')")


def _init(t: Tensor, arr: np.ndarray) -> None:
    t._data = arr
    t._requires_grad = False
    t._grad = None
    t.grad_fn = None
    t._vc = [0]
    t._output_nr = 0
    t._accum = None
    t._hooks = None
    t._retains_grad = False
    t._base = None


def _wrap_dim(dim, ndim):
    n = builtins.max(ndim, 1)
    if not -n <= dim < n:
        raise IndexError(
            f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {dim})"
        )
    return dim + n if dim < 0 else dim


def tensor(data, dtype=None, device=None, requires_grad=False, pin_memory=False) -> Tensor:
    """A new tensor holding a copy of ``data``; Python floats give float32, ints int64."""
    _check_device(device)
    arr = _as_array(data, dtype)
    if isinstance(data, (np.ndarray, Tensor)) or arr is data:
        arr = np.array(arr, copy=True)
    t = Tensor._wrap(arr)
    if requires_grad:
        t.requires_grad = True
    return t


def as_tensor(data, dtype=None, device=None) -> Tensor:
    _check_device(device)
    if isinstance(data, Tensor) and (dtype is None or data.dtype is D.to_dtype(dtype)):
        return data
    if isinstance(data, np.ndarray) and (dtype is None or data.dtype == D.to_dtype(dtype).np):
        return from_numpy(data)
    return tensor(data, dtype=dtype)


def from_numpy(arr: np.ndarray) -> Tensor:
    """A tensor sharing memory with ``arr`` (no copy)."""
    if not isinstance(arr, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(arr).__name__})")
    D.from_numpy_dtype(arr.dtype)
    return Tensor._wrap(arr)


def is_tensor(obj) -> bool:
    return isinstance(obj, Tensor)


# The public class paths (``type(x)`` prints ``<class 'nnlite.Tensor'>``, as torch's prints
# ``torch.Tensor``); both names are exported by the package.
Tensor.__module__ = "nnlite"
Size.__module__ = "nnlite"
