"""Checks that need more than one config value or the built objects: each turns what would fail
deep inside a run (MemoryError, IndexError in the loss, a crash at the last batch of an epoch)
into a ``ConfigError`` before training starts, naming the key to change.
"""

from __future__ import annotations

import itertools
import math
import os

import nnlite
from nnlite._tensor import Tensor
from nnlite.nn.normalization import _BatchNorm
from nnlite.train.dryrun import naming_layers
from nnlite.train.schema import ARGUMENTS, ConfigError, short_repr

_BYTES_PER_VALUE = 4  # float32
# weights, gradients, two optimizer moments (Adam), and one copy for the best-model snapshot
_COPIES_PER_PARAMETER = 5


def check_argument(key: str, value, path: str):
    """An optimizer/scheduler argument checked against its declared type and range (names
    without a declaration must at least be finite numbers when they are numbers)."""
    if key in ARGUMENTS:
        return ARGUMENTS[key].check(value, path)
    if isinstance(value, float) and not math.isfinite(value):
        raise ConfigError(path, f"must be a finite number, got {value}")
    return value


def machine_memory() -> int:
    """Physical memory in bytes (8 GiB when the platform does not say)."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return 8 << 30


def _size(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if n < 1024 or unit == "PiB":
            return f"{n:.3g} {unit}"
        n /= 1024
    return f"{n:.3g} PiB"  # unreachable


def mlp_parameters(n_features: int, hidden: list[int], n_outputs: int, norm) -> int:
    """The parameter count of ``nn.MLP`` (Linear layers, plus 2 per unit for a norm layer)."""
    widths = [n_features, *hidden, n_outputs]
    count = sum((a + 1) * b for a, b in itertools.pairwise(widths))
    if norm not in (None, "none"):
        count += 2 * sum(hidden)
    return count


def check_mlp_memory(cfg: dict, n_features: int, n_outputs: int, budget: int | None = None,
                     n_samples: int | None = None):
    """Refuse an MLP whose weights, gradients, optimizer state and activations would not fit in
    half of this machine's memory (``hidden: [10**9]`` is a typo, not a model)."""
    m, d = cfg["model"], cfg.get("data") or {}  # predict rebuilds a model without data
    n_params = mlp_parameters(n_features, m["hidden"], n_outputs, m["norm"])
    # activations: ~3 arrays per unit (pre-activation, normalized, activated) kept for backward
    # over a training batch (a batch is never larger than the data)
    batch = d.get("batch_size", 1)
    if n_samples is not None:
        batch = min(batch, n_samples)
    activations = 3 * batch * (sum(m["hidden"]) + n_outputs)
    need = (_COPIES_PER_PARAMETER * n_params + activations) * _BYTES_PER_VALUE
    budget = machine_memory() // 2 if budget is None else budget
    if need > budget:
        widest = max(m["hidden"], default=0)
        key = "model.hidden" if _COPIES_PER_PARAMETER * n_params * _BYTES_PER_VALUE > budget \
            or widest * 3 * batch * _BYTES_PER_VALUE < budget // 2 else "data.batch_size"
        raise ConfigError(key, f"the model would need about {_size(need)} ({n_params:,} "
                          f"parameters with gradients and optimizer state, batches of {batch}), "
                          f"more than half of this machine's {_size(machine_memory())}: use "
                          "smaller layers or batches")
    return n_params


def check_outputs(model, splits, key: str) -> None:
    """Run the model on two training samples (eval mode, no grad, no randomness drawn) and
    check its output has one column per class (or target): a mismatch would otherwise raise
    inside the loss (IndexError) or broadcast silently (MSE)."""
    x = Tensor._wrap(splits.x_train[:2].copy())
    was_training = model.training
    model.eval()
    try:
        with nnlite.no_grad(), naming_layers(model) as layers:
            try:
                out = model(x)
            except Exception as e:  # noqa: BLE001 (any failure of the user's forward)
                raise ConfigError(key, layers.failure(x, e)) from None
    finally:
        model.train(was_training)
    shape = tuple(getattr(out, "shape", ()))
    what = "classes" if splits.task == "classification" else "target columns"
    expected = (len(x), splits.n_outputs)
    if splits.task == "regression" and splits.n_outputs == 1 and shape == (len(x),):
        return
    if shape != expected:
        got = f"outputs of shape {list(shape)}" if shape else f"a {type(out).__name__}"
        raise ConfigError(key, f"the model gives {got} for {len(x)} samples, but the data has "
                          f"{splits.n_outputs} {what}: expected {list(expected)} (leave "
                          "model.out_features unset to take it from the data)")


def has_training_batchnorm(model, frozen=()) -> bool:
    """Whether ``model`` holds a BatchNorm layer that normalizes with batch statistics in
    training (one that is not kept in eval mode by frozen fine-tuning)."""
    frozen_ids = {id(m) for m in frozen}
    return any(isinstance(m, _BatchNorm) and id(m) not in frozen_ids for m in model.modules())


def single_sample_last_batch(n_train: int, batch_size: int, drop_last: bool) -> bool:
    """True when the last training batch of an epoch holds exactly one sample (training
    BatchNorm cannot normalize one value per channel)."""
    return not drop_last and n_train > 1 and n_train % batch_size == 1


def check_onecycle_steps(kwargs: dict, steps: int) -> None:
    """OneCycleLR fails at the step after its ``total_steps``; the run must fit in them."""
    if "total_steps" in kwargs and kwargs["total_steps"] is not None:
        total, key = kwargs["total_steps"], "scheduler.total_steps"
    elif kwargs.get("epochs") and kwargs.get("steps_per_epoch"):
        total, key = kwargs["epochs"] * kwargs["steps_per_epoch"], "scheduler.epochs"
    else:
        return
    if total < steps:
        raise ConfigError(key, f"{short_repr(total)} scheduler steps, but the run takes {steps} "
                          "(trainer.epochs x batches per epoch, after warmup): leave it unset "
                          f"to use {steps}")


def check_generator_params(name: str, params: dict) -> None:
    """Arguments of a scikit-learn generator (``data.params``): numbers finite, and the array
    it would draw small enough for this machine (``n_samples: 10**12`` is a typo)."""
    for key, value in params.items():
        if isinstance(value, float) and not math.isfinite(value):
            raise ConfigError(f"data.params.{key}", f"must be a finite number, got {value}")
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) > 10**12:
            raise ConfigError(f"data.params.{key}", f"{short_repr(value)} is out of range")
    n = params.get("n_samples", 100)
    f = params.get("n_features", 2 if name in ("moons", "circles", "blobs") else 20)
    n = sum(n) if isinstance(n, (list, tuple)) else n
    if isinstance(n, (int, float)) and isinstance(f, (int, float)):
        need = 8 * max(n, 0) * (max(f, 0) + 1)
        if need > machine_memory() // 2:
            raise ConfigError("data.params.n_samples", f"{short_repr(n)} samples of "
                              f"{short_repr(f)} features would need about {_size(need)}, more "
                              f"than half of this machine's {_size(machine_memory())}")
