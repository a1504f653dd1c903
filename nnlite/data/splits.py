"""scikit-learn's ``train_test_split`` and bundled ``digits`` data without importing
scikit-learn.

Importing any part of scikit-learn imports its base machinery, SciPy's ``stats`` (which builds
its docstrings at import) and pandas when installed: ~2 s of CPU time, more than the whole
40-epoch training of ``configs/mlp.yaml``. The default run needs only a split and the digits
file, so both are done here with the same results as scikit-learn's -- the same indices for
the same arguments (same ``RandomState`` draws in the same order) and the same arrays --
and anything these do not reproduce exactly (other size types, multi-column stratification,
every case where scikit-learn raises) is passed to scikit-learn itself, so its answers and
its error messages stay the reference.
"""

from __future__ import annotations

import gzip
import importlib.util
import math
import os

import numpy as np


def _sizes(n: int, test_size, train_size):
    """``(n_train, n_test)`` as scikit-learn's ``_validate_shuffle_split`` computes them, for a
    float ``test_size`` in (0, 1) alone or an int ``train_size`` in (0, n) alone; None for
    anything else (scikit-learn decides)."""
    if isinstance(test_size, float) and train_size is None and 0 < test_size < 1:
        n_test = math.ceil(test_size * n)
        n_train = n - n_test
    elif (isinstance(train_size, int) and not isinstance(train_size, bool) and test_size is None
          and 0 < train_size < n):
        n_train, n_test = train_size, n - train_size
    else:
        return None
    if n_train <= 0 or n_test <= 0:
        return None
    return n_train, n_test


def _approximate_mode(class_counts: np.ndarray, n_draws: int, rng) -> np.ndarray:
    """Samples per class of ``n_draws`` drawn in proportion to ``class_counts``, remainders
    handed out largest first with ties broken by ``rng`` (scikit-learn's rule and draws)."""
    continuous = class_counts / class_counts.sum() * n_draws
    floored = np.floor(continuous)
    need = int(n_draws - floored.sum())
    if need > 0:
        remainder = continuous - floored
        for value in np.sort(np.unique(remainder))[::-1]:
            (inds,) = np.where(remainder == value)
            add_now = min(len(inds), need)
            inds = rng.choice(inds, size=add_now, replace=False)
            floored[inds] += 1
            need -= add_now
            if need == 0:
                break
    return floored.astype(int)


def _indices(n: int, n_train: int, n_test: int, seed: int, stratify):
    """(train, test) index arrays, or None where scikit-learn must decide."""
    rng = np.random.RandomState(seed)
    if stratify is None:
        perm = rng.permutation(n)
        return perm[n_test:n_test + n_train], perm[:n_test]
    y = np.asarray(stratify)
    if y.ndim != 1 or len(y) != n:
        return None
    classes, y_idx, counts = np.unique(y, return_inverse=True, return_counts=True)
    if counts.min() < 2 or n_train < len(classes) or n_test < len(classes):
        return None  # scikit-learn raises: keep its message
    by_class = np.split(np.argsort(y_idx, kind="stable"), np.cumsum(counts)[:-1])
    n_i = _approximate_mode(counts, n_train, rng)
    t_i = _approximate_mode(counts - n_i, n_test, rng)
    train, test = [], []
    for i in range(len(classes)):
        idx = by_class[i].take(rng.permutation(counts[i]), mode="clip")
        train.extend(idx[:n_i[i]])
        test.extend(idx[n_i[i]:n_i[i] + t_i[i]])
    return rng.permutation(train), rng.permutation(test)


def train_test_split(*arrays, test_size=None, train_size=None, random_state=None,
                     stratify=None):
    """``sklearn.model_selection.train_test_split(*arrays, test_size=..., train_size=...,
    random_state=..., stratify=...)`` for numpy arrays: the same split (``[a_train, a_test,
    b_train, b_test, ...]``), computed here for an int ``random_state`` with a float
    ``test_size`` or an int ``train_size``, else by scikit-learn."""
    n = len(arrays[0]) if arrays else 0
    sizes = _sizes(n, test_size, train_size)
    got = None
    if (sizes is not None and isinstance(random_state, int) and not isinstance(random_state, bool)
            and all(isinstance(a, np.ndarray) and len(a) == n for a in arrays)):
        got = _indices(n, *sizes, random_state, stratify)
    if got is None:
        from sklearn.model_selection import train_test_split as sk_split

        return sk_split(*arrays, test_size=test_size, train_size=train_size,
                        random_state=random_state, stratify=stratify)
    train, test = got
    out = []
    for a in arrays:
        out += [a[train], a[test]]
    return out


def sklearn_data_file(name: str) -> str | None:
    """The path of one of scikit-learn's bundled data files (``sklearn/datasets/data/NAME``)
    found without importing scikit-learn, or None."""
    try:
        spec = importlib.util.find_spec("sklearn")  # locates, does not import
    except (ImportError, ValueError):
        return None
    for base in (spec.submodule_search_locations or []) if spec else []:
        path = os.path.join(base, "datasets", "data", name)
        if os.path.isfile(path):
            return path
    return None


def load_digits_arrays():
    """``(data float64 (1797, 64), target int, feature_names)`` as ``sklearn.datasets.
    load_digits()`` gives them, read from its bundled file; None when the file is not found."""
    path = sklearn_data_file("digits.csv.gz")
    if path is None:
        return None
    with gzip.open(path, mode="rt", encoding="utf-8") as f:
        data = np.loadtxt(f, delimiter=",")
    names = [f"pixel_{r}_{c}" for r in range(8) for c in range(8)]
    return data[:, :-1], data[:, -1].astype(int, copy=False), names
