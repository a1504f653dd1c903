"""The config schema: one declaration drives validation, defaults and the error messages.

A schema is a tree of ``Section``s whose leaves are ``Field``s. ``validate(raw)`` returns the
resolved config (every default filled in) or raises ``ConfigError`` naming the key path, what is
allowed, and, for a misspelled key or name, the closest match.
"""

from __future__ import annotations

import copy
import difflib
from typing import Any

REQUIRED = object()


class ConfigError(ValueError):
    """A bad config. ``path`` is the dotted key path (``optimizer.lr``, ``model.hidden[1]``)."""

    def __init__(self, path: str, message: str) -> None:
        self.path = path
        self.message = message
        super().__init__(f"{path}: {message}" if path else message)


def did_you_mean(word: str, options) -> str:
    options = [str(o) for o in options]
    near = difflib.get_close_matches(str(word), options, n=1, cutoff=0.6)
    return f"; did you mean '{near[0]}'?" if near else ""


def join(path: str, key) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else str(key)


def _type_name(v) -> str:
    if v is None:
        return "null"
    return {bool: "a boolean", int: "an integer", float: "a number", str: "a string",
            list: "a list", dict: "a mapping"}.get(type(v), type(v).__name__)


class Field:
    """A leaf: ``kind`` is one of int, float, bool, str, list, dict, any, or a tuple of them.

    ``choices`` restricts strings (case-sensitive; did-you-mean on a miss); ``lo``/``hi`` bound
    numbers (``lo_open``/``hi_open`` make a bound exclusive); ``item`` validates list items.
    """

    def __init__(self, kind, default=REQUIRED, *, choices=None, lo=None, hi=None,
                 lo_open=False, hi_open=False, nullable=False, item: Field | None = None,
                 min_len: int = 0, doc: str = "") -> None:
        self.kinds = kind if isinstance(kind, tuple) else (kind,)
        self.default = default
        self.choices = choices
        self.lo, self.hi, self.lo_open, self.hi_open = lo, hi, lo_open, hi_open
        self.nullable = nullable or default is None
        self.item = item
        self.min_len = min_len
        self.doc = doc

    def describe(self) -> str:
        if self.choices:
            return "one of " + ", ".join(map(str, self.choices))
        names = {"int": "an integer", "float": "a number", "bool": "true or false",
                 "str": "a string", "list": "a list", "dict": "a mapping", "any": "a value"}
        d = " or ".join(names[k] for k in self.kinds)
        if self.lo is not None and self.hi is not None:
            d += (f" in {'(' if self.lo_open else '['}{self.lo}, {self.hi}"
                  f"{')' if self.hi_open else ']'}")
        elif self.lo is not None:
            d += f" {'>' if self.lo_open else '>='} {self.lo}"
        elif self.hi is not None:
            d += f" {'<' if self.hi_open else '<='} {self.hi}"
        if self.item is not None:
            d += f" of {self.item.describe()}"
        return d + (" or null" if self.nullable else "")

    def check(self, value, path: str):
        if value is None:
            if self.nullable:
                return None
            raise ConfigError(path, f"expected {self.describe()}, got null")
        value = self._coerce(value, path)
        if self.choices is not None and value not in self.choices:
            raise ConfigError(path, f"unknown name '{value}'{did_you_mean(value, self.choices)}"
                              f" (allowed: {', '.join(map(str, self.choices))})")
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            bad = ((self.lo is not None and (value < self.lo or self.lo_open and value == self.lo))
                   or (self.hi is not None
                       and (value > self.hi or self.hi_open and value == self.hi)))
            if bad:
                raise ConfigError(path, f"{value} is out of range: expected {self.describe()}")
        if isinstance(value, list):
            if len(value) < self.min_len:
                raise ConfigError(path, f"expected at least {self.min_len} item(s)")
            if self.item is not None:
                value = [self.item.check(v, join(path, i)) for i, v in enumerate(value)]
        return value

    def _coerce(self, value, path):
        for kind in self.kinds:
            if kind == "any":
                return value
            if kind == "bool" and isinstance(value, bool):
                return value
            if kind == "int" and isinstance(value, int) and not isinstance(value, bool):
                return value
            if kind == "float" and isinstance(value, (int, float)) and not isinstance(value, bool):
                return float(value)
            if kind == "str" and isinstance(value, str):
                return value
            if kind == "list" and isinstance(value, (list, tuple)):
                return list(value)
            if kind == "dict" and isinstance(value, dict):
                return dict(value)
        if "float" in self.kinds and isinstance(value, str):
            try:  # YAML 1.1 reads 1e-3 (no dot) as a string
                return float(value)
            except ValueError:
                pass
        raise ConfigError(path, f"expected {self.describe()}, got {_type_name(value)} "
                                f"({value!r})")


class Section:
    """A mapping with declared keys. ``extra=True`` lets unknown keys through (they are checked
    by a builder, e.g. against an optimizer's signature). ``shorthand`` names the key a bare
    string stands for (``optimizer: adamw`` is ``optimizer: {name: adamw}``)."""

    def __init__(self, fields: dict, *, nullable=False, default=REQUIRED, extra=False,
                 shorthand: str | None = None, doc: str = "") -> None:
        self.fields = fields
        self.nullable = nullable
        self.default = None if nullable and default is REQUIRED else default
        self.extra = extra
        self.shorthand = shorthand
        self.doc = doc

    def check(self, value, path: str):
        if value is None:
            if self.nullable:
                return None
            value = {}
        if isinstance(value, str) and self.shorthand:
            value = {self.shorthand: value}
        if not isinstance(value, dict):
            raise ConfigError(path, f"expected a mapping, got {_type_name(value)} ({value!r})")
        out = {}
        for key in value:
            if key not in self.fields and not self.extra:
                raise ConfigError(join(path, key), "unknown key" + did_you_mean(key, self.fields)
                                  + f" (allowed: {', '.join(self.fields)})")
            if not isinstance(key, str):
                raise ConfigError(join(path, key), "keys must be strings")
        for key, spec in self.fields.items():
            sub = join(path, key)
            if key in value:
                out[key] = spec.check(value[key], sub)
            elif isinstance(spec, Section) and spec.default is REQUIRED and not spec.nullable:
                out[key] = spec.check({}, sub)
            elif spec.default is REQUIRED:
                raise ConfigError(sub, f"missing required key (expected {spec.describe()})")
            else:
                default = copy.deepcopy(spec.default)
                out[key] = spec.check(default, sub) if isinstance(spec, Section) and \
                    default is not None else default
        for key in value:
            if key not in self.fields:
                out[key] = value[key]
        return out

    def describe(self) -> str:
        return "a mapping" + (" or null" if self.nullable else "")


def _names():
    from nnlite.data.datasets import DATASETS

    return list(DATASETS)


ACTIVATIONS = ["relu", "gelu", "tanh", "sigmoid", "leaky_relu", "silu", "elu", "identity"]
NORMS = ["batchnorm", "layernorm", "none"]
LOSSES = ["auto", "cross_entropy", "mse", "l1", "smooth_l1", "huber"]
OPTIMIZERS = ["sgd", "adam", "adamw", "rmsprop", "adagrad"]
SCHEDULERS = ["none", "step", "multistep", "exponential", "cosine", "linear", "onecycle",
              "plateau"]
CLASSIFICATION_METRICS = ["accuracy", "balanced_accuracy", "f1_macro", "confusion_matrix"]
REGRESSION_METRICS = ["mse", "mae", "r2"]


def build_schema() -> Section:
    fraction = dict(lo=0.0, hi=1.0, hi_open=True)
    patterns = Field("list", [], item=Field("str"))
    return Section({
        "name": Field("str", None, doc="run name (default: the config file's name)"),
        "seed": Field("int", 0, lo=0, doc="fixes data split and order, init and dropout"),
        "threads": Field("int", None, lo=1, doc="BLAS threads (nnlite.set_num_threads) for "
                                                "the run; default: leave as is"),
        "data": Section({
            "name": Field("str", "digits", choices=_names()),
            "path": Field("str", None, doc="the CSV/NPZ file (relative to the config file)"),
            "target": Field(("str", "int"), None, doc="CSV column / NPZ array of the target"),
            "missing": Field("str", "error", choices=["error", "drop", "mean"],
                             doc="a file's missing cells: error, drop the row, or fill with the "
                                 "training mean"),
            "task": Field("str", "auto", choices=["auto", "classification", "regression"]),
            "split": Section({
                "val": Field("float", 0.15, **fraction),
                "test": Field("float", 0.15, **fraction),
                "stratify": Field("bool", True),
            }),
            "standardize": Field("bool", True),
            "classes": Field("list", None, item=Field(("int", "str")), min_len=1,
                             doc="keep only these classes, renumbered 0..k-1"),
            "n_train": Field("int", None, lo=1, doc="keep this many training samples"),
            "params": Field("dict", {}, doc="arguments of the scikit-learn loader/generator"),
            "batch_size": Field("int", 64, lo=1),
            "eval_batch_size": Field("int", 1024, lo=1),
            "shuffle": Field("bool", True),
            "drop_last": Field("bool", False),
        }),
        "model": Section({
            "type": Field("str", "mlp", choices=["mlp"]),
            "hidden": Field("list", [128, 64], item=Field("int", lo=1)),
            "norm": Field("str", "batchnorm", choices=NORMS, nullable=True),
            "activation": Field("str", "relu", choices=ACTIVATIONS),
            "dropout": Field("float", 0.0, **fraction),
            "out_features": Field("int", None, lo=1, doc="default: classes / targets of the data"),
            "class": Field("str", None, doc="a user Module: 'package.module:ClassName'"),
            "args": Field("dict", {}, doc="keyword arguments for model.class"),
        }),
        "loss": Section({
            "name": Field("str", "auto", choices=LOSSES),
            "label_smoothing": Field("float", 0.0, **fraction),
        }, shorthand="name"),
        "optimizer": Section({
            "name": Field("str", "adamw", choices=OPTIMIZERS),
            "lr": Field("float", 1e-3, lo=0.0, lo_open=True),
            "param_groups": Field("list", [], item=Field("dict")),
        }, extra=True, shorthand="name"),
        "scheduler": Section({
            "name": Field("str", "none", choices=SCHEDULERS),
            "interval": Field("str", "auto", choices=["auto", "epoch", "step"]),
            "warmup_epochs": Field("int", 0, lo=0),
        }, extra=True, shorthand="name", nullable=True),
        "trainer": Section({
            "epochs": Field("int", 30, lo=1),
            "grad_clip": Field("float", None, lo=0.0, lo_open=True,
                               doc="clip the gradient norm to this"),
            "early_stopping": Section({
                "monitor": Field("str", "val_loss"),
                "patience": Field("int", 10, lo=1),
                "mode": Field("str", "auto", choices=["auto", "min", "max"]),
                "min_delta": Field("float", 0.0, lo=0.0),
            }, nullable=True),
            "save_model": Field("str", "last", choices=["last", "best"],
                                doc="which weights go to model.safetensors (best by val_loss "
                                    "or early_stopping.monitor)"),
            "checkpoint_every": Field("int", 1, lo=1),
            "log_every": Field("int", 1, lo=0, doc="epoch log lines when bars are off"),
        }),
        "finetune": Section({
            "from": Field("str", REQUIRED, doc="a run directory or a checkpoint/weights file"),
            "freeze": patterns,
            "reinit": patterns,
            "replace_head": Section({"out_features": Field("int", None, lo=1)}, nullable=True),
            "bn_eval": Field("bool", True),
        }, nullable=True),
        "distributed": Section({
            "nproc": Field("int", 1, lo=1, doc="ranks to train on (> 1: data-parallel over "
                                                "MPI, nnlite[mpi]); same as --nproc"),
            "batch_size": Field("str", "global", choices=["global", "per_rank"],
                                doc="data.batch_size is the global batch (split over the "
                                    "ranks) or each rank's"),
            "bucket_cap_mb": Field("float", 25.0, lo=0.0, lo_open=True,
                                   doc="DistributedDataParallel's gradient bucket size"),
            "sync_batchnorm": Field("bool", True, doc="BatchNorm statistics over the global "
                                                      "batch (false: each rank's own)"),
            "timeout_s": Field("float", 600.0, lo=0.0, lo_open=True,
                               doc="a rank waiting this long for the others aborts the job"),
        }),
        "metrics": Field("list", None, item=Field(
            "str", choices=CLASSIFICATION_METRICS + REGRESSION_METRICS),
            doc="default: accuracy, balanced_accuracy, f1_macro (classification); mse, mae, r2"),
    })


def validate(raw: Any) -> dict:
    """Check ``raw`` against the schema and fill in defaults; raise ``ConfigError`` if bad."""
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ConfigError("", f"the config must be a mapping, got {_type_name(raw)}")
    cfg = build_schema().check(raw, "")
    _check_semantics(cfg)
    return cfg


def _check_semantics(cfg: dict) -> None:
    data, model = cfg["data"], cfg["model"]
    if data["name"] in ("csv", "npz") and not data["path"]:
        raise ConfigError("data.path", f"required for data.name '{data['name']}'")
    if data["split"]["val"] + data["split"]["test"] >= 1:
        raise ConfigError("data.split", "val + test must leave some training data (< 1)")
    if model["class"] is not None and ":" not in model["class"]:
        raise ConfigError("model.class", f"expected 'package.module:ClassName', got "
                          f"'{model['class']}'")
    metrics = cfg["metrics"] or []
    for i, m in enumerate(metrics):
        pass
    sched = cfg["scheduler"]
    if sched is not None and sched["warmup_epochs"] >= cfg["trainer"]["epochs"] and \
            sched["warmup_epochs"] > 0:
        raise ConfigError("scheduler.warmup_epochs",
                          f"{sched['warmup_epochs']} must be less than trainer.epochs "
                          f"({cfg['trainer']['epochs']})")
