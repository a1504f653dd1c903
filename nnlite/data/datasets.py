"""Built-in datasets: scikit-learn's bundled sets and generators (no download), CSV and NPZ files.

``load_dataset`` returns numpy arrays already split into train/val/test (stratified for
classification) and, optionally, standardized with the training split's statistics. scikit-learn
is imported here only, when a dataset is actually built -- and not for the default digits data
with its usual split (``nnlite.data.splits``: the same arrays and indices, read and computed
without importing scikit-learn).
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass, field

import numpy as np

from nnlite.data.splits import load_digits_arrays, train_test_split
from nnlite.data.tabular import DataFileError as DatasetError  # one error type for both
from nnlite.data.tabular import Table, read_csv, read_npz

# name -> (kind, task). kind "bundled": sklearn.datasets.load_<name>; "generator":
# sklearn.datasets.make_<name>; "file": a CSV/NPZ file read here.
DATASETS = {
    "digits": ("bundled", "classification"),
    "iris": ("bundled", "classification"),
    "wine": ("bundled", "classification"),
    "breast_cancer": ("bundled", "classification"),
    "diabetes": ("bundled", "regression"),
    "moons": ("generator", "classification"),
    "circles": ("generator", "classification"),
    "blobs": ("generator", "classification"),
    "classification": ("generator", "classification"),
    "regression": ("generator", "regression"),
    "csv": ("file", None),
    "npz": ("file", None),
}




@dataclass
class DataSplits:
    """Arrays of one dataset, split. ``y`` is int64 class indices or float32 targets (n, k)."""

    task: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray | None
    y_val: np.ndarray | None
    x_test: np.ndarray | None
    y_test: np.ndarray | None
    n_features: int
    n_outputs: int  # classes for classification, target columns for regression
    class_names: list = field(default_factory=list)
    y_mean: np.ndarray | None = None  # regression targets were standardized with these
    y_std: np.ndarray | None = None
    classes: list = field(default_factory=list)  # the label values, in output order
    feature_names: list = field(default_factory=list)
    target_name: str | None = None
    x_mean: np.ndarray | None = None  # features were standardized as (x - x_mean) / x_std
    x_std: np.ndarray | None = None
    x_fill: np.ndarray | None = None  # missing feature cells were filled with these (mean)
    notes: list = field(default_factory=list)  # what the loader decided, for the run's log

    def preprocess(self, x) -> np.ndarray:
        """Raw features (n, n_features) -> the float32 model inputs, exactly as in training."""
        x = np.asarray(x, dtype=np.float64).reshape(len(x), -1)
        if self.x_fill is not None:
            x = np.where(np.isnan(x), self.x_fill, x)
        return ((x - self.x_mean) / self.x_std).astype(np.float32)


def generator_function(name: str):
    """The scikit-learn function that builds dataset ``name`` (for argument validation)."""
    import sklearn.datasets as skd

    kind, _ = DATASETS[name]
    return getattr(skd, ("load_" if kind == "bundled" else "make_") + name)


def _raw(name: str, path, target, params: dict, seed: int, missing: str):
    """(Table, task or None): the features and target of dataset ``name``."""
    kind, task = DATASETS[name]
    if name == "digits" and not params:  # the default run's data, read without scikit-learn
        got = load_digits_arrays()
        if got is not None:
            x, y, features = got
            return Table(x, y, features, "target", [str(i) for i in range(10)]), task
    if kind == "bundled":
        bunch = generator_function(name)(**params)
        names = [str(n) for n in getattr(bunch, "target_names", [])]
        x = np.asarray(bunch.data)
        features = [str(f) for f in getattr(bunch, "feature_names", [])]
        if len(features) != x.reshape(len(x), -1).shape[1]:
            features = [f"x{j}" for j in range(x.reshape(len(x), -1).shape[1])]
        return Table(x, bunch.target, features, "target", names or None), task
    if kind == "generator":
        kw = dict(params)
        if "random_state" not in kw:
            kw["random_state"] = seed
        out = generator_function(name)(**kw)
        x = np.asarray(out[0])
        return Table(x, out[1], [f"x{j}" for j in range(x.shape[1])], "y"), task
    if not path or not os.path.isfile(path):
        raise DatasetError("path", f"file not found: {path!r}")
    if name == "csv":
        return read_csv(path, target, missing=missing), None
    return read_npz(path, target, missing=missing), None


def infer_task(y: np.ndarray, class_names=None) -> tuple[str, str]:
    """``(task, why)`` for target values ``y``: text labels or a file's declared class names
    mean classification; integer values too when there are at most 100 distinct ones and every
    one occurs at least twice; anything else is a regression."""
    if class_names:
        return "classification", f"{len(class_names)} named classes"
    if y.dtype.kind in "USOb":
        return "classification", "text labels"
    if y.ndim == 2 and y.shape[1] > 1:
        return "regression", f"{y.shape[1]} target columns"
    y = y.reshape(-1)
    if y.dtype.kind in "iu" or np.all(np.mod(y, 1) == 0):
        values, counts = np.unique(y, return_counts=True)
        if len(values) <= 100 and counts.min() >= 2:
            return "classification", f"{len(values)} distinct integer labels"
        return "regression", (f"{len(values)} distinct integer values" if len(values) > 100
                              else "integer values, some seen only once")
    return "regression", "non-integer values"


def load_dataset(name: str, *, path: str | None = None, target=None, task: str = "auto",
                 val: float = 0.15, test: float = 0.15, stratify: bool = True,
                 standardize: bool = True, standardize_target: bool = True,
                 classes: list | None = None, n_train: int | None = None, seed: int = 0,
                 params: dict | None = None, missing: str = "error") -> DataSplits:
    """Build dataset ``name`` and split it into train/val/test numpy arrays.

    Args:
        name: one of ``DATASETS``.
        path, target: the file and its target column (CSV: header name or index, default the
            last column) or array name (NPZ: default ``y``; features ``x``).
        task: ``classification``, ``regression`` or ``auto`` (bundled sets know theirs; a file's
            integer or string target means classification).
        val, test: fractions held out (0 disables a split); stratified by class if ``stratify``.
        standardize: scale features to zero mean, unit variance with the training statistics.
        classes: keep only these labels, renumbered 0..k-1 in the order given.
        n_train: keep only this many training samples (stratified), e.g. for fine-tuning.
        params: keyword arguments for scikit-learn's ``load_*``/``make_*`` function.
        missing: what a file's missing cells do: ``error``, ``drop`` (the row) or ``mean``
            (filled with the training split's column mean, kept in ``x_fill``).

    Example:
        >>> d = load_dataset("digits", seed=0)
        >>> d.x_train.shape, d.n_outputs
        ((1257, 64), 10)
    """
    if name not in DATASETS:
        raise DatasetError("name", f"unknown dataset '{name}'")
    table, known_task = _raw(name, path, target, dict(params or {}), seed, missing)
    notes = list(table.notes)
    x = np.asarray(table.x, dtype=np.float64)
    if x.ndim == 1:
        x = x[:, None]
    x = x.reshape(len(x), -1)
    y = np.asarray(table.y)
    names = list(table.class_names or [])
    if task == "auto":
        if known_task:
            task = known_task
        else:
            task, why = infer_task(y, names)
            notes.append(f"task: {task} ({why}; set data.task to change it)")
    if task == "classification":
        if y.ndim == 2 and y.shape[1] > 1:
            raise DatasetError("task", f"classification needs one label per row, but the target "
                               f"has {y.shape[1]} columns")
        if y.dtype.kind == "f" and not np.all(np.mod(y, 1) == 0) and not names:
            raise DatasetError("task", "classification needs class labels, but the target holds "
                               "non-integer numbers (set data.task: regression)")
        labels, y = np.unique(y.reshape(-1), return_inverse=True)
        if labels.dtype.kind == "f":
            labels = labels.astype(np.int64)  # 5.0 read from a CSV is class 5
        if len(labels) < 2:
            raise DatasetError("target", f"the target '{table.target_name}' has a single class "
                               f"({labels[0].item()!r}): nothing to classify (is it the right "
                               "column?)")
        if names and len(names) != len(labels):  # a declared class absent from the data
            names = [names[int(v)] for v in labels]
        if not names:
            names = [str(v.item()) if hasattr(v, "item") else str(v) for v in labels]
        values = [v.item() if hasattr(v, "item") else v for v in labels]
        if classes is not None:
            lookup = {str(v): i for i, v in enumerate(names)}
            if DATASETS[name][0] != "file":  # bundled sets: a class index works too
                lookup.update({str(i): i for i in range(len(labels))})
            keep = []
            for c in classes:
                if str(c) not in lookup:
                    raise DatasetError("classes", f"class {c!r} is not in the data "
                                       f"(classes are {names})")
                keep.append(lookup[str(c)])
            remap = np.full(len(labels), -1)
            remap[keep] = np.arange(len(keep))
            names = [names[k] for k in keep]
            values = [values[k] for k in keep]
        y = y.astype(np.int64)
        if stratify and (val or test):
            counts = np.bincount(y, minlength=len(labels))
            if counts.min() < 2:
                rare = names[int(np.argmin(counts))] if len(names) == len(labels) else \
                    values[int(np.argmin(counts))]
                raise DatasetError("split", f"class '{rare}' has a single sample: a stratified "
                                   "split needs at least 2 per class (set data.split.stratify: "
                                   "false, or data.task: regression if the target is a number)")
    else:
        if y.dtype.kind not in "biuf":
            raise DatasetError("task", "regression needs numeric targets, but the target holds "
                               "text (set data.task: classification)")
        values = []
        y = np.asarray(y, dtype=np.float64)
        y = y[:, None] if y.ndim == 1 else y.reshape(len(y), -1)

    # Split the whole dataset, and take the standardization statistics from its whole training
    # split, before classes are selected: runs on different classes of one dataset (pretrain on
    # digits 0-4, fine-tune on 5-9) then see identically scaled inputs and disjoint test sets.
    strat = task == "classification" and stratify
    rest_x, rest_y, parts = x, y, {}
    for split_name, frac in (("test", test), ("val", val)):
        if frac and frac > 0:
            frac_of_rest = frac / (1 - (test if split_name == "val" else 0))
            try:
                rest_x, px, rest_y, py = train_test_split(
                    rest_x, rest_y, test_size=frac_of_rest, random_state=seed,
                    stratify=rest_y if strat else None)
            except ValueError as e:
                raise DatasetError("split", f"cannot hold out a {split_name} split of {frac} "
                                   f"from {len(x)} rows: {str(e).splitlines()[0]}") from None
            parts[split_name] = (px, py)
    stats_x = rest_x
    if task == "classification" and classes is not None:
        def select(a, b):
            mask = np.isin(b, keep)
            return a[mask], remap[b[mask]]

        rest_x, rest_y = select(rest_x, rest_y)
        parts = {k: select(*v) for k, v in parts.items()}
    if n_train is not None and n_train < len(rest_x):
        rest_x, _, rest_y, _ = train_test_split(rest_x, rest_y, train_size=n_train,
                                                random_state=seed,
                                                stratify=rest_y if strat else None)

    f32 = np.float32
    fill = None
    if missing == "mean" and np.isnan(x).any():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # an all-NaN column: reported below
            fill = np.nanmean(stats_x, axis=0) if len(stats_x) else np.full(x.shape[1], np.nan)
        if np.isnan(fill).any():
            j = int(np.flatnonzero(np.isnan(fill))[0])
            raise DatasetError("missing", f"feature '{table.feature_names[j]}' is missing in "
                               "every training row: no mean to fill it with (drop the column)")
        fill_nan = lambda a: None if a is None else np.where(np.isnan(a), fill, a)  # noqa: E731
        stats_x, rest_x = fill_nan(stats_x), fill_nan(rest_x)
        parts = {k: (fill_nan(v[0]), v[1]) for k, v in parts.items()}
        notes.append(f"{int(np.isnan(x).sum())} missing cell(s) filled with the training "
                     "split's column means (data.missing: mean)")
    if standardize:
        mean, std = stats_x.mean(0), stats_x.std(0)
        std[std == 0] = 1.0
    else:
        mean, std = np.zeros(x.shape[1]), np.ones(x.shape[1])
    y_mean = y_std = None
    if task == "regression" and standardize_target:
        y_mean, y_std = rest_y.mean(0), rest_y.std(0)
        y_std[y_std == 0] = 1.0

    def fx(a):
        return None if a is None else ((a - mean) / std).astype(f32)

    def fy(a):
        if a is None or task == "classification":
            return a
        return ((a - y_mean) / y_std).astype(f32) if y_mean is not None else a.astype(f32)

    vx, vy = parts.get("val", (None, None))
    tx, ty = parts.get("test", (None, None))
    return DataSplits(
        task=task, x_train=fx(rest_x), y_train=fy(rest_y), x_val=fx(vx), y_val=fy(vy),
        x_test=fx(tx), y_test=fy(ty), n_features=x.shape[1],
        n_outputs=len(names) if task == "classification" else y.shape[1], class_names=names,
        y_mean=y_mean, y_std=y_std, classes=values, feature_names=list(table.feature_names),
        target_name=table.target_name, x_mean=np.asarray(mean, dtype=np.float64),
        x_std=np.asarray(std, dtype=np.float64), x_fill=fill, notes=notes)
