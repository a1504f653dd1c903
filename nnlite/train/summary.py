"""The final evaluation's extra metrics: ROC AUC, precision and recall, log-loss and the
classification report, for ``summary.json`` -- scikit-learn's definitions and output (its
``classification_report(output_dict=True)`` layout), computed here in numpy.

Why not call scikit-learn: importing it (with SciPy's ``stats`` and pandas behind it) costs
~2 s of CPU time, more than the whole training of ``configs/mlp.yaml``. The per-epoch metrics
are in ``nnlite.train.metrics``. ``tests/train/test_summary.py`` checks these against
scikit-learn's functions.
"""

from __future__ import annotations

import math

import numpy as np


def _softmax(logits: np.ndarray) -> np.ndarray:
    z = logits.astype(np.float64)
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def _binary_auc(positive: np.ndarray, score: np.ndarray) -> float:
    """Area under the ROC curve of ``score`` for the boolean ``positive``: the Mann-Whitney
    statistic with tied scores counted half (equal to the trapezoidal area scikit-learn
    integrates)."""
    n = len(score)
    order = np.argsort(score, kind="mergesort")
    s = score[order]
    cut = np.flatnonzero(np.diff(s)) + 1
    starts, ends = np.r_[0, cut], np.r_[cut, n]
    ranks = np.empty(n)
    ranks[order] = np.repeat((starts + ends + 1) / 2.0, ends - starts)  # average 1-based ranks
    n_pos = int(positive.sum())
    n_neg = n - n_pos
    return float((ranks[positive].sum() - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg))


def _divide(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a / b, 0 where b is 0 (scikit-learn's ``zero_division=0``)."""
    out = np.zeros(len(a))
    np.divide(a, b, out=out, where=b != 0)
    return out


def final_metrics(y_true: np.ndarray, logits: np.ndarray, class_names: list[str]) -> dict:
    """``roc_auc`` (binary, or one-vs-rest macro average), ``precision_macro``,
    ``recall_macro``, ``log_loss`` and ``classification_report`` (scikit-learn's dict) for class
    indices ``y_true`` and model outputs ``logits`` (n, k). A metric that is undefined on these
    rows (ROC AUC with a class absent) is None."""
    y_true = np.asarray(y_true).reshape(-1).astype(np.int64)
    logits = np.asarray(logits).reshape(len(y_true), -1)
    k = logits.shape[1]
    proba = _softmax(logits)
    pred = proba.argmax(1)
    names = [str(c) for c in class_names] if len(class_names) == k else [str(i) for i in range(k)]
    inside = (y_true >= 0) & (y_true < k)
    tp = np.bincount(y_true[inside][pred[inside] == y_true[inside]], minlength=k)[:k]
    support = np.bincount(y_true[inside], minlength=k)[:k]
    predicted = np.bincount(pred[inside], minlength=k)[:k]
    precision = _divide(tp, predicted)
    recall = _divide(tp, support)
    f1 = _divide(2.0 * tp, predicted + support)
    out: dict = {"precision_macro": float(precision.mean()), "recall_macro": float(recall.mean())}
    eps = np.finfo(proba.dtype).eps
    p_true = np.clip(proba, eps, 1 - eps)[np.arange(len(y_true)), np.clip(y_true, 0, k - 1)]
    out["log_loss"] = float(-np.mean(np.log(p_true)))
    present = np.unique(y_true)
    if k == 2 and len(present) == 2:
        out["roc_auc"] = _binary_auc(y_true == 1, proba[:, 1])
    elif k > 2 and len(present) == k:
        out["roc_auc"] = float(np.mean([_binary_auc(y_true == c, proba[:, c])
                                        for c in range(k)]))
    else:
        out["roc_auc"] = None
    report = {}
    for i, name in enumerate(names):
        report[name] = {"precision": float(precision[i]), "recall": float(recall[i]),
                        "f1-score": float(f1[i]), "support": float(support[i])}
    n = float(support.sum())
    report["accuracy"] = float(tp.sum() / n) if n else 0.0
    report["macro avg"] = {"precision": float(precision.mean()), "recall": float(recall.mean()),
                           "f1-score": float(f1.mean()), "support": n}
    w = support / n if n else np.zeros(k)
    report["weighted avg"] = {"precision": float(precision @ w), "recall": float(recall @ w),
                              "f1-score": float(f1 @ w), "support": n}
    out["classification_report"] = _json_safe(report)
    return out


def _json_safe(obj):
    if isinstance(obj, dict):
        return {str(k): _json_safe(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_json_safe(v) for v in obj]
    if isinstance(obj, (np.floating, float)):
        v = float(obj)
        return v if math.isfinite(v) else None
    if isinstance(obj, np.integer):
        return int(obj)
    return obj
