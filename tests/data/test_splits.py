"""nnlite.data.splits: scikit-learn's train_test_split and digits data without importing it.

Compared with scikit-learn itself (the reference): the same arrays for the same arguments over
random sizes, seeds, class counts (ties in the stratified allocation included), float test
sizes and int train sizes; cases it does not reproduce go to scikit-learn, errors included;
and the digits arrays are scikit-learn's. A fresh process builds the default run's data
without importing scikit-learn."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from nnlite.data import splits

sk = pytest.importorskip("sklearn.model_selection")


def _same(a, b):
    return len(a) == len(b) and all(np.array_equal(u, v) for u, v in zip(a, b, strict=True))


@pytest.mark.parametrize("case", range(40))
def test_split_equals_sklearns(case):
    rng = np.random.default_rng(case)
    n_cls = int(rng.integers(2, 8))
    counts = rng.integers(2, 30, n_cls)
    y = rng.permutation(np.repeat(np.arange(n_cls), counts))
    n = len(y)
    x = rng.standard_normal((n, 3))
    seed = int(rng.integers(0, 1000))
    strat = None if case % 4 == 0 else y
    if case % 3 == 0:
        kw = {"train_size": int(rng.integers(n_cls, n - n_cls))}
    else:
        kw = {"test_size": float(rng.uniform(0.1, 0.5))}
    mine = splits.train_test_split(x, y, random_state=seed, stratify=strat, **kw)
    ref = sk.train_test_split(x, y, random_state=seed, stratify=strat, **kw)
    assert _same(mine, ref)
    other = sk.train_test_split(x, y, random_state=seed + 1, stratify=strat, **kw)
    assert not _same(mine, other)  # the comparison can fail


def test_what_it_does_not_reproduce_goes_to_sklearn_with_its_errors():
    y = np.array([0, 0, 0, 1, 1, 2])  # class 2 has one member
    x = np.arange(6.0)[:, None]
    for kw in ({"test_size": 0.3, "stratify": y}, {"test_size": 1.5}, {"train_size": 0}):
        with pytest.raises(ValueError) as mine:
            splits.train_test_split(x, y, random_state=0, **kw)
        with pytest.raises(ValueError) as ref:
            sk.train_test_split(x, y, random_state=0, **kw)
        assert str(mine.value) == str(ref.value)
    # an int test size and a RandomState go to scikit-learn: same answer
    assert _same(splits.train_test_split(x, y, test_size=2, random_state=3),
                 sk.train_test_split(x, y, test_size=2, random_state=3))


def test_digits_arrays_are_sklearns():
    from sklearn.datasets import load_digits

    got = splits.load_digits_arrays()
    assert got is not None
    ref = load_digits()
    assert np.array_equal(got[0], ref.data) and got[0].dtype == ref.data.dtype
    assert np.array_equal(got[1], ref.target) and got[2] == ref.feature_names


def test_default_digits_data_is_built_without_importing_sklearn():
    code = ("import sys; from nnlite.data.datasets import load_dataset; "
            "d = load_dataset('digits', seed=0); "
            "print(d.x_train.shape, 'sklearn' in sys.modules)")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                       check=False)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["(1257,", "64)", "False"]


@pytest.mark.parametrize("kw", [{}, {"n_train": 100}, {"classes": [3, 5, 7]}, {"stratify": False}])
def test_load_dataset_digits_equals_the_sklearn_path(monkeypatch, kw):
    from nnlite.data import datasets

    mine = datasets.load_dataset("digits", seed=1, **kw)
    monkeypatch.setattr(datasets, "load_digits_arrays", lambda: None)
    monkeypatch.setattr(datasets, "train_test_split", sk.train_test_split)
    ref = datasets.load_dataset("digits", seed=1, **kw)
    for f in ("x_train", "y_train", "x_val", "y_val", "x_test", "y_test", "x_mean", "x_std"):
        assert np.array_equal(getattr(mine, f), getattr(ref, f)), f
    assert mine.class_names == ref.class_names and mine.classes == ref.classes
    assert mine.feature_names == ref.feature_names
