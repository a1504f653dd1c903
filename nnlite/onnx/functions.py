"""ONNX converters of nnlite ops (``torch.*``, ``F.*`` and Tensor methods), by op name.

The tracer (:mod:`nnlite.onnx.tracer`) calls ``FUNCTIONS[name](t, a, out)`` when an op runs on
a traced tensor: ``t`` is the tracer (``t.name(value)`` gives the ONNX name of a tensor or of a
Python number, ``t.g`` the graph), ``a`` the op's arguments bound to its signature (defaults
applied) and ``out`` what nnlite computed (its shape and dtype fix static attributes). The
converter returns the output's ONNX name (a list of names for a tuple of results).

Names are the op registry's row names (``add`` for ``torch.add``, ``x.add`` and ``x + y``;
``__radd__`` for ``1 + x``); Tensor methods defined on the class itself (``to``, ``float``,
``contiguous``, ...) are converted under their method name.
"""

from __future__ import annotations

import numpy as np

from nnlite.onnx import layers as L


class _Attrs:
    """Keyword arguments as the attributes a layer converter reads (``F.elu(x, alpha)`` is
    converted by the ``nn.ELU`` converter)."""

    def __init__(self, **kw):
        self.__dict__.update(kw)


def _x(a):
    """The first argument (ops name it ``x``, ``a``, ``input`` or ``self``)."""
    return next(iter(a.values()))


def _layer(conv, first="input", **fixed):
    """A function converted by a layer converter, its keyword arguments as attributes."""

    def convert(t, a, out):
        x = a[first] if first in a else _x(a)
        attrs = {k: v for k, v in a.items() if k != first}
        attrs.update(fixed)
        return conv(t.g, _Attrs(**attrs), t.name(x), tuple(x.shape), t.where())

    return convert


def _unary(op_type):
    def convert(t, a, out):
        return t.g.op(op_type, [t.name(_x(a))], op_type.lower())

    return convert


def _binary(op_type, swap=False):
    """``a <op> b`` (``swap``: the reflected form, ``b <op> a``); numbers become constants of
    the tensor operand's dtype, mixed dtypes are cast to the result's."""

    def convert(t, a, out):
        first, second = list(a.values())[:2]
        if swap:
            first, second = second, first
        dtype = t.operand_dtype(first, second, out)
        x, y = t.name(first, dtype), t.name(second, dtype)
        alpha = a.get("alpha", 1)
        if alpha != 1:
            y = t.g.op("Mul", [y, t.name(alpha, dtype)], "alpha")
        return t.g.op(op_type, [x, y], op_type.lower())

    return convert


def _div(t, a, out):
    mode = a.get("rounding_mode")
    if mode not in (None, "floor"):
        raise t.refuse(f"div(rounding_mode={mode!r})", "rounding_mode='trunc' has no ONNX form; "
                       "use rounding_mode='floor' or torch.trunc outside the exported model")
    dtype = t.operand_dtype(a["a"], a["b"], out)
    y = t.g.op("Div", [t.name(a["a"], dtype), t.name(a["b"], dtype)], "div")
    return y if mode is None else t.g.op("Floor", [y], "floor")


def _pow(t, a, out, swap=False):
    base, exp = (a["b"], _x(a)) if swap else (_x(a), a["b"])
    dtype = out.dtype
    return t.g.op("Pow", [t.name(base, dtype), t.name(exp, dtype)], "pow")


def _rsqrt(t, a, out):
    return t.g.op("Reciprocal", [t.g.op("Sqrt", [t.name(_x(a))], "sqrt")], "rsqrt")


def _square(t, a, out):
    x = t.name(_x(a))
    return t.g.op("Mul", [x, x], "square")


def _clamp(t, a, out):
    x = _x(a)
    y = t.name(x)
    lo, hi = a.get("min"), a.get("max")
    if lo is not None:
        y = t.g.op("Max", [y, t.name(lo, x.dtype)], "clamp")
    if hi is not None:
        y = t.g.op("Min", [y, t.name(hi, x.dtype)], "clamp")
    return y


def _linear(t, a, out):
    x, w, b = a["input"], a["weight"], a.get("bias")
    if x.ndim == 2:
        ins = [t.name(x), t.name(w)] + ([] if b is None else [t.name(b)])
        return t.g.op("Gemm", ins, "linear", transB=1)
    y = t.g.op("MatMul", [t.name(x), t.g.op("Transpose", [t.name(w)], "weight_t")], "linear")
    return y if b is None else t.g.op("Add", [y, t.name(b)], "linear")


def _conv(nd):
    def convert(t, a, out):
        w, b = a["weight"], a.get("bias")
        return L.conv_node(t.g, t.name(a["input"]), t.name(w), None if b is None else t.name(b),
                           tuple(w.shape[2:]), nd, a["stride"], a["padding"], a["dilation"],
                           a["groups"], t.where())

    return convert


def _max_pool(nd):
    def convert(t, a, out):
        if a.get("return_indices"):
            raise t.refuse(f"max_pool{nd}d(return_indices=True)", "only the values export")
        return L.maxpool_node(t.g, t.name(a["input"]), nd, a["kernel_size"], a["stride"],
                              a["padding"], a["dilation"], a["ceil_mode"], t.where())

    return convert


def _avg_pool(nd):
    def convert(t, a, out):
        if a.get("divisor_override") is not None:
            raise t.refuse(f"avg_pool{nd}d(divisor_override=...)", "it has no ONNX form")
        return L.avgpool_node(t.g, t.name(a["input"]), nd, a["kernel_size"], a["stride"],
                              a["padding"], a["ceil_mode"], a["count_include_pad"], t.where())

    return convert


def _adaptive_avg_pool(t, a, out):
    x = a["input"]
    return L.adaptive_avgpool_node(t.g, t.name(x), tuple(x.shape), a["output_size"], t.where())


def _batch_norm(t, a, out):
    if a["training"] or a["running_mean"] is None:
        raise t.refuse("batch_norm(training=True)", "batch statistics are not exported; call "
                       "it with training=self.training (and running statistics) and export "
                       "in eval mode")
    x = a["input"]
    c = x.shape[1]
    dt = x._data.dtype
    w = a["weight"] if a["weight"] is not None else np.ones(c, dt)
    b = a["bias"] if a["bias"] is not None else np.zeros(c, dt)
    return t.g.op("BatchNormalization", [t.name(x), t.name(w, dt), t.name(b, dt),
                                         t.name(a["running_mean"]), t.name(a["running_var"])],
                  "batch_norm", epsilon=float(a["eps"]))


def _layer_norm(t, a, out):
    ns = a["normalized_shape"]
    ns = (int(ns),) if isinstance(ns, int) else tuple(int(n) for n in ns)
    if t.g.opset < 17:
        raise t.refuse("layer_norm", "ONNX LayerNormalization needs opset_version >= 17")
    x = a["input"]
    dt = x._data.dtype
    w = a["weight"] if a["weight"] is not None else np.ones(ns, dt)
    b = a["bias"] if a["bias"] is not None else np.zeros(ns, dt)
    return t.g.op("LayerNormalization", [t.name(x), t.name(w, dt), t.name(b, dt)],
                  "layer_norm", axis=-len(ns), epsilon=float(a["eps"]))


def _softmax(op_type):
    def convert(t, a, out):
        dim = a.get("dim")
        if dim is None:
            raise t.refuse(f"{op_type.lower()}(dim=None)", "give dim explicitly")
        y = t.name(_x(a))
        if a.get("dtype") is not None:
            y = t.cast(y, out.dtype)
        return t.g.op(op_type, [y], op_type.lower(), axis=int(dim))

    return convert


def _dropout(t, a, out):
    if a.get("training", False) and a.get("p", 0.0) > 0:
        raise t.refuse("dropout(training=True)", "the functional form draws a random mask even "
                       "in eval mode; pass training=self.training (export runs in eval mode)")
    return t.g.op("Identity", [t.name(_x(a))], "dropout")


def _identity(t, a, out):
    return t.g.op("Identity", [t.name(_x(a))], "identity")


def _cast_like_out(t, a, out):
    """``to``/``float``/``type_as``/...: a Cast when the dtype changes, else Identity."""
    x = _x(a)
    if tuple(out.shape) != tuple(x.shape):  # pragma: no cover - these never reshape
        raise t.refuse("to", "it changed the shape")
    name = t.name(x)
    if out._data.dtype != x._data.dtype:
        return t.cast(name, out.dtype)
    return t.g.op("Identity", [name], "to")


def _shape_arg(a, key):
    shape = a[key]
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = shape[0]
    return [int(s) for s in shape]


def _reshape(t, a, out, key="shape"):
    x = _x(a)
    target = _shape_arg(a, key) if isinstance(a.get(key), tuple) else [int(s) for s in a[key]]
    # leading sizes equal to the input's are copied (ONNX 0), so x.view(x.size(0), -1) keeps
    # a dynamic batch axis free instead of baking the example's batch size in
    for i, (s, d) in enumerate(zip(target, x.shape)):
        if s != d:
            break
        target[i] = 0
    return t.g.op("Reshape", [t.name(x), t.g.ints(target)], "reshape")


def _view_as(t, a, out):
    x, other = list(a.values())[:2]
    return t.g.op("Reshape", [t.name(x), t.g.op("Shape", [t.name(other)], "shape")], "view_as")


def _flatten(t, a, out):
    x = _x(a)
    r = max(x.ndim, 1)
    sd, ed = a.get("start_dim", 0) % r, a.get("end_dim", -1) % r
    new = [0] * sd + [-1] + [int(d) for d in x.shape[ed + 1:]]
    return t.g.op("Reshape", [t.name(x), t.g.ints(new)], "flatten")


def _unflatten(t, a, out):
    x = _x(a)
    dim = a["dim"] % x.ndim
    new = [0] * dim + [int(s) for s in a["sizes"]] + [int(d) for d in x.shape[dim + 1:]]
    return t.g.op("Reshape", [t.name(x), t.g.ints(new)], "unflatten")


def _squeeze(t, a, out):
    x = _x(a)
    dim = a.get("dim")
    if dim is None:
        axes = [i for i, d in enumerate(x.shape) if d == 1]
    else:
        dims = dim if isinstance(dim, (tuple, list)) else (dim,)
        axes = [d % max(x.ndim, 1) for d in dims if x.shape[d % max(x.ndim, 1)] == 1]
    if not axes:
        return t.g.op("Identity", [t.name(x)], "squeeze")
    return t.g.op("Squeeze", [t.name(x), t.g.ints(axes)], "squeeze")


def _unsqueeze(t, a, out):
    return t.g.op("Unsqueeze", [t.name(_x(a)), t.g.ints([a["dim"] % out.ndim])], "unsqueeze")


def _transpose(t, a, out):
    x = _x(a)
    vals = list(a.values())
    perm = list(range(x.ndim))
    d0, d1 = vals[1] % x.ndim, vals[2] % x.ndim
    perm[d0], perm[d1] = perm[d1], perm[d0]
    return t.g.op("Transpose", [t.name(x)], "transpose", perm=perm)


def _t(t, a, out):
    x = _x(a)
    if x.ndim < 2:
        return t.g.op("Identity", [t.name(x)], "t")
    return t.g.op("Transpose", [t.name(x)], "t", perm=[1, 0])


def _permute(t, a, out):
    x = _x(a)
    dims = _shape_arg(a, "dims")
    return t.g.op("Transpose", [t.name(x)], "permute", perm=[d % x.ndim for d in dims])


def _expand(t, a, out):
    x = _x(a)
    sizes = _shape_arg(a, "sizes")
    lead = len(sizes) - x.ndim
    # -1 and sizes equal to the input's stay the input's (ONNX Expand broadcasts a 1 to them)
    shape = [1 if s == -1 or (i >= lead and s == x.shape[i - lead]) else s
             for i, s in enumerate(sizes)]
    return t.g.op("Expand", [t.name(x), t.g.ints(shape)], "expand")


def _cat(t, a, out):
    tensors = [v for v in a["tensors"]]
    dim = a["dim"] % out.ndim
    return t.g.op("Concat", [t.name(v, out.dtype) for v in tensors], "cat", axis=dim)


def _stack(t, a, out):
    dim = a["dim"] % out.ndim
    ax = t.g.ints([dim])
    parts = [t.g.op("Unsqueeze", [t.name(v, out.dtype), ax], "stack") for v in a["tensors"]]
    return t.g.op("Concat", parts, "stack", axis=dim)


def _split_sizes(t, x, sizes, dim):
    return t.g.op("Split", [t.name(x), t.g.ints(sizes)], "split", outputs=len(sizes),
                  axis=dim) if len(sizes) > 1 else [t.g.op("Identity", [t.name(x)], "split")]


def _chunk(t, a, out):
    x = _x(a)
    dim = a["dim"] % x.ndim
    return _split_sizes(t, x, [int(o.shape[dim]) for o in out], dim)


def _split(t, a, out):
    x = _x(a)
    dim = a["dim"] % x.ndim
    return _split_sizes(t, x, [int(o.shape[dim]) for o in out], dim)


def _reduce(op_type):
    def convert(t, a, out):
        x = _x(a)
        dim = a.get("dim")
        if dim is None:
            dim = a.get("axis")
        if a.get("dtype") is not None:
            name = t.cast(t.name(x), out.dtype)
        else:
            name = t.name(x)
        axes = None if dim is None else [d % max(x.ndim, 1) for d in (
            dim if isinstance(dim, (tuple, list)) else (dim,))]
        return t.g.reduce(op_type, name, axes, a.get("keepdim", False), op_type.lower())

    return convert


def _max_min(op_type, arg_type, elementwise):
    def convert(t, a, out):
        vals = list(a.values())
        x, dim = vals[0], vals[1] if len(vals) > 1 else None
        from nnlite._tensor import Tensor

        if isinstance(dim, Tensor):  # torch.max(a, b): elementwise
            dtype = t.operand_dtype(x, dim, out)
            return t.g.op(elementwise, [t.name(x, dtype), t.name(dim, dtype)], "max")
        keep = bool(vals[2]) if len(vals) > 2 else False
        if dim is None:
            return t.g.reduce(op_type, t.name(x), None, False, "max")
        d = dim % x.ndim
        v = t.g.reduce(op_type, t.name(x), [d], keep, "values")
        i = t.g.op(arg_type, [t.name(x)], "indices", axis=d, keepdims=int(keep))
        return [v, i]

    return convert


def _argmax(op_type):
    def convert(t, a, out):
        x = _x(a)
        dim = a.get("dim")
        keep = bool(a.get("keepdim", False))
        name = t.name(x)
        if dim is None:
            name = t.g.op("Reshape", [name, t.g.ints([-1])], "flat")
            dim, keep = 0, False
        return t.g.op(op_type, [name], "argmax", axis=int(dim) % max(x.ndim, 1),
                      keepdims=int(keep))

    return convert


def _where(t, a, out):
    cond, x, y = list(a.values())[:3]
    return t.g.op("Where", [t.name(cond), t.name(x, out.dtype), t.name(y, out.dtype)], "where")


def _normalize(t, a, out):
    x = a["input"]
    if a["p"] != 2:
        raise t.refuse(f"normalize(p={a['p']})", "only p=2 is converted")
    n = t.g.reduce("ReduceL2", t.name(x), [a["dim"] % x.ndim], True, "norm")
    n = t.g.op("Max", [n, t.name(float(a["eps"]), x.dtype)], "norm")
    return t.g.op("Div", [t.name(x), n], "normalize")


def _embedding(t, a, out):
    for k in ("max_norm",):
        if a.get(k) is not None:
            raise t.refuse(f"embedding({k}=...)", "it renormalizes the weight in place")
    return t.g.op("Gather", [t.name(a["weight"]), t.name(a["input"])], "embedding", axis=0)


def _pad(t, a, out):
    x = a["input"]
    if a["mode"] != "constant":
        raise t.refuse(f"pad(mode={a['mode']!r})", "only mode='constant' is converted")
    pad = [int(p) for p in a["pad"]]
    begin, end = [0] * x.ndim, [0] * x.ndim
    for i in range(len(pad) // 2):  # torch lists (last dim begin, end, previous dim ...)
        begin[x.ndim - 1 - i], end[x.ndim - 1 - i] = pad[2 * i], pad[2 * i + 1]
    value = 0.0 if a["value"] is None else float(a["value"])
    return t.g.op("Pad", [t.name(x), t.g.ints(begin + end), t.name(value, x.dtype)], "pad")


def _getitem(t, a, out):
    """Basic indexing: ints, slices (positive steps), None and Ellipsis."""
    from nnlite._tensor import Tensor

    x, key = _x(a), a["key"]
    key = key if isinstance(key, tuple) else (key,)
    if any(isinstance(k, (Tensor, list, np.ndarray)) or k is True or k is False for k in key):
        raise t.refuse("x[index] with a tensor or list index", "only ints, slices, None and "
                       "... are converted; use torch.index_select/gather on constant indices "
                       "outside the model")
    n_real = sum(1 for k in key if k is not None and k is not Ellipsis)
    if sum(1 for k in key if k is Ellipsis) > 1:
        raise t.refuse("x[...]", "more than one Ellipsis")
    full = []
    for k in key:
        if k is Ellipsis:
            full.extend([slice(None)] * (x.ndim - n_real))
        else:
            full.append(k)
    starts, ends, axes, steps, squeeze, unsq = [], [], [], [], [], []
    dim = 0
    out_pos = 0
    for k in full:
        if k is None:
            unsq.append(out_pos)
            out_pos += 1
            continue
        size = int(x.shape[dim])
        if isinstance(k, slice):
            if k.step is not None and k.step <= 0:
                raise t.refuse("x[::step] with step <= 0", "torch refuses it too")
            if k != slice(None):
                s, e, st = k.indices(size)
                starts.append(s)
                ends.append(e)
                axes.append(dim)
                steps.append(st)
            out_pos += 1
        else:
            i = int(k)
            i = i + size if i < 0 else i
            starts.append(i)
            ends.append(i + 1)
            axes.append(dim)
            steps.append(1)
            squeeze.append(dim)
        dim += 1
    y = t.name(x)
    if axes:
        y = t.g.op("Slice", [y, t.g.ints(starts), t.g.ints(ends), t.g.ints(axes),
                             t.g.ints(steps)], "slice")
    if squeeze:
        y = t.g.op("Squeeze", [y, t.g.ints(squeeze)], "index")
    if unsq:
        y = t.g.op("Unsqueeze", [y, t.g.ints(unsq)], "index")
    if not (axes or squeeze or unsq):
        y = t.g.op("Identity", [y], "index")
    return y


FUNCTIONS = {
    # arithmetic (x + y, torch.add, x.add, ...) and comparisons
    "add": _binary("Add"), "sub": _binary("Sub"), "mul": _binary("Mul"), "div": _div,
    "true_divide": _binary("Div"), "__radd__": _binary("Add", swap=True),
    "__rsub__": _binary("Sub", swap=True), "__rmul__": _binary("Mul", swap=True),
    "__rtruediv__": _binary("Div", swap=True), "__rdiv__": _binary("Div", swap=True),
    "pow": _pow, "__rpow__": lambda t, a, out: _pow(t, a, out, swap=True),
    "matmul": _binary("MatMul"), "mm": _binary("MatMul"), "bmm": _binary("MatMul"),
    "__rmatmul__": _binary("MatMul", swap=True), "maximum": _binary("Max"),
    "minimum": _binary("Min"), "gt": _binary("Greater"), "lt": _binary("Less"),
    "ge": _binary("GreaterOrEqual"), "le": _binary("LessOrEqual"), "eq": _binary("Equal"),
    "where": _where,
    # elementwise
    "neg": _unary("Neg"), "exp": _unary("Exp"), "log": _unary("Log"), "sqrt": _unary("Sqrt"),
    "rsqrt": _rsqrt, "abs": _unary("Abs"), "sin": _unary("Sin"), "cos": _unary("Cos"),
    "erf": _unary("Erf"), "reciprocal": _unary("Reciprocal"), "floor": _unary("Floor"),
    "ceil": _unary("Ceil"), "sign": _unary("Sign"), "square": _square, "clamp": _clamp,
    "relu": _unary("Relu"), "sigmoid": _unary("Sigmoid"), "tanh": _unary("Tanh"),
    # nn.functional
    "linear": _linear, "conv1d": _conv(1), "conv2d": _conv(2), "max_pool1d": _max_pool(1),
    "max_pool2d": _max_pool(2), "avg_pool1d": _avg_pool(1), "avg_pool2d": _avg_pool(2),
    "adaptive_avg_pool1d": _adaptive_avg_pool, "adaptive_avg_pool2d": _adaptive_avg_pool,
    "batch_norm": _batch_norm, "layer_norm": _layer_norm,
    "softmax": _softmax("Softmax"), "log_softmax": _softmax("LogSoftmax"),
    "dropout": _dropout, "dropout1d": _dropout, "dropout2d": _dropout, "dropout3d": _dropout,
    "relu6": _layer(L._clip("min_val", "max_val"), min_val=0.0, max_val=6.0),
    "hardtanh": _layer(L._clip("min_val", "max_val")), "leaky_relu": _layer(L._leaky),
    "elu": _layer(L._elu), "celu": _layer(L._celu), "selu": _unary("Selu"),
    "gelu": _layer(L._gelu), "silu": _layer(L._silu), "mish": _layer(L._mish),
    "softplus": _layer(L._softplus), "hardsigmoid": _layer(L._hardsigmoid),
    "hardswish": _layer(L._hardswish), "logsigmoid": _layer(L._logsigmoid),
    "softsign": _unary("Softsign"), "normalize": _normalize, "embedding": _embedding,
    "pad": _pad,
    # shapes and copies
    "reshape": _reshape, "view": _reshape, "flatten": _flatten, "unflatten": _unflatten,
    "view_as": _view_as, "reshape_as": _view_as, "squeeze": _squeeze, "unsqueeze": _unsqueeze,
    "transpose": _transpose, "swapaxes": _transpose, "t": _t, "permute": _permute,
    "expand": _expand, "cat": _cat, "stack": _stack, "chunk": _chunk, "split": _split,
    "__getitem__": _getitem, "contiguous": _identity, "clone": _identity, "detach": _identity,
    "to": _cast_like_out, "float": _cast_like_out, "double": _cast_like_out,
    "type_as": _cast_like_out, "type": _cast_like_out,
    # reductions
    "sum": _reduce("ReduceSum"), "mean": _reduce("ReduceMean"), "amax": _reduce("ReduceMax"),
    "amin": _reduce("ReduceMin"), "prod": _reduce("ReduceProd"),
    "logsumexp": _reduce("ReduceLogSumExp"),
    "max": _max_min("ReduceMax", "ArgMax", "Max"), "min": _max_min("ReduceMin", "ArgMin", "Min"),
    "argmax": _argmax("ArgMax"), "argmin": _argmax("ArgMin"),
    # properties
    "T": lambda t, a, out: t.g.op("Transpose", [t.name(_x(a))], "T",
                                  perm=list(range(_x(a).ndim))[::-1]),
    "mT": lambda t, a, out: t.g.op("Transpose", [t.name(_x(a))], "mT", perm=list(
        range(_x(a).ndim - 2)) + [_x(a).ndim - 1, _x(a).ndim - 2]),
}
