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
