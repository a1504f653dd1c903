"""ONNX converters of nnlite layers, by class: each turns one module call into the ONNX nodes
that compute the same function, its weights stored as float32 initializers.

A converter is ``(graph, module, input name, input shape, path) -> output name``; the tracer
(:mod:`nnlite.onnx.tracer`) calls it when a layer of that class is called on a traced tensor,
instead of tracing the layer's own forward. The node builders (``conv_node``, ``maxpool_node``,
...) are shared with the function converters (:mod:`nnlite.onnx.functions`), so ``nn.Conv2d``
and ``F.conv2d`` export the same way.
"""

from __future__ import annotations

import math

import numpy as np

from nnlite.onnx.graph import UnsupportedOperatorError


def _tup(v, n):
    if isinstance(v, (tuple, list)):
        return tuple(int(i) for i in v)
    return (int(v),) * n


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


def conv_node(g, x, w, b, kernel, nd, stride, padding, dilation, groups, path):
    """An ONNX ``Conv`` of ``x`` with weight/bias names ``w``/``b`` (b may be None) and
    torch's conv arguments (``padding`` an int, a tuple, ``'same'`` or ``'valid'``)."""
    dil = _tup(dilation, nd)
    if isinstance(padding, str):
        if padding == "valid":
            begin = end = (0,) * nd
        else:  # 'same': torch puts the odd extra element at the end
            total = [d * (kk - 1) for d, kk in zip(dil, kernel)]
            begin = tuple(t // 2 for t in total)
            end = tuple(t - bb for t, bb in zip(total, begin))
    else:
        begin = end = _tup(padding, nd)
    ins = [x, w] if b is None else [x, w, b]
    return g.op("Conv", ins, path or "conv", kernel_shape=list(kernel),
                strides=list(_tup(stride, nd)), pads=list(begin + end), dilations=list(dil),
                group=int(groups))


def maxpool_node(g, x, nd, kernel_size, stride, padding, dilation, ceil_mode, path):
    """An ONNX ``MaxPool`` with torch's arguments (``stride`` None or empty: the kernel)."""
    k = _tup(kernel_size, nd)
    st = k if stride is None or stride == [] or stride == () else _tup(stride, nd)
    pad = _tup(padding, nd)
    return g.op("MaxPool", [x], path or "maxpool", kernel_shape=list(k), strides=list(st),
                pads=list(pad + pad), dilations=list(_tup(dilation, nd)),
                ceil_mode=int(bool(ceil_mode)))


def avgpool_node(g, x, nd, kernel_size, stride, padding, ceil_mode, count_include_pad, path):
    """An ONNX ``AveragePool`` with torch's arguments."""
    k = _tup(kernel_size, nd)
    st = k if stride is None or stride == [] or stride == () else _tup(stride, nd)
    pad = _tup(padding, nd)
    return g.op("AveragePool", [x], path or "avgpool", kernel_shape=list(k), strides=list(st),
                pads=list(pad + pad), ceil_mode=int(bool(ceil_mode)),
                count_include_pad=int(bool(count_include_pad)))


def adaptive_avgpool_node(g, x, shape, output_size, path, what="AdaptiveAvgPool"):
    """Global or evenly dividing adaptive average pooling (others have no ONNX form)."""
    nd = len(shape) - 2
    spatial = tuple(int(d) for d in shape[2:])
    sizes = output_size if isinstance(output_size, (tuple, list)) else (output_size,) * nd
    out = tuple(s if o is None else int(o) for o, s in zip(sizes, spatial))
    if all(o == 1 for o in out):
        return g.op("GlobalAveragePool", [x], path or "avgpool")
    if all(s % o == 0 for s, o in zip(spatial, out)):
        k = [s // o for s, o in zip(spatial, out)]
        return g.op("AveragePool", [x], path or "avgpool", kernel_shape=k, strides=k)
    raise UnsupportedOperatorError(
        f"cannot export {path or what} ({what}): output_size {out} does not divide the "
        f"input size {spatial} (only global or evenly dividing pooling converts); pick an "
        "output_size that divides the input, or use AvgPool with an explicit kernel")


def _conv(g, m, x, shape, path):
    if m.padding_mode != "zeros":
        raise UnsupportedOperatorError(
            f"cannot export '{path}' ({type(m).__name__}): padding_mode='{m.padding_mode}' (only "
            "'zeros' is converted); pad with F.pad before a padding=0 conv instead")
    w = g.const(f"{path}.weight", _data(m.weight))
    b = None if m.bias is None else g.const(f"{path}.bias", _data(m.bias))
    return conv_node(g, x, w, b, tuple(m.weight.shape[2:]), len(shape) - 2, m.stride,
                     m.padding, m.dilation, m.groups, path)


def _maxpool(g, m, x, shape, path):
    if m.return_indices:
        raise UnsupportedOperatorError(f"cannot export '{path}' ({type(m).__name__}): "
                                       "return_indices=True (only the values export)")
    return maxpool_node(g, x, len(shape) - 2, m.kernel_size, m.stride, m.padding, m.dilation,
                        m.ceil_mode, path)


def _avgpool(g, m, x, shape, path):
    if getattr(m, "divisor_override", None) is not None:
        raise UnsupportedOperatorError(f"cannot export '{path}' ({type(m).__name__}): "
                                       "divisor_override has no ONNX form")
    return avgpool_node(g, x, len(shape) - 2, m.kernel_size, m.stride, m.padding, m.ceil_mode,
                        m.count_include_pad, path)


def _adaptive_avgpool(g, m, x, shape, path):
    return adaptive_avgpool_node(g, x, shape, m.output_size, f"'{path}'", type(m).__name__)


def _embedding(g, m, x, shape, path):
    if getattr(m, "max_norm", None) is not None:
        raise UnsupportedOperatorError(f"cannot export '{path}' (Embedding): max_norm renormalizes "
                                       "the weight in place; export a copy without max_norm")
    return g.op("Gather", [g.const(f"{path}.weight", _data(m.weight)), x], path or "embedding",
                axis=0)


CONVERTERS = {
    "Linear": _linear, "BatchNorm1d": _batchnorm, "BatchNorm2d": _batchnorm,
    "LayerNorm": _layernorm, "ReLU": _unary("Relu"), "ReLU6": _clip("min_val", "max_val"),
    "Hardtanh": _clip("min_val", "max_val"), "LeakyReLU": _leaky, "PReLU": _prelu, "ELU": _elu,
    "SELU": _unary("Selu"), "CELU": _celu, "GELU": _gelu, "SiLU": _silu, "Mish": _mish,
    "Sigmoid": _unary("Sigmoid"), "LogSigmoid": _logsigmoid, "Tanh": _unary("Tanh"),
    "Softplus": _softplus, "Softsign": _unary("Softsign"), "Hardsigmoid": _hardsigmoid,
    "Hardswish": _hardswish, "Softmax": _softmax("Softmax"),
    "LogSoftmax": _softmax("LogSoftmax"), "Dropout": _identity, "Dropout1d": _identity,
    "Dropout2d": _identity, "Identity": _identity,
    "Flatten": _flatten, "Conv1d": _conv, "Conv2d": _conv, "MaxPool1d": _maxpool,
    "MaxPool2d": _maxpool, "AvgPool1d": _avgpool, "AvgPool2d": _avgpool,
    "AdaptiveAvgPool1d": _adaptive_avgpool, "AdaptiveAvgPool2d": _adaptive_avgpool,
    "Embedding": _embedding,
}


def layer_converter(m):
    """The converter of a layer, or None: the tracer then traces the layer's forward. Only
    nnlite's own classes match (a subclass may override ``forward``: it is traced)."""
    import nnlite.nn

    conv = CONVERTERS.get(type(m).__name__)
    if conv is not None and type(m) is getattr(nnlite.nn, type(m).__name__, None):
        return conv
    return None
