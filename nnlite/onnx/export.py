"""``export``: an nnlite model as an ONNX file, with ``torch.onnx.export``'s signature.

The model's forward runs once on the example input under the tracer (:mod:`nnlite.onnx.tracer`),
which records every op applied to the inputs -- nnlite's layers (Linear, Conv, BatchNorm in
eval, pooling, activations, Dropout as identity, ...) and the functions and Tensor methods a
user ``forward`` calls (arithmetic, matmul, cat, reshape/view/flatten, softmax, mean/sum, ...)
-- as ONNX nodes, weights stored as initializers. Several inputs (a tuple example, one name and
``dynamic_axes`` entry each) and several outputs (a tuple result) are supported. An op or layer
without a converter raises :class:`UnsupportedOperatorError` naming it and the module it ran in.
"""

from __future__ import annotations

import copy
import enum
import inspect
import sys

import numpy as np

import nnlite
from nnlite._tensor import Tensor
from nnlite.onnx.graph import Graph, UnsupportedOperatorError, onnx_dtype
from nnlite.onnx.tracer import Tracer
from nnlite.serialization import atomic_write

DEFAULT_OPSET = 17
MIN_OPSET = 13  # Softmax/LogSoftmax over one axis, Squeeze/Unsqueeze with axes as inputs


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


def _value_info(helper, name, dtype, dims):
    return helper.make_tensor_value_info(name, onnx_dtype(dtype), dims)


def _dims(shape, dyn: dict) -> list:
    rank = len(shape)
    return [dyn.get(i, dyn.get(i - rank)) or int(d) for i, d in enumerate(shape)]


def _split_args(args):
    """``(positional args, keyword args)`` of torch's ``args`` forms: a tensor, a tuple of
    arguments, a tuple ending with a dict of keyword arguments."""
    if not isinstance(args, tuple):
        args = (args,)
    kwargs = {}
    if args and isinstance(args[-1], dict):
        args, kwargs = args[:-1], dict(args[-1])
    return args, kwargs


def _forward_params(model) -> list[str]:
    try:
        return [p.name for p in inspect.signature(model.forward).parameters.values()
                if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    except (TypeError, ValueError):
        return []


def _default_input_names(model, n) -> list[str]:
    if n == 1:
        return ["input"]
    params = _forward_params(model)
    return params[:n] if len(params) >= n else [f"input_{i}" for i in range(n)]


def build_model(model, example_input, input_names=None, output_names=None, dynamic_axes=None,
                opset_version=None, pre=None, head=None, metadata=None):
    """The ``onnx.ModelProto`` of ``model`` (see :func:`export`). ``pre(graph, name, value)``
    may prepend nodes to the first input and ``head(graph, name, value)`` append nodes to the
    first output, each returning ``(name, value)`` (run export: missing-value filling, softmax,
    target scaling)."""
    try:
        import onnx
        from onnx import helper
    except ImportError as e:
        raise ImportError("ONNX export needs the onnx package: pip install 'nnlite[onnx]'") from e
    opset = DEFAULT_OPSET if opset_version is None else int(opset_version)
    if not MIN_OPSET <= opset <= onnx.defs.onnx_opset_version():
        raise ValueError(f"opset_version must be between {MIN_OPSET} and "
                         f"{onnx.defs.onnx_opset_version()} (this onnx), got {opset_version}")
    args, kwargs = _split_args(example_input)
    tensors = [a for a in list(args) + list(kwargs.values()) if isinstance(a, Tensor)]
    if not tensors:
        raise TypeError(f"example_input must be a tensor or a tuple holding tensors, got "
                        f"{type(example_input).__name__}")
    in_names = list(input_names) if input_names else _default_input_names(model, len(tensors))
    if len(in_names) != len(tensors):
        raise ValueError(f"input_names has {len(in_names)} names for {len(tensors)} input "
                         "tensors; give one name per tensor in the example input")
    if len(set(in_names)) != len(in_names):
        raise ValueError(f"input_names must be distinct, got {in_names}")
    # float inputs trace as float32 (ONNX models from nnlite are float32), others as they are
    conv = {id(t): (t.detach().to(nnlite.float32) if t.is_floating_point() else t.detach())
            for t in tensors}
    for t in conv.values():
        if t.is_floating_point():
            t.requires_grad_(True)  # so an op the tracer misses is caught (see tracer)
    args = tuple(conv.get(id(a), a) if isinstance(a, Tensor) else a for a in args)
    kwargs = {k: conv.get(id(v), v) if isinstance(v, Tensor) else v for k, v in kwargs.items()}
    traced_inputs = [conv[id(t)] for t in tensors]
    feeds = [t._data.copy() for t in traced_inputs]  # the forward may change them in place

    # a compiled model is traced through its module; if nnlite.compile was never imported (it
    # takes seconds), the model cannot be one
    compiled = sys.modules.get("nnlite.compile")
    is_compiled = compiled is not None and isinstance(model, compiled.OptimizedModule)
    net = model._orig_mod if is_compiled else model  # trace the module
    if any(p.is_floating_point() and p.dtype != nnlite.float32
           for p in list(net.parameters()) + list(net.buffers())):
        net = copy.deepcopy(net).float()  # ONNX models from nnlite are float32
    was_training = net.training
    net.eval()  # as torch.onnx.export: BatchNorm uses running statistics, Dropout is identity
    g = Graph(opset)
    try:
        with Tracer(g, net) as tr, nnlite.enable_grad():
            for i, (t, n) in enumerate(zip(traced_inputs, in_names)):
                if i == 0 and pre is not None:
                    pre_name, pre_value = pre(g, n, t)
                    if pre_value is not t:
                        raise ValueError("pre must return the input value unchanged")
                    tr.add_input(t, pre_name)
                else:
                    tr.add_input(t, n)
            out = net(*args, **kwargs)
            outs = [out] if isinstance(out, Tensor) else out
            if not (isinstance(outs, (tuple, list)) and outs
                    and all(isinstance(o, Tensor) for o in outs)):
                raise UnsupportedOperatorError(
                    f"the model returns {type(out).__name__}; export needs a tensor or a tuple "
                    "or list of tensors")
            out_names_traced = [tr.name(o) for o in outs]
            out_values = [o.detach() for o in outs]
    finally:
        net.train(was_training)
    if head is not None:
        out_names_traced[0], out_values[0] = head(g, out_names_traced[0], out_values[0])
    out_names = (list(output_names) if output_names
                 else ["output"] if len(outs) == 1 else [f"output_{i}" for i in range(len(outs))])
    if len(out_names) != len(outs):
        raise ValueError(f"output_names has {len(out_names)} names for the model's {len(outs)} "
                         "outputs")
    for src, dst in zip(out_names_traced, out_names):  # graph outputs get the requested names
        g.nodes.append(helper.make_node("Identity", [src], [dst], name=g.name("Identity")))
    dyn = _axes_spec(dynamic_axes, set(in_names) | set(out_names))
    inputs = [_value_info(helper, n, t._data.dtype, _dims(t.shape, dyn.get(n, {})))
              for n, t in zip(in_names, traced_inputs)]
    any_dynamic = any(dyn.get(n) for n in in_names)
    outputs = _output_infos(helper, g, inputs, out_names, out_values, dyn, any_dynamic, opset)
    graph = helper.make_graph(g.nodes, "nnlite", inputs, outputs, initializer=g.inits)
    proto = _model(helper, graph, opset, metadata)
    onnx.checker.check_model(proto)
    sess = _verify(proto, in_names, feeds, out_names, out_values)
    if sess is not None and head is None and any(dyn.get(n) for n in in_names):
        _verify_resized(sess, net, args, kwargs, conv, tensors, in_names, feeds, out_names, dyn)
    return proto


def _close(got, ref) -> bool:
    scale = float(np.abs(ref).max()) if ref.size and ref.dtype.kind == "f" else 1.0
    return got.shape == ref.shape and bool(np.allclose(got, ref, rtol=1e-3,
                                                       atol=1e-4 * max(1, scale), equal_nan=True))


def _verify(proto, in_names, inputs, out_names, values):
    """Run the file in onnxruntime (when installed) on the example and refuse a graph that
    disagrees with nnlite: a part of the forward the tracer could not follow (e.g. a forward
    hook replacing a layer's output) would otherwise give a silently wrong model. Returns the
    session (None without onnxruntime)."""
    try:
        import onnxruntime as ort
    except ImportError:
        return None
    sess = ort.InferenceSession(proto.SerializeToString(), providers=["CPUExecutionProvider"])
    got = sess.run(out_names, dict(zip(in_names, inputs)))
    for n, g, v in zip(out_names, got, values):
        ref = v._data
        if not _close(g, ref):
            diff = (float(np.abs(g.astype(np.float64) - ref).max())
                    if g.shape == ref.shape else f"shape {g.shape} vs {ref.shape}")
            raise UnsupportedOperatorError(
                f"the exported graph does not compute what nnlite computes for output '{n}' "
                f"(max difference {diff}): a part of the forward ran outside the traced ops "
                "(a forward hook, a tensor changed in place through a view, ...); remove it "
                "from the exported model")
    return sess


def _verify_resized(sess, net, args, kwargs, conv, tensors, in_names, feeds, out_names, dyn):
    """Run the graph and the model with every free input axis one longer (the example's own
    values, its first slice repeated) and refuse a graph that only holds for the example's
    sizes: a size read from ``x.shape`` and used as a number (``x.sum() / x.shape[0]``,
    ``torch.zeros(x.size(0), 4)``) is baked into a traced graph."""
    grown = []
    for n, a in zip(in_names, feeds):
        for ax in sorted(dyn.get(n, {})):
            ax = ax % a.ndim
            a = np.concatenate([a, np.take(a, [0], axis=ax)], axis=ax)
        grown.append(a)
    new = {id(t): nnlite.from_numpy(g.copy()) for t, g in zip(tensors, grown)}
    traced_of = {id(v): k for k, v in conv.items()}
    args2 = tuple(new.get(traced_of.get(id(a)), a) for a in args)
    kwargs2 = {k: new.get(traced_of.get(id(v)), v) for k, v in kwargs.items()}
    was_training = net.training
    net.eval()
    try:
        with nnlite.no_grad():
            out = net(*args2, **kwargs2)
    except Exception:  # noqa: BLE001 - the model itself refuses these sizes: nothing to compare
        return
    finally:
        net.train(was_training)
    outs = [out] if isinstance(out, nnlite.Tensor) else list(out)
    sizes = {n: [int(g.shape[ax % g.ndim]) for ax in sorted(dyn.get(n, {}))]
             for n, g in zip(in_names, grown) if dyn.get(n)}
    try:
        got = sess.run(out_names, dict(zip(in_names, grown)))
        ok = all(_close(g, o.detach().numpy().astype(g.dtype, copy=False))
                 for g, o in zip(got, outs))
    except Exception:  # noqa: BLE001 - onnxruntime refuses the sizes: the graph is static
        ok = False
    if not ok:
        raise UnsupportedOperatorError(
            f"the exported graph holds only for the example's sizes: with the dynamic axes one "
            f"longer ({sizes}) it disagrees with nnlite. The forward uses a size read from "
            "x.shape/x.size() as a number (e.g. x.sum() / x.shape[0], torch.zeros(x.size(0), "
            "4)), which a trace bakes in; use size-free tensor ops (x.mean(0), "
            "torch.zeros_like), or export without dynamic_axes")


def _model(helper, graph, opset, metadata=None):
    proto = helper.make_model(graph, producer_name="nnlite", producer_version=nnlite.__version__,
                              opset_imports=[helper.make_opsetid("", opset)])
    proto.ir_version = min(proto.ir_version, 10)  # readable by onnxruntime releases since 1.20
    for key, value in (metadata or {}).items():
        entry = proto.metadata_props.add()
        entry.key, entry.value = str(key), str(value)
    return proto


def _output_infos(helper, g, inputs, out_names, out_values, dyn, any_dynamic, opset):
    """Output types: the requested dynamic axes; else what ONNX shape inference derives from the
    inputs' free axes (a free batch axis stays free through the graph); else the traced size
    (or, where inference cannot tell and an input axis is free, no size)."""
    inferred = {}
    if any_dynamic:
        from onnx import shape_inference

        probe = helper.make_graph(g.nodes, "probe", inputs,
                                  [_value_info(helper, n, v._data.dtype, None)
                                   for n, v in zip(out_names, out_values)], initializer=g.inits)
        try:
            done = shape_inference.infer_shapes(_model(helper, probe, opset))
            for vi in done.graph.output:
                if vi.type.tensor_type.HasField("shape"):
                    inferred[vi.name] = list(vi.type.tensor_type.shape.dim)
        except Exception:  # noqa: BLE001 - inference is a refinement; fall back to no sizes
            inferred = {}
    infos = []
    for n, v in zip(out_names, out_values):
        want = dyn.get(n)
        shape = tuple(v.shape)
        if want is not None or not any_dynamic:
            dims = _dims(shape, want or {})
        else:
            got = inferred.get(n)
            dims = []
            for i, d in enumerate(shape):
                if got is not None and i < len(got) and len(got) == len(shape):
                    if got[i].HasField("dim_param"):
                        dims.append(got[i].dim_param)
                        continue
                    if got[i].HasField("dim_value"):
                        dims.append(int(got[i].dim_value))
                        continue
                dims.append(None)  # unknown: may follow a free input axis
        infos.append(_value_info(helper, n, v._data.dtype, dims))
    return infos


class TrainingMode(enum.IntEnum):
    """``torch.onnx.TrainingMode``: nnlite exports in eval mode (EVAL; PRESERVE is accepted and
    also exports eval-mode behaviour; TRAINING is refused)."""
    EVAL = 0
    PRESERVE = 1
    TRAINING = 2


class OperatorExportTypes(enum.IntEnum):
    """``torch.onnx.OperatorExportTypes``: only standard ONNX ops are written."""
    ONNX = 0
    ONNX_ATEN = 1
    ONNX_ATEN_FALLBACK = 2
    ONNX_FALLTHROUGH = 3


def _dynamic_shapes_to_axes(dynamic_shapes, model, n_inputs) -> dict:
    """``dynamic_shapes`` (torch.export's form: per forward argument name, or per position, a
    ``{axis: Dim or name}``) as ``dynamic_axes`` on the default input names."""
    names = _default_input_names(model, n_inputs)
    if isinstance(dynamic_shapes, dict):
        params = _forward_params(model)
        items = []
        for key, spec in dynamic_shapes.items():
            if key not in params or params.index(key) >= n_inputs:
                raise ValueError(f"dynamic_shapes names '{key}', which is not one of the "
                                 f"forward's tensor arguments {params[:n_inputs]}")
            items.append((params.index(key), spec))
    else:
        items = list(enumerate(dynamic_shapes))
    out = {}
    for pos, spec in items:
        if spec is None:
            continue
        if not isinstance(spec, dict):
            raise TypeError(f"dynamic_shapes entries must be {{axis: Dim or name}}, got {spec!r}")
        out[names[pos]] = {int(ax): str(getattr(d, "__name__", None) or d)
                           for ax, d in spec.items() if d is not None}
    return out


def export(model, args=(), f=None, *, kwargs=None, export_params=True, verbose=None,
           input_names=None, output_names=None, opset_version=None, dynamic_axes=None,
           dynamic_shapes=None, do_constant_folding=True, training=TrainingMode.EVAL,
           keep_initializers_as_inputs=False, dynamo=True, external_data=True,
           custom_translation_table=None, report=False, optimize=True, verify=False,
           profile=False, dump_exported_program=False, artifacts_dir=".",
           operator_export_type=OperatorExportTypes.ONNX, custom_opsets=None,
           export_modules_as_functions=False, autograd_inlining=True):
    """Write ``model`` as an ONNX file (``torch.onnx.export``'s signature).

    Args:
        model: an ``nn.Module`` (a ``Sequential`` of layers or a Module with its own
            ``forward``) whose forward uses the supported ops and layers
            (``nnlite.onnx.SUPPORTED_OPS``, ``nnlite.onnx.SUPPORTED_LAYERS``).
        args: the example input: a tensor, or a tuple of the forward's arguments (tensors
            become graph inputs, other values are passed as they are), optionally ending with a
            dict of keyword arguments. It fixes the static shapes.
        f: a path (written atomically) or a binary file object; None returns the
            ``onnx.ModelProto`` instead of writing.
        kwargs: keyword arguments of the forward (tensors among them become inputs too).
        export_params: must be True (weights are always stored in the file).
        verbose: print the graph after export.
        input_names: one name per input tensor (default ``"input"`` for one, else the
            forward's parameter names); output_names: one per output (default ``"output"``,
            ``"output_0"``, ...).
        opset_version: ONNX opset (default 17, at least 13).
        dynamic_axes: axes of inputs/outputs left free, ``{"input": {0: "batch"}}`` or
            ``{"input": [0]}``, per input/output name; an output without an entry gets the
            free axes ONNX shape inference derives (a free batch axis stays free).
        dynamic_shapes: torch.export's form of the same (``{"x": {0: Dim("batch")}}`` by
            forward argument name, or a tuple by position), used when ``dynamic_axes`` is None.
        training: ``TrainingMode.EVAL`` (default) or ``PRESERVE``: the model is traced in eval
            mode (BatchNorm uses running statistics, Dropout is identity) and its mode restored.
        verify: require onnxruntime for the check below (else it runs when installed).
        dynamo, external_data, optimize, report, profile, dump_exported_program,
            artifacts_dir, do_constant_folding, keep_initializers_as_inputs,
            operator_export_type, custom_opsets, autograd_inlining: accepted for
            compatibility (one traced graph, weights stored inside the file).

    Returns:
        None when writing to ``f`` (torch returns an ``ONNXProgram`` with ``dynamo=True``;
        nnlite writes the file the same way), the ``onnx.ModelProto`` when ``f`` is None.

    Raises:
        UnsupportedOperatorError: an op or layer has no converter, or the forward does
            something a trace cannot follow (the message names it and the module it ran in);
            also when the file, run in onnxruntime on the example, disagrees with nnlite.
        ImportError: the onnx package is missing (``pip install 'nnlite[onnx]'``).

    Example:
        >>> nnlite.onnx.export(model, (nnlite.randn(1, 64),), "model.onnx",
        ...                    input_names=["input"], output_names=["logits"],
        ...                    dynamic_axes={"input": {0: "batch"}})
    """
    if not export_params:
        raise ValueError("export_params=False is not supported: the weights are always stored")
    if training == TrainingMode.TRAINING:
        raise ValueError("training=TrainingMode.TRAINING is not supported: nnlite exports the "
                         "eval-mode graph (BatchNorm running statistics, Dropout as identity)")
    if custom_translation_table or export_modules_as_functions:
        which = "custom_translation_table" if custom_translation_table else \
            "export_modules_as_functions"
        raise ValueError(f"{which} is not supported by nnlite's exporter; the converted ops are "
                         "nnlite.onnx.SUPPORTED_OPS")
    if verify:
        try:
            import onnxruntime  # noqa: F401
        except ImportError as e:
            raise ImportError("verify=True needs onnxruntime: pip install onnxruntime") from e
    if kwargs:
        args = _split_args(args)
        args = (*args[0], {**args[1], **kwargs})
    if dynamic_axes is None and dynamic_shapes is not None:
        pos, kw = _split_args(args)
        n = sum(isinstance(a, Tensor) for a in list(pos) + list(kw.values()))
        dynamic_axes = _dynamic_shapes_to_axes(dynamic_shapes, model, n)
    proto = build_model(model, args, input_names, output_names, dynamic_axes, opset_version)
    if verbose:
        import onnx

        print(onnx.helper.printable_graph(proto.graph))
    if f is None:
        return proto
    save(proto, f)
    return None


def save(proto, f) -> None:
    """Write ``proto`` to a path (atomically: no half-written model is ever left) or to a
    binary file object."""
    data = proto.SerializeToString()
    if hasattr(f, "write"):
        f.write(data)
        return
    atomic_write(f, data)
