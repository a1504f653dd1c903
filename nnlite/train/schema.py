"""The config schema: one declaration drives validation, defaults and the error messages.

A schema is a tree of ``Section``s whose leaves are ``Field``s. ``validate(raw)`` returns the
resolved config (every default filled in) or raises ``ConfigError`` naming the key path, what is
allowed, and, for a misspelled key or name, the closest match.
"""

from __future__ import annotations

import copy
import difflib
import math
import re
import reprlib
from typing import Any

from nnlite.data.datasets import DATASETS

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


_REPR = reprlib.Repr()  # Python 3.11's Repr takes no keyword arguments
_REPR.maxlevel, _REPR.maxlist, _REPR.maxdict, _REPR.maxtuple, _REPR.maxset = 2, 4, 4, 4, 4
_REPR.maxstring, _REPR.maxother, _REPR.maxlong = 40, 40, 40


def short_repr(value) -> str:
    """A repr of at most ~100 characters on one line (a value may be huge or multi-line)."""
    text = _REPR.repr(value)
    return text.encode("unicode_escape").decode("ascii") if not text.isprintable() else text


def key_text(key) -> str:
    """A mapping key as it appears in a key path: itself when short and printable."""
    if isinstance(key, str) and key.isprintable() and len(key) <= 60:
        return key
    return short_repr(key)


def type_name(v) -> str:
    """``'an integer'``, ``'a list'``, ... for messages."""
    return _type_name(v)


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
        if self.choices and self.kinds == ("str",):
            return "one of " + ", ".join(map(str, self.choices))
        names = {"int": "an integer", "float": "a number", "bool": "true or false",
                 "str": "a string", "list": "a list", "dict": "a mapping", "any": "a value"}
        d = " or ".join(names[k] for k in self.kinds if not (k == "str" and self.choices))
        if self.lo is not None and self.hi is not None:
            d += (f" in {'(' if self.lo_open else '['}{self.lo}, {self.hi}"
                  f"{')' if self.hi_open else ']'}")
        elif self.lo is not None:
            d += f" {'>' if self.lo_open else '>='} {self.lo}"
        elif self.hi is not None:
            d += f" {'<' if self.hi_open else '<='} {self.hi}"
        if self.item is not None:
            d += f" of {self.item.describe()}"
        if self.choices:  # a number or one of these names (e.g. threads: 4 or auto)
            d += "".join(f" or {c}" for c in self.choices)
        return d + (" or null" if self.nullable else "")

    def check(self, value, path: str):
        if value is None:
            if self.nullable:
                return None
            raise ConfigError(path, f"expected {self.describe()}, got null")
        value = self._coerce(value, path)
        if self.choices is not None and isinstance(value, str) and value not in self.choices:
            raise ConfigError(path, f"unknown name {short_repr(value)}"
                              f"{did_you_mean(value, self.choices)}"
                              f" (allowed: {', '.join(map(str, self.choices))})")
        if isinstance(value, float) and not math.isfinite(value):
            raise ConfigError(path, f"must be a finite number, got {value}: expected "
                              f"{self.describe()}")
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            bad = ((self.lo is not None and (value < self.lo or self.lo_open and value == self.lo))
                   or (self.hi is not None
                       and (value > self.hi or self.hi_open and value == self.hi)))
            if bad:
                raise ConfigError(path, f"{short_repr(value)} is out of range: expected "
                                  f"{self.describe()}")
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
                try:
                    return float(value)
                except OverflowError:  # a 400-digit integer
                    raise ConfigError(path, f"{short_repr(value)} is out of range: expected "
                                      f"{self.describe()}") from None
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
                                f"({short_repr(value)})")


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
            raise ConfigError(path, f"expected a mapping, got {_type_name(value)} "
                              f"({short_repr(value)})")
        out = {}
        for key in value:
            if not isinstance(key, str):
                raise ConfigError(join(path, key_text(key)), "keys must be strings")
            if key not in self.fields and not self.extra:
                raise ConfigError(join(path, key_text(key)), "unknown key"
                                  + did_you_mean(key, self.fields)
                                  + f" (allowed: {', '.join(self.fields)})")
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
    return list(DATASETS)


ACTIVATIONS = ["relu", "gelu", "tanh", "sigmoid", "leaky_relu", "silu", "elu", "identity"]
NORMS = ["batchnorm", "layernorm", "none"]
LOSSES = ["auto", "cross_entropy", "mse", "l1", "smooth_l1", "huber"]
OPTIMIZERS = ["sgd", "adam", "adamw", "rmsprop", "adagrad"]
SCHEDULERS = ["none", "step", "multistep", "exponential", "cosine", "linear", "onecycle",
              "plateau"]
CLASSIFICATION_METRICS = ["accuracy", "balanced_accuracy", "f1_macro", "confusion_matrix"]
REGRESSION_METRICS = ["mse", "mae", "r2"]


# Sane ranges, declared once. A value outside is almost certainly a typo (an extra digit, a
# wrong unit) and would otherwise fail deep inside the run (OverflowError, MemoryError) or
# silently (a NaN that never compares).
MAX_SEED = 2**32 - 1  # scikit-learn's random_state limit
MAX_COUNT = 10**6  # epochs, layer widths, patience, ...
MAX_STEPS = 10**9  # scheduler step counts
MAX_SAMPLES = 10**9
_LR = {"lo": 0.0, "lo_open": True, "hi": 100.0}
_UNIT = {"lo": 0.0, "hi": 1.0}
FRACTION = {"lo": 0.0, "hi": 1.0, "hi_open": True}

# Optimizer and scheduler arguments by name (the builders check that a name is an argument of
# the chosen class, from its signature; this table gives its type and range).
ARGUMENTS = {
    "lr": Field("float", **_LR),
    "weight_decay": Field("float", lo=0.0, hi=100.0),
    "momentum": Field("float", **_UNIT),
    "dampening": Field("float", **_UNIT),
    "betas": Field("list", item=Field("float", **FRACTION)),
    "eps": Field("float", lo=0.0, lo_open=True, hi=1.0),
    "alpha": Field("float", **_UNIT),
    "lr_decay": Field("float", lo=0.0, hi=100.0),
    "initial_accumulator_value": Field("float", lo=0.0, hi=1e6),
    "step_size": Field("int", lo=1, hi=MAX_STEPS),
    "gamma": Field("float", lo=0.0, lo_open=True, hi=10.0),
    "milestones": Field("list", item=Field("int", lo=1, hi=MAX_STEPS), min_len=1),
    "T_max": Field("int", lo=1, hi=MAX_STEPS),
    "eta_min": Field("float", lo=0.0, hi=100.0),
    "start_factor": Field("float", lo=0.0, lo_open=True, hi=1.0),
    "end_factor": Field("float", **_UNIT),
    "total_iters": Field("int", lo=1, hi=MAX_STEPS),
    "max_lr": Field(("float", "list"), item=Field("float", **_LR), **_LR),
    "total_steps": Field("int", lo=1, hi=MAX_STEPS),
    "epochs": Field("int", lo=1, hi=MAX_STEPS),
    "steps_per_epoch": Field("int", lo=1, hi=MAX_STEPS),
    "pct_start": Field("float", lo=0.0, lo_open=True, hi=1.0, hi_open=True),
    "anneal_strategy": Field("str", choices=["cos", "linear"]),
    "div_factor": Field("float", lo=0.0, lo_open=True, hi=1e6),
    "final_div_factor": Field("float", lo=0.0, lo_open=True, hi=1e9),
    "base_momentum": Field(("float", "list"), item=Field("float", **_UNIT), **_UNIT),
    "max_momentum": Field(("float", "list"), item=Field("float", **_UNIT), **_UNIT),
    "mode": Field("str", choices=["min", "max"]),
    "factor": Field("float", lo=0.0, lo_open=True, hi=1.0, hi_open=True),
    "patience": Field("int", lo=0, hi=MAX_STEPS),
    "threshold": Field("float", lo=0.0, hi=1e6),
    "threshold_mode": Field("str", choices=["rel", "abs"]),
    "cooldown": Field("int", lo=0, hi=MAX_STEPS),
    "min_lr": Field(("float", "list"), item=Field("float", lo=0.0, hi=100.0), lo=0.0, hi=100.0),
}

# a run name becomes a directory name: one path component, printable, not too long
RUN_NAME = re.compile(r"[^/\\\x00-\x1f\x7f:*?\"<>|]{1,100}")


def build_schema() -> Section:
    patterns = Field("list", [], item=Field("str"))
    count = {"lo": 1, "hi": MAX_COUNT}
    return Section({
        "name": Field("str", None, doc="run name (default: the config file's name)"),
        "seed": Field("int", 0, lo=0, hi=MAX_SEED,
                      doc="fixes data split and order, init and dropout"),
        "threads": Field(("int", "str"), None, lo=1, hi=1024, choices=["auto"],
                         doc="BLAS threads (nnlite.set_num_threads) for the run; auto: "
                             "NNLITE_NUM_THREADS if set, else the cores this process may use; "
                             "default: leave as is"),
        "data": Section({
            "name": Field("str", "digits", choices=_names()),
            "path": Field("str", None, doc="the CSV/NPZ file (relative to the config file)"),
            "target": Field(("str", "int"), None, doc="CSV column / NPZ array of the target"),
            "missing": Field("str", "error", choices=["error", "drop", "mean"],
                             doc="a file's missing cells: error, drop the row, or fill with the "
                                 "training mean"),
            "task": Field("str", "auto", choices=["auto", "classification", "regression"]),
            "split": Section({
                "val": Field("float", 0.15, **FRACTION),
                "test": Field("float", 0.15, **FRACTION),
                "stratify": Field("bool", True),
            }),
            "standardize": Field("bool", True),
            "classes": Field("list", None, item=Field(("int", "str")), min_len=1,
                             doc="keep only these classes, renumbered 0..k-1"),
            "n_train": Field("int", None, lo=1, hi=MAX_SAMPLES,
                             doc="keep this many training samples"),
            "params": Field("dict", {}, doc="arguments of the scikit-learn loader/generator"),
            "batch_size": Field("int", 64, lo=1, hi=MAX_SAMPLES),
            "eval_batch_size": Field("int", 1024, lo=1, hi=MAX_SAMPLES),
            "shuffle": Field("bool", True),
            "drop_last": Field("bool", False),
        }),
        "model": Section({
            "type": Field("str", "mlp", choices=["mlp"]),
            "hidden": Field("list", [128, 64], item=Field("int", **count)),
            "norm": Field("str", "batchnorm", choices=NORMS, nullable=True),
            "activation": Field("str", "relu", choices=ACTIVATIONS),
            "dropout": Field("float", 0.0, **FRACTION),
            "out_features": Field("int", None, **count,
                                  doc="default: classes / targets of the data"),
            "class": Field("str", None, doc="a user Module: 'package.module:ClassName'"),
            "args": Field("dict", {}, doc="keyword arguments for model.class"),
        }),
        "loss": Section({
            "name": Field("str", "auto", choices=LOSSES),
            "label_smoothing": Field("float", 0.0, **FRACTION),
        }, shorthand="name"),
        "optimizer": Section({
            "name": Field("str", "adamw", choices=OPTIMIZERS),
            "lr": Field("float", 1e-3, **_LR),
            "param_groups": Field("list", [], item=Field("dict")),
        }, extra=True, shorthand="name"),
        "scheduler": Section({
            "name": Field("str", "none", choices=SCHEDULERS),
            "interval": Field("str", "auto", choices=["auto", "epoch", "step"]),
            "warmup_epochs": Field("int", 0, lo=0, hi=MAX_COUNT),
        }, extra=True, shorthand="name", nullable=True),
        "trainer": Section({
            "epochs": Field("int", 30, **count),
            "grad_clip": Field("float", None, lo=0.0, lo_open=True, hi=1e6,
                               doc="clip the gradient norm to this"),
            "early_stopping": Section({
                "monitor": Field("str", "val_loss"),
                "patience": Field("int", 10, **count),
                "mode": Field("str", "auto", choices=["auto", "min", "max"]),
                "min_delta": Field("float", 0.0, lo=0.0, hi=1e6),
            }, nullable=True),
            "save_model": Field("str", "last", choices=["last", "best"],
                                doc="which weights go to model.safetensors (best by val_loss "
                                    "or early_stopping.monitor)"),
            "checkpoint_every": Field("int", 1, **count),
            "compile": Field("bool", True, doc="replay captured training steps (nnlite.compile; "
                                               "bit-identical to eager)"),
            "log_every": Field("int", 1, lo=0, hi=MAX_COUNT,
                               doc="epoch log lines when bars are off"),
        }),
        "finetune": Section({
            "from": Field("str", REQUIRED, doc="a run directory or a checkpoint/weights file"),
            "freeze": patterns,
            "reinit": patterns,
            "replace_head": Section({"out_features": Field("int", None, **count)},
                                    nullable=True),
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
    _check_no_effect(raw, cfg)
    return cfg


def check_run_name(name: str, key: str = "name") -> str:
    """A run name is one printable path component (it names a directory under runs/)."""
    if not RUN_NAME.fullmatch(name) or name.strip(".") == "" or name != name.strip():
        raise ConfigError(key, f"{short_repr(name)} cannot be a run name: use up to 100 "
                          "printable characters without / \\ : * ? \" < > |, not . or .. "
                          "(e.g. mlp-digits)")
    return name


def _given(raw: dict, *keys) -> bool:
    node = raw
    for k in keys:
        if not isinstance(node, dict) or k not in node:
            return False
        node = node[k]
    return True


def _default(section: str, key: str):
    return build_schema().fields[section].fields[key].default


def _check_no_effect(raw: dict, cfg: dict) -> None:
    """Keys that would be silently ignored are errors: the user meant something by them."""
    data, model = cfg["data"], cfg["model"]
    if data["name"] not in ("csv", "npz"):
        if data.get("missing", "error") != "error":
            raise ConfigError("data.missing", f"has no effect with the bundled data set "
                              f"'{data['name']}'; it is for data.name csv or npz")
        for key in ("path", "target"):
            if data[key] is not None:
                raise ConfigError(f"data.{key}", f"has no effect with the bundled data set "
                                  f"'{data['name']}'; it is for data.name csv or npz")
    if model["class"] is None and model["args"]:
        raise ConfigError("model.args", "has no effect without model.class (the built-in MLP "
                          "takes model.hidden, norm, activation, dropout)")
    if model["class"] is not None:
        for key in ("type", "hidden", "norm", "activation", "dropout"):
            # a resolved config (config.yaml of a run) holds the defaults: only a changed
            # value is a mistake
            if _given(raw, "model", key) and model[key] != _default("model", key):
                raise ConfigError(f"model.{key}", f"has no effect with model.class (pass it "
                                  f"in model.args if {model['class']} takes it)")
    sched = cfg["scheduler"]
    if sched is not None and sched["name"] == "none":
        extra = [k for k in sched if k not in ("name", "interval", "warmup_epochs")]
        if extra or sched["warmup_epochs"]:
            key = extra[0] if extra else "warmup_epochs"
            raise ConfigError(f"scheduler.{key}", "has no effect without a scheduler (set "
                              "scheduler.name)")
    if cfg["loss"]["name"] not in ("auto", "cross_entropy") and \
            cfg["loss"]["label_smoothing"]:
        raise ConfigError("loss.label_smoothing", f"has no effect with loss "
                          f"'{cfg['loss']['name']}' (only cross_entropy smooths labels)")


def _check_semantics(cfg: dict) -> None:
    data, model = cfg["data"], cfg["model"]
    if data["name"] in ("csv", "npz") and not data["path"]:
        raise ConfigError("data.path", f"required for data.name '{data['name']}'")
    if data["split"]["val"] + data["split"]["test"] >= 1:
        raise ConfigError("data.split", "val + test must leave some training data (< 1)")
    if model["class"] is not None and ":" not in model["class"]:
        raise ConfigError("model.class", f"expected 'package.module:ClassName', got "
                          f"'{model['class']}'")
    if cfg["name"] is not None:
        check_run_name(cfg["name"])
    sched = cfg["scheduler"]
    if sched is not None and sched["warmup_epochs"] >= cfg["trainer"]["epochs"] and \
            sched["warmup_epochs"] > 0:
        raise ConfigError("scheduler.warmup_epochs",
                          f"{sched['warmup_epochs']} must be less than trainer.epochs "
                          f"({cfg['trainer']['epochs']})")
