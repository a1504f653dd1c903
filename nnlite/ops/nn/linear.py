"""``linear`` (one BLAS product, with a numpy plain-path backward) and ``bilinear``.
"""

from __future__ import annotations

import numpy as np

from nnlite import _blas
from nnlite._tensor import Tensor
from nnlite.autograd.function import _NO_EDGE, AccumulateGrad, Node, record
from nnlite.autograd.grad_mode import _CaptureState, _GradState
from nnlite.kernels import lazy as _lazy_kernels
from nnlite.ops._util import TYPE_NAMES as _NAMES
from nnlite.ops.linalg import AddmmBackward0, MmBackward0
from nnlite.ops.shape import (
    SqueezeBackward4,
    TBackward0,
    UnsafeViewBackward0,
    UnsqueezeBackward0,
    ViewBackward0,
)

_elementwise_kernels = _lazy_kernels("elementwise")

_W = Tensor._wrap


def _const(arr: np.ndarray) -> Tensor:
    """A constant (no-grad) tensor around an array, for Tensor-op backward formulas."""
    return _W(arr)

# ---- linear --------------------------------------------------------------------------------


# the light reshape/transpose nodes around the addmm/mm node: the shape ops' own classes
_VIEW, _UNSAFE_VIEW = ViewBackward0, UnsafeViewBackward0
_SQUEEZE4, _UNSQUEEZE, _LinearT = SqueezeBackward4, UnsqueezeBackward0, TBackward0


_TRUE1 = (True,)


def _record_linear(out, input, weight, bias, x_shape, in_f, out_f):
    """The graph torch shows for F.linear: AddmmBackward0(bias, x, TBackward0(W)) or
    MmBackward0(x, TBackward0(W)), with ViewBackward0 nodes around it for inputs that are not
    2-D. Only the addmm/mm node computes; the others are reshapes and a transpose.

    It runs once per Linear call, so the edges (``edge_of``'s rule) and the light nodes are made
    inline: the torch-shaped graph costs its extra node, not extra calls."""
    dt = out._data.dtype
    edges, needs = [], []
    for t in (input, weight) if bias is None else (bias, input, weight):
        fn = t.grad_fn
        if fn is not None:
            edges.append((fn, t._output_nr))
            needs.append(True)
        elif t._requires_grad:
            fn = t._accum
            if fn is None:
                fn = t._accum = AccumulateGrad(t)
            edges.append((fn, 0))
            needs.append(True)
        else:
            edges.append(_NO_EDGE)
            needs.append(False)
    w_need, x_need = needs[-1], needs[-2]
    if w_need:  # W^T's node: TBackward0 -> AccumulateGrad(W)
        tn = _LinearT()
        tn.next_functions, tn.needs_input_grad, tn._dt = (edges[-1],), _TRUE1, dt
        edges[-1] = (tn, 0)
    nd = len(x_shape)
    if nd != 2 and x_need:
        vn = (_UNSQUEEZE if nd == 1 and bias is None else _VIEW)()
        vn.next_functions, vn.needs_input_grad = (edges[-2],), _TRUE1
        vn.shape, vn._dt = x_shape, dt
        edges[-2] = (vn, 0)
    core = MmBackward0() if bias is None else AddmmBackward0()
    core.next_functions = tuple(edges)
    core.needs_input_grad = tuple(needs)
    core._dt = dt
    # save only what the needed gradients read: x for grad_W, W for grad_x
    core.save_for_backward(input if w_need else None, weight if x_need else None)
    core.in_f, core.out_f = in_f, out_f
    top = core
    if nd != 2:
        rows = 1
        for s in x_shape[:-1]:
            rows *= s
        top = (_VIEW if bias is not None else (_SQUEEZE4 if nd == 1 else _UNSAFE_VIEW))()
        top.next_functions, top.needs_input_grad = ((core, 0),), _TRUE1
        top.shape, top._dt = (rows, out_f), dt
    out._requires_grad = True
    out.grad_fn = top


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """``y = x W^T + b``: one BLAS product plus an in-place (numba) bias add, one graph node.

    The backward computes ``grad_W`` only when the weight requires grad: a frozen layer costs
    just the input gradient.
    """
    try:
        xd, wd = input._data, weight._data
    except AttributeError:  # costs nothing on the normal path (zero-cost try)
        bad, param = (input, "input") if not isinstance(input, Tensor) else (weight, "weight")
        raise TypeError(f"linear(): argument '{param}' must be Tensor, not "
                        f"{type(bad).__name__}") from None
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
    x2 = xd.reshape(-1, in_f) if in_f else xd.reshape(int(np.prod(xd.shape[:-1])), 0)
    y = _blas.matmul(x2, wd.T)  # the same call as a captured plan's (bit-identical replays)
    if bias is not None:
        bd = bias._data
        if bd.shape != (out_f,):
            raise RuntimeError(
                f"The size of tensor a ({out_f}) must match the size of tensor b "
                f"({bd.shape[-1] if bd.ndim else 1}) at non-singleton dimension 1"
            )
        if y.size:
            _elementwise_kernels.bias_add_(y, bd)
    out = _W(y.reshape(xd.shape[:-1] + (out_f,)))
    if _GradState.enabled and (input._requires_grad or weight._requires_grad
                               or (bias is not None and bias._requires_grad)):
        _record_linear(out, input, weight, bias, xd.shape, in_f, out_f)
    if _CaptureState.recorder is not None:  # recording a plan for nnlite.compile
        _CaptureState.recorder.emit("linear", out, (input, weight, bias))
    return out




class TrilinearBackward0(Node):
    """``y[b, o] = sum_ij x1[b, i] W[o, i, j] x2[b, j]`` (torch's ``_trilinear`` as bilinear
    uses it): each input's gradient is the same contraction with ``g`` in its place."""

    def backward(self, g):
        x1, w, x2 = self._unpacked_saved
        out_f, in1, in2 = w.shape
        nig = self.needs_input_grad
        g1 = g2 = gw = None
        wm = w.permute(1, 0, 2).reshape(in1, out_f * in2)  # (i, (o, j))
        gx2 = (g.unsqueeze(2) * x2.unsqueeze(1)).reshape(-1, out_f * in2)  # g[b,o] x2[b,j]
        if nig[0]:
            g1 = gx2.matmul(wm.t())
        if nig[1]:
            gw = x1.t().matmul(gx2).reshape(in1, out_f, in2).permute(1, 0, 2)
        if nig[2]:
            t = x1.matmul(wm).reshape(-1, out_f, in2)
            g2 = (g.unsqueeze(2) * t).sum(1)
        return g1, gw, g2


def bilinear(input1: Tensor, input2: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """``y_k = x1^T W_k x2 + b_k`` (``weight``: (out, in1, in2)), over leading batch dims.

    torch's graph: the inputs viewed as rows, one ``TrilinearBackward0`` node, a view back to
    the batch shape, then the bias added."""
    out_f, in1, in2 = weight.shape
    if input1.shape[-1] != in1 or input2.shape[-1] != in2:
        raise RuntimeError(
            f"bilinear(): input sizes {input1.shape[-1]}, {input2.shape[-1]} do not match the "
            f"weight {list(weight.shape)}"
        )
    lead = tuple(input1.shape[:-1])
    x1, x2 = input1.reshape(-1, in1), input2.reshape(-1, in2)
    wd = weight._data
    t = (x1._data @ wd.transpose(1, 0, 2).reshape(in1, out_f * in2)).reshape(-1, out_f, in2)
    y = _W(np.einsum("boj,bj->bo", t, x2._data))
    record(y, TrilinearBackward0, (x1, weight, x2), (x1, weight, x2))
    y = y.reshape(lead + (out_f,))
    return y + bias if bias is not None else y
