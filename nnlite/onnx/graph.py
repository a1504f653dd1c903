"""The ONNX graph being built: nodes, initializers and unique value names."""

from __future__ import annotations

import numpy as np


class UnsupportedOperatorError(RuntimeError):
    """An op or layer (or one of its settings) has no ONNX converter; the message names it and
    says how to proceed."""


class Graph:
    """Nodes and initializers of one export; every value gets a unique name."""

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
        """A new initializer holding ``value`` as ``dtype`` (None: ``value``'s own dtype)."""
        name = self.name(hint)
        arr = np.asarray(value) if dtype is None else np.asarray(value, dtype=dtype)
        self.inits.append(self.numpy_helper.from_array(np.ascontiguousarray(arr), name))
        return name

    def ints(self, values) -> str:
        """An int64 initializer (shapes, axes, pads given as inputs)."""
        return self.const("ints", [int(v) for v in values], np.int64)

    def op(self, op_type: str, inputs, hint: str, outputs: int = 1, **attrs):
        """Append one node; returns its output name (a list of names when ``outputs > 1``)."""
        outs = [self.name(hint) for _ in range(outputs)]
        self.nodes.append(self.helper.make_node(op_type, list(inputs), outs,
                                                name=self.name(op_type), **attrs))
        return outs[0] if outputs == 1 else outs

    def reduce(self, op_type: str, x: str, axes, keepdims: bool, hint: str) -> str:
        """``ReduceSum``/``ReduceMean``/``ReduceMax``/... over ``axes`` (None: all axes): the
        axes are an input from opset 18 on (ReduceSum: 13), an attribute before."""
        kw = {"keepdims": int(bool(keepdims))}
        if axes is None:
            return self.op(op_type, [x], hint, **kw)
        axes = [int(a) for a in axes]
        if op_type == "ReduceSum" or self.opset >= 18:
            return self.op(op_type, [x, self.ints(axes)], hint, **kw)
        return self.op(op_type, [x], hint, axes=axes, **kw)


def onnx_dtype(dtype) -> int:
    """The ONNX ``TensorProto`` element type of a numpy dtype."""
    from onnx import helper

    return helper.np_dtype_to_tensor_dtype(np.dtype(dtype))
