"""``nnlite-train export RUN_DIR --format onnx``: a finished run as one self-contained ONNX file.

The file takes raw features (float32, shape ``(batch, n_features)``, columns in the run's
``feature_names`` order) and applies everything the run's ``predict`` does: missing values
(NaN) replaced by the training fill values when the run was trained with ``missing: mean``,
standardization with the training statistics, the model, then softmax (classification: output
``probabilities``, columns in ``classes`` order) or the target scaling back to the target's
units (regression: output ``prediction``, ``(batch,)`` for one target). The feature names,
classes and task are stored in the model's metadata (``metadata_props``).
"""

from __future__ import annotations

import argparse
import json
import os

import numpy as np

import nnlite
from nnlite.onnx.export import UnsupportedOperatorError, build_model, save
from nnlite.train.predict import load_run
from nnlite.train.schema import ConfigError


def export_run(run_dir: str, path: str | None = None, opset_version: int | None = None) -> str:
    """Export the run in ``run_dir`` to ``path`` (default ``RUN_DIR/model.onnx``); returns it."""
    p = load_run(run_dir)
    record = p.record
    fill = p._fill
    y_mean, y_std = p._y_mean, p._y_std
    classification = p.task == "classification"

    def pre(g, name, value):
        if fill is None:
            return name, value
        f = g.const("x_fill", np.asarray(fill, dtype=np.float32))
        return g.op("Where", [g.op("IsNaN", [name], "missing"), f, name], "filled"), value

    def head(g, name, value):
        v = value.numpy().astype(np.float64)
        if classification:
            out = g.op("Softmax", [name], "probabilities", axis=1)
            e = np.exp(v - v.max(axis=1, keepdims=True))
            return out, nnlite.from_numpy((e / e.sum(axis=1, keepdims=True)).astype(np.float32))
        if y_mean is not None:
            name = g.op("Add", [g.op("Mul", [name, g.const("y_std", y_std)], "unscaled"),
                                g.const("y_mean", y_mean)], "unscaled")
            v = v * y_std + y_mean
        if v.shape[1] == 1:
            name = g.op("Reshape", [name, g.const("shape", [-1], np.int64)], "prediction")
            v = v[:, 0]
        return name, nnlite.from_numpy(v.astype(np.float32))

    example = nnlite.zeros(1, int(record["n_features"]))
    out_name = "probabilities" if classification else "prediction"
    meta = {"feature_names": json.dumps(record["feature_names"]), "task": p.task,
            "classes": json.dumps(record.get("classes")),
            "class_names": json.dumps(record.get("class_names")),
            "source_run": os.path.abspath(run_dir)}
    proto = build_model(p.as_module(), example, ["input"], [out_name],
                        {"input": {0: "batch"}, out_name: {0: "batch"}}, opset_version,
                        pre=pre, head=head, metadata=meta)
    path = path or os.path.join(run_dir, "model.onnx")
    save(proto, path)
    return path


def command(argv: list[str], error) -> int:
    """``nnlite-train export RUN_DIR --format onnx [--output PATH] [--opset N]``."""
    ap = argparse.ArgumentParser(prog="nnlite-train export",
                                 description="Export a finished run as a self-contained model "
                                             "that takes raw features.")
    ap.add_argument("run_dir", help="the run directory (has preprocess.json, model.safetensors)")
    ap.add_argument("--format", default="onnx", choices=["onnx"], help="the file format")
    ap.add_argument("--output", "-o", help="where to write (default RUN_DIR/model.onnx)")
    ap.add_argument("--opset", type=int, default=None, help="ONNX opset version (default 17)")
    args = ap.parse_args(argv)
    try:
        path = export_run(args.run_dir, args.output, args.opset)
    except ConfigError as e:
        return error(e.message if not e.path else f"{e.path}: {e.message}")
    except ImportError as e:
        return error(str(e))
    except (UnsupportedOperatorError, ValueError, OSError) as e:
        return error(f"{args.run_dir}: {str(e).splitlines()[0]}")
    print(f"wrote {path}")
    return 0
