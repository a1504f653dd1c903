"""A finished run as a model you can use: ``load_run(run_dir)`` and the ``predict`` /
``evaluate`` commands.

A run directory holds ``preprocess.json`` (also in ``model.safetensors``'s metadata under
``"preprocess"``): the feature names, the standardization statistics, the fill values for
missing cells, the class labels in output order, the target scaling of a regression, the input
size and the model spec. With ``model.safetensors`` that is everything needed to predict on raw
inputs; nothing is pickled.

    >>> p = nnlite.train.load_run("runs/mlp")
    >>> p.predict(x_raw)           # class labels (or regression values in the target's units)
    >>> p.predict_proba(x_raw)     # (n, n_classes), columns in p.classes order
    >>> p.predict("new_rows.csv")  # columns matched by header name

In PyTorch (``docs/deploy.md`` has the snippet without nnlite): ``p.to_torch()`` returns a
``torch.nn.Sequential`` whose first layer standardizes raw float inputs (buffers ``mean`` and
``std``), followed by the model with its trained weights.
"""

from __future__ import annotations

import argparse
import csv
import inspect
import io
import json
import os
import sys

import numpy as np

import nnlite
from nnlite.data.tabular import DataFileError, read_features, read_npz
from nnlite.serialization import atomic_write
from nnlite.train import builders as B
from nnlite.train import metrics as M
from nnlite.train.schema import ConfigError
from nnlite.train.summary import final_metrics

PREPROCESS = "preprocess.json"
FORMAT = "nnlite-run/1"


def _floats(a) -> list | None:
    return None if a is None else [float(v) for v in np.asarray(a, dtype=np.float64).ravel()]


def preprocess_record(cfg: dict, splits, model) -> dict:
    """What ``preprocess.json`` holds for a run of ``cfg`` on ``splits`` (floats as float64,
    which JSON round-trips exactly)."""
    n_outputs = _output_size(model, splits)
    spec = dict(cfg["model"])
    spec["out_features"] = n_outputs
    return {
        "format": FORMAT,
        "task": splits.task,
        "n_features": int(splits.n_features),
        "feature_names": [str(n) for n in splits.feature_names],
        "target_name": splits.target_name,
        "x_mean": _floats(splits.x_mean),
        "x_std": _floats(splits.x_std),
        "x_fill": _floats(splits.x_fill),
        "missing": cfg["data"].get("missing", "error"),
        "input_dtype": "float32",
        "classes": list(splits.classes) if splits.task == "classification" else None,
        "class_names": [str(c) for c in splits.class_names] if splits.task == "classification"
        else None,
        "y_mean": _floats(splits.y_mean),
        "y_std": _floats(splits.y_std),
        "n_outputs": n_outputs,
        "model": spec,
        "data": {k: cfg["data"].get(k) for k in ("name", "path", "target", "task")},
    }


def _output_size(model, splits) -> int:
    last = None
    for _, mod in model.named_modules():
        if hasattr(mod, "out_features") and isinstance(getattr(mod, "out_features"), int):
            last = mod.out_features
    return int(last if last is not None else splits.n_outputs)


class Standardize(nnlite.nn.Module):
    """``(x - mean) / std`` with the training statistics as buffers: the first layer of a
    self-contained deployed model (inputs are raw features)."""

    def __init__(self, mean, std) -> None:
        super().__init__()
        self.register_buffer("mean", nnlite.tensor(np.asarray(mean, dtype=np.float32)))
        self.register_buffer("std", nnlite.tensor(np.asarray(std, dtype=np.float32)))

    def forward(self, x):
        return (x - self.mean) / self.std


class Predictor:
    """A trained model with its preprocessing; see the module docstring.

    Attributes:
        model: the nnlite Module (eval mode), taking standardized float32 inputs.
        task: ``"classification"`` or ``"regression"``.
        classes: the label values in output order (classification).
        feature_names: the input columns, in order.
    """

    def __init__(self, model, record: dict, run_dir: str | None = None) -> None:
        self.model = model.eval()
        self.record = record
        self.run_dir = run_dir
        self.task = record["task"]
        self.classes = record.get("classes")
        self.class_names = record.get("class_names")
        self.feature_names = record["feature_names"]
        self.n_features = int(record["n_features"])
        self._mean = np.asarray(record["x_mean"], dtype=np.float64)
        self._std = np.asarray(record["x_std"], dtype=np.float64)
        self._fill = None if record.get("x_fill") is None else np.asarray(record["x_fill"])
        self._y_mean = None if record.get("y_mean") is None else np.asarray(record["y_mean"])
        self._y_std = None if record.get("y_std") is None else np.asarray(record["y_std"])

    # ---- inputs ----------------------------------------------------------------------------
    def read(self, path: str):
        """``(x_raw, y or None)`` from a CSV or NPZ file with this model's feature columns."""
        if str(path).endswith(".npz"):
            t = read_npz(str(path), False, missing="mean" if self._fill is not None else "error")
            if t.y is None:
                return t.x, None
            try:  # the file's target, when it has one, for evaluate
                return t.x, read_npz(str(path)).y
            except ValueError:
                return t.x, None
        return read_features(str(path), self.feature_names, self.record.get("target_name"),
                             missing="mean" if self._fill is not None else "error")

    def transform(self, X) -> np.ndarray:
        """Raw features -> the float32 model inputs, computed exactly as in training."""
        if isinstance(X, (str, os.PathLike)):
            X = self.read(X)[0]
        if hasattr(X, "detach") and hasattr(X, "numpy"):
            X = X.detach().numpy()
        x = np.asarray(X)
        if x.dtype.kind not in "biuf":
            raise ValueError(f"expected numeric features, got an array of dtype {x.dtype}")
        x = x.astype(np.float64)
        if x.ndim != 2 or x.shape[1] != self.n_features:
            hint = " (use X.reshape(1, -1) for a single sample)" if x.ndim == 1 and \
                len(x) == self.n_features else ""
            raise ValueError(f"expected raw features of shape (n, {self.n_features}) "
                             f"({', '.join(self.feature_names[:4])}"
                             f"{', ...' if self.n_features > 4 else ''}), got "
                             f"{tuple(x.shape)}{hint}")
        if self._fill is not None:
            x = np.where(np.isnan(x), self._fill, x)
        bad = ~np.isfinite(x)
        if bad.any():
            i, j = np.argwhere(bad)[0]
            raise ValueError(f"row {i}, feature {j} ('{self.feature_names[j]}') is {x[i, j]}: "
                             "values must be finite")
        return ((x - self._mean) / self._std).astype(np.float32)

    # ---- outputs ---------------------------------------------------------------------------
    def forward(self, X, batch_size: int = 4096) -> np.ndarray:
        """The model's raw outputs (logits, or standardized regression values), (n, k)."""
        x = self.transform(X)
        outs = []
        with nnlite.no_grad():
            for i in range(0, len(x), batch_size):
                outs.append(self.model(nnlite.from_numpy(x[i:i + batch_size]))._data)
        if not outs:
            return np.zeros((0, int(self.record["n_outputs"])), dtype=np.float32)
        out = np.concatenate(outs)
        return out.reshape(len(out), -1)

    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities (n, n_classes), float64, columns in ``classes`` order."""
        if self.task != "classification":
            raise ValueError("predict_proba needs a classification run; this one is a "
                             "regression (use predict)")
        z = self.forward(X).astype(np.float64)
        z = z - z.max(axis=1, keepdims=True)
        e = np.exp(z)
        return e / e.sum(axis=1, keepdims=True)

    def predict(self, X) -> np.ndarray:
        """Class labels (n,) for classification; for regression the predictions in the
        target's units, (n,) for one target, (n, k) for k."""
        out = self.forward(X)
        if self.task == "classification":
            return np.asarray(self.classes)[out.argmax(axis=1)]
        y = out.astype(np.float64)
        if self._y_mean is not None:
            y = y * self._y_std + self._y_mean
        return y[:, 0] if y.shape[1] == 1 else y

    def encode(self, y) -> np.ndarray:
        """Labels -> class indices (classification; unknown labels are an error)."""
        y = np.asarray(y).reshape(-1)
        lookup = {str(_label(c)): i for i, c in enumerate(self.classes)}
        out = np.empty(len(y), dtype=np.int64)
        for n, v in enumerate(y):
            key = str(_label(v.item() if hasattr(v, "item") else v))
            if key not in lookup:
                raise ValueError(f"row {n}: label {v!r} is not one of the classes the model "
                                 f"knows ({', '.join(map(str, self.classes[:10]))})")
            out[n] = lookup[key]
        return out

    def evaluate(self, X, y=None) -> dict:
        """Metrics of the predictions on ``X`` against ``y`` (from the file when X is a path),
        the same numbers as ``summary.json``'s ``test_*`` for the test rows."""
        if isinstance(X, (str, os.PathLike)):
            X, y_file = self.read(X)
            y = y_file if y is None else y
            if y is None:
                raise ValueError(f"the file has no target column "
                                 f"'{self.record.get('target_name')}' to evaluate against")
        if y is None:
            raise ValueError("evaluate needs the true targets y")
        out = self.forward(X)
        if self.task == "classification":
            t = self.encode(y)
            res = M.compute(["accuracy", "balanced_accuracy", "f1_macro", "confusion_matrix"],
                            t, out, self.task)
            res.update(final_metrics(t, out, self.class_names or
                                     [str(c) for c in self.classes]))
            return res
        yt = np.asarray(y, dtype=np.float64).reshape(len(out), -1)
        pred = self.predict(X).reshape(len(out), -1)
        return M.compute(["mse", "mae", "r2"], yt, pred, self.task)

    # ---- export ----------------------------------------------------------------------------
    def as_module(self):
        """``nn.Sequential(Standardize(mean, std), model)``: raw float32 features in, outputs
        out (missing-value filling stays outside: it is not a tensor op)."""
        return nnlite.nn.Sequential(Standardize(self._mean, self._std), self.model).eval()

    def to_torch(self):
        """The same as ``as_module()`` in PyTorch (needs torch): a ``torch.nn.Sequential`` of a
        standardization layer with ``mean``/``std`` buffers and the model, weights loaded."""
        import torch

        class TorchStandardize(torch.nn.Module):
            def __init__(self, mean, std):
                super().__init__()
                self.register_buffer("mean", torch.tensor(mean, dtype=torch.float32))
                self.register_buffer("std", torch.tensor(std, dtype=torch.float32))

            def forward(self, x):
                return (x - self.mean) / self.std

        model = to_torch_module(self.model)
        return torch.nn.Sequential(TorchStandardize(self._mean, self._std), model).eval()


def _label(v):
    if isinstance(v, float) and v.is_integer():
        return int(v)
    if isinstance(v, str) and v.strip().lstrip("-").isdigit():
        return int(v)
    return v


def to_torch_module(module):
    """Rebuild an nnlite module tree of standard layers in PyTorch, with the same weights.

    Containers are rebuilt child by child; a leaf ``X`` becomes ``torch.nn.X`` constructed from
    the attributes its torch signature names (``in_features``, ``eps``, ``p``...; ``bias`` from
    whether the layer has one). User-defined modules have no torch twin: they raise TypeError.
    """
    import torch

    def convert(m):
        name = type(m).__name__
        cls = getattr(torch.nn, name, None)
        if cls is None or not isinstance(cls, type):
            raise TypeError(f"{name} has no torch.nn counterpart; rebuild the model in PyTorch "
                            "and load model.safetensors into it (see docs/deploy.md)")
        if name in ("Sequential", "ModuleList"):
            return cls(*[convert(c) for c in m.children()])
        kwargs = {}
        for p in list(inspect.signature(cls.__init__).parameters)[1:]:
            if p in ("device", "dtype"):
                continue
            if p == "bias" and hasattr(m, "bias"):
                kwargs[p] = m.bias is not None
            elif p == "elementwise_affine" and hasattr(m, "weight"):
                kwargs[p] = m.weight is not None
            elif hasattr(m, p):
                v = getattr(m, p)
                kwargs[p] = tuple(v) if isinstance(v, list) else v
        return cls(**kwargs)

    out = convert(module)
    state = {k: torch.from_numpy(np.array(v.numpy())) for k, v in module.state_dict().items()}
    out.load_state_dict(state)
    return out


def _run_error(run_dir: str, message: str) -> ConfigError:
    return ConfigError("", f"{run_dir}: {message}")


def load_run(run_dir: str, weights: str = "model.safetensors") -> Predictor:
    """The predictor of a finished run: its model with trained weights and preprocessing.

    Raises ``ConfigError`` (one line naming the file) for a directory that is not a finished
    run, or whose files are damaged.
    """
    run_dir = os.fspath(run_dir)
    if not os.path.isdir(run_dir):
        raise _run_error(run_dir, "not a directory (give a run directory, e.g. runs/mlp-...)")
    path = os.path.join(run_dir, PREPROCESS)
    if not os.path.isfile(path):
        raise _run_error(run_dir, f"no {PREPROCESS}: not a finished run (or one trained "
                         "before runs saved their preprocessing; train it again)")
    try:
        with open(path, encoding="utf-8") as fh:
            record = json.load(fh)
    except (OSError, ValueError) as e:
        raise _run_error(run_dir, f"cannot read {PREPROCESS}: {e}") from None
    required = ("format", "task", "n_features", "feature_names", "x_mean", "x_std", "model",
                "n_outputs")
    if not isinstance(record, dict) or any(k not in record for k in required):
        raise _run_error(run_dir, f"{PREPROCESS} is not an nnlite run record (keys "
                         f"{', '.join(required)} expected)")
    if record["format"] != FORMAT:
        raise _run_error(run_dir, f"{PREPROCESS} has format {record['format']!r}; this nnlite "
                         f"reads {FORMAT!r}")
    wpath = os.path.join(run_dir, weights)
    if not os.path.isfile(wpath):
        raise _run_error(run_dir, f"no {weights}: the run did not finish (continue it with "
                         f"--resume {run_dir})")
    cfg = {"model": dict(record["model"]), "finetune": None}
    model = B.build_model(cfg, int(record["n_features"]), int(record["n_outputs"]))
    try:
        state = nnlite.load(wpath)
        model.load_state_dict(state)
    except (RuntimeError, KeyError, ValueError, TypeError) as e:
        raise _run_error(run_dir, f"{weights} does not fit the model in {PREPROCESS}: "
                         f"{str(e).splitlines()[0]}") from None
    return Predictor(model, record, run_dir)


# ---- the predict / evaluate commands ----------------------------------------------------------
def _parser(name: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=f"nnlite-train {name}", description={
        "predict": "Predict with a finished run on the rows of a CSV/NPZ file (raw features, "
                   "columns matched by header name).",
        "evaluate": "Score a finished run on a CSV/NPZ file that has the target column."}[name])
    p.add_argument("run_dir", help="the run directory (has preprocess.json, model.safetensors)")
    p.add_argument("data", help="the CSV (or NPZ) file")
    if name == "predict":
        p.add_argument("--output", "-o", help="write the predictions here (CSV; default stdout)")
        p.add_argument("--proba", action="store_true",
                       help="add one probability column per class (classification)")
    else:
        p.add_argument("--output", "-o", help="also write the metrics here (JSON)")
    p.add_argument("--weights", default="model.safetensors",
                   help="the weights file in the run directory (e.g. best.safetensors)")
    return p


def command(name: str, argv: list[str], error) -> int:
    """``nnlite-train predict|evaluate ...``; ``error(message)`` prints and returns 2."""
    args = _parser(name).parse_args(argv)
    try:
        p = load_run(args.run_dir, args.weights)
        if name == "predict":
            x, _ = p.read(args.data)
            pred = p.predict(x)
            proba = p.predict_proba(x) if args.proba and p.task == "classification" else None
            text = _predictions_csv(p, pred, proba)
            if args.output:
                atomic_write(args.output, text.encode())
                print(f"{len(pred)} predictions written to {args.output}", file=sys.stderr)
            else:
                sys.stdout.write(text)
            return 0
        result = p.evaluate(args.data)
    except ConfigError as e:
        return error(e.message if not e.path else f"{e.path}: {e.message}")
    except DataFileError as e:
        return error(str(e))
    except (ValueError, OSError) as e:
        return error(f"{args.data}: {str(e).splitlines()[0] if str(e) else type(e).__name__}")
    shown = {k: v for k, v in result.items() if isinstance(v, float)}
    for k, v in shown.items():
        print(f"{k:>20} {v:.6g}")
    if args.output:
        atomic_write(args.output, json.dumps(result, indent=2).encode())
    return 0


def _predictions_csv(p: Predictor, pred, proba) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    if pred.ndim == 2:
        head = [f"prediction_{j}" for j in range(pred.shape[1])]
    else:
        head = ["prediction"]
    if proba is not None:
        head += [f"proba_{c}" for c in p.classes]
    w.writerow(head)
    for i in range(len(pred)):
        row = list(pred[i]) if pred.ndim == 2 else [pred[i]]
        row = [repr(float(v)) if isinstance(v, (float, np.floating)) else v for v in row]
        if proba is not None:
            row += [f"{v:.6g}" for v in proba[i]]
        w.writerow(row)
    return buf.getvalue()

