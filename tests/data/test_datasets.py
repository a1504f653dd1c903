"""Built-in datasets: splits, stratification, class selection, standardization, files."""

import numpy as np
import pytest

from nnlite.data.datasets import DatasetError, load_dataset


def test_digits_split_and_standardization():
    d = load_dataset("digits", seed=0)
    n = len(d.x_train) + len(d.x_val) + len(d.x_test)
    assert n == 1797 and d.n_features == 64 and d.n_outputs == 10
    assert d.x_train.dtype == np.float32 and d.y_train.dtype == np.int64
    np.testing.assert_allclose(d.x_train.mean(0), 0, atol=1e-5)
    # stratified: every class in every split, in about the same proportion
    assert set(np.unique(d.y_test)) == set(range(10))


def test_classes_are_selected_and_renumbered():
    d = load_dataset("digits", classes=[5, 6, 7, 8, 9], seed=0)
    assert d.n_outputs == 5 and d.class_names == ["5", "6", "7", "8", "9"]
    assert set(np.unique(d.y_train)) == set(range(5))
    full = load_dataset("digits", seed=0)
    # the same test images as the full dataset's test split, restricted to those classes
    assert len(d.x_test) == int(np.isin(full.y_test, [5, 6, 7, 8, 9]).sum())
    with pytest.raises(DatasetError) as e:
        load_dataset("digits", classes=[11])
    assert e.value.key == "classes"


def test_n_train_and_regression_targets():
    d = load_dataset("digits", n_train=50, seed=0)
    assert len(d.x_train) == 50
    r = load_dataset("diabetes", seed=0)
    assert r.task == "regression" and r.y_train.shape[1] == 1
    np.testing.assert_allclose(r.y_train.mean(), 0, atol=1e-5)
    assert r.y_mean is not None


def test_generators_take_params_and_seed():
    a = load_dataset("moons", params={"n_samples": 200, "noise": 0.1}, seed=1)
    b = load_dataset("moons", params={"n_samples": 200, "noise": 0.1}, seed=1)
    np.testing.assert_array_equal(a.x_train, b.x_train)
    assert len(a.x_train) + len(a.x_val) + len(a.x_test) == 200


def test_csv_with_header_and_named_target(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(60, 3))
    y = (x[:, 0] > 0).astype(int)
    path = tmp_path / "d.csv"
    lines = ["a,b,label,c"] + [f"{r[0]},{r[1]},{t},{r[2]}" for r, t in zip(x, y)]
    path.write_text("\n".join(lines))
    d = load_dataset("csv", path=str(path), target="label", seed=0)
    assert d.task == "classification" and d.n_features == 3 and d.n_outputs == 2
    with pytest.raises(DatasetError, match="did you mean 'label'"):
        load_dataset("csv", path=str(path), target="lable")
    with pytest.raises(DatasetError) as e:
        load_dataset("csv", path=str(tmp_path / "missing.csv"))
    assert e.value.key == "path"


def test_npz_regression(tmp_path):
    x = np.random.default_rng(0).normal(size=(40, 2))
    np.savez(tmp_path / "d.npz", x=x, y=x @ np.array([1.0, -2.0]) + 0.5)
    d = load_dataset("npz", path=str(tmp_path / "d.npz"), seed=0)
    assert d.task == "regression" and d.n_features == 2
