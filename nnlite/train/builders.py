"""Builders: from a validated config to the objects the Trainer needs (data loaders, model, loss,
optimizer, scheduler), and fine-tuning (load weights, re-initialize, freeze).

Every failure that is the config's fault raises ``ConfigError`` with the key path at fault.
"""

from __future__ import annotations

import fnmatch
import glob
import importlib
import inspect
import os
import sys

import numpy as np

import nnlite
from nnlite._tensor import Tensor
from nnlite.data import DataLoader, TensorDataset
from nnlite.data.datasets import DatasetError, generator_function, load_dataset
from nnlite.train import checks
from nnlite.train.metrics import TASK_OF
from nnlite.train.schema import ConfigError, did_you_mean


# ---- data -------------------------------------------------------------------------------------
def build_data(cfg: dict):
    """The dataset's splits (``DataSplits``) for ``cfg['data']``."""
    d = cfg["data"]
    params = dict(d["params"])
    if params and d["name"] not in ("csv", "npz"):
        accepted = inspect.signature(generator_function(d["name"])).parameters
        for key in params:
            if key not in accepted or key in ("return_X_y", "as_frame"):
                allowed = [p for p in accepted if p not in ("return_X_y", "as_frame")]
                raise ConfigError(f"data.params.{key}", "unknown argument of "
                                  f"{generator_function(d['name']).__name__}"
                                  + did_you_mean(key, allowed) + f" (allowed: {', '.join(allowed)})")
        checks.check_generator_params(d["name"], params)
    elif params:
        raise ConfigError("data.params", f"not used for data.name '{d['name']}'")
    try:
        splits = load_dataset(
            d["name"], path=d["path"], target=d["target"], task=d["task"],
            val=d["split"]["val"], test=d["split"]["test"], stratify=d["split"]["stratify"],
            standardize=d["standardize"], classes=d["classes"], n_train=d["n_train"],
            seed=cfg["seed"], params=params, missing=d["missing"])
    except DatasetError as e:
        raise ConfigError(f"data.{e.key}", str(e)) from None
    except MemoryError:
        raise ConfigError("data", f"not enough memory for dataset '{d['name']}'") from None
    except (ValueError, TypeError) as e:
        raise ConfigError("data", f"cannot build dataset '{d['name']}': "
                          f"{str(e).splitlines()[0]}") from None
    if splits.task == "classification" and splits.n_outputs < 2:
        raise ConfigError("data.classes" if d["classes"] else "data.target",
                          f"classification needs at least 2 classes, the data has "
                          f"{splits.n_outputs}")
    metrics = cfg["metrics"]
    if metrics:
        for i, m in enumerate(metrics):
            if TASK_OF[m] != splits.task:
                raise ConfigError(f"metrics[{i}]", f"'{m}' is a {TASK_OF[m]} metric but the "
                                  f"task is {splits.task}")
    return splits


def _tensors(x, y):
    return Tensor._wrap(np.ascontiguousarray(x)), Tensor._wrap(np.ascontiguousarray(y))


def build_loaders(cfg: dict, splits):
    """(train, val, test) DataLoaders; the train order comes from its own generator seeded with
    ``seed``, so data order does not depend on how many random numbers the model drew."""
    d = cfg["data"]
    gen = nnlite.Generator().manual_seed(cfg["seed"])
    train = DataLoader(TensorDataset(*_tensors(splits.x_train, splits.y_train)),
                       batch_size=d["batch_size"], shuffle=d["shuffle"], drop_last=d["drop_last"],
                       generator=gen)
    if d["drop_last"] and len(train) == 0:
        raise ConfigError("data.batch_size", f"{d['batch_size']} is larger than the "
                          f"{len(splits.x_train)} training samples and data.drop_last is true")

    def evaluation(x, y):
        if x is None or len(x) == 0:
            return None
        return DataLoader(TensorDataset(*_tensors(x, y)), batch_size=d["eval_batch_size"])

    return train, evaluation(splits.x_val, splits.y_val), evaluation(splits.x_test, splits.y_test)


# ---- model ------------------------------------------------------------------------------------
def import_class(path: str, key: str = "model.class"):
    """``'package.module:ClassName'`` -> the class (cwd is importable, as for ``python -m``)."""
    module_name, _, class_name = path.partition(":")
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        module = importlib.import_module(module_name)
    except ImportError as e:
        raise ConfigError(key, f"cannot import '{module_name}': {e}") from None
    except Exception as e:  # noqa: BLE001 (the user's module raised while importing)
        raise ConfigError(key, f"importing '{module_name}' failed: "
                          f"{type(e).__name__}: {e}") from None
    if not hasattr(module, class_name):
        names = [n for n in dir(module) if not n.startswith("_")]
        raise ConfigError(key, f"module '{module_name}' has no attribute '{class_name}'"
                          + did_you_mean(class_name, names))
    return getattr(module, class_name)


def build_model(cfg: dict, n_features: int, n_outputs: int, n_samples: int | None = None):
    m = cfg["model"]
    ft = cfg.get("finetune")
    if ft and ft.get("replace_head") and ft["replace_head"].get("out_features"):
        n_outputs = ft["replace_head"]["out_features"]
    if m["out_features"] is not None:
        n_outputs = m["out_features"]
    if m["class"] is not None:
        return _build_user_model(m, n_features, n_outputs)
    nn = nnlite.nn
    norm = None if m["norm"] in (None, "none") else m["norm"]
    checks.check_mlp_memory(cfg, n_features, n_outputs, n_samples=n_samples)
    try:
        return nn.MLP(n_features, list(m["hidden"]), n_outputs, norm=norm,
                      activation=m["activation"], dropout=m["dropout"])
    except (ValueError, TypeError, KeyError) as e:
        raise ConfigError("model", f"cannot build the MLP: {e}") from None
    except MemoryError:
        raise ConfigError("model.hidden", "not enough memory for the MLP: use smaller "
                          "layers") from None


def _build_user_model(m: dict, n_features: int, n_outputs: int):
    cls = import_class(m["class"])
    if not (isinstance(cls, type) and issubclass(cls, nnlite.nn.Module)):
        raise ConfigError("model.class", f"'{m['class']}' is not a subclass of nnlite.nn.Module")
    args = dict(m["args"])
    try:
        params = inspect.signature(cls.__init__).parameters
    except (TypeError, ValueError):
        params = {}
    if "in_features" in params and "in_features" not in args:
        args["in_features"] = n_features
    if "out_features" in params and "out_features" not in args:
        args["out_features"] = n_outputs
    var_kw = any(p.kind == p.VAR_KEYWORD for p in params.values())
    for key in m["args"]:
        if params and key not in params and not var_kw:
            allowed = [p for p in params if p != "self"]
            raise ConfigError(f"model.args.{key}", f"not an argument of {cls.__name__}"
                              + did_you_mean(key, allowed) + f" (allowed: {', '.join(allowed)})")
    try:
        return cls(**args)
    except MemoryError:
        raise ConfigError("model.args", f"{cls.__name__}(**args) ran out of memory: use "
                          "smaller sizes") from None
    except Exception as e:  # noqa: BLE001 (any failure of the user's constructor)
        raise ConfigError("model.args", f"{cls.__name__}(**args) failed: "
                          f"{type(e).__name__}: {e}") from None


def count_parameters(model, trainable_only: bool = False) -> int:
    return int(sum(p.numel() for p in model.parameters()
                   if p.requires_grad or not trainable_only))


# ---- loss -------------------------------------------------------------------------------------
LOSS_CLASSES = {"cross_entropy": "CrossEntropyLoss", "mse": "MSELoss", "l1": "L1Loss",
                "smooth_l1": "SmoothL1Loss", "huber": "HuberLoss"}


def build_loss(cfg: dict, task: str):
    name = cfg["loss"]["name"]
    if name == "auto":
        name = "cross_entropy" if task == "classification" else "mse"
    if (name == "cross_entropy") != (task == "classification"):
        raise ConfigError("loss.name", f"'{name}' does not fit a {task} task")
    cls = getattr(nnlite.nn, LOSS_CLASSES[name], None)
    if cls is None:
        raise ConfigError("loss.name", f"'{name}' ({LOSS_CLASSES[name]}) is not available")
    if name != "cross_entropy" and cfg["loss"]["label_smoothing"]:
        raise ConfigError("loss.label_smoothing", f"has no effect on a {task} task (loss "
                          f"'{name}')")
    if name == "cross_entropy" and cfg["loss"]["label_smoothing"]:
        return cls(label_smoothing=cfg["loss"]["label_smoothing"])
    return cls()


# ---- optimizer --------------------------------------------------------------------------------
OPTIMIZER_CLASSES = {"sgd": "SGD", "adam": "Adam", "adamw": "AdamW", "rmsprop": "RMSprop",
                     "adagrad": "Adagrad"}
_SKIP_ARGS = {"self", "params", "foreach", "capturable", "differentiable", "fused"}


def _signature_kwargs(cls, given: dict, path: str, skip=_SKIP_ARGS, fill=True) -> dict:
    """Check ``given`` against ``cls.__init__``'s keyword arguments; fill in the defaults."""
    params = {k: p for k, p in inspect.signature(cls.__init__).parameters.items()
              if k not in skip and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)}
    out = {}
    for key, value in given.items():
        if key not in params:
            raise ConfigError(f"{path}.{key}", f"unknown argument of {cls.__name__}"
                              + did_you_mean(key, params) + f" (allowed: {', '.join(params)})")
        value = checks.check_argument(key, value, f"{path}.{key}")
        default = params[key].default
        if isinstance(default, (int, float)) and not isinstance(default, bool) and (
                isinstance(value, bool) or not isinstance(value, (int, float))):
            if isinstance(value, str):
                try:
                    value = float(value)
                except ValueError:
                    pass
            if not isinstance(value, (int, float)) or isinstance(value, bool):
                raise ConfigError(f"{path}.{key}", f"expected a number, got {value!r}")
        if isinstance(default, bool) and not isinstance(value, bool):
            raise ConfigError(f"{path}.{key}", f"expected true or false, got {value!r}")
        if isinstance(default, tuple):
            if not (isinstance(value, (list, tuple)) and len(value) == len(default) and all(
                    isinstance(v, (int, float)) and not isinstance(v, bool) for v in value)):
                raise ConfigError(f"{path}.{key}", f"expected a list of {len(default)} numbers "
                                  f"(default {list(default)}), got {value!r}")
            value = tuple(value)
        out[key] = value
    if fill:
        for key, p in params.items():
            if key not in out and p.default is not p.empty and (
                    p.default is None or isinstance(p.default, (int, float, bool, tuple, str))):
                out[key] = p.default
    return out


def resolve_optimizer(cfg: dict) -> dict:
    """Fill ``cfg['optimizer']`` with the optimizer's defaults (for the resolved config)."""
    o = cfg["optimizer"]
    cls = getattr(nnlite.optim, OPTIMIZER_CLASSES[o["name"]])
    given = {k: v for k, v in o.items() if k not in ("name", "param_groups")}
    kwargs = _signature_kwargs(cls, given, "optimizer")
    for k, v in kwargs.items():
        o[k] = list(v) if isinstance(v, tuple) else v
    return o


def build_optimizer(cfg: dict, model):
    o = cfg["optimizer"]
    cls = getattr(nnlite.optim, OPTIMIZER_CLASSES[o["name"]])
    kwargs = _signature_kwargs(cls, {k: v for k, v in o.items()
                                     if k not in ("name", "param_groups")}, "optimizer",
                               fill=False)
    named = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    if not named:
        if not any(True for _ in model.parameters()):
            what = cfg["model"]["class"] or "the model"
            raise ConfigError("model.class" if cfg["model"]["class"] else "model",
                              f"{what} has no parameters: nothing to train (register layers or "
                              "nn.Parameter attributes in its __init__)")
        if cfg.get("finetune") and cfg["finetune"]["freeze"]:
            raise ConfigError("finetune.freeze", "every parameter is frozen: nothing to train")
        raise ConfigError("model", "every parameter has requires_grad=False: nothing to "
                          "train")
    groups, taken = [], set()
    for i, group in enumerate(o["param_groups"]):
        path = f"optimizer.param_groups[{i}]"
        pats = group.get("params")
        if isinstance(pats, str):
            pats = [pats]
        if not isinstance(pats, list) or not pats:
            raise ConfigError(f"{path}.params", "expected a list of parameter name patterns")
        members = [p for n, p in named if id(p) not in taken
                   and any(fnmatch.fnmatchcase(n, pat) for pat in pats)]
        if not members:
            raise ConfigError(f"{path}.params", f"{pats} match no trainable parameter "
                              f"(names: {', '.join(n for n, _ in named)})")
        taken.update(id(p) for p in members)
        extra = _signature_kwargs(cls, {k: v for k, v in group.items() if k != "params"},
                                  path, fill=False)
        groups.append({"params": members, **extra})
    rest = [p for _, p in named if id(p) not in taken]
    if rest or not groups:
        groups.insert(0, {"params": rest})
    try:
        return cls(groups, **kwargs)
    except (ValueError, TypeError) as e:
        raise ConfigError("optimizer", str(e)) from None


# ---- scheduler --------------------------------------------------------------------------------
SCHEDULER_CLASSES = {"step": "StepLR", "multistep": "MultiStepLR", "exponential": "ExponentialLR",
                     "cosine": "CosineAnnealingLR", "linear": "LinearLR", "onecycle": "OneCycleLR",
                     "plateau": "ReduceLROnPlateau"}


def scheduler_interval(cfg: dict) -> str:
    s = cfg["scheduler"]
    if s is None or s["name"] == "none":
        return "epoch"
    if s["interval"] != "auto":
        return s["interval"]
    return "step" if s["name"] == "onecycle" else "epoch"


def build_scheduler(cfg: dict, optimizer, steps_per_epoch: int):
    s = cfg["scheduler"]
    if s is None or s["name"] == "none":
        return None
    lrs = nnlite.optim.lr_scheduler
    cls = getattr(lrs, SCHEDULER_CLASSES[s["name"]])
    epochs = cfg["trainer"]["epochs"]
    per_step = scheduler_interval(cfg) == "step"
    unit = steps_per_epoch if per_step else 1
    warmup = s["warmup_epochs"] * unit
    span = epochs * unit - warmup
    given = {k: v for k, v in s.items() if k not in ("name", "interval", "warmup_epochs")}
    kwargs = _signature_kwargs(cls, given, "scheduler", skip=_SKIP_ARGS | {"optimizer"},
                               fill=False)
    name = s["name"]
    if name == "plateau" and per_step:
        raise ConfigError("scheduler.interval", "plateau steps once per epoch")
    if name == "plateau" and warmup:
        raise ConfigError("scheduler.warmup_epochs", "not supported with plateau")
    defaults = {
        "step": {"step_size": max(1, span // 3)},
        "multistep": {"milestones": [span // 2, (3 * span) // 4]},
        "exponential": {"gamma": 0.95},
        "cosine": {"T_max": span},
        "onecycle": {"max_lr": [g["lr"] for g in optimizer.param_groups],
                     "total_steps": span},
        "plateau": {"mode": "min"},
    }.get(name, {})
    for k, v in defaults.items():
        kwargs.setdefault(k, v)
    if name == "onecycle":
        checks.check_onecycle_steps(kwargs, span)
    try:
        main = cls(optimizer, **kwargs)
    except Exception as e:  # noqa: BLE001 (ZeroDivisionError, TypeError, ... from the class)
        raise ConfigError("scheduler", f"{cls.__name__}: {type(e).__name__}: "
                          f"{str(e).splitlines()[0] if str(e) else ''}") from None
    if not warmup:
        return main
    # The main scheduler's constructor already stepped once at lr; restart the lr for warmup.
    warm = lrs.LinearLR(optimizer, start_factor=0.1, end_factor=1.0, total_iters=warmup)
    return lrs.SequentialLR(optimizer, [warm, main], milestones=[warmup])


# ---- fine-tuning ------------------------------------------------------------------------------
def find_source(path: str) -> str:
    """The run directory or file named by ``finetune.from``; a missing run falls back to the
    newest ``<path>-<timestamp>`` directory (what a default output directory looks like)."""
    if os.path.exists(path):
        return path
    candidates = sorted(c for c in glob.glob(glob.escape(path.rstrip("/\\")) + "-*")
                        if os.path.isdir(c))
    if candidates:
        return candidates[-1]
    stem = os.path.basename(path.rstrip("/\\"))
    config = f"configs/{stem}.yaml" if os.path.isfile(f"configs/{stem}.yaml") \
        else "configs/pretrain.yaml"
    raise ConfigError("finetune.from", f"'{path}' does not exist; create it first with: "
                      f"python scripts/train.py {config} --output-dir {path}")


def load_source_weights(path: str) -> tuple[dict, str]:
    path = find_source(path)
    if os.path.isdir(path):
        for name in ("model.safetensors", "checkpoint.safetensors"):
            if os.path.isfile(os.path.join(path, name)):
                path = os.path.join(path, name)
                break
        else:
            raise ConfigError("finetune.from", f"'{path}' holds no model.safetensors or "
                              "checkpoint.safetensors (did that run finish?)")
    try:
        state = nnlite.load(path)
    except (OSError, RuntimeError) as e:
        raise ConfigError("finetune.from", f"cannot read weights from '{path}': {e}") from None
    if isinstance(state, dict) and isinstance(state.get("model"), dict) and "optimizer" in state:
        state = state["model"]  # a training checkpoint
    if not isinstance(state, dict) or not all(isinstance(k, str) for k in state):
        raise ConfigError("finetune.from", f"'{path}' does not hold a model state_dict")
    return state, path


def head_prefix(model) -> str:
    """The last submodule that owns parameters directly (the output layer), e.g. ``'6.'``."""
    last = None
    for name, mod in model.named_modules():
        if name and any(True for _ in mod.parameters(recurse=False)):
            last = name
    return (last + ".") if last else ""


def apply_finetune(cfg: dict, model, load_weights: bool = True) -> dict:
    """Load the source weights into ``model`` (minus re-initialized/replaced ones), freeze by
    pattern; returns ``{'source', 'frozen', 'reinit', 'frozen_bn'}``. ``load_weights=False``
    (resuming: the checkpoint has the weights) only freezes."""
    ft = cfg["finetune"]
    own = model.state_dict()
    if load_weights:
        src, source_path = load_source_weights(ft["from"])
    else:
        src, source_path = own, ft["from"]
    names = list(own)
    skip = set()
    for i, pat in enumerate(ft["reinit"]):
        hit = [k for k in names if fnmatch.fnmatchcase(k, pat)]
        if not hit:
            raise ConfigError(f"finetune.reinit[{i}]", f"'{pat}' matches no weight "
                              f"(names: {', '.join(names)})")
        skip.update(hit)
    if ft["replace_head"] is not None:
        prefix = head_prefix(model)
        skip.update(k for k in names if k.startswith(prefix))
    problems = []
    for k in names:
        if k in skip:
            continue
        if k not in src:
            problems.append(f"'{k}' is missing from the source")
        elif tuple(src[k].shape) != tuple(own[k].shape):
            problems.append(f"'{k}' has shape {list(src[k].shape)} in the source but "
                            f"{list(own[k].shape)} in the model")
    unexpected = [k for k in src if k not in own]
    if unexpected:
        problems.append(f"unexpected key(s) in the source: {', '.join(unexpected[:5])}")
    if problems:
        hint = ("; set finetune.replace_head or add the head to finetune.reinit"
                if any(k.startswith(head_prefix(model)) for k in names if k not in skip and
                       k in src and tuple(src[k].shape) != tuple(own[k].shape)) else "")
        raise ConfigError("finetune.from", f"the weights in '{source_path}' do not fit the "
                          f"model: {problems[0]}" + (f" (and {len(problems) - 1} more)"
                                                     if len(problems) > 1 else "") + hint)
    model.load_state_dict({k: (own[k] if k in skip else src[k]) for k in names})

    params = dict(model.named_parameters())
    frozen = set()
    for i, pat in enumerate(ft["freeze"]):
        hit = [n for n in params if fnmatch.fnmatchcase(n, pat)]
        if not hit:
            raise ConfigError(f"finetune.freeze[{i}]", f"'{pat}' matches no parameter "
                              f"(names: {', '.join(params)})")
        frozen.update(hit)
    for n in frozen:
        params[n].requires_grad_(False)
    frozen_bn = []
    if ft["bn_eval"]:
        for _, mod in model.named_modules():
            own_params = list(mod.parameters(recurse=False))
            if "BatchNorm" in type(mod).__name__ and own_params and \
                    not any(p.requires_grad for p in own_params):
                frozen_bn.append(mod)
    return {"source": source_path, "frozen": sorted(frozen), "reinit": sorted(skip),
            "frozen_bn": frozen_bn}
