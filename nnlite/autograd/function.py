"""Graph nodes and the Function mechanism every op goes through.

A node (``grad_fn``) is created when an op runs with grad mode on and some input requires grad.
It holds ``next_functions`` -- one ``(node, output_nr)`` edge per differentiable input, ``(None, 0)``
where the input needs no gradient -- the tensors saved for backward (with their versions, so an
in-place change is caught), and a ``backward(*grads)`` written in Tensor ops, which is why
``create_graph=True`` gives higher-order derivatives.
"""

from __future__ import annotations

import functools
import re

from nnlite._grad_mode import _GradState, no_grad
from nnlite._tensor import Tensor, _RemovableHandle, _type_name


class Node:
    """Base of every ``grad_fn``. PyTorch calls it ``torch.autograd.graph.Node``."""

    # ctx attributes set by user Functions land in __dict__ (subclasses have no __slots__).
    _saved = ()
    _versions_at_save = ()
    # names of the instance attributes that hold data saved for backward: every saving call
    # (save_for_backward, save, record(saved=)) adds to it, and _free drops exactly these
    _held = ()
    _freed = False
    _out_data = None  # the node's own output, kept as an array (no node <-> tensor cycle)
    _out_vc = None
    _dt = None  # numpy dtype of the (single) output: incoming gradients are cast to it
    _hooks = None
    _pre_hooks = None
    _tensor_pre_hooks = None  # {output_nr: [hook]} from Tensor.register_hook / retain_grad
    _out_meta = None  # [(shape, np dtype)] per output, to materialize missing grads
    next_functions: tuple = ()
    needs_input_grad: tuple = ()
    # a compiled plan's node (nnlite.compile) sets it: ``consume(op, tensors, args)`` runs a
    # consumer op of its result as part of the captured step (None when it cannot)
    consume = None
    # ``run_whole(grad, retain_graph) -> bool``: a node that can run a plain ``backward()`` from
    # itself without the engine's walk (nnlite.compile's captured step); False: walk as usual
    run_whole = None

    def name(self) -> str:
        return type(self).__name__

    def __repr__(self) -> str:
        return f"<{type(self).__name__} object at {hex(id(self))}>"

    def backward(self, *grads):  # pragma: no cover - every node overrides it
        raise NotImplementedError(f"{self.name()} has no backward")

    # ---- saved tensors -------------------------------------------------------------------
    # What a node keeps for its backward goes through one of two calls, so that ``_free``
    # releases it after a ``retain_graph=False`` pass without looking at anything else:
    # ``save_for_backward(*tensors)`` for input/output tensors (version-checked, shown as
    # ``_saved_self`` & co) and ``save(name=array_or_tensor, ...)`` for what an op computed in
    # its forward for its backward (a mask, BatchNorm's normalised rows, index arrays). Shapes,
    # flags and Python scalars are plain attributes: they stay, as PyTorch's do.
    def save_for_backward(self, *tensors) -> None:
        self._saved = tensors
        self._versions_at_save = tuple([0 if t is None else t._vc[0] for t in tensors])
        if tensors and "_saved" not in self._held:
            self._held = self._held + ("_saved",)

    def save(self, **data) -> None:
        """Keep arrays/tensors computed in the forward as attributes (``node.save(mask=m)``
        makes ``self.mask`` in backward); ``_free`` releases them after backward. Unlike
        ``save_for_backward`` no version check: they are the node's own, nobody else writes
        them."""
        self.__dict__.update(data)
        self._held = self._held + tuple(data)

    @property
    def _unpacked_saved(self) -> tuple:
        """The tensors saved for backward, in order, None where nothing was saved.

        Built-in nodes read them here; like PyTorch's, they expose no public ``saved_tensors``
        (only a user Function's ``ctx`` does) but one ``_saved_<name>`` attribute per tensor.
        """
        if self._freed:
            raise RuntimeError(FREED_MESSAGE)
        saved = self._saved
        for s, v in zip(self._saved, self._versions_at_save):
            t = s
            if t is _OUT:
                t = self._rebuild_output()
                saved = tuple(t if s is _OUT else s for s in saved)
            if t is not None and t._vc[0] != v:
                raise RuntimeError(modified_message(t, v, self if s is _OUT else None))
        return saved

    def _names_of_saved(self) -> list:
        """``[(name, index)]`` of the saved tensors, named as PyTorch's ``_saved_*`` attributes:
        ``self``/``other`` for the first/second input, ``result`` for the node's own output."""
        names, used = [], set()
        edges = self.next_functions
        for k, t in enumerate(self._saved):
            if t is None:
                continue
            if t is _OUT:
                names.append(("result", k))
                continue
            edge = (t.grad_fn, t._output_nr) if t.grad_fn is not None else (t._accum, 0)
            # the first input position not yet named whose edge is this tensor's (x * x saves
            # x twice: self and other)
            pos = next((i for i, e in enumerate(edges)
                        if i not in used and e[0] is not None and e == edge), None)
            if pos is None and k < len(edges) and edges[k][0] is None and k not in used:
                pos = k  # an input that needs no grad has no edge: fall back to saved order
            if pos is not None:
                used.add(pos)
            base = {0: "self", 1: "other"}.get(pos, f"input{pos}" if pos is not None else "tensor")
            taken = {n for n, _ in names}
            name, j = base, 1
            while name in taken:
                name, j = f"{base}{j}", j + 1
            names.append((name, k))
        return names

    def __getattr__(self, name):
        # Only reached for attributes not found normally (never on the backward hot path).
        if name.startswith("_saved_") and not name.startswith("__"):
            if self._freed:
                raise RuntimeError(FREED_MESSAGE)
            for n, k in self._names_of_saved():
                if "_saved_" + n == name:
                    return self._unpacked_saved[k]
        if name == "saved_tensors":
            raise AttributeError(
                f"'{type(self).__name__}' object has no attribute 'saved_tensors': as in PyTorch, "
                "only a custom Function's ctx has it; a built-in node exposes its saved tensors "
                f"as {[f'_saved_{n}' for n, _ in self._names_of_saved()]} (inside a backward: "
                "self._unpacked_saved)"
            )
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __dir__(self):
        return sorted(set(super().__dir__()) | {f"_saved_{n}" for n, _ in self._names_of_saved()})

    def _rebuild_output(self):
        t = Tensor._wrap(self._out_data)
        t._vc = self._out_vc
        t._requires_grad = True
        t.grad_fn = self
        return t

    def _free(self) -> None:
        """Release everything this node saved for backward (after a ``retain_graph=False``
        pass): the attributes the saving calls named in ``_held`` (the engine calls this only
        when there are any). Shapes, flags and scalars stay, so a node that saved nothing can
        be run again, as in PyTorch; one that saved raises ``FREED_MESSAGE`` when reached
        again."""
        d = self.__dict__
        for k in self._held:
            if k in d:  # a name saved twice is listed twice
                del d[k]  # back to the class default: () / None
        if "_held" in d:
            del d["_held"]
        self._freed = True

    # ---- hooks ---------------------------------------------------------------------------
    def register_hook(self, fn):
        """``fn(grad_inputs, grad_outputs)`` after this node's backward; may return new inputs."""
        if self._hooks is None:
            self._hooks = []
        self._hooks.append(fn)
        return _RemovableHandle(self._hooks, fn)

    def register_prehook(self, fn):
        """``fn(grad_outputs)`` before this node's backward; may return new grad outputs."""
        if self._pre_hooks is None:
            self._pre_hooks = []
        self._pre_hooks.append(fn)
        return _RemovableHandle(self._pre_hooks, fn)


_OUT = object()  # placeholder in Node._saved for the node's own output


def modified_message(t, version: int, producer: Node | None = None) -> str:
    """torch's error for a saved tensor changed in place before backward: it names the node
    whose output it is (``producer`` for a saved output, else the tensor's grad_fn now; a leaf
    or a tensor outside the graph gets no name), then nnlite's hint on how to fix it."""
    fn, nr = (producer, 0) if producer is not None else (t.grad_fn, t._output_nr)
    which = ""
    if fn is not None:
        which = f", which is output {nr} of {re.sub(r'Backward[0-9]*$', '', fn.name())},"
    return ("one of the variables needed for gradient computation has been modified by an "
            f"inplace operation: [{_type_name(t)} {list(t._data.shape)}]{which} is at version "
            f"{t._vc[0]}; expected version {version} instead. Hint: the in-place operation that "
            "changed it must not run before backward; use an out-of-place version (e.g. "
            "x = x + 1 instead of x += 1) or .clone() the tensor before modifying it.")

FREED_MESSAGE = (
    "Trying to backward through the graph a second time (or directly access saved "
    "tensors after they have already been freed). Saved intermediate values of the "
    "graph are freed when you call .backward() or autograd.grad(). Specify "
    "retain_graph=True if you need to backward through the graph a second time or "
    "if you need to access saved tensors after calling backward."
)


class AccumulateGrad(Node):
    """The node that adds an incoming gradient into a leaf's ``.grad``."""

    def __init__(self, variable):
        self.variable = variable
        self.next_functions = ()

    def name(self) -> str:
        return "torch::autograd::AccumulateGrad"  # a C++ node: torch's name() is qualified


def edge_of(t):
    """The graph edge a tensor contributes as an op input: ``(node, output_nr)``."""
    fn = t.grad_fn
    if fn is not None:
        return (fn, t._output_nr)
    if t._requires_grad:
        acc = t._accum
        if acc is None:
            acc = t._accum = AccumulateGrad(t)
        return (acc, 0)
    return (None, 0)


_NO_EDGE = (None, 0)
_HELD_SAVED = ("_saved",)
_HELD_SAVED_OUT = ("_saved", "_out_data", "_out_vc")


def record(out, cls, inputs, saved=()):
    """Attach a new ``cls`` node to ``out`` if grad mode is on and any input requires grad.

    Returns the node (to set extra attributes on) or None when no graph is recorded.
    """
    if not _GradState.enabled:
        return None
    for t in inputs:
        if t._requires_grad:
            break
    else:
        return None
    node = cls()
    # edge_of and needs_input_grad inlined: this runs once per recorded op
    edges = []
    needs = []
    for t in inputs:
        fn = t.grad_fn
        if fn is not None:
            edges.append((fn, t._output_nr))
        elif t._requires_grad:
            fn = t._accum
            if fn is None:
                fn = t._accum = AccumulateGrad(t)
            edges.append((fn, 0))
        else:
            edges.append(_NO_EDGE)
        needs.append(t._requires_grad)
    node.next_functions = tuple(edges)
    node.needs_input_grad = tuple(needs)
    node._dt = out._data.dtype
    if saved:
        node._versions_at_save = tuple([t._vc[0] for t in saved])
        held = _HELD_SAVED
        for t in saved:
            if t is out:
                # Saving our own output would make a node <-> tensor reference cycle that only
                # the cyclic GC frees; keep its array and rebuild the tensor on demand instead.
                node._out_data = out._data
                node._out_vc = out._vc
                saved = tuple(_OUT if s is out else s for s in saved)
                held = _HELD_SAVED_OUT
                break
        node._saved = saved
        node._held = held
    out._requires_grad = True
    out.grad_fn = node
    return node


# ---- user-defined Functions ---------------------------------------------------------------


class FunctionCtx(Node):
    """The ``ctx`` of a user Function; it is also the node (``<NameBackward>``) in the graph."""

    _fn_cls = None
    _non_differentiable = ()
    _dirty = ()
    materialize_grads = True

    def mark_non_differentiable(self, *tensors) -> None:
        self._non_differentiable = tuple(id(t) for t in tensors)

    def mark_dirty(self, *tensors) -> None:
        self._dirty = tensors

    def set_materialize_grads(self, value: bool) -> None:
        self.materialize_grads = bool(value)

    # _free is Node's: a user's ctx frees what it passed to save_for_backward; tensors it set as
    # plain attributes are the user's to keep (PyTorch keeps them too).

    def backward(self, *grads):
        return self._fn_cls.backward(self, *grads)

    @property
    def saved_tensors(self) -> tuple:
        """The tensors given to ``save_for_backward``, in order (None where None was saved)."""
        return self._unpacked_saved

    def _names_of_saved(self) -> list:
        return []  # a user Function's saved tensors are shown through saved_tensors, as in torch

    def __repr__(self) -> str:
        # a plain object's repr, as torch's BackwardCFunction classes have (built-in nodes
        # print their bare name): <nnlite.autograd.function.MyFnBackward object at 0x...>
        cls = type(self)
        return f"<{cls.__module__}.{cls.__qualname__} object at {hex(id(self))}>"


class _FunctionMeta(type):
    def __init__(cls, name, bases, attrs):
        super().__init__(name, bases, attrs)
        # One node class per Function, named as PyTorch names it: <FnName>Backward.
        cls._backward_cls = type(name + "Backward", (FunctionCtx,), {"_fn_cls": cls})


class Function(metaclass=_FunctionMeta):
    """Base for custom differentiable operations (``torch.autograd.Function``).

    Example:
        >>> class Square(Function):
        ...     @staticmethod
        ...     def forward(ctx, x):
        ...         ctx.save_for_backward(x)
        ...         return x * x
        ...     @staticmethod
        ...     def backward(ctx, g):
        ...         (x,) = ctx.saved_tensors
        ...         return 2 * x * g
    """

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError("You must implement the forward function for custom Function.")

    @staticmethod
    def backward(ctx, *grads):
        raise NotImplementedError("You must implement the backward function for custom Function.")

    @staticmethod
    def setup_context(ctx, inputs, output):
        """torch 2's split style: a Function that defines it has ``forward(*args)`` without
        ``ctx``; ``setup_context(ctx, inputs, output)`` then saves what backward needs."""
        raise NotImplementedError("setup_context is not implemented.")

    @classmethod
    def apply(cls, *args, **kwargs):
        ctx = cls._backward_cls()
        tensor_args = [a for a in args if isinstance(a, Tensor)]
        ctx.needs_input_grad = tuple(
            a._requires_grad if isinstance(a, Tensor) else False for a in args
        )
        prev = _GradState.enabled
        _GradState.enabled = False
        try:
            if cls.setup_context is Function.setup_context:
                out = cls.forward(ctx, *args, **kwargs)
            else:
                out = cls.forward(*args, **kwargs)
                cls.setup_context(ctx, args, out)
        finally:
            _GradState.enabled = prev
        single = not isinstance(out, tuple)
        outs = (out,) if single else out
        needs = prev and any(t._requires_grad for t in tensor_args)
        if not needs:
            return out
        # Edges for every positional argument, so backward returns one grad per argument.
        ctx.next_functions = tuple(
            edge_of(a) if isinstance(a, Tensor) else (None, 0) for a in args
        )
        ctx._out_meta = []
        new_outs = []
        input_ids = {id(a) for a in tensor_args}
        dirty = {id(t) for t in ctx._dirty}
        for t in ctx._dirty:
            if t._requires_grad and t.grad_fn is None:
                raise RuntimeError(
                    "a leaf Variable that requires grad has been used in an in-place operation.")
        for i, o in enumerate(outs):
            if not isinstance(o, Tensor):
                new_outs.append(o)
                ctx._out_meta.append(None)
                continue
            if id(o) in input_ids and id(o) not in dirty:
                o = o.view_as(o)  # an input returned as is: give the output its own identity
            ctx._out_meta.append((o._data.shape, o._data.dtype))
            if id(o) in ctx._non_differentiable or not o.dtype.is_floating_point:
                new_outs.append(o)
                continue
            o._requires_grad = True
            o.grad_fn = ctx
            o._output_nr = i
            new_outs.append(o)
        return new_outs[0] if single else tuple(new_outs)


def once_differentiable(fn):
    """Decorator for a Function's backward that cannot itself be differentiated."""

    @functools.wraps(fn)
    def wrapper(ctx, *grads):
        with no_grad():
            out = fn(ctx, *grads)
        if _GradState.enabled and any(g is not None and g._requires_grad for g in grads):
            outs = out if isinstance(out, tuple) else (out,)
            outs = tuple(
                None if o is None else _attach_error_node(o, type(ctx).__name__, grads)
                for o in outs
            )
            return outs if isinstance(out, tuple) else outs[0]
        return out

    return wrapper


class _DelayedError(Node):
    msg = ""

    def backward(self, *grads):
        raise RuntimeError(self.msg)


def _attach_error_node(t, name, grads):
    t = t.detach()
    node = _DelayedError()
    # edges to the incoming grads keep the node on the path to the leaves, so it runs (and raises)
    node.next_functions = tuple(edge_of(g) for g in grads if g is not None and g._requires_grad)
    node.msg = (
        "trying to differentiate twice a function that was marked with @once_differentiable "
        f"({name})"
    )
    t._requires_grad = True
    t.grad_fn = node
    return t
