"""In-place ops: they change a tensor's data, return the same object and bump its version.

With grad tracking, the op is computed out of place on an alias that carries the tensor's old
graph position, then the result is written back and the tensor takes the new ``grad_fn``, so
gradients stay correct. A leaf that requires grad cannot be changed in place outside no_grad.
"""

from __future__ import annotations

import numpy as np

from nnlite import _dtype as D
from nnlite._tensor import Tensor
from nnlite.autograd.function import Node, record
from nnlite.autograd.grad_mode import _GradState, no_grad
from nnlite.ops._util import TYPE_NAMES, sum_to
from nnlite.ops.elementwise import _check_broadcast, _sub_bool_check, add, div, mul, sub, zeros_like
from nnlite.ops.reduce import sum as _sum
from nnlite.ops.shape import (
    _index_steps,
    _norm_key,
    _value_mismatch,
    assign_at,
    expand,
    index,
    put_at,
    unsqueeze,
    view,
)

_W = Tensor._wrap


def _leaf_error():
    return RuntimeError(
        "a leaf Variable that requires grad is being used in an in-place operation. Wrap the "
        "update in `with torch.no_grad():` (as optimizers do) or use an out-of-place op."
    )


def _check_view(self):
    """PyTorch's two refusals for an in-place op (grad mode on) on a view of a tensor that
    requires grad: the base is a leaf, or the view was made under no_grad (its change could not
    be recorded in the base's history)."""
    base = self._base
    if base is None or not base._requires_grad:
        return
    if self._requires_grad:
        if base.grad_fn is None:
            raise RuntimeError(
                "a view of a leaf Variable that requires grad is being used in an in-place "
                "operation. Wrap the update in `with torch.no_grad():` or change a clone."
            )
    else:
        raise RuntimeError(
            "A view was created in no_grad mode and is being modified inplace with grad mode "
            "enabled. Given that this use case is ambiguous and error-prone, it is forbidden. "
            "You can clarify your code by moving both the view and the inplace either both "
            "inside the no_grad block (if you don't want the inplace to be tracked) or both "
            "outside (if you want the inplace to be tracked)."
        )


def _needs_graph(self, args):
    if not _GradState.enabled:
        return False
    if self._requires_grad:
        return True
    if self._base is not None:
        _check_view(self)
    for a in args:
        if isinstance(a, Tensor) and a._requires_grad:
            return True
    return False


def _check_cast(out_dt, self_dt, name):
    if D.from_numpy_dtype(out_dt)._cat > D.from_numpy_dtype(self_dt)._cat:
        raise RuntimeError(
            f"result type {TYPE_NAMES[out_dt.name]} can't be cast to the desired output type "
            f"{TYPE_NAMES[self_dt.name]}"
        )


def apply_inplace(self, op, *args, name="inplace", **kwargs):
    """Run out-of-place ``op(self, *args)`` and write the result into ``self``."""
    if _needs_graph(self, args):
        if self.grad_fn is None and self._requires_grad:
            raise _leaf_error()
        if self._base is not None:
            _check_view(self)
            vidx = _positions_in_base(self._base._data, self._data)
            if vidx is not None:
                _inplace_on_view(self, vidx, op, args, kwargs, name)
                self._vc[0] += 1
                return self
        alias = _W(self._data.copy())
        alias.grad_fn = self.grad_fn
        alias._requires_grad = self._requires_grad
        alias._output_nr = self._output_nr
        alias._accum = self._accum
        out = op(alias, *args, **kwargs)
        _write(self, out._data, name)
        self.grad_fn = out.grad_fn
        self._requires_grad = out._requires_grad
        self._output_nr = out._output_nr
    else:
        with no_grad():
            out = op(self, *args, **kwargs)
        _write(self, out._data, name)
    self._vc[0] += 1
    return self


# ---- in-place ops on views: the base's history is rewritten (PyTorch's CopySlices) ---------


def _positions_in_base(base, view):
    """For each element of ``view`` (an array sharing ``base``'s memory), its flat C-order
    position in ``base``; None when the two cannot be matched element by element."""
    isz = base.itemsize
    if view.dtype.itemsize != isz or not view.flags.writeable:
        return None
    if view.size == 0:  # an empty view: nothing of the base is written
        return np.zeros(view.shape, np.intp)

    def extent(a):
        p = a.__array_interface__["data"][0]
        lo = hi = p
        for n, st in zip(a.shape, a.strides):
            if n > 1:
                if st < 0:
                    lo += (n - 1) * st
                else:
                    hi += (n - 1) * st
        return p, lo, hi

    pb, lob, hib = extent(base)
    pv, lov, hiv = extent(view)
    if lov < lob or hiv > hib or (pv - lob) % isz or (pb - lob) % isz:
        return None
    span = (hib - lob) // isz + 1
    pos = np.full(span, -1, np.intp)
    ps = pos.itemsize
    strided = np.lib.stride_tricks.as_strided
    in_base = strided(pos[(pb - lob) // isz:], base.shape, [st // isz * ps for st in base.strides])
    in_base[...] = np.arange(base.size).reshape(base.shape)
    vidx = np.array(strided(pos[(pv - lob) // isz:], view.shape,
                            [st // isz * ps for st in view.strides]))
    return None if (vidx < 0).any() else vidx


class CopySlices(Node):
    """The base's node after an in-place op on one of its views: ``g`` outside the view goes to
    the base's old history, inside it through the op's own backward (``fn``)."""

    def name(self) -> str:
        return "torch::autograd::CopySlices"  # a C++ node: torch's name() is qualified

    def backward(self, g):
        vidx = self.vidx
        flat = g.reshape(-1)
        res = self.fn.backward(index(flat, (vidx,)))
        if res.__class__ is not tuple:
            res = (res,)
        gbase = None
        if self.needs_input_grad[0]:
            g_old = res[0]
            if g_old is None:
                g_old = _W(np.zeros(vidx.shape, g._data.dtype))
            elif g_old._data.shape != vidx.shape:
                g_old = g_old.expand(vidx.shape)
            gbase = put_at(flat, (vidx,), g_old).reshape(self.shape)
        return (gbase,) + tuple(res[1:])


class AsStridedBackward0(Node):
    """The view's node after an in-place op on it: it reads its elements out of the base."""

    def backward(self, g):
        zeros = _W(np.zeros(int(np.prod(self.shape)), g._data.dtype))
        return (put_at(zeros, (self.vidx,), g).reshape(self.shape),)


def _as_strided_node(vidx, shape, dt, edge):
    node = AsStridedBackward0()
    node.next_functions = (edge,)
    node.needs_input_grad = (True,)
    node.shape, node._dt = shape, dt
    node.save(vidx=vidx)
    return node


def _inplace_on_view(self, vidx, op, args, kwargs, name):
    base = self._base
    old_edge = (base.grad_fn, base._output_nr) if base.grad_fn is not None else (None, 0)
    # the view's old value, read out of the base's old history: the op's node saves it, so a
    # double backward flows through it into the base
    alias = _W(self._data.copy())
    if old_edge[0] is not None:
        alias._requires_grad = True
        alias.grad_fn = _as_strided_node(vidx, base._data.shape, self._data.dtype, old_edge)
    out = op(alias, *args, **kwargs)
    _write(self, out._data, name)
    fn = out.grad_fn
    node = CopySlices()
    rest = fn.next_functions[1:] if fn is not None else ()
    node.next_functions = (old_edge,) + tuple(rest)
    node.needs_input_grad = (old_edge[0] is not None,) + tuple(e[0] is not None for e in rest)
    # the op's own node is not on the engine's walk: saved here, it goes (and what it saved
    # with it) when this node is freed
    node.save(fn=fn if fn is not None else _Identity(), vidx=vidx)
    node.shape = base._data.shape
    node._dt = base._data.dtype
    base.grad_fn = node
    base._output_nr = 0
    base._requires_grad = True
    self.grad_fn = _as_strided_node(vidx, base._data.shape, self._data.dtype, (node, 0))
    self._output_nr = 0
    self._requires_grad = True


class _Identity(Node):
    def backward(self, g):
        return (None,)


def _write(self, arr, name):
    sd = self._data
    if arr.dtype != sd.dtype:
        _check_cast(arr.dtype, sd.dtype, name)
    if arr.shape != sd.shape:
        try:
            np.broadcast_to(arr, sd.shape)
        except ValueError:
            raise RuntimeError(
                f"output with shape {list(sd.shape)} doesn't match the broadcast shape "
                f"{list(arr.shape)}"
            ) from None
    if not sd.flags.writeable:  # read-only view, or a numpy scalar from a 0-d result
        if any(st == 0 and n > 1 for st, n in zip(sd.strides, sd.shape)):
            raise RuntimeError(  # an expand()ed tensor: torch refuses, a copy would be silent
                "unsupported operation: more than one element of the written-to tensor refers "
                "to a single memory location. Please clone() the tensor before performing the "
                "operation.")
        self._data = sd = np.array(sd)
    np.copyto(sd, arr, casting="unsafe")


# ---- fast paths: the no-grad updates that loops and optimizers do --------------------------


def _fast(self, args):
    return not _needs_graph(self, args) and self._data.flags.writeable


def _check_scalar_cast(o, self_dt, name):
    """A Python scalar may not raise the category of ``self`` (bool < int < float)."""
    if isinstance(o, float) and self_dt.kind != "f":
        _check_cast(D._default_float.np, self_dt, name)
    elif isinstance(o, int) and not isinstance(o, bool) and self_dt.kind == "b":
        _check_cast(np.dtype(np.int64), self_dt, name)


def _shape_error(sd, o):
    """torch's RuntimeError for an in-place op whose operand does not fit ``self``'s shape."""
    _check_broadcast(sd.shape, np.shape(o))
    return RuntimeError(
        f"output with shape {list(sd.shape)} doesn't match the broadcast shape "
        f"{list(np.broadcast_shapes(sd.shape, np.shape(o)))}"
    )


def add_(self, other, alpha=1):
    if _fast(self, (other,)):
        o = other._data if isinstance(other, Tensor) else other
        if isinstance(o, np.ndarray) and o.dtype != self._data.dtype:
            _check_cast(D.result_type_np(self._data, o), self._data.dtype, "add_")
        else:
            _check_scalar_cast(o, self._data.dtype, "add_")
        if alpha != 1:
            o = o * alpha
        try:
            np.add(self._data, o, out=self._data, casting="unsafe")
        except ValueError:
            raise _shape_error(self._data, o) from None
        self._vc[0] += 1
        return self
    return apply_inplace(self, add, other, alpha=alpha, name="add_")


def sub_(self, other, alpha=1):
    _sub_bool_check(self, other)
    if not isinstance(other, Tensor):
        return add_(self, other, alpha=-alpha)
    return _sub_t(self, other, alpha)


def _sub_t(self, other, alpha):
    if _fast(self, (other,)):
        o = other._data
        if o.dtype != self._data.dtype:
            _check_cast(D.result_type_np(self._data, o), self._data.dtype, "sub_")
        try:
            np.subtract(self._data, o if alpha == 1 else o * alpha, out=self._data,
                        casting="unsafe")
        except ValueError:
            raise _shape_error(self._data, o) from None
        self._vc[0] += 1
        return self
    return apply_inplace(self, sub, other, alpha=alpha, name="sub_")


def mul_(self, other):
    if _fast(self, (other,)):
        o = other._data if isinstance(other, Tensor) else other
        if isinstance(o, np.ndarray) and o.dtype != self._data.dtype:
            _check_cast(D.result_type_np(self._data, o), self._data.dtype, "mul_")
        else:
            _check_scalar_cast(o, self._data.dtype, "mul_")
        try:
            np.multiply(self._data, o, out=self._data, casting="unsafe")
        except ValueError:
            raise _shape_error(self._data, o) from None
        self._vc[0] += 1
        return self
    return apply_inplace(self, mul, other, name="mul_")


def div_(self, other, rounding_mode=None):
    return apply_inplace(self, div, other, rounding_mode=rounding_mode, name="div_")


class FillBackward2(Node):
    """``fill_(scalar)`` (torch's in-place overload numbering: 2 = Scalar, 3 = Tensor)."""

    def backward(self, g):
        return (zeros_like(g),) + ((None,) if len(self.next_functions) > 1 else ())


class FillBackward3(Node):
    def backward(self, g):
        return zeros_like(g), _sum(g).reshape(self.v_shape)


def _filled(a, value):
    if isinstance(value, Tensor):
        if value._data.ndim != 0:
            raise RuntimeError(
                "fill_ only supports 0-dimension value tensor but got tensor with "
                f"{value._data.ndim} dimensions."
            )
        out = _W(np.full(a._data.shape, value._data, a._data.dtype))
        node = record(out, FillBackward3, (a, value))
        if node is not None:
            node.v_shape = value._data.shape
        return out
    out = _W(np.full(a._data.shape, value, a._data.dtype))
    record(out, FillBackward2, (a,))
    return out


def fill_(self, value):
    if _fast(self, (value,)):
        self._data[...] = value._data if isinstance(value, Tensor) else value
        self._vc[0] += 1
        return self
    return apply_inplace(self, _filled, value, name="fill_")


def zero_(self):
    return fill_(self, 0)


class CopyBackwards(Node):
    def backward(self, g):
        ga = zeros_like(g) if self.needs_input_grad[0] else None
        gs = None
        if self.needs_input_grad[1]:
            gs = sum_to(g, self.src_shape)
            if gs._data.dtype != self.src_dtype:
                gs = gs.to(D.from_numpy_dtype(self.src_dtype))
        return ga, gs


def _copied(a, src):
    arr = np.empty(a._data.shape, a._data.dtype)
    np.copyto(arr, np.broadcast_to(src._data, a._data.shape), casting="unsafe")
    out = _W(arr)
    node = record(out, CopyBackwards, (a, src))
    if node is not None:
        node.src_shape, node.src_dtype = src._data.shape, src._data.dtype
    return out


def copy_(self, src, non_blocking=False):
    if not isinstance(src, Tensor):
        src = _W(np.asarray(src))
    try:
        np.broadcast_to(src._data, self._data.shape)
    except ValueError:
        raise RuntimeError(
            f"The size of tensor a ({self._data.shape[-1] if self._data.ndim else 1}) must match "
            f"the size of tensor b ({src._data.shape[-1] if src._data.ndim else 1}) at "
            "non-singleton dimension"
        ) from None
    if _fast(self, (src,)):
        np.copyto(self._data, np.broadcast_to(src._data, self._data.shape), casting="unsafe")
        self._vc[0] += 1
        return self
    return apply_inplace(self, _copied, src, name="copy_")


def setitem(self, key, value):
    """``self[key] = value``."""
    if _fast(self, (value,)):
        k = _norm_key(key, self)
        assign_at(self._data, k, value._data if isinstance(value, Tensor) else value)
        self._vc[0] += 1
        return
    if not isinstance(value, Tensor):
        value = _W(np.asarray(value, dtype=self._data.dtype))
    k = _norm_key(key, self)
    plan = _index_steps(k, self._data.shape) if self._base is None else None
    if plan is None:  # Python bools in the key, or self is itself a view: one index_put
        apply_inplace(self, put_at, key, value, name="index_put_")
        return
    # torch's setitem: the basic items as views of self, then index_put_ with the index
    # arrays, or a copy/fill when there are none; an op on a view is CopySlices on self
    steps, arrays = plan
    target = self
    for d, e in steps:
        target = unsqueeze(target, d) if e is None else index(target, (slice(None),) * d + (e,))
    if arrays:
        sub, d = [], 0
        for pos, a, m in arrays:
            sub += [slice(None)] * (pos - d) + [a]
            d = pos + m
        vs = _strip_leading_ones(value._data.shape)
        if vs != value._data.shape:
            value = view(value, vs)
        apply_inplace(target, put_at, tuple(sub), value, name="index_put_")
        return
    # torch's copy_to: copy_ when the shapes agree, fill_ from a 0-d value, else the value
    # viewed without its leading 1s and expanded to the target
    tshape = target._data.shape
    vshape = value._data.shape
    if vshape == tshape:
        copy_(target, value)
        return
    if value._data.ndim == 0:
        fill_(target, value)
        return
    try:
        np.broadcast_to(value._data, tshape)
    except ValueError:
        raise RuntimeError(_value_mismatch(vshape, tshape, value._data.dtype, False)) from None
    value = view(value, _strip_leading_ones(vshape))
    if value._data.shape != tshape:
        value = expand(value, tshape)
    copy_(target, value)


def _strip_leading_ones(shape: tuple) -> tuple:
    """torch's ``slicePrefix1sSize``: ``shape`` without its leading 1s."""
    i = 0
    while i < len(shape) and shape[i] == 1:
        i += 1
    return shape[i:]


def random_fill_(self, arr, name):
    """Write sampled values (no gradient) into ``self``."""
    if _GradState.enabled and self._requires_grad and self.grad_fn is None:
        raise _leaf_error()
    if _GradState.enabled and self._base is not None:
        _check_view(self)
    np.copyto(self._data, arr, casting="unsafe")
    self._vc[0] += 1
    return self
