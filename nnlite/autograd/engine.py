"""The backward engine: a dependency-counted walk over the graph, no recursion.

1. From the roots, visit every reachable node once (an explicit stack) and record post-order.
2. Prune: a node runs only if some target (a leaf's AccumulateGrad in ``backward``, the nodes
   of the ``inputs`` in ``grad``) is reachable from it.
3. Count, for each kept node, how many kept edges lead into it; run a node when all its
   incoming gradients have arrived, summing them first.
"""

from __future__ import annotations

import sys
from weakref import ref as _weakref

import numpy as np

from nnlite import _tensor
from nnlite._dtype import from_numpy_dtype
from nnlite._grad_mode import _GradState
from nnlite._tensor import Size, Tensor, tensor
from nnlite.autograd.anomaly_mode import _AnomalyState, check_nan_outputs
from nnlite.autograd.function import FREED_MESSAGE, AccumulateGrad, edge_of

_getrefcount = sys.getrefcount


def _make_grads(outputs, grad_outputs, create_graph):
    grads = []
    for i, (out, g) in enumerate(zip(outputs, grad_outputs)):
        if g is None:
            if out._requires_grad and out._data.size != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs")
            d = out._data
            if d.dtype.kind != "f":  # (out.dtype.is_floating_point, without its two calls)
                raise RuntimeError(
                    "grad can be implicitly created only for real scalar outputs but got "
                    f"{out.dtype}"
                )
            a = np.empty(d.shape, d.dtype)  # np.ones is two Python calls
            a.fill(1)
            g = Tensor._wrap(a)
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


# One list per backward pass in progress (a pass can start another from a hook): the callbacks
# ``queue_callback`` added, run in order once the pass has finished.
_final_callbacks: list = []


def queue_callback(callback) -> None:
    """Run ``callback()`` when the backward pass in progress has finished (after every leaf's
    ``.grad`` is written), as ``torch.autograd.Variable._execution_engine.queue_callback``.

    DistributedDataParallel uses it to wait for its gradient allreduces at the end of backward.
    A callback may queue more; they run only if the pass succeeded.
    """
    if not _final_callbacks:
        raise RuntimeError("Final callbacks can only be installed during backward pass.")
    _final_callbacks[-1].append(callback)


def run_backward(outputs, grad_outputs, retain_graph, create_graph, inputs=None,
                 allow_unused=False, accumulate=True):
    """Shared engine for ``Tensor.backward``, ``autograd.backward`` and ``autograd.grad``.

    With ``accumulate`` gradients go into leaves' ``.grad`` (restricted to ``inputs`` when
    given); otherwise the gradients w.r.t. ``inputs`` are returned as a tuple. Callbacks
    queued during the pass (``queue_callback``) run at its end.
    """
    callbacks = []
    _final_callbacks.append(callbacks)
    try:
        out = _run_graph(outputs, grad_outputs, retain_graph, create_graph, inputs,
                         allow_unused, accumulate)
        i = 0
        while i < len(callbacks):  # a callback may queue another
            callbacks[i]()
            i += 1
    finally:
        _final_callbacks.pop()
    return out


def _run_graph(outputs, grad_outputs, retain_graph, create_graph, inputs, allow_unused,
               accumulate):
    if retain_graph is None:
        retain_graph = create_graph
    for i, out in enumerate(outputs):
        if not out._requires_grad:
            raise RuntimeError(
                f"element {i} of tensors does not require grad and does not have a grad_fn"
            )
    grads = _make_grads(outputs, grad_outputs, create_graph)
    if inputs is None and not create_graph and len(outputs) == 1:
        fn = outputs[0].grad_fn
        # a node that can run the whole pass itself (a captured step's, nnlite.compile)
        if fn is not None and fn.run_whole is not None and fn.run_whole(grads[0], retain_graph):
            return None

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
    roots = [edge_of(out) for out in outputs]
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

    # 2. prune to nodes from which a target is reachable (post-order: children are decided
    # first) and 3. count, for each kept node, the kept edges that lead into it.
    needed = {}
    deps = {}
    for fn in order:
        if target_nodes is None:
            ok = fn.__class__ is AccumulateGrad  # (it has no subclasses)
        else:
            ok = fn in target_nodes
        nf = fn.next_functions
        if not ok:
            for child, _ in nf:
                if child is not None and needed[child]:
                    ok = True
                    break
        needed[fn] = ok
        if ok:
            for child, _ in nf:
                if child is not None and needed[child]:
                    if child in deps:  # not deps.get: a call per edge
                        deps[child] += 1
                    else:
                        deps[child] = 1

    buffers = {}
    for (fn, nr), g in zip(roots, grads):
        if fn is not None and needed[fn]:
            _add_grad(buffers, fn, nr, g)
    ready = []
    for fn, _ in roots:
        if fn is not None and needed[fn] and fn not in deps and fn not in ready:
            ready.append(fn)
    # AccumulateGrad may adopt an incoming gradient's array instead of copying it when nothing
    # else can see that array; user hooks could keep a reference, so not once any has run.
    steal = not create_graph
    g = gs = None

    prev_mode = _GradState.enabled
    _GradState.enabled = create_graph
    # anomaly mode: every node through _call_backward, its outputs checked for NaN
    anomaly = _AnomalyState.enabled and _AnomalyState.check_nan
    try:
        while ready:
            fn = ready.pop()
            buf = buffers.pop(fn, None)
            if buf is None:
                buf = [None]
            # Tensor hooks (register_hook / retain_grad) on this node's outputs.
            th = fn._tensor_pre_hooks
            if th:
                steal = False
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
            if fn.__class__ is AccumulateGrad:
                g = buf[0]
                if g is not None:
                    buf = None
                    _accumulate(fn.variable, g, create_graph, steal)
                    g = None
                continue
            for g in buf:
                if g is not None:
                    break
            else:
                g = None
            nf = fn.next_functions
            if g is None:  # no gradient arrived at all: nothing flows further
                gs = (None,) * len(nf)
            else:
                g = None
                if fn._out_meta is not None and fn.materialize_grads:
                    buf = [
                        _zeros(m) if g is None and m is not None else g
                        for g, m in zip(buf, fn._out_meta)
                    ]
                dt = fn._dt
                if dt is not None:
                    # As PyTorch: a gradient arriving in another dtype (a float64 consumer of a
                    # float32 result) is cast to the dtype of the output it belongs to.
                    for i, x in enumerate(buf):
                        if x is not None and x._data.dtype != dt:
                            buf[i] = _cast_grad(x, dt)
                    # the loop variable would keep the last gradient alive past this node: a
                    # weight's gradient coming through TBackward0 would then look shared to
                    # AccumulateGrad and be copied instead of adopted (a full copy per step)
                    x = None
                if fn._pre_hooks:
                    steal = False
                    for h in fn._pre_hooks:
                        r = h(tuple(buf))
                        if r is not None:
                            buf = list(r)
                if fn._freed:
                    raise RuntimeError(FREED_MESSAGE)
                if capture is None and not anomaly:
                    # _call_backward inline (a call per node saved); keep the two in step
                    gs = fn.backward(*buf)
                    if gs.__class__ is not tuple:
                        gs = (gs,)
                    if len(gs) != len(nf):
                        gs = _trim(fn, nf, gs)
                    for (child, nr), x in zip(nf, gs):
                        if x is None or child is None:
                            continue
                        if child.__class__ is AccumulateGrad and x.__class__ is Tensor:
                            if x._data.shape != child.variable._data.shape:
                                _bad_gradient(fn, nf, gs)
                        elif x.__class__ is not Tensor or child._out_meta is not None:
                            _check_gradient(fn, nf, gs, child, nr, x)
                    x = None
                else:
                    gs = _call_backward(fn, buf, capture, needed)
                    if anomaly:
                        check_nan_outputs(fn, gs)
                if fn._hooks:
                    steal = False
                    gs = tuple(None if c is None else x for (c, _), x in zip(nf, gs))
                    for h in fn._hooks:
                        r = h(gs, tuple(buf))
                        if r is not None:
                            gs = tuple(r)
            buf = None
            if not retain_graph and fn._held:
                fn._free()
            for (child, nr), g in zip(nf, gs):
                if child is None or not needed[child]:
                    continue
                if g is not None:
                    if child in buffers:  # not buffers.get: a call per edge
                        b = buffers[child]
                        old = b[nr]
                        b[nr] = g if old is None else old + g
                    else:
                        meta = child._out_meta
                        b = buffers[child] = [None] * (len(meta) if meta is not None else 1)
                        b[nr] = g
                d = deps[child] - 1
                deps[child] = d
                if d == 0:
                    ready.append(child)
            # drop this node's gradients now, so that AccumulateGrad sees their true owners
            g = gs = b = None
    finally:
        _GradState.enabled = prev_mode

    if capture is None:
        return None
    result = []
    for i, t in enumerate(inputs):
        g = capture[edge_of(t)]
        if g is None and not allow_unused and not accumulate:
            raise RuntimeError(
                f"The differentiated Tensor at index {i} appears to not have been used in the "
                "graph. Set allow_unused=True if this is the desired behavior."
            )
        result.append(g)
    if accumulate:
        for t, g in zip(inputs, result):
            if g is not None:
                _accumulate(t, g, create_graph)
        return None
    return tuple(result)


def _cast_grad(g, dt):
    # Tensor.to is the cast op (bound by nnlite.ops): under create_graph it records its node
    return g.to(from_numpy_dtype(dt))


def _add_grad(buffers, fn, nr, g):
    buf = buffers.get(fn)
    if buf is None:
        n = len(fn._out_meta) if fn._out_meta is not None else 1
        buf = buffers[fn] = [None] * n
    old = buf[nr]
    buf[nr] = g if old is None else old + g


def _zeros(meta):
    shape, dt = meta
    return Tensor._wrap(np.zeros(shape, dt))


def _call_backward(fn, buf, capture, needed):
    """Run ``fn.backward`` and check what it returned: one Tensor or None per input edge, each
    shaped like the input it flows to. Returns the tuple of gradients."""
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
    if out.__class__ is not tuple:
        out = (out,)
    if len(out) != len(nf):
        out = _trim(fn, nf, out)
    for (child, nr), g in zip(nf, out):
        if g is not None and child is not None:
            _check_gradient(fn, nf, out, child, nr, g)
    return out


def _trim(fn, nf, out):
    """``out`` cut to one gradient per edge (extra trailing Nones are allowed, as in PyTorch)."""
    if len(out) > len(nf) and all(g is None for g in out[len(nf):]):
        return out[: len(nf)]
    raise RuntimeError(
        f"function {fn.name()} returned an incorrect number of gradients (expected "
        f"{len(nf)}, got {len(out)})"
    )


def _check_gradient(fn, nf, out, child, nr, g):
    """Raise if ``g`` (for edge ``(child, nr)``) is not a Tensor shaped like that input."""
    if g.__class__ is not Tensor and not isinstance(g, Tensor):
        _bad_gradient(fn, nf, out)
    if child.__class__ is AccumulateGrad:
        if g._data.shape != child.variable._data.shape:
            _bad_gradient(fn, nf, out)
    elif child._out_meta is not None or isinstance(child, AccumulateGrad):
        exp = _input_shape(child, nr)
        if exp is not None and g._data.shape != exp:
            _bad_gradient(fn, nf, out)


def _bad_gradient(fn, nf, out):
    """Raise the error for the first gradient that is not a Tensor or has the wrong shape."""
    for i, ((child, nr), g) in enumerate(zip(nf, out)):
        if g is None or child is None:
            continue
        if not isinstance(g, Tensor):
            raise TypeError(
                f"function {fn.name()} returned a gradient of type {type(g).__name__} at "
                f"index {i}; expected a Tensor or None"
            )
    for i, ((child, nr), g) in enumerate(zip(nf, out)):
        if g is None or child is None:
            continue
        exp = _input_shape(child, nr)
        if exp is not None and g._data.shape != exp:
            raise RuntimeError(
                f"Function {fn.name()} returned an invalid gradient at index {i} - got "
                f"{list(g._data.shape)} but expected shape compatible with {list(exp)}"
            )
    raise AssertionError("unreachable")  # pragma: no cover


def _input_shape(child, nr):
    if isinstance(child, AccumulateGrad):
        return child.variable._data.shape
    meta = child._out_meta
    if meta is not None and meta[nr] is not None:
        return meta[nr][0]
    return None


def _accumulate(var, g, create_graph, steal=False):
    """``var.grad += g`` for a leaf, running the leaf's own hooks first.

    With ``steal`` (the engine passes it when no user hook has seen the gradients, and holds
    exactly one reference to ``g`` itself) a first gradient whose array nothing else references
    becomes ``.grad`` without a copy, as PyTorch's AccumulateGrad does.
    """
    hooks = var._hooks
    if hooks:
        steal = False
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
    old = var._grad
    if old is None and create_graph:
        var._grad = g
    elif old is None:
        arr = g._data
        d = var.__dict__
        slot = d.get("_grad_slot") if d and not hooks else None
        if slot is not None and arr is slot[0]:
            # the gradient was written into the parameter's slot (a fused optimizer's flat
            # buffer, nnlite.optim.flat; a DDP bucket): adopt it as is, and remember who holds
            # it (shape and dtype checked above: the ``.grad`` setter's checks would repeat
            # them); the post-accumulate hooks below still run (DDP's among them)
            var._grad = g
            slot[1] = _weakref(g)
        # References: the engine's local and our argument to g, g._data and our local to arr (+1 for
        # getrefcount's own argument); anything more (a user's variable, a saved tensor, a view)
        # means the array is shared.
        elif (
            steal
            and _getrefcount(g) <= 3
            and _getrefcount(arr) <= 3
            and arr.base is None
            and arr.flags.c_contiguous
            and arr.flags.writeable
        ):
            var._grad = Tensor._wrap(arr)
        else:
            # A fresh, writable, contiguous array: the incoming grad may be a broadcast view or
            # shared with another leaf, and users zero .grad in place.
            var._grad = Tensor._wrap(np.array(arr, copy=True, order="C"))
    elif create_graph or old._requires_grad:
        var._grad = old + g
    else:
        np.add(old._data, g._data, out=old._data)
        old._vc[0] += 1
    post = var._post_accumulate_grad_hooks
    if post:
        for h in list(post):
            h(var)



def _seq(x):
    if x is None:
        return None
    return [x] if isinstance(x, Tensor) else list(x)


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None):
    """Accumulate gradients of ``tensors`` into the leaves (``torch.autograd.backward``)."""
    tensors = _seq(tensors)
    grads = _seq(grad_tensors) or [None] * len(tensors)
    run_backward(tensors, grads, retain_graph, create_graph, inputs=_seq(inputs))


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         only_inputs=True, allow_unused=None, is_grads_batched=False, materialize_grads=False):
    """Gradients of ``outputs`` w.r.t. ``inputs``, returned (not accumulated into ``.grad``)."""
    outputs = _seq(outputs)
    inputs_l = _seq(inputs)
    go = _seq(grad_outputs) or [None] * len(outputs)
    if allow_unused is None:
        allow_unused = materialize_grads
    if is_grads_batched:
        return _grad_batched(outputs, inputs_l, go, retain_graph, create_graph, allow_unused,
                             materialize_grads)
    res = run_backward(outputs, go, retain_graph, create_graph, inputs=inputs_l,
                       allow_unused=allow_unused, accumulate=False)
    if materialize_grads:
        res = tuple(Tensor._wrap(np.zeros_like(i._data)) if g is None else g
                    for g, i in zip(res, inputs_l))
    return res

def _grad_batched(outputs, inputs, go, retain_graph, create_graph, allow_unused,
                  materialize_grads):
    """``grad(..., is_grads_batched=True)``: the first dim of every grad_output is a batch of
    vectors; one backward pass per vector (torch vmaps the pass), the results stacked along a
    new first dim. Through ``out[b] = g_b`` so that ``create_graph`` keeps them differentiable.
    """
    if any(g is None or not isinstance(g, Tensor) for g in go):
        raise RuntimeError("grad_outputs must be tensors with a leading batch dimension when "
                           "is_grads_batched=True")
    sizes = {g._data.shape[0] if g._data.ndim else None for g in go}
    if len(sizes) != 1 or None in sizes:
        raise RuntimeError("is_grads_batched=True: every grad_output needs the same leading "
                           f"batch dimension, got shapes {[tuple(g.shape) for g in go]}")
    (n,) = sizes
    per = []
    for b in range(n):
        keep = True if b < n - 1 else retain_graph
        per.append(grad(outputs, inputs, [g[b] for g in go], retain_graph=keep,
                        create_graph=create_graph, allow_unused=allow_unused,
                        materialize_grads=materialize_grads))
    result = []
    for i, inp in enumerate(inputs):
        gs = [p[i] for p in per]
        if all(g is None for g in gs):
            result.append(None)
            continue
        out = inp.new_zeros((n, *inp.shape))
        for b, g in enumerate(gs):
            if g is not None:
                out[b] = g
        result.append(out)
    return tuple(result)


_tensor._run_backward = run_backward  # Tensor.backward's slot (see nnlite._tensor)
