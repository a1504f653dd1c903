"""Built-in datasets: scikit-learn's bundled sets and generators (no download), CSV and NPZ files.

``load_dataset`` returns numpy arrays already split into train/val/test (stratified for
classification) and, optionally, standardized with the training split's statistics. scikit-learn
is imported here only, when a dataset is actually built.
"""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass, field

import numpy as np

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


class DatasetError(ValueError):
    """A dataset that cannot be built; ``key`` names the config key at fault (e.g. ``path``)."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(message)
        self.key = key


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


def generator_function(name: str):
    """The scikit-learn function that builds dataset ``name`` (for argument validation)."""
    import sklearn.datasets as skd

    kind, _ = DATASETS[name]
    return getattr(skd, ("load_" if kind == "bundled" else "make_") + name)


def _raw(name: str, path, target, params: dict, seed: int):
    kind, task = DATASETS[name]
    if kind == "bundled":
        bunch = generator_function(name)(**params)
        names = [str(n) for n in getattr(bunch, "target_names", [])]
        return bunch.data, bunch.target, task, names
    if kind == "generator":
        kw = dict(params)
        if "random_state" not in kw:
            kw["random_state"] = seed
        out = generator_function(name)(**kw)
        return out[0], out[1], task, []
    if not path or not os.path.isfile(path):
        raise DatasetError("path", f"file not found: {path!r}")
    return (_read_csv(path, target) if name == "csv" else _read_npz(path, target)) + (None, [])


def _read_npz(path: str, target):
    try:
        with np.load(path, allow_pickle=False) as f:
            keys = list(f.keys())
            ykey = target if isinstance(target, str) else next(
                (k for k in ("y", "target", "labels") if k in keys), None)
            xkey = next((k for k in ("x", "X", "data", "features") if k in keys and k != ykey),
                        None)
            if ykey not in keys or xkey is None:
                raise DatasetError("target", f"{path}: expected arrays for features ('x') and "
                                   f"target ('y' or data.target); the file has {keys}")
            return f[xkey], f[ykey]
    except (OSError, ValueError) as e:
        if isinstance(e, DatasetError):
            raise
        raise DatasetError("path", f"cannot read {path} as .npz: {e}") from None


def _read_csv(path: str, target):
    with open(path, newline="") as fh:
        rows = [r for r in csv.reader(fh) if r]
    if not rows:
        raise DatasetError("path", f"{path} is empty")

    def numeric(row):
        try:
            [float(v) for v in row]
            return True
        except ValueError:
            return False

    header = None if numeric(rows[0]) else [h.strip() for h in rows[0]]
    body = rows[1:] if header else rows
    ncol = len(rows[0])
    if target is None:
        col = ncol - 1
    elif isinstance(target, int):
        col = target if target >= 0 else ncol + target
        if not 0 <= col < ncol:
            raise DatasetError("target", f"column {target} is out of range for {ncol} columns")
    else:
        if header is None or target not in header:
            import difflib

            near = difflib.get_close_matches(str(target), header or [], n=1)
            hint = f"; did you mean '{near[0]}'?" if near else (
                f"; columns are {header}" if header else "; the file has no header row")
            raise DatasetError("target", f"no column named '{target}' in {path}{hint}")
        col = header.index(target)
    try:
        x = np.array([[float(v) for j, v in enumerate(r) if j != col] for r in body])
    except ValueError as e:
        raise DatasetError("path", f"{path}: feature columns must be numeric ({e})") from None
    ycol = [r[col].strip() for r in body]
    try:
        y = np.array([float(v) for v in ycol])
    except ValueError:
        y = np.array(ycol)  # string labels: classification
    return x, y


def load_dataset(name: str, *, path: str | None = None, target=None, task: str = "auto",
                 val: float = 0.15, test: float = 0.15, stratify: bool = True,
                 standardize: bool = True, standardize_target: bool = True,
                 classes: list | None = None, n_train: int | None = None, seed: int = 0,
                 params: dict | None = None) -> DataSplits:
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

    Example:
        >>> d = load_dataset("digits", seed=0)
        >>> d.x_train.shape, d.n_outputs
        ((1257, 64), 10)
    """
    from sklearn.model_selection import train_test_split

    if name not in DATASETS:
        raise DatasetError("name", f"unknown dataset '{name}'")
    x, y, known_task, names = _raw(name, path, target, dict(params or {}), seed)
    x = np.asarray(x, dtype=np.float64)
    if x.ndim == 1:
        x = x[:, None]
    x = x.reshape(len(x), -1)
    if task == "auto":
        task = known_task or ("classification" if y.dtype.kind in "iubUSO"
                              or np.all(np.mod(y, 1) == 0) and len(np.unique(y)) <= 100
                              else "regression")
    if task == "classification":
        labels, y = np.unique(y, return_inverse=True)
        if labels.dtype.kind == "f" and np.all(np.mod(labels, 1) == 0):
            labels = labels.astype(np.int64)  # 5.0 read from a CSV is class "5"
        if not names:
            names = [str(v.item()) if hasattr(v, "item") else str(v) for v in labels]
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
        y = y.astype(np.int64)
    else:
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
            rest_x, px, rest_y, py = train_test_split(
                rest_x, rest_y, test_size=frac_of_rest, random_state=seed,
                stratify=rest_y if strat else None)
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
    if standardize:
        mean, std = stats_x.mean(0), stats_x.std(0)
        std[std == 0] = 1.0
    else:
        mean, std = 0.0, 1.0
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
        y_mean=y_mean, y_std=y_std)
