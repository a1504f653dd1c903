"""The backward engine: a dependency-counted walk over the graph, no recursion.

1. From the roots, visit every reachable node once (an explicit stack) and record post-order.
2. Prune: a node runs only if some target (a leaf's AccumulateGrad in ``backward``, the nodes
   of the ``inputs`` in ``grad``) is reachable from it.
3. Count, for each kept node, how many kept edges lead into it; run a node when all its
   incoming gradients have arrived, summing them first.
"""

from __future__ import annotations

import numpy as np

from nnlite.autograd.function import AccumulateGrad, edge_of
from nnlite.autograd.grad_mode import _GradState


def _make_grads(outputs, grad_outputs, create_graph):
    from nnlite._tensor import Size, Tensor, tensor

    grads = []
    for i, (out, g) in enumerate(zip(outputs, grad_outputs)):
        if g is None:
            if out._requires_grad and out._data.size != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs")
            if not out.dtype.is_floating_point:
                raise RuntimeError(
                    "grad can be implicitly created only for real scalar outputs but got "
                    f"{out.dtype}"
                )
            g = Tensor._wrap(np.ones_like(out._data))
        else:
            if not isinstance(g, Tensor):
                g = tensor(g, dtype=out.dtype)
            if g._data.shape != out._data.shape:
                raise RuntimeError(
                    f"Mismatch in shape: grad_output[{i}] has a shape of {Size(g._data.shape)} "
                    f"and output[{i}] has a shape of {Size(out._data.shape)}."
                )
            if not create_graph:
                g = g.detach()
        grads.append(g)
    return grads


def run_backward(outputs, grad_outputs, retain_graph, create_graph, inputs=None,
                 allow_unused=False, accumulate=True):
    """Shared engine for ``Tensor.backward``, ``autograd.backward`` and ``autograd.grad``.

    With ``accumulate`` gradients go into leaves' ``.grad`` (restricted to ``inputs`` when
    given); otherwise the gradients w.r.t. ``inputs`` are returned as a tuple.
    """
    if retain_graph is None:
        retain_graph = create_graph
    for i, out in enumerate(outputs):
        if not out._requires_grad:
            raise RuntimeError(
                f"element {i} of tensors does not require grad and does not have a grad_fn"
            )
    grads = _make_grads(outputs, grad_outputs, create_graph)

    # Targets: (node, output_nr) pairs whose gradient we capture (grad) or nodes to run.
    capture = None
    target_nodes = None
    if inputs is not None:
        capture = {}
        target_nodes = set()
        for t in inputs:
            fn, nr = edge_of(t)
            if fn is None:
                raise RuntimeError("One of the differentiated Tensors does not require grad")
            target_nodes.add(fn)
            capture[(fn, nr)] = None

    # 1. discover reachable nodes, post-order (children before parents).
    roots = []
    for out in outputs:
        roots.append(edge_of(out))
    seen = set()
    order = []
    stack = []
    for fn, _ in roots:
        if fn is not None and fn not in seen:
            seen.add(fn)
            stack.append((fn, iter(fn.next_functions)))
    while stack:
        fn, it = stack[-1]
        for child, _ in it:
            if child is not None and child not in seen:
                seen.add(child)
                stack.append((child, iter(child.next_functions)))
                break
        else:
            stack.pop()
            order.append(fn)

    # 2. prune to nodes from which a target is reachable.
    needed = {}
    for fn in order:  # post-order: children are decided first
        if target_nodes is None:
            ok = isinstance(fn, AccumulateGrad)
        else:
            ok = fn in target_nodes
        if not ok:
            for child, _ in fn.next_functions:
                if child is not None and needed[child]:
                    ok = True
                    break
        needed[fn] = ok

    # 3. dependency counts over kept edges.
    deps = {}
    for fn in order:
        if not needed[fn]:
            continue
        for child, _ in fn.next_functions:
            if child is not None and needed[child]:
                deps[child] = deps.get(child, 0) + 1

    buffers = {}

    def add_grad(fn, nr, g):
        buf = buffers.get(fn)
        if buf is None:
            n = len(fn._out_meta) if fn._out_meta is not None else 1
            buf = buffers[fn] = [None] * n
        old = buf[nr]
        buf[nr] = g if old is None else old + g

    ready = []
    for (fn, nr), g in zip(roots, grads):
        if fn is None or not needed[fn]:
            continue
        add_grad(fn, nr, g)
    for fn, _ in roots:
        if fn is not None and needed[fn] and deps.get(fn, 0) == 0 and fn not in ready:
            ready.append(fn)

    prev_mode = _GradState.enabled
    _GradState.enabled = create_graph
    try:
        while ready:
            fn = ready.pop()
            buf = buffers.pop(fn, None)
            if buf is None:
                buf = [None]
            # Tensor hooks (register_hook / retain_grad) on this node's outputs.
            th = fn._tensor_pre_hooks
            if th:
                for nr, hooks in th.items():
                    if buf[nr] is None:
                        continue
                    for h in list(hooks):
                        r = h(buf[nr])
                        if r is not None:
                            buf[nr] = r
            if capture is not None:
                for nr in range(len(buf)):
                    if (fn, nr) in capture:
                        capture[(fn, nr)] = buf[nr]
                run = any(needed.get(c, False) for c, _ in fn.next_functions if c is not None)
                if isinstance(fn, AccumulateGrad) or not run:
                    continue
            if isinstance(fn, AccumulateGrad):
                if buf[0] is not None:
                    _accumulate(fn.variable, buf[0], create_graph)
                continue
            if all(g is None for g in buf):
                grads_in = (None,) * len(fn.next_functions)
            else:
                if fn._out_meta is not None and fn.materialize_grads:
                    buf = [
                        _zeros(m) if g is None and m is not None else g
                        for g, m in zip(buf, fn._out_meta)
                    ]
                if fn._pre_hooks:
                    for h in fn._pre_hooks:
                        r = h(tuple(buf))
                        if r is not None:
                            buf = list(r)
                grads_in = _call_backward(fn, buf, capture, needed)
                if fn._hooks:
                    for h in fn._hooks:
                        r = h(grads_in, tuple(buf))
                        if r is not None:
                            grads_in = tuple(r)
            if not retain_graph:
                fn._free()
            for (child, nr), g in zip(fn.next_functions, grads_in):
                if child is None or not needed[child]:
                    continue
                if g is not None:
                    add_grad(child, nr, g)
                d = deps[child] - 1
                deps[child] = d
                if d == 0:
                    ready.append(child)
    finally:
        _GradState.enabled = prev_mode

    if capture is None:
        return None
    result = []
    for t in inputs:
        g = capture[edge_of(t)]
        if g is None and not allow_unused and not accumulate:
            raise RuntimeError(
                "One of the differentiated Tensors appears to not have been used in the graph. "
                "Set allow_unused=True if this is the desired behavior."
            )
        result.append(g)
    if accumulate:
        for t, g in zip(inputs, result):
            if g is not None:
                _accumulate(t, g, create_graph)
        return None
    return tuple(result)


def _zeros(meta):
    from nnlite._tensor import Tensor

    shape, dt = meta
    return Tensor._wrap(np.zeros(shape, dt))


def _call_backward(fn, buf, capture, needed):
    from nnlite._tensor import Tensor

    nf = fn.next_functions
    if capture is not None:
        # Only compute what leads to a target (ctx.needs_input_grad reflects the pruning).
        saved = fn.needs_input_grad
        fn.needs_input_grad = tuple(
            c is not None and needed.get(c, False) for c, _ in nf
        )
        try:
            out = fn.backward(*buf)
        finally:
            fn.needs_input_grad = saved
    else:
        out = fn.backward(*buf)
    if not isinstance(out, tuple):
        out = (out,)
    if len(out) != len(nf):
        if len(out) > len(nf) and all(g is None for g in out[len(nf):]):
            out = out[: len(nf)]
        else:
            raise RuntimeError(
                f"function {fn.name()} returned an incorrect number of gradients (expected "
                f"{len(nf)}, got {len(out)})"
            )
    res = []
    for i, ((child, _), g) in enumerate(zip(nf, out)):
        if g is None or child is None:
            res.append(None)
            continue
        if not isinstance(g, Tensor):
            raise TypeError(
                f"function {fn.name()} returned a gradient of type {type(g).__name__} at "
                f"index {i}; expected a Tensor or None"
            )
        res.append(g)
    # Shape check against the input each gradient flows to.
    for i, ((child, nr), g) in enumerate(zip(nf, res)):
        if g is None:
            continue
        exp = _input_shape(child, nr)
        if exp is not None and g._data.shape != exp:
            raise RuntimeError(
                f"Function {fn.name()} returned an invalid gradient at index {i} - got "
                f"{list(g._data.shape)} but expected shape compatible with {list(exp)}"
            )
    return tuple(res)


def _input_shape(child, nr):
    if isinstance(child, AccumulateGrad):
        return child.variable._data.shape
    meta = child._out_meta
    if meta is not None and meta[nr] is not None:
        return meta[nr][0]
    return None


def _accumulate(var, g, create_graph):
    """``var.grad += g`` for a leaf, running the leaf's own hooks first."""
    from nnlite._tensor import Tensor

    hooks = var._hooks
    if hooks:
        for h in list(hooks):
            r = h(g)
            if r is not None:
                g = r
    if g._data.shape != var._data.shape:
        raise RuntimeError(
            f"the gradient for a tensor of shape {list(var._data.shape)} has shape "
            f"{list(g._data.shape)}"
        )
    if g._data.dtype != var._data.dtype:
        g = Tensor._wrap(g._data.astype(var._data.dtype)) if not create_graph else g.to(var.dtype)
    old = var.grad
    if old is None:
        if create_graph:
            var.grad = g
        else:
            # A fresh, writable, contiguous array: the incoming grad may be a broadcast view or
            # shared with another leaf, and users zero .grad in place.
            var.grad = Tensor._wrap(np.array(g._data, copy=True, order="C"))
    elif create_graph or old._requires_grad:
        var.grad = old + g
    else:
        np.add(old._data, g._data, out=old._data)
        old._vc[0] += 1
