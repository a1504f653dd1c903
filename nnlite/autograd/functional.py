"""Jacobians, Hessians and vector products built on ``grad(create_graph=True)``.

Signatures follow ``torch.autograd.functional``.
"""

from __future__ import annotations

import numpy as np

from nnlite._grad_mode import enable_grad
from nnlite._tensor import Tensor
from nnlite.autograd.engine import grad
from nnlite.ops.elementwise import ones_like, zeros_like
from nnlite.ops.shape import stack


def _tup(x):
    return (x,) if isinstance(x, Tensor) else tuple(x)


def _prep(inputs, create_graph):
    res = []
    for i in _tup(inputs):
        if create_graph and i._requires_grad:
            res.append(i.view_as(i))  # keep the graph to the caller's inputs
        else:
            res.append(i.detach().requires_grad_(True))
    return tuple(res)


def _grads(outputs, inputs, grad_outputs, create_graph, strict=False):
    outs, gos = [], []
    for o, g in zip(outputs, grad_outputs):
        if o._requires_grad:
            outs.append(o)
            gos.append(g)
    if not outs:
        return tuple(zeros_like(i) for i in inputs)
    gs = grad(outs, inputs, gos, create_graph=create_graph, retain_graph=True, allow_unused=True)
    if strict and any(g is None for g in gs):
        raise RuntimeError(
            "The output of the user-provided function is independent of input 0. This is not "
            "allowed in strict mode."
        )
    return tuple(zeros_like(i) if g is None else g for g, i in zip(gs, inputs))


def _maybe_detach(ts, create_graph):
    return tuple(t if create_graph else t.detach() for t in ts)


def vjp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(inputs), v^T J)``."""
    is_t = not isinstance(inputs, (tuple, list))
    with enable_grad():
        ins = _prep(inputs, create_graph)
        out = func(*ins)
        outs = _tup(out)
        vs = _tup(v) if v is not None else tuple(ones_like(o) for o in outs)
        gs = _grads(outs, ins, vs, create_graph, strict)
    out_r = out.detach() if not create_graph and not isinstance(out, tuple) else out
    if isinstance(out, tuple) and not create_graph:
        out_r = tuple(o.detach() for o in out)
    gs = _maybe_detach(gs, create_graph)
    return out_r, (gs[0] if is_t else gs)


def jvp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(inputs), J v)`` via the double-vjp trick."""
    is_t = not isinstance(inputs, (tuple, list))
    with enable_grad():
        ins = _prep(inputs, create_graph)
        vs = _tup(v) if v is not None else tuple(ones_like(i) for i in ins)
        out = func(*ins)
        outs = _tup(out)
        us = tuple(Tensor._wrap(np.zeros_like(o._data)).requires_grad_(True) for o in outs)
        gs = _grads(outs, ins, us, True)
        needed = [(g, vv) for g, vv in zip(gs, vs) if g._requires_grad]
        if needed:
            jv = grad([g for g, _ in needed], list(us), [vv for _, vv in needed],
                      create_graph=create_graph, retain_graph=True, allow_unused=True)
            jv = tuple(zeros_like(o) if j is None else j for j, o in zip(jv, outs))
        else:
            jv = tuple(zeros_like(o) for o in outs)
    jv = _maybe_detach(jv, create_graph)
    out_r = out if create_graph else (
        tuple(o.detach() for o in out) if isinstance(out, tuple) else out.detach())
    return out_r, (jv[0] if not isinstance(out, tuple) else jv)


def jacobian(func, inputs, create_graph=False, strict=False, vectorize=False,
             strategy="reverse-mode"):
    """Jacobian of ``func`` at ``inputs``: shape ``out.shape + in.shape`` per (output, input)."""
    is_t = not isinstance(inputs, (tuple, list))
    with enable_grad():
        ins = _prep(inputs, create_graph)
        out = func(*ins)
        outs = _tup(out)
        res = []
        for o in outs:
            rows = [[] for _ in ins]
            flat_n = o._data.size
            for r in range(flat_n):
                go = np.zeros(flat_n, o._data.dtype)
                go[r] = 1
                gs = _grads([o], ins, [Tensor._wrap(go.reshape(o._data.shape))], create_graph,
                            strict)
                for k, g in enumerate(gs):
                    rows[k].append(g)
            per_in = []
            for k, i in enumerate(ins):
                if flat_n:
                    j = stack(rows[k], 0).reshape(o._data.shape + i._data.shape)
                else:
                    j = Tensor._wrap(np.zeros(o._data.shape + i._data.shape, i._data.dtype))
                per_in.append(j if create_graph else j.detach())
            res.append(per_in[0] if is_t else tuple(per_in))
    return res[0] if not isinstance(out, tuple) else tuple(res)


def hessian(func, inputs, create_graph=False, strict=False, vectorize=False,
            outer_jacobian_strategy="reverse-mode"):
    """Hessian of a scalar ``func``: ``jacobian`` of its gradient."""
    is_t = not isinstance(inputs, (tuple, list))

    def grad_fn(*ins):
        with enable_grad():
            out = func(*ins)
            if out._data.size != 1:
                raise RuntimeError(
                    "The function given to hessian should return a single element Tensor"
                )
            gs = _grads([out], ins, [None], True, strict)
        return gs[0] if is_t else gs

    return jacobian(grad_fn, inputs, create_graph=create_graph, strict=strict)


def vhp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(inputs), v^T H)``."""
    is_t = not isinstance(inputs, (tuple, list))
    with enable_grad():
        ins = _prep(inputs, create_graph)
        out = func(*ins)
        gs = _grads([out], ins, [None], True, strict)
        vs = _tup(v)
        hv = _grads(list(gs), ins, list(vs), create_graph, strict)
    hv = _maybe_detach(hv, create_graph)
    return (out if create_graph else out.detach()), (hv[0] if is_t else hv)


def hvp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(inputs), H v)``; H is symmetric so this equals ``vhp`` for smooth functions."""
    return vhp(func, inputs, v, create_graph, strict)
