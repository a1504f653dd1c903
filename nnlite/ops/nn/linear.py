"""``linear`` (one BLAS product, with a numpy plain-path backward) and ``bilinear``.
"""

from __future__ import annotations

import numpy as np

from nnlite._tensor import Tensor
from nnlite.autograd.function import Node
from nnlite.autograd.grad_mode import _CaptureState, _GradState
from nnlite.kernels import load as _kernels
from nnlite.ops._util import TYPE_NAMES as _NAMES

_W = Tensor._wrap


def _const(arr: np.ndarray) -> Tensor:
    """A constant (no-grad) tensor around an array, for Tensor-op backward formulas."""
    return _W(arr)

# ---- linear --------------------------------------------------------------------------------


def _weight_grad(g2: np.ndarray, x2: np.ndarray) -> np.ndarray:
    """``grad_W = g^T x`` (one BLAS call). A module-level function so tests can prove that a
    frozen weight never reaches it."""
    return g2.T @ x2


_ONES: dict = {}


def _col_sum(g2: np.ndarray) -> np.ndarray:
    """``g2.sum(axis=0)`` for the bias gradient. Up to 4096 rows as ``ones @ g2`` (one BLAS gemv,
    ~2 us at 64x128 against ~3.5 us for numpy's generic reduction; both accumulate each column
    in the array's dtype); taller (and non-float) inputs keep numpy's reduction."""
    m = g2.shape[0]
    dt = g2.dtype
    if m > 4096 or (dt != np.float32 and dt != np.float64):
        return g2.sum(axis=0)
    key = (m, dt)
    ones = _ONES.get(key)
    if ones is None:
        if len(_ONES) > 64:
            _ONES.clear()
        ones = _ONES[key] = np.ones(m, dt)
        ones.flags.writeable = False
    return ones @ g2


class LinearBackward0(Node):
    """Backward of ``y2 = x2 W^T + b`` on the 2-D rows ``x2`` (the AddmmBackward0/MmBackward0
    node of torch's graph): ``gx2 = g W``, ``gW = g^T x2``, ``gb = sum_rows g``.

    Its edges are torch's: (bias, x2, W^T) for addmm, (x2, W^T) for mm, where x2 and W^T are
    light reshape/transpose nodes; the gradient for ``W^T`` is returned as a transposed view of
    the contiguous ``gW``, which TBackward0 turns back without a copy.
    """

    def backward(self, g):
        x, w = self._unpacked_saved
        nig = self.needs_input_grad
        has_b = len(nig) == 3
        need_x, need_w = nig[1 if has_b else 0], nig[-1]
        in_f, out_f = self.in_f, self.out_f
        gx = gw = gb = None
        if not _GradState.enabled:
            g2 = g._data.reshape(-1, out_f)
            if need_x:
                gx = _W(g2 @ w._data)
            if need_w:
                gw = _W(_weight_grad(g2, x._data.reshape(-1, in_f)).T)
            if has_b and nig[0]:
                gb = _W(_col_sum(g2))
        else:
            g2 = g.reshape(-1, out_f)
            if need_x:
                gx = g2.mm(w)
            if need_w:
                gw = g2.t().mm(x.reshape(-1, in_f)).t()
            if has_b and nig[0]:
                gb = g2.sum(0)
        return (gb, gx, gw) if has_b else (gx, gw)


class AddmmBackward0(LinearBackward0):
    pass


class MmBackward0(LinearBackward0):
    pass


class _LinearT(Node):
    """TBackward0 for the weight's transpose in a Linear: the gradient transposed back (the
    contiguous array LinearBackward0 made, not a copy)."""

    def backward(self, g):
        if _GradState.enabled:
            return (g.t(),)
        a = g._data.T
        b = a.base
        if b is not None and b.shape == a.shape and b.flags.c_contiguous:
            a = b
        return (_W(a),)


_LinearT.__name__ = _LinearT.__qualname__ = "TBackward0"


class _LinearReshape(Node):
    """A light reshape node of the Linear graph (torch's ViewBackward0 & co)."""

    def backward(self, g):
        return (g.reshape(self.shape),)


def _reshape_cls(name):
    return type(name, (_LinearReshape,), {})


_VIEW, _UNSAFE_VIEW = _reshape_cls("ViewBackward0"), _reshape_cls("UnsafeViewBackward0")
_SQUEEZE4, _UNSQUEEZE = _reshape_cls("SqueezeBackward4"), _reshape_cls("UnsqueezeBackward0")


def _light(cls, edge, shape, dt):
    node = cls()
    node.next_functions = (edge,)
    node.needs_input_grad = (True,)
    node.shape, node._dt = shape, dt
    return node


def _edge(t):
    fn = t.grad_fn
    if fn is not None:
        return (fn, t._output_nr)
    if t._requires_grad:
        acc = t._accum
        if acc is None:
            from nnlite.autograd.function import AccumulateGrad

            acc = t._accum = AccumulateGrad(t)
        return (acc, 0)
    return (None, 0)


def _record_linear(out, input, weight, bias, x_shape, in_f, out_f):
    """The graph torch shows for F.linear: AddmmBackward0(bias, x, TBackward0(W)) or
    MmBackward0(x, TBackward0(W)), with ViewBackward0 nodes around it for inputs that are not
    2-D. Only the addmm/mm node computes; the others are reshapes and a transpose."""
    dt = out._data.dtype
    w_edge = _edge(weight)
    if w_edge[0] is not None:
        w_edge = (_light(_LinearT, w_edge, None, dt), 0)
    x_edge = _edge(input)
    nd = len(x_shape)
    if nd != 2 and x_edge[0] is not None:
        cls = _UNSQUEEZE if nd == 1 and bias is None else _VIEW
        x_edge = (_light(cls, x_edge, x_shape, dt), 0)
    if bias is not None:
        core = AddmmBackward0()
        edges = (_edge(bias), x_edge, w_edge)
    else:
        core = MmBackward0()
        edges = (x_edge, w_edge)
    core.next_functions = edges
    core.needs_input_grad = tuple(e[0] is not None for e in edges)
    core._dt = dt
    # save only what the needed gradients read: x for grad_W, W for grad_x
    core.save_for_backward(input if w_edge[0] is not None else None,
                           weight if x_edge[0] is not None else None)
    core.in_f, core.out_f = in_f, out_f
    top = core
    if nd != 2:
        rows = 1
        for s in x_shape[:-1]:
            rows *= s
        cls = _VIEW if bias is not None else (_SQUEEZE4 if nd == 1 else _UNSAFE_VIEW)
        top = _light(cls, (core, 0), (rows, out_f), dt)
    out._requires_grad = True
    out.grad_fn = top


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """``y = x W^T + b``: one BLAS product plus an in-place (numba) bias add, one graph node.

    The backward computes ``grad_W`` only when the weight requires grad: a frozen layer costs
    just the input gradient.
    """
    xd, wd = input._data, weight._data
    if xd.dtype != wd.dtype:
        raise RuntimeError(
            f"mat1 and mat2 must have the same dtype, but got {_NAMES.get(xd.dtype.name)} and "
            f"{_NAMES.get(wd.dtype.name)}"
        )
    if wd.ndim != 2:
        raise RuntimeError(f"linear(): weight must be 2-D, got {wd.ndim}-D")
    out_f, in_f = wd.shape
    if xd.ndim == 0 or xd.shape[-1] != in_f:
        rows = int(np.prod(xd.shape[:-1])) if xd.ndim > 1 else 1
        k = xd.shape[-1] if xd.ndim else 1
        raise RuntimeError(
            f"mat1 and mat2 shapes cannot be multiplied ({rows}x{k} and {in_f}x{out_f})"
        )
    x2 = xd.reshape(-1, in_f)
    y = x2 @ wd.T
    if bias is not None:
        bd = bias._data
        if bd.shape != (out_f,):
            raise RuntimeError(
                f"The size of tensor a ({out_f}) must match the size of tensor b "
                f"({bd.shape[-1] if bd.ndim else 1}) at non-singleton dimension 1"
            )
        if y.size:
            _kernels("elementwise").bias_add_(y, bd)
    out = _W(y.reshape(xd.shape[:-1] + (out_f,)))
    if _GradState.enabled and (input._requires_grad or weight._requires_grad
                               or (bias is not None and bias._requires_grad)):
        _record_linear(out, input, weight, bias, xd.shape, in_f, out_f)
    if _CaptureState.recorder is not None:  # recording a plan for nnlite.compile
        _CaptureState.recorder.emit("linear", out, (input, weight, bias))
    return out




def bilinear(input1: Tensor, input2: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """``y_k = x1^T W_k x2 + b_k`` (``weight``: (out, in1, in2)), over leading batch dims."""
    out_f, in1, in2 = weight.shape
    if input1.shape[-1] != in1 or input2.shape[-1] != in2:
        raise RuntimeError(
            f"bilinear(): input sizes {input1.shape[-1]}, {input2.shape[-1]} do not match the "
            f"weight {list(weight.shape)}"
        )
    w = weight.permute(1, 0, 2).reshape(in1, out_f * in2)
    t = (input1 @ w).reshape(*input1.shape[:-1], out_f, in2)
    y = (t * input2.unsqueeze(-2)).sum(-1)
    return y + bias if bias is not None else y
