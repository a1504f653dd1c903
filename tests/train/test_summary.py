"""nnlite.train.summary.final_metrics: scikit-learn's definitions computed in numpy, checked
against scikit-learn's own functions on random predictions (ties, absent and never-predicted
classes, binary and multiclass)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from nnlite.train.summary import _binary_auc, final_metrics

skm = pytest.importorskip("sklearn.metrics")


def _reference(y, logits, names):
    z = logits.astype(np.float64)
    z = z - z.max(1, keepdims=True)
    p = np.exp(z)
    p /= p.sum(1, keepdims=True)
    k = logits.shape[1]
    labels = list(range(k))
    pred = p.argmax(1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = {"precision_macro": skm.precision_score(y, pred, labels=labels, average="macro",
                                                      zero_division=0),
               "recall_macro": skm.recall_score(y, pred, labels=labels, average="macro",
                                                zero_division=0),
               "log_loss": skm.log_loss(y, p, labels=labels)}
        present = np.unique(y)
        if k == 2 and len(present) == 2:
            ref["roc_auc"] = skm.roc_auc_score(y, p[:, 1])
        elif k > 2 and len(present) == k:
            ref["roc_auc"] = skm.roc_auc_score(y, p, multi_class="ovr", average="macro",
                                               labels=labels)
        else:
            ref["roc_auc"] = None
        ref["classification_report"] = skm.classification_report(
            y, pred, labels=labels, target_names=names, output_dict=True, zero_division=0)
    return ref


def _close(a, b):
    if isinstance(a, dict):
        assert set(a) == set(b)
        for key in a:
            _close(a[key], b[key])
    elif a is None or b is None:
        assert a is None and b is None
    else:
        assert float(a) == pytest.approx(float(b), rel=1e-12, abs=1e-12)


@pytest.mark.parametrize("case", range(30))
def test_final_metrics_equal_sklearns(case):
    rng = np.random.default_rng(case)
    k = int(rng.integers(2, 6))
    n = int(rng.integers(5, 80))
    y = rng.integers(0, k, n)
    logits = rng.standard_normal((n, k))
    if case % 3 == 0:  # tied scores
        logits = np.round(logits)
    if case % 5 == 0:  # a class never predicted
        logits[:, 0] -= 100
    names = [f"c{i}" for i in range(k)]
    _close(final_metrics(y, logits, names), _reference(y, logits, names))


def test_the_comparison_can_fail():
    y = np.array([0, 1, 1, 0, 1])
    logits = np.array([[1.0, 0], [0, 1], [1, 0], [1, 0], [0, 1]])
    ref = _reference(y, logits, ["a", "b"])
    ref["classification_report"]["a"]["recall"] += 1e-6
    with pytest.raises(AssertionError):
        _close(final_metrics(y, logits, ["a", "b"]), ref)


def test_auc_with_ties_is_the_trapezoid():
    pos = np.array([True, False, True, False, True])
    score = np.array([0.5, 0.5, 0.9, 0.1, 0.5])
    assert _binary_auc(pos, score) == pytest.approx(skm.roc_auc_score(pos, score))
    # 6 positive-negative pairs: two 0.5-0.5 ties (1/2 each), two 0.5-0.1 and two 0.9-x wins
    assert _binary_auc(pos, score) == pytest.approx(5 / 6)
