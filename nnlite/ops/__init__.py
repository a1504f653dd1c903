"""The differentiable ops, and the Tensor methods and operators that call them."""

from __future__ import annotations

import builtins

import numpy as np

from nnlite import _dtype as D
from nnlite import _random as _rand
from nnlite._random import _gen
from nnlite._tensor import Tensor
from nnlite.ops import creation, elementwise, extra, inplace, linalg, reduce, shape
from nnlite.ops._util import sum_to as _sum_to
from nnlite.ops.creation import *  # noqa: F401,F403
from nnlite.ops.elementwise import *  # noqa: F401,F403
from nnlite.ops.extra import *  # noqa: F401,F403
from nnlite.ops.linalg import *  # noqa: F401,F403
from nnlite.ops.reduce import *  # noqa: F401,F403
from nnlite.ops.shape import *  # noqa: F401,F403

from nnlite.ops import svd as _svd_mod  # noqa: E402

E, R, S, L, I, X = elementwise, reduce, shape, linalg, inplace, extra


def _rev(fn):
    return lambda self, other: fn(other, self)


def _commuted(fn):
    return lambda self, other: fn(self, other)


def _t_where(self, condition, other):
    return E.where(condition, self, other)


def _new(fn):
    def method(self, *size, dtype=None, requires_grad=False, **kw):
        t = fn(*size, dtype=dtype or self.dtype, requires_grad=requires_grad)
        return t

    return method


def _new_full(self, size, fill_value, dtype=None, requires_grad=False, **kw):
    return creation.full(size, fill_value, dtype=dtype or self.dtype, requires_grad=requires_grad)


def _new_tensor(self, data, dtype=None, requires_grad=False, **kw):
    from nnlite._tensor import tensor

    return tensor(data, dtype=dtype or self.dtype, requires_grad=requires_grad)


def _fill_random_(self, sample, name):
    """Write ``sample(shape)`` into ``self`` in memory order, as ATen's TensorIterator visits a
    non-contiguous tensor (e.g. a transposed weight): the draws follow the storage."""
    arr = self._data
    perm = tuple(np.argsort([-builtins.abs(st) for st in arr.strides], kind="stable"))
    if arr.flags.c_contiguous or perm == tuple(range(arr.ndim)):
        return I.random_fill_(self, sample(arr.shape, True), name)
    values = sample(arr.transpose(perm).shape, False)
    return I.random_fill_(self, values.transpose(np.argsort(perm)), name)


def _uniform_(self, a=0.0, b=1.0, *, generator=None):
    g = _gen(generator)
    return _fill_random_(self, lambda sh, _: _rand.uniform(g, sh, self._data.dtype, a, b), "uniform_")


def _normal_(self, mean=0.0, std=1.0, *, generator=None):
    g, dt = _gen(generator), self._data.dtype
    return _fill_random_(
        self, lambda sh, contig: _rand.normal(g, sh, dt, mean, std, contiguous=contig), "normal_"
    )


def _bernoulli_(self, p=0.5, *, generator=None):
    g = _gen(generator)
    if isinstance(p, Tensor):
        probs = np.broadcast_to(p._data, self._data.shape)
        return I.random_fill_(self, _rand.bernoulli_tensor(g, probs), "bernoulli_")
    return _fill_random_(self, lambda sh, _: _rand.bernoulli_scalar(g, sh, p), "bernoulli_")


def _random_(self, *args, generator=None, **kwargs):
    """``random_()``, ``random_(to)``, ``random_(from, to)`` (also as keywords)."""
    g, dt = _gen(generator), self._data.dtype
    bounded = bool(args) or bool(kwargs)
    low, high = kwargs.pop("from", 0), kwargs.pop("to", None)
    if kwargs:
        raise TypeError(f"random_() got an unexpected keyword argument '{next(iter(kwargs))}'")
    if len(args) == 1:
        high = args[0]
    elif len(args) == 2:
        low, high = args
    if not bounded:
        return _fill_random_(self, lambda sh, _: _rand.random_full(g, sh, dt), "random_")
    if high is None:
        high = (1 << np.finfo(dt).nmant + 1) + 1 if dt.kind == "f" else int(np.iinfo(dt).max) + 1
    if low >= high:
        raise RuntimeError(
            f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}"
        )
    return _fill_random_(self, lambda sh, _: _rand.random_from_to(g, sh, dt, low, high), "random_")


def _exponential_(self, lambd=1.0, *, generator=None):
    g, dt = _gen(generator), self._data.dtype
    return _fill_random_(self, lambda sh, _: _rand.exponential(g, sh, dt, lambd), "exponential_")


def _inplace_of(fn, name):
    def method(self, *args, **kwargs):
        return I.apply_inplace(self, fn, *args, name=name, **kwargs)

    method.__name__ = name
    return method


def _iop(fn):
    def method(self, other):
        return fn(self, other)

    return method


def _view_as(self, other):
    return S.view(self, other._data.shape)


def _reshape_as(self, other):
    return S.reshape(self, other._data.shape)


def _T(self):  # noqa: N802
    nd = self._data.ndim
    return S.permute(self, tuple(range(nd - 1, -1, -1))) if nd > 1 else self


def _mT(self):  # noqa: N802
    return S.transpose(self, -2, -1)


def _size_split(self, split_size, dim=0):
    return S.split(self, split_size, dim)


def _max_method(self, dim=None, keepdim=False, **kw):
    return R.max(self, dim, keepdim, **kw)


def _min_method(self, dim=None, keepdim=False, **kw):
    return R.min(self, dim, keepdim, **kw)


def _expand(self, *sizes):
    return S.expand(self, *sizes)


def _apply_(self, fn):
    flat = self._data.reshape(-1)
    for i in range(flat.size):
        flat[i] = fn(flat[i].item())
    self._vc[0] += 1
    return self


def _storage_offset(self) -> int:
    """Offset in elements of this tensor's first element from the start of its base's memory."""
    base = self._base
    if base is None:
        return 0
    start = self._data.__array_interface__["data"][0]
    origin = base._data.__array_interface__["data"][0]
    return (start - origin) // self._data.itemsize


def _both_bool(a, b):
    # bool & bool stays bool; bool | 3 is an integer op giving int64, as in PyTorch
    if a._data.dtype != np.bool_:
        return False
    if isinstance(b, Tensor):
        return b._data.dtype == np.bool_
    return isinstance(b, (builtins.bool, np.bool_))


_METHODS = {
    # arithmetic and operators
    # reflected + and * keep the tensor first (``2 * b`` is ``mul(b, 2)``, as torch's graph)
    "__add__": E.add, "__radd__": _commuted(E.add), "add": E.add,
    "__sub__": E.sub, "__rsub__": E.rsub, "sub": E.sub, "subtract": E.sub,
    "__mul__": E.mul, "__rmul__": _commuted(E.mul), "mul": E.mul, "multiply": E.mul,
    "__truediv__": E.div, "__rtruediv__": E.rdiv, "div": E.div, "divide": E.div,
    "true_divide": E.div,
    "__floordiv__": E.floor_divide, "__rfloordiv__": _rev(E.floor_divide),
    "floor_divide": E.floor_divide,
    "__mod__": E.remainder, "__rmod__": _rev(E.remainder), "remainder": E.remainder,
    "fmod": E.fmod,
    "__pow__": E.pow, "__rpow__": lambda self, b: E.rpow(self, b), "pow": E.pow,
    "__matmul__": L.matmul, "__rmatmul__": _rev(L.matmul), "matmul": L.matmul,
    "mm": L.mm, "bmm": L.bmm, "dot": L.dot, "mv": L.mv, "outer": L.outer, "inner": L.inner,
    "__neg__": E.neg, "neg": E.neg, "negative": E.neg, "__pos__": lambda self: self,
    "__abs__": E.abs, "abs": E.abs, "absolute": E.abs,
    "__eq__": E.eq, "__ne__": E.ne, "__lt__": E.lt, "__le__": E.le, "__gt__": E.gt,
    "__ge__": E.ge, "eq": E.eq, "ne": E.ne, "lt": E.lt, "le": E.le, "gt": E.gt, "ge": E.ge,
    "greater": E.gt, "greater_equal": E.ge, "less": E.lt, "less_equal": E.le,
    "not_equal": E.ne, "equal": E.equal, "allclose": E.allclose, "isclose": E.isclose,
    "__and__": lambda a, b: E.logical_and(a, b) if _both_bool(a, b) else E.bitwise_and(a, b),
    "__or__": lambda a, b: E.logical_or(a, b) if _both_bool(a, b) else E.bitwise_or(a, b),
    "__xor__": lambda a, b: E.logical_xor(a, b) if _both_bool(a, b) else E.bitwise_xor(a, b),
    "__rand__": lambda a, b: E.logical_and(a, b) if _both_bool(a, b) else E.bitwise_and(a, b),
    "__ror__": lambda a, b: E.logical_or(a, b) if _both_bool(a, b) else E.bitwise_or(a, b),
    "__invert__": lambda a: E.logical_not(a) if a._data.dtype == np.bool_ else E.bitwise_not(a),
    "logical_and": E.logical_and, "logical_or": E.logical_or, "logical_xor": E.logical_xor,
    "logical_not": E.logical_not, "bitwise_not": E.bitwise_not, "bitwise_and": E.bitwise_and,
    "bitwise_or": E.bitwise_or, "bitwise_xor": E.bitwise_xor,
    "isnan": E.isnan, "isinf": E.isinf, "isfinite": E.isfinite,
    # unary math
    "exp": E.exp, "exp2": E.exp2, "expm1": E.expm1, "log": E.log, "log2": E.log2,
    "log10": E.log10, "log1p": E.log1p, "sqrt": E.sqrt, "rsqrt": E.rsqrt, "sin": E.sin,
    "cos": E.cos, "tan": E.tan, "tanh": E.tanh, "sigmoid": E.sigmoid, "relu": E.relu,
    "asin": E.asin, "acos": E.acos, "atan": E.atan, "sinh": E.sinh, "cosh": E.cosh,
    "arcsin": E.asin, "arccos": E.acos, "arctan": E.atan,
    "reciprocal": E.reciprocal, "square": E.square, "erf": E.erf, "sign": E.sign,
    "sgn": E.sign, "floor": E.floor, "ceil": E.ceil, "trunc": E.trunc, "frac": E.frac,
    "round": E.round, "clamp": E.clamp, "clip": E.clamp, "clamp_min": E.clamp_min,
    "clamp_max": E.clamp_max, "maximum": E.maximum, "minimum": E.minimum, "fmax": E.fmax,
    "fmin": E.fmin, "where": _t_where, "lerp": E.lerp, "addcmul": E.addcmul,
    "addcdiv": E.addcdiv,
    # reductions
    "sum": R.sum, "mean": R.mean, "var": R.var, "std": R.std, "prod": R.prod, "amax": R.amax,
    "amin": R.amin, "max": _max_method, "min": _min_method, "argmax": R.argmax,
    "argmin": R.argmin, "logsumexp": R.logsumexp, "softmax": R.softmax,
    "log_softmax": R.log_softmax, "cumsum": R.cumsum, "cumprod": R.cumprod, "norm": R.norm,
    "all": R.all, "any": R.any, "sort": R.sort, "argsort": R.argsort, "topk": R.topk,
    "kthvalue": R.kthvalue, "median": R.median, "unique": R.unique, "bincount": R.bincount,
    "count_nonzero": R.count_nonzero,
    # shape
    "reshape": S.reshape, "view": S.view, "view_as": _view_as, "reshape_as": _reshape_as,
    "flatten": S.flatten, "unflatten": S.unflatten, "permute": S.permute,
    "transpose": S.transpose, "swapaxes": S.transpose, "swapdims": S.transpose, "t": S.t,
    "movedim": S.movedim, "moveaxis": S.movedim,
    "unsqueeze": S.unsqueeze, "squeeze": S.squeeze, "expand": _expand,
    "expand_as": S.expand_as, "broadcast_to": S.broadcast_to, "split": _size_split,
    "chunk": S.chunk, "tensor_split": S.tensor_split, "unbind": S.unbind, "narrow": S.narrow,
    "select": S.select, "__getitem__": S.index, "index_select": S.index_select,
    "gather": S.gather, "scatter": S.scatter, "scatter_add": S.scatter_add,
    "masked_fill": S.masked_fill, "masked_select": S.masked_select, "flip": S.flip,
    "fliplr": S.fliplr, "flipud": S.flipud, "roll": S.roll, "repeat": S.repeat,
    "repeat_interleave": S.repeat_interleave, "diagonal": S.diagonal, "diag": S.diag,
    "trace": S.trace, "tril": S.tril, "triu": S.triu, "nonzero": S.nonzero,
    "argwhere": S.argwhere, "take_along_dim": S.take_along_dim,
    # constructors from a tensor
    "new_zeros": _new(creation.zeros), "new_ones": _new(creation.ones),
    "new_empty": _new(creation.empty), "new_full": _new_full, "new_tensor": _new_tensor,
    # in place
    "add_": I.add_, "sub_": I.sub_, "mul_": I.mul_, "div_": I.div_, "zero_": I.zero_,
    "fill_": I.fill_, "copy_": I.copy_, "__setitem__": I.setitem,
    "__iadd__": _iop(I.add_), "__isub__": _iop(I.sub_), "__imul__": _iop(I.mul_),
    "__itruediv__": _iop(I.div_),
    "uniform_": _uniform_, "normal_": _normal_, "bernoulli_": _bernoulli_,
    "random_": _random_, "exponential_": _exponential_, "apply_": _apply_,
    # more math, scans, shape helpers and index updates (ops/extra.py)
    "atan2": X.atan2, "arctan2": X.atan2, "hypot": X.hypot, "logaddexp": X.logaddexp,
    "logaddexp2": X.logaddexp2, "xlogy": X.xlogy, "copysign": X.copysign,
    "float_power": X.float_power, "heaviside": X.heaviside, "positive": X.positive,
    "fix": X.fix, "asinh": X.asinh, "acosh": X.acosh, "atanh": X.atanh, "arcsinh": X.asinh,
    "arccosh": X.acosh, "arctanh": X.atanh, "erfc": X.erfc, "erfinv": X.erfinv,
    "lgamma": X.lgamma, "digamma": X.digamma, "polygamma": lambda self, n: X.polygamma(n, self),
    "mvlgamma": X.mvlgamma, "sinc": X.sinc, "deg2rad": X.deg2rad, "rad2deg": X.rad2deg,
    "logit": X.logit, "nan_to_num": X.nan_to_num, "signbit": X.signbit,
    "isposinf": X.isposinf, "isneginf": X.isneginf, "isreal": X.isreal,
    "is_complex": X.is_complex, "is_nonzero": X.is_nonzero,
    "nansum": X.nansum, "nanmean": X.nanmean, "aminmax": X.aminmax, "cummax": X.cummax,
    "cummin": X.cummin, "logcumsumexp": X.logcumsumexp, "diff": X.diff, "histc": X.histc,
    "msort": X.msort, "dist": X.dist, "cov": X.cov, "corrcoef": X.corrcoef,
    "tile": X.tile, "rot90": X.rot90, "diag_embed": X.diag_embed, "diagflat": X.diagflat,
    "hsplit": X.hsplit, "vsplit": X.vsplit, "dsplit": X.dsplit, "ravel": X.ravel,
    "split_with_sizes": X.split_with_sizes, "unfold": X.unfold, "take": X.take,
    "index_add": X.index_add, "index_copy": X.index_copy, "index_fill": X.index_fill,
    "masked_scatter": X.masked_scatter, "index_put": X.index_put,
    "addmv": X.addmv, "addr": X.addr, "baddbmm": X.baddbmm, "addbmm": X.addbmm,
    "addmm": L.addmm, "vdot": X.vdot, "cross": X.cross, "kron": X.kron,
    "matrix_power": X.matrix_power, "det": X.det, "inverse": X.inverse, "logdet": X.logdet,
    "byte": lambda self: E.cast(self, D.uint8), "char": lambda self: E.cast(self, D.int8),
    "short": lambda self: E.cast(self, D.int16),
    "is_signed": lambda self: self._data.dtype.kind in "if",
    "get_device": lambda self: -1, "pin_memory": lambda self, *a, **k: self,
    "share_memory_": lambda self: self, "is_shared": lambda self: False,
    "storage_offset": _storage_offset,
    "svd": lambda self, some=True, compute_uv=True: _svd_mod.svd(self, some, compute_uv),
    "sum_to_size": lambda self, *size: _sum_to(self, S._shape_arg(size)),
}

_INPLACE_FROM = {
    "clamp_": E.clamp, "clip_": E.clamp, "clamp_min_": E.clamp_min, "clamp_max_": E.clamp_max,
    "pow_": E.pow, "neg_": E.neg, "abs_": E.abs, "exp_": E.exp, "log_": E.log,
    "sqrt_": E.sqrt, "rsqrt_": E.rsqrt, "sigmoid_": E.sigmoid, "tanh_": E.tanh,
    "relu_": E.relu, "floor_": E.floor, "ceil_": E.ceil, "round_": E.round,
    "trunc_": E.trunc, "sign_": E.sign, "reciprocal_": E.reciprocal, "square_": E.square,
    "sin_": E.sin, "cos_": E.cos, "log1p_": E.log1p, "expm1_": E.expm1,
    "masked_fill_": S.masked_fill, "scatter_": S.scatter, "scatter_add_": S.scatter_add,
    "lerp_": E.lerp, "addcmul_": E.addcmul, "addcdiv_": E.addcdiv, "remainder_": E.remainder,
    "fmod_": E.fmod, "floor_divide_": E.floor_divide, "maximum_": E.maximum,
    "minimum_": E.minimum, "__imod__": E.remainder, "__ipow__": E.pow,
    "__ifloordiv__": E.floor_divide, "tril_": S.tril, "triu_": S.triu,
    "atan2_": X.atan2, "arctan2_": X.atan2, "hypot_": X.hypot, "xlogy_": X.xlogy,
    "copysign_": X.copysign, "float_power_": X.float_power, "heaviside_": X.heaviside,
    "fix_": X.fix, "asinh_": X.asinh, "acosh_": X.acosh, "atanh_": X.atanh, "erfc_": X.erfc,
    "erfinv_": X.erfinv, "lgamma_": X.lgamma, "digamma_": X.digamma, "sinc_": X.sinc,
    "deg2rad_": X.deg2rad, "rad2deg_": X.rad2deg, "logit_": X.logit,
    "nan_to_num_": X.nan_to_num, "index_add_": X.index_add, "index_copy_": X.index_copy,
    "index_fill_": X.index_fill, "masked_scatter_": X.masked_scatter,
    "index_put_": X.index_put, "fill_diagonal_": X.fill_diagonal, "tan_": E.tan,
    "asin_": E.asin, "acos_": E.acos, "atan_": E.atan, "sinh_": E.sinh, "cosh_": E.cosh,
    "erf_": E.erf, "exp2_": E.exp2, "log2_": E.log2, "log10_": E.log10, "frac_": E.frac,
    "fmax_": E.fmax, "fmin_": E.fmin, "addmv_": X.addmv, "addr_": X.addr,
    "baddbmm_": X.baddbmm, "addbmm_": X.addbmm, "addmm_": L.addmm,
    "cumsum_": R.cumsum, "cumprod_": R.cumprod, "true_divide_": E.div, "sgn_": E.sign,
    "negative_": E.neg,
}

for _name, _fn in _METHODS.items():
    setattr(Tensor, _name, _fn)
for _name, _fn in _INPLACE_FROM.items():
    setattr(Tensor, _name, _inplace_of(_fn, _name))
Tensor.T = property(_T)
Tensor.mT = property(_mT)
Tensor.H = property(_T)


def numel(x) -> int:
    return x._data.size


def _public_ops():
    import types

    internal = {
        "sum_to", "wrap_dim", "wrap_dims", "record", "cast", "index", "index_put", "masked_at",
        "scatter_into_zeros", "rdiv", "rpow", "values_indices", "namedtuple", "as_t",
        "result_float", "fill_diagonal", "psi", "unfold",
    }
    names = []
    for mod in (creation, elementwise, extra, linalg, reduce, shape):
        for n, v in vars(mod).items():
            if n.startswith("_") or n in internal or isinstance(v, (type, types.ModuleType)):
                continue
            if callable(v) and getattr(v, "__module__", "").startswith("nnlite.ops"):
                names.append(n)
    return sorted(set(names) | {"numel"})


__all__ = _public_ops()
