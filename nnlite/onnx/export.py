"""``export``: an nnlite model as an ONNX file, with ``torch.onnx.export``'s signature.

The model is walked as a module tree (not traced): containers (``Sequential``) are unrolled and
each layer becomes the ONNX nodes that compute the same function, its weights stored as float32
initializers. The example input fixes the input shape (and each layer's input shape, found by
running the model on it); ``dynamic_axes`` frees axes, e.g. ``{"input": {0: "batch"}}``.
A layer without a converter (a user Module with its own ``forward``, an RNN, ...) raises
``UnsupportedOperatorError`` naming the layer and its path in the model.

Converted layers: Linear, Bilinear-free MLP blocks (BatchNorm1d/2d in eval with running stats,
LayerNorm at opset >= 17), ReLU, ReLU6, Hardtanh, LeakyReLU, PReLU, ELU, SELU, CELU, GELU (exact
and tanh), SiLU, Mish, Sigmoid, LogSigmoid, Tanh, Softplus, Softsign, Hardsigmoid, Hardswish,
Softmax, LogSoftmax, Dropout (identity), Identity, Flatten, Conv1d/Conv2d (zero padding),
MaxPool1d/2d, AvgPool1d/2d, AdaptiveAvgPool1d/2d (global or evenly dividing), a leading
standardization layer (a module with ``mean`` and ``std`` buffers computing ``(x - mean) / std``,
as ``nnlite.train.predict.Standardize``), and Sequential containers of these.
"""

from __future__ import annotations

import math

import numpy as np

DEFAULT_OPSET = 17
MIN_OPSET = 13  # Softmax/LogSoftmax over one axis, Squeeze/Unsqueeze with axes as inputs


class UnsupportedOperatorError(RuntimeError):
    """A layer (or a layer setting) has no ONNX converter; the message names the layer."""


def _tup(v, n):
    if isinstance(v, (tuple, list)):
        return tuple(int(i) for i in v)
    return (int(v),) * n


class _Graph:
    """Nodes and initializers being built; names are unique."""

    def __init__(self, opset: int):
        from onnx import helper, numpy_helper

        self.helper, self.numpy_helper = helper, numpy_helper
        self.opset = opset
        self.nodes, self.inits = [], []
        self._n = 0

    def name(self, hint: str) -> str:
        self._n += 1
        return f"{hint}_{self._n}"

    def const(self, hint: str, value, dtype=np.float32) -> str:
        name = self.name(hint)
        arr = np.ascontiguousarray(np.asarray(value, dtype=dtype))
        self.inits.append(self.numpy_helper.from_array(arr, name))
        return name

    def op(self, op_type: str, inputs, hint: str, **attrs) -> str:
        out = self.name(hint)
        self.nodes.append(self.helper.make_node(op_type, list(inputs), [out],
                                                name=self.name(op_type), **attrs))
        return out


# ---- converters: (graph, module, input name, input shape, path) -> output name ---------------


def _data(t) -> np.ndarray:
    return np.asarray(t.detach().numpy(), dtype=np.float32)


def _linear(g, m, x, shape, path):
    w = _data(m.weight)
    b = None if m.bias is None else _data(m.bias)
    if len(shape) == 2:
        ins = [x, g.const(f"{path}.weight", w)]
        if b is not None:
            ins.append(g.const(f"{path}.bias", b))
        return g.op("Gemm", ins, path or "linear", transB=1)
    y = g.op("MatMul", [x, g.const(f"{path}.weight_t", w.T)], path or "linear")
    return y if b is None else g.op("Add", [y, g.const(f"{path}.bias", b)], path or "linear")


def _batchnorm(g, m, x, shape, path):
    if m.running_mean is None or not m.track_running_stats:
        raise UnsupportedOperatorError(
            f"cannot export '{path}' ({type(m).__name__}): track_running_stats=False normalizes "
            "with the batch's statistics even in eval mode; only running statistics export")
    c = m.num_features
    scale = _data(m.weight) if m.weight is not None else np.ones(c, np.float32)
    bias = _data(m.bias) if getattr(m, "bias", None) is not None else np.zeros(c, np.float32)
    return g.op("BatchNormalization",
                [x, g.const(f"{path}.weight", scale), g.const(f"{path}.bias", bias),
                 g.const(f"{path}.running_mean", _data(m.running_mean)),
                 g.const(f"{path}.running_var", _data(m.running_var))],
                path or "batchnorm", epsilon=float(m.eps))


def _layernorm(g, m, x, shape, path):
    if g.opset < 17:
        raise UnsupportedOperatorError(
            f"cannot export '{path}' (LayerNorm) at opset {g.opset}: ONNX LayerNormalization "
            "needs opset_version >= 17")
    ns = tuple(m.normalized_shape)
    scale = _data(m.weight) if m.weight is not None else np.ones(ns, np.float32)
    bias = _data(m.bias) if getattr(m, "bias", None) is not None else np.zeros(ns, np.float32)
    return g.op("LayerNormalization", [x, g.const(f"{path}.weight", scale),
                                       g.const(f"{path}.bias", bias)],
                path or "layernorm", axis=-len(ns), epsilon=float(m.eps))


def _unary(op_type, **fixed):
    def convert(g, m, x, shape, path):
        return g.op(op_type, [x], path or op_type.lower(), **fixed)
    return convert


def _clip(lo_attr, hi_attr):
    def convert(g, m, x, shape, path):
        lo, hi = getattr(m, lo_attr), getattr(m, hi_attr)
        return g.op("Clip", [x, g.const("min", lo), g.const("max", hi)], path or "clip")
    return convert


def _leaky(g, m, x, shape, path):
    return g.op("LeakyRelu", [x], path or "leaky_relu", alpha=float(m.negative_slope))


def _elu(g, m, x, shape, path):
    return g.op("Elu", [x], path or "elu", alpha=float(m.alpha))


def _celu(g, m, x, shape, path):
    return g.op("Celu", [x], path or "celu", alpha=float(m.alpha))


def _prelu(g, m, x, shape, path):
    w = _data(m.weight)
    if len(shape) > 2 and w.size > 1:  # one slope per channel (axis 1) broadcast over the rest
        w = w.reshape((-1,) + (1,) * (len(shape) - 2))
    return g.op("PRelu", [x, g.const(f"{path}.weight", w)], path or "prelu")


def _gelu(g, m, x, shape, path):
    p = path or "gelu"
    half = g.op("Mul", [x, g.const("half", 0.5)], p)
    if m.approximate == "tanh":
        cube = g.op("Mul", [g.op("Mul", [x, x], p), x], p)
        inner = g.op("Add", [x, g.op("Mul", [cube, g.const("c", 0.044715)], p)], p)
        t = g.op("Tanh", [g.op("Mul", [inner, g.const("k", math.sqrt(2.0 / math.pi))], p)], p)
    else:
        t = g.op("Erf", [g.op("Mul", [x, g.const("inv_sqrt2", 1.0 / math.sqrt(2.0))], p)], p)
    return g.op("Mul", [half, g.op("Add", [t, g.const("one", 1.0)], p)], p)


def _silu(g, m, x, shape, path):
    return g.op("Mul", [x, g.op("Sigmoid", [x], path or "silu")], path or "silu")


def _mish(g, m, x, shape, path):
    p = path or "mish"
    return g.op("Mul", [x, g.op("Tanh", [g.op("Softplus", [x], p)], p)], p)


def _logsigmoid(g, m, x, shape, path):
    p = path or "logsigmoid"  # log(sigmoid(x)) = -softplus(-x), stable for large |x|
    return g.op("Neg", [g.op("Softplus", [g.op("Neg", [x], p)], p)], p)


def _softplus(g, m, x, shape, path):
    p = path or "softplus"
    beta = float(m.beta)
    if beta == 1.0:
        sp = g.op("Softplus", [x], p)
    else:
        sp = g.op("Div", [g.op("Softplus", [g.op("Mul", [x, g.const("beta", beta)], p)], p),
                          g.const("beta", beta)], p)
    # torch returns x itself where beta * x > threshold
    mask = g.op("Greater", [g.op("Mul", [x, g.const("beta", beta)], p),
                            g.const("threshold", float(m.threshold))], p)
    return g.op("Where", [mask, x, sp], p)


def _hardsigmoid(g, m, x, shape, path):
    return g.op("HardSigmoid", [x], path or "hardsigmoid", alpha=1.0 / 6.0, beta=0.5)


def _hardswish(g, m, x, shape, path):
    return g.op("HardSwish", [x], path or "hardswish") if g.opset >= 14 else g.op(
        "Mul", [x, _hardsigmoid(g, m, x, shape, path)], path or "hardswish")


def _softmax(op_type):
    def convert(g, m, x, shape, path):
        if m.dim is None:
            raise UnsupportedOperatorError(
                f"cannot export '{path}' ({type(m).__name__}(dim=None)): give dim explicitly")
        return g.op(op_type, [x], path or op_type.lower(), axis=int(m.dim))
    return convert


def _identity(g, m, x, shape, path):
    return g.op("Identity", [x], path or "identity")


def _flatten(g, m, x, shape, path):
    r = len(shape)
    sd, ed = m.start_dim % r, m.end_dim % r
    if ed < sd:
        raise UnsupportedOperatorError(f"cannot export '{path}' (Flatten): end_dim < start_dim")
    new = [0] * sd + [-1] + [int(d) for d in shape[ed + 1:]]
    return g.op("Reshape", [x, g.const("shape", new, np.int64)], path or "flatten")


def _conv(g, m, x, shape, path):
    nd = len(shape) - 2
    if m.padding_mode != "zeros":
        raise UnsupportedOperatorError(
            f"cannot export '{path}' ({type(m).__name__}): padding_mode='{m.padding_mode}' (only "
            "'zeros' is converted)")
    k = tuple(m.weight.shape[2:])
    dil = _tup(m.dilation, nd)
    if isinstance(m.padding, str):
        if m.padding == "valid":
            begin = end = (0,) * nd
        else:  # 'same': torch puts the odd extra element at the end
            total = [d * (kk - 1) for d, kk in zip(dil, k)]
            begin = tuple(t // 2 for t in total)
            end = tuple(t - b for t, b in zip(total, begin))
    else:
        begin = end = _tup(m.padding, nd)
    ins = [x, g.const(f"{path}.weight", _data(m.weight))]
    if m.bias is not None:
        ins.append(g.const(f"{path}.bias", _data(m.bias)))
    return g.op("Conv", ins, path or "conv", kernel_shape=list(k), strides=list(_tup(m.stride, nd)),
                pads=list(begin + end), dilations=list(dil), group=int(m.groups))


def _maxpool(g, m, x, shape, path):
    nd = len(shape) - 2
    if m.return_indices:
        raise UnsupportedOperatorError(f"cannot export '{path}' ({type(m).__name__}): "
                                       "return_indices=True")
    pad = _tup(m.padding, nd)
    return g.op("MaxPool", [x], path or "maxpool", kernel_shape=list(_tup(m.kernel_size, nd)),
                strides=list(_tup(m.stride, nd)), pads=list(pad + pad),
                dilations=list(_tup(m.dilation, nd)), ceil_mode=int(bool(m.ceil_mode)))


def _avgpool(g, m, x, shape, path):
    nd = len(shape) - 2
    if getattr(m, "divisor_override", None) is not None:
        raise UnsupportedOperatorError(f"cannot export '{path}' ({type(m).__name__}): "
                                       "divisor_override")
    pad = _tup(m.padding, nd)
    return g.op("AveragePool", [x], path or "avgpool", kernel_shape=list(_tup(m.kernel_size, nd)),
                strides=list(_tup(m.stride, nd)), pads=list(pad + pad),
                ceil_mode=int(bool(m.ceil_mode)),
                count_include_pad=int(bool(m.count_include_pad)))


def _adaptive_avgpool(g, m, x, shape, path):
    nd = len(shape) - 2
    spatial = tuple(int(d) for d in shape[2:])
    out = tuple(s if o is None else int(o) for o, s in
                zip(m.output_size if isinstance(m.output_size, (tuple, list))
                    else (m.output_size,) * nd, spatial))
    if all(o == 1 for o in out):
        return g.op("GlobalAveragePool", [x], path or "avgpool")
    if all(s % o == 0 for s, o in zip(spatial, out)):
        k = [s // o for s, o in zip(spatial, out)]
        return g.op("AveragePool", [x], path or "avgpool", kernel_shape=k, strides=k)
    raise UnsupportedOperatorError(
        f"cannot export '{path}' ({type(m).__name__}): output_size {out} does not divide the "
        f"input size {spatial} (only global or evenly dividing pooling converts)")


def _standardize(g, m, x, shape, path):
    centred = g.op("Sub", [x, g.const(f"{path}.mean", _data(m.mean))], path or "standardize")
    return g.op("Div", [centred, g.const(f"{path}.std", _data(m.std))], path or "standardize")


CONVERTERS = {
    "Linear": _linear, "BatchNorm1d": _batchnorm, "BatchNorm2d": _batchnorm,
    "LayerNorm": _layernorm, "ReLU": _unary("Relu"), "ReLU6": _clip("min_val", "max_val"),
    "Hardtanh": _clip("min_val", "max_val"), "LeakyReLU": _leaky, "PReLU": _prelu, "ELU": _elu,
    "SELU": _unary("Selu"), "CELU": _celu, "GELU": _gelu, "SiLU": _silu, "Mish": _mish,
    "Sigmoid": _unary("Sigmoid"), "LogSigmoid": _logsigmoid, "Tanh": _unary("Tanh"),
    "Softplus": _softplus, "Softsign": _unary("Softsign"), "Hardsigmoid": _hardsigmoid,
    "Hardswish": _hardswish, "Softmax": _softmax("Softmax"),
    "LogSoftmax": _softmax("LogSoftmax"), "Dropout": _identity, "Dropout1d": _identity,
    "Dropout2d": _identity, "AlphaDropout": _identity, "Identity": _identity,
    "Flatten": _flatten, "Conv1d": _conv, "Conv2d": _conv, "MaxPool1d": _maxpool,
    "MaxPool2d": _maxpool, "AvgPool1d": _avgpool, "AvgPool2d": _avgpool,
    "AdaptiveAvgPool1d": _adaptive_avgpool, "AdaptiveAvgPool2d": _adaptive_avgpool,
    "Standardize": _standardize,
}
CONTAINERS = ("Sequential",)


def _is_standardize(m) -> bool:
    buffers = dict(m.named_buffers(recurse=False))
    return "mean" in buffers and "std" in buffers and not list(m.children())


def _convert(g, module, x_name, x_value, path):
    """Append ``module``'s nodes; returns (output name, output value computed by nnlite)."""
    import nnlite

    name = type(module).__name__
    if name in CONTAINERS:
        for child_name, child in module.named_children():
            x_name, x_value = _convert(g, child, x_name, x_value,
                                       f"{path}.{child_name}" if path else child_name)
        return x_name, x_value
    conv = CONVERTERS.get(name)
    if conv is None and _is_standardize(module):
        conv = _standardize
    if conv is None:
        supported = ", ".join(sorted(set(CONVERTERS) | set(CONTAINERS)))
        where = f"'{path}' ({name})" if path else name
        raise UnsupportedOperatorError(
            f"cannot export {where} to ONNX: no converter for {name} (user modules with their "
            f"own forward are not traced). Supported layers: {supported}")
    out_name = conv(g, module, x_name, tuple(x_value.shape), path)
    with nnlite.no_grad():
        out_value = module(x_value)
    return out_name, out_value


def _axes_spec(dynamic_axes, names) -> dict:
    """``{tensor name: {axis: dim name}}`` from torch's ``dynamic_axes`` forms."""
    out = {}
    for tname, axes in (dynamic_axes or {}).items():
        if tname not in names:
            raise ValueError(f"dynamic_axes names '{tname}', which is not one of the input or "
                             f"output names {sorted(names)}")
        if isinstance(axes, dict):
            out[tname] = {int(a): str(n) for a, n in axes.items()}
        else:
            out[tname] = {int(a): f"{tname}_dynamic_axes_{i + 1}" for i, a in enumerate(axes)}
    return out


def _value_info(helper, name, shape, dyn: dict):
    from onnx import TensorProto

    rank = len(shape)
    dims = []
    for i, d in enumerate(shape):
        dims.append(dyn.get(i, dyn.get(i - rank)) or int(d))
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, dims)


def build_model(model, example_input, input_names=None, output_names=None, dynamic_axes=None,
                opset_version=None, pre=None, head=None, metadata=None):
    """The ``onnx.ModelProto`` of ``model`` (see :func:`export`). ``pre(graph, name, value)``
    may prepend nodes and ``head(graph, name, value)`` append output nodes, each returning
    ``(name, value)`` (run export: missing-value filling, softmax, target scaling)."""
    try:
        import onnx
        from onnx import helper
    except ImportError as e:
        raise ImportError("ONNX export needs the onnx package: pip install 'nnlite[onnx]'") from e
    import nnlite
    from nnlite._tensor import Tensor

    opset = DEFAULT_OPSET if opset_version is None else int(opset_version)
    if not MIN_OPSET <= opset <= onnx.defs.onnx_opset_version():
        raise ValueError(f"opset_version must be between {MIN_OPSET} and "
                         f"{onnx.defs.onnx_opset_version()} (this onnx), got {opset_version}")
    if isinstance(example_input, tuple):
        if len(example_input) != 1:
            raise UnsupportedOperatorError(
                f"export takes a model with one input tensor; got {len(example_input)} example "
                "inputs")
        example_input = example_input[0]
    if not isinstance(example_input, Tensor):
        raise TypeError(f"example_input must be a tensor, got {type(example_input).__name__}")
    x = example_input.detach().to(nnlite.float32)
    in_name = (list(input_names) or ["input"])[0] if input_names else "input"
    out_name_final = (list(output_names) or ["output"])[0] if output_names else "output"
    was_training = model.training
    model.eval()  # as torch.onnx.export: BatchNorm uses running statistics, Dropout is identity
    try:
        g = _Graph(opset)
        x_name, x_value = (in_name, x) if pre is None else pre(g, in_name, x)
        y_name, y_value = _convert(g, model, x_name, x_value, "")
        if head is not None:
            y_name, y_value = head(g, y_name, y_value)
    finally:
        model.train(was_training)
    if not isinstance(y_value, Tensor):
        raise UnsupportedOperatorError(f"the model returns {type(y_value).__name__}, not one "
                                       "tensor")
    # the graph output gets the requested name
    g.nodes.append(helper.make_node("Identity", [y_name], [out_name_final],
                                    name=g.name("Identity")))
    dyn = _axes_spec(dynamic_axes, {in_name, out_name_final})
    in_dyn = dyn.get(in_name, {})
    out_dyn = dyn.get(out_name_final)
    if out_dyn is None:
        # a free batch axis stays free in the output (every converted layer keeps axis 0)
        out_dyn = {0: in_dyn[0]} if 0 in in_dyn else {}
    graph = helper.make_graph(
        g.nodes, "nnlite", [_value_info(helper, in_name, x.shape, in_dyn)],
        [_value_info(helper, out_name_final, y_value.shape, out_dyn)], initializer=g.inits)
    proto = helper.make_model(graph, producer_name="nnlite", producer_version=nnlite.__version__,
                              opset_imports=[helper.make_opsetid("", opset)])
    proto.ir_version = min(proto.ir_version, 10)  # readable by onnxruntime releases since 1.20
    for key, value in (metadata or {}).items():
        entry = proto.metadata_props.add()
        entry.key, entry.value = str(key), str(value)
    onnx.checker.check_model(proto)
    return proto


def export(model, args, f, export_params=True, verbose=False, input_names=None,
           output_names=None, opset_version=None, dynamic_axes=None, do_constant_folding=True,
           training=None, keep_initializers_as_inputs=None):
    """Write ``model`` as an ONNX file (``torch.onnx.export``'s signature, TorchScript flavour).

    Args:
        model: an ``nn.Module`` built from the converted layers (see the module docstring).
        args: an example input tensor (or a 1-tuple holding it); fixes the static shape.
        f: a path (written atomically) or a binary file object.
        export_params: must be True (weights are always stored in the file).
        verbose: print the graph after export.
        input_names, output_names: one name each (default ``"input"``, ``"output"``).
        opset_version: ONNX opset (default 17, at least 13).
        dynamic_axes: axes of inputs/outputs left free, ``{"input": {0: "batch"}}`` or
            ``{"input": [0]}``; a free input batch axis is free in the output too.
        do_constant_folding, training, keep_initializers_as_inputs: accepted for
            compatibility; the model is exported in eval mode with weights as initializers.

    Returns:
        None, as ``torch.onnx.export``.

    Raises:
        UnsupportedOperatorError: a layer has no converter (the message names it).
        ImportError: the onnx package is missing (``pip install 'nnlite[onnx]'``).

    Example:
        >>> nnlite.onnx.export(model, nnlite.randn(1, 64), "model.onnx", input_names=["input"],
        ...                    output_names=["logits"], dynamic_axes={"input": {0: "batch"}})
    """
    if not export_params:
        raise ValueError("export_params=False is not supported: the weights are always stored")
    proto = build_model(model, args, input_names, output_names, dynamic_axes, opset_version)
    if verbose:
        import onnx

        print(onnx.helper.printable_graph(proto.graph))
    save(proto, f)


def save(proto, f) -> None:
    """Write ``proto`` to a path (atomically: no half-written model is ever left) or to a
    binary file object."""
    data = proto.SerializeToString()
    if hasattr(f, "write"):
        f.write(data)
        return
    from nnlite.serialization import atomic_write

    atomic_write(f, data)
