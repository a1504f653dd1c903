"""The trainer's numpy metrics equal scikit-learn's on random predictions."""

import numpy as np
import pytest
import sklearn.metrics as M

from nnlite.train.metrics import compute


@pytest.mark.parametrize("seed", range(8))
def test_classification_metrics_equal_sklearn(seed):
    rng = np.random.default_rng(seed)
    k = int(rng.integers(2, 6))
    n = int(rng.integers(1, 40))
    y = rng.integers(0, k, n)
    logits = rng.standard_normal((n, k))
    pred = logits.argmax(1)
    got = compute(["accuracy", "balanced_accuracy", "f1_macro", "confusion_matrix"], y, logits,
                  "classification")
    labels = np.arange(k)
    assert got["accuracy"] == pytest.approx(M.accuracy_score(y, pred))
    with np.errstate(all="ignore"):
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            expected_bal = M.balanced_accuracy_score(y, pred)
    assert got["balanced_accuracy"] == pytest.approx(expected_bal)
    assert got["f1_macro"] == pytest.approx(
        M.f1_score(y, pred, average="macro", labels=labels, zero_division=0))
    assert got["confusion_matrix"] == M.confusion_matrix(y, pred, labels=labels).tolist()


def test_binary_logit_output_metrics_equal_sklearn():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 30)
    out = rng.standard_normal(30)
    pred = (out > 0).astype(np.int64)
    got = compute(["accuracy", "f1_macro"], y, out, "classification")
    assert got["accuracy"] == pytest.approx(M.accuracy_score(y, pred))
    assert got["f1_macro"] == pytest.approx(M.f1_score(y, pred, average="macro", zero_division=0))


@pytest.mark.parametrize("outputs", [1, 3])
def test_regression_metrics_equal_sklearn(outputs):
    rng = np.random.default_rng(outputs)
    y = rng.standard_normal((25, outputs))
    p = y + 0.3 * rng.standard_normal((25, outputs))
    got = compute(["mse", "mae", "r2"], y, p, "regression")
    assert got["mse"] == pytest.approx(M.mean_squared_error(y, p))
    assert got["mae"] == pytest.approx(M.mean_absolute_error(y, p))
    assert got["r2"] == pytest.approx(M.r2_score(y, p))
    const = np.ones((5, 1))
    assert compute(["r2"], const, const, "regression")["r2"] == M.r2_score(const, const)


@pytest.mark.parametrize("seed", range(6))
def test_confusion_matrix_equals_sklearn_with_labels_absent_permuted_and_foreign(seed):
    """Labels in any order, labels no sample has, values outside the labels (dropped, as in
    scikit-learn), integer and boolean dtypes (the vectorized path) and floats (the loop)."""
    from nnlite.train import metrics as N

    rng = np.random.default_rng(seed)
    k = int(rng.integers(1, 8))
    n = int(rng.integers(1, 50))
    labels = rng.permutation(k + 2)[:k] - 1  # may include -1, may miss some values
    for dt in (np.int64, np.int32, np.uint8, np.float64):
        y = rng.integers(0, k + 1, n).astype(dt)
        p = rng.integers(0, k + 1, n).astype(dt)
        want = M.confusion_matrix(y, p, labels=labels.astype(dt)) if (
            np.isin(y, labels).any()) else None
        got = N.confusion_matrix(y, p, labels)
        if want is not None:
            assert got.tolist() == want.tolist(), (dt, labels)
        assert got.sum() == np.sum(np.isin(y, labels) & np.isin(p, labels))
    b = rng.integers(0, 2, n).astype(bool)
    assert N.confusion_matrix(b, ~b, np.array([0, 1])).tolist() == \
        M.confusion_matrix(b, ~b, labels=[False, True]).tolist()
