"""The export tracer: run the model's forward once and record every op applied to the inputs.

While tracing, the public entry points the op registry (:mod:`nnlite.ops.registry`) declares --
``torch.<name>`` functions, ``F.<name>`` functions, the Tensor methods and operators bound to
them, their in-place variants -- plus ``Module.__call__`` are wrapped. A call is recorded when
one of its tensor arguments is *traced* (an input, or the result of a recorded call): the op
runs as usual and its converter (:data:`nnlite.onnx.functions.FUNCTIONS`, by registry row
name) appends the ONNX nodes. Calls made inside a recorded op are its implementation and are
not recorded. A call of one of nnlite's layers that has a converter
(:data:`nnlite.onnx.layers.CONVERTERS`) is recorded as that layer; any other module (a user
Module with its own ``forward``, ``Sequential``, ...) is traced through. Tensors that are not
traced (parameters, buffers, constants built in the forward, results of ops on those only) become
initializers.

What cannot be followed is refused with one error naming the op and the module it ran in:

* an op without a converter (``UnsupportedOperatorError: cannot export torch.lstm_cell ...``);
* a value computed from the inputs read into Python (``.item()``, ``.numpy()``, ``if x > 0:``),
  i.e. data-dependent control flow;
* an in-place op writing into a view of a traced tensor (in-place ops on other traced tensors,
  ``y += x`` or ``y.relu_()``, are converted as their out-of-place op);
* a tensor computed from the inputs by an op the tracer did not see (e.g. a function imported by
  name before the export): the inputs require grad while tracing, so such a tensor has a
  ``grad_fn`` reaching them, and the error names that ``grad_fn``.

Like ``torch.jit.trace``, Python control flow is followed for the example only, and sizes read
from ``x.shape`` are baked in -- except leading sizes kept by ``view``/``reshape`` (so
``x.view(x.size(0), -1)`` keeps a free batch axis); the export's re-run with longer free axes
refuses a graph where such a baked size matters. The patches are process-wide for the duration
of the export (do not export from two threads at once).
"""

from __future__ import annotations

import inspect
import numbers

import numpy as np

import nnlite
import nnlite.nn
import nnlite.nn.functional as F
from nnlite._tensor import Tensor
from nnlite.nn.module import Module
from nnlite.onnx.functions import FUNCTIONS
from nnlite.onnx.graph import UnsupportedOperatorError, onnx_dtype
from nnlite.onnx.layers import CONVERTERS, layer_converter
from nnlite.ops import registry

# Tensor methods that hand a value to Python: refused on traced tensors (data dependence)
_DATA_READS = ("item", "numpy", "tolist", "__bool__", "__float__", "__int__", "__index__",
               "__array__")
# Tensor methods defined on the class itself (not registry rows) that have a converter
_OWN_METHODS = ("to", "float", "double", "type_as", "type", "contiguous", "clone", "detach",
                "view_as", "reshape_as", "swapaxes")
_HOW = ("write that part with supported ops (nnlite.onnx.SUPPORTED_OPS, "
        "nnlite.onnx.SUPPORTED_LAYERS), or compute it outside the exported model")


_ACTIVE = []  # the tracer of the export in progress (is_in_onnx_export)


def is_in_onnx_export() -> bool:
    """True while ``nnlite.onnx.export`` runs the model's forward (``torch.onnx``'s name)."""
    return bool(_ACTIVE)


def np_dtype(d) -> np.dtype:
    """A numpy dtype from a numpy or an nnlite dtype."""
    return d.np if hasattr(d, "np") else np.dtype(d)


class Tracer:
    """One export's trace (see the module docstring); used as a context manager."""
    def __init__(self, graph, model):
        self.g = graph
        self.names: dict[int, str] = {}
        self._keep: list = []  # traced tensors stay alive, so their ids stay unique
        self._consts: dict[tuple, str] = {}
        self._input_ids: set[int] = set()
        self.depth = 0
        self._stack: list[str] = []
        self._paths = {id(m): p for p, m in model.named_modules()}
        self._labels = {}
        for prefix, fn in (("", model.named_parameters), ("", model.named_buffers)):
            for n, t in fn():
                self._labels[id(t)] = prefix + n
        self._patches: list[tuple] = []

    # ---- values --------------------------------------------------------------------------
    def add_input(self, t, name: str) -> None:
        self.names[id(t)] = name
        self._keep.append(t)
        if t._requires_grad:
            self._input_ids.add(id(t))

    def assign(self, out, names) -> None:
        if isinstance(out, Tensor):
            out, names = (out,), (names,)
        for o, n in zip(out, names):
            if isinstance(o, Tensor):
                self.names[id(o)] = n
                self._keep.append(o)

    def traced(self, v) -> bool:
        if isinstance(v, Tensor):
            return id(v) in self.names
        if isinstance(v, (tuple, list)):
            return any(self.traced(e) for e in v)
        return False

    def name(self, v, dtype=None) -> str:
        """The ONNX name of a traced tensor, or of a constant (an initializer holding a
        parameter, buffer, other tensor or Python number), cast to ``dtype`` when given."""
        if isinstance(v, Tensor):
            n = self.names.get(id(v))
            if n is not None:
                return n if dtype is None or np_dtype(dtype) == v._data.dtype else self.cast(
                    n, dtype)
            self._check_constant(v)
            arr = v._data
        elif isinstance(v, (numbers.Number, np.ndarray, np.generic)):
            arr = np.asarray(v)
            if dtype is None:
                dtype = np.float32 if arr.dtype.kind == "f" else arr.dtype
        else:
            raise UnsupportedOperatorError(
                f"cannot export a {type(v).__name__} argument (in {self.where()}): only "
                "tensors and numbers are converted")
        if dtype is not None:
            arr = arr.astype(np_dtype(dtype), copy=False)
        key = (id(v), arr.dtype.str) if isinstance(v, Tensor) else None
        if key is not None and key in self._consts:
            return self._consts[key]
        label = self._labels.get(id(v), "const") if isinstance(v, Tensor) else "scalar"
        n = self.g.const(label, arr, None)
        if key is not None:
            self._consts[key] = n
            self._keep.append(v)
        return n

    def cast(self, name: str, dtype) -> str:
        return self.g.op("Cast", [name], "cast", to=onnx_dtype(np_dtype(dtype)))

    def operand_dtype(self, x, y, out):
        """The dtype both operands of a binary op are brought to: the result's, or (for a
        comparison, whose result is bool) the promotion of the tensor operands'."""
        if out._data.dtype != np.bool_:
            return out._data.dtype
        dts = [v._data.dtype for v in (x, y) if isinstance(v, Tensor)]
        return np.result_type(*dts)

    def _check_constant(self, v) -> None:
        """Refuse a tensor that depends on the inputs through an op the tracer did not see,
        naming the first such op (the node whose own inputs were traced)."""
        fn = v.grad_fn
        if fn is None or not self._input_ids:
            return
        traced_nodes = {id(t.grad_fn) for t in self._keep if t.grad_fn is not None}
        seen, todo, culprit = set(), [fn], None
        while todo:
            node = todo.pop()
            if node is None or id(node) in seen or id(node) in traced_nodes:
                continue
            seen.add(id(node))
            for child, _ in node.next_functions:
                if child is None:
                    continue
                var = getattr(child, "variable", None)
                if id(child) in traced_nodes or (var is not None and id(var) in self._input_ids):
                    culprit = node
                    break
            if culprit is not None:
                break
            todo.extend(e[0] for e in node.next_functions)
        if culprit is not None:
            raise UnsupportedOperatorError(
                f"cannot export {self.where()}: the forward computes a tensor from the inputs "
                f"with an op the exporter does not see (its grad_fn is {culprit.name()}). Call "
                "ops as torch.<op>, F.<op> or Tensor methods (a function imported by name, e.g. "
                f"'from nnlite import relu', bypasses the tracer), or {_HOW}")

    def _check_outputs(self, m, out) -> None:
        """After a traced-through module: its results must be traced or constant; one of
        nnlite's own layers that computed them out of the tracer's sight is named as a layer
        without a converter."""
        outs = out if isinstance(out, (tuple, list)) else (out,)
        for o in outs:
            if isinstance(o, Tensor) and id(o) not in self.names:
                if type(m) is getattr(nnlite.nn, type(m).__name__, None):
                    try:
                        self._check_constant(o)
                    except UnsupportedOperatorError:
                        raise self.refuse(
                            f"the layer {type(m).__name__}", "it has no ONNX converter "
                            f"(converted layers: {', '.join(sorted(CONVERTERS))}); replace it "
                            "with those, or compute it outside the exported model") from None
                else:
                    self._check_constant(o)

    # ---- messages ------------------------------------------------------------------------
    def where(self) -> str:
        return self._stack[-1] if self._stack else "the model"

    def refuse(self, what: str, how: str) -> UnsupportedOperatorError:
        return UnsupportedOperatorError(f"cannot export {what} (in {self.where()}) to ONNX: "
                                        f"{how}")

    # ---- recording -----------------------------------------------------------------------
    def record(self, opname, label, fn, args, kwargs, out):
        if not (isinstance(out, Tensor) or (isinstance(out, (tuple, list)) and out
                                            and all(isinstance(o, Tensor) for o in out))):
            return  # sizes, flags, ...: nothing for the graph
        conv = FUNCTIONS.get(opname)
        if conv is None:
            raise UnsupportedOperatorError(
                f"cannot export {label} (called in {self.where()}) to ONNX: the op has no ONNX "
                f"converter; {_HOW}")
        bound = inspect.signature(fn).bind(*args, **kwargs)
        bound.apply_defaults()
        a = dict(bound.arguments)
        target = fn
        while hasattr(target, "__wrapped_op__"):  # generated out=/grad_fn layers of a row
            target = target.__wrapped_op__
        for new, old in getattr(target, "__renamed_params__", {}).items():
            if new in a:  # the registry gave the op torch's names; converters use the source's
                a.setdefault(old, a[new])
        for k, p in inspect.signature(fn).parameters.items():  # **kw: the keywords themselves
            if p.kind is inspect.Parameter.VAR_KEYWORD:
                a.update(a.pop(k, {}))
        self.assign(out, conv(self, a, out))

    def _wrap(self, opname, fn, label):
        tracer = self

        def traced_op(*args, **kwargs):
            if tracer.depth or not (tracer.traced(args) or tracer.traced(list(kwargs.values()))):
                return fn(*args, **kwargs)
            tracer.depth += 1
            try:
                out = fn(*args, **kwargs)
                tracer.record(opname, label, fn, args, kwargs, out)
            finally:
                tracer.depth -= 1
            return out

        traced_op.__name__ = getattr(fn, "__name__", opname)
        return traced_op

    def _wrap_inplace(self, base, base_fn, fn, label):
        """An in-place op (``x.add_(y)``, ``x += y``) on a traced tensor: converted as its
        out-of-place op, the tensor's name then points at the result. A view is refused (its
        base would change too, which the graph cannot express)."""
        tracer = self

        def traced_inplace(*args, **kwargs):
            if tracer.depth or not args or not tracer.traced(args[0]):
                return fn(*args, **kwargs)
            x = args[0]
            if base not in FUNCTIONS or base_fn is None or x._is_view():
                why = ("it writes into a view of another tensor" if x._is_view()
                       else "the op has no ONNX converter")
                raise tracer.refuse(f"the in-place op {label}", f"{why}; write the "
                                    "out-of-place form (y = x.add(1) instead of x.add_(1))")

            tracer.depth += 1
            try:
                before = x.detach().clone()  # the value the converter's inputs refer to
                tracer.names[id(before)] = tracer.names[id(x)]
                tracer._keep.append(before)
                with nnlite.no_grad():  # an input is a leaf that requires grad while tracing
                    out = fn(*args, **kwargs)
                bound_args = (before,) + tuple(args[1:])
                tracer.record(base, label, base_fn, bound_args, kwargs, out)
            finally:
                tracer.depth -= 1
            return out

        return traced_inplace

    def _wrap_refused(self, fn, label, how):
        tracer = self

        def refused(*args, **kwargs):
            if not tracer.depth and args and tracer.traced(args[0]):
                raise tracer.refuse(label, how)
            return fn(*args, **kwargs)

        return refused

    def _wrap_property(self, opname, prop, label):
        op = self._wrap(opname, prop.fget, label)
        return property(op)

    def _module_call(self, orig):
        tracer = self

        def call(m, *args, **kwargs):
            if tracer.depth or not (tracer.traced(args) or tracer.traced(list(kwargs.values()))):
                return orig(m, *args, **kwargs)
            path = tracer._paths.get(id(m))
            where = (f"'{path}' ({type(m).__name__})" if path else type(m).__name__)
            conv = layer_converter(m)
            tracer._stack.append(where)
            try:
                if conv is None:  # trace through its forward
                    out = orig(m, *args, **kwargs)
                    tracer._check_outputs(m, out)
                    return out
                if len(args) != 1 or kwargs:
                    raise tracer.refuse(f"{type(m).__name__} called with {len(args)} positional"
                                        f" and {len(kwargs)} keyword arguments",
                                        "a converted layer takes one input")
                x = args[0]
                tracer.depth += 1
                try:
                    out = orig(m, x)
                    tracer.assign(out, conv(tracer.g, m, tracer.name(x), tuple(x.shape),
                                            path or type(m).__name__))
                finally:
                    tracer.depth -= 1
                return out
            finally:
                tracer._stack.pop()

        return call

    # ---- patches -------------------------------------------------------------------------
    def _patch(self, owner, attr, new):
        had = attr in vars(owner)
        self._patches.append((owner, attr, vars(owner).get(attr) if had else None, had))
        setattr(owner, attr, new)

    def __enter__(self):
        try:
            self._patch(Module, "__call__", self._module_call(Module.__call__))
            done = set()
            inplace_of = []  # (method, fn, out-of-place row name)
            for r in registry.OPS:
                if r.namespace == "torch":
                    for n in (r.name, *r.aliases):
                        for owner, prefix in ((nnlite, "torch"), (F, "F")):
                            bound = getattr(owner, n, None)
                            if (owner, n) not in done and bound is not None and (
                                    bound is r.fn or bound is r.public):
                                done.add((owner, n))
                                self._patch(owner, n, self._wrap(r.name, bound, f"{prefix}.{n}"))
                elif r.namespace == "F":
                    fn = getattr(F, r.name, None)
                    if callable(fn) and (F, r.name) not in done:
                        done.add((F, r.name))
                        self._patch(F, r.name, self._wrap(r.name, fn, f"F.{r.name}"))
                for m in r.methods:
                    fn = vars(Tensor).get(m)
                    if callable(fn) and (Tensor, m) not in done:
                        done.add((Tensor, m))
                        base = _inplace_base(m)
                        if base is None:
                            self._patch(Tensor, m, self._wrap(r.name, fn, _method_label(m)))
                        else:
                            inplace_of.append((m, fn, base))
                for m in r.inplace:
                    fn = vars(Tensor).get(m)
                    if callable(fn) and (Tensor, m) not in done:
                        done.add((Tensor, m))
                        inplace_of.append((m, fn, r.name))
            out_of_place = {r.name: r.fn for r in registry.OPS if r.fn is not None}
            for m, fn, base in inplace_of:
                base_fn = out_of_place.get(base) or vars(Tensor).get(base)
                self._patch(Tensor, m, self._wrap_inplace(base, base_fn, fn, _method_label(m)))
            for m in _OWN_METHODS:
                fn = vars(Tensor).get(m)
                if callable(fn) and (Tensor, m) not in done:
                    self._patch(Tensor, m, self._wrap(m, fn, f"x.{m}()"))
            for m in registry.PROPERTIES:
                p = vars(Tensor).get(m)
                if isinstance(p, property) and m in FUNCTIONS:
                    self._patch(Tensor, m, self._wrap_property(m, p, f"x.{m}"))
            for m in ("__setitem__",):
                fn = vars(Tensor).get(m)
                if callable(fn):
                    self._patch(Tensor, m, self._wrap_refused(
                        fn, "x[...] = value", "in-place assignment into a tensor computed "
                        "from the inputs is not traced; build the result with torch.where or "
                        "torch.cat instead"))
            for m in _DATA_READS:
                fn = vars(Tensor).get(m)
                if callable(fn):
                    self._patch(Tensor, m, self._wrap_refused(
                        fn, f"x.{m}()" if not m.startswith("__") else f"{m[2:-2]}(x)",
                        "the forward reads a value computed from the inputs into Python "
                        "(data-dependent control flow, or a round trip through numpy); the "
                        "exported graph cannot follow it. Keep it in tensor ops (torch.where "
                        "instead of if), or move it outside the exported model"))
        except BaseException:
            self.__exit__(None, None, None)
            raise
        _ACTIVE.append(self)
        return self

    def __exit__(self, *exc):
        if self in _ACTIVE:
            _ACTIVE.remove(self)
        while self._patches:
            owner, attr, old, had = self._patches.pop()
            if had:
                setattr(owner, attr, old)
            else:
                delattr(owner, attr)
        return False


_AUGMENTED = {"__iadd__": "add", "__isub__": "sub", "__imul__": "mul", "__itruediv__": "div",
              "__imatmul__": "matmul", "__ipow__": "pow"}


def _inplace_base(m: str):
    """The out-of-place row name of an in-place method (``add_``, ``__iadd__``), else None."""
    if m in _AUGMENTED:
        return _AUGMENTED[m]
    if m.endswith("_") and not m.startswith("__"):
        return m[:-1]
    return None


def _method_label(m: str) -> str:
    ops = {"__iadd__": "x += y", "__isub__": "x -= y", "__imul__": "x *= y",
           "__itruediv__": "x /= y", "__add__": "x + y", "__sub__": "x - y", "__mul__": "x * y", "__truediv__": "x / y",
           "__matmul__": "x @ y", "__pow__": "x ** y", "__neg__": "-x", "__getitem__": "x[...]"}
    return ops.get(m, f"x.{m}()")


def supported_ops() -> list[str]:
    """The op names with an ONNX converter."""
    return sorted(FUNCTIONS)


def supported_layers() -> list[str]:
    """The layer classes exported as one converter (others are traced through)."""
    return sorted(CONVERTERS)
