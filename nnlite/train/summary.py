"""The final evaluation's extra metrics, from scikit-learn: ROC AUC, precision and recall,
log-loss and the classification report, for ``summary.json``.

The per-epoch metrics stay in ``nnlite.train.metrics`` (numpy, fast); these run once per split
at the end of a run, where scikit-learn's argument checking costs nothing that matters.
"""

from __future__ import annotations

import math
import warnings

import numpy as np


def _softmax(logits: np.ndarray) -> np.ndarray:
    z = logits.astype(np.float64)
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def final_metrics(y_true: np.ndarray, logits: np.ndarray, class_names: list[str]) -> dict:
    """``roc_auc`` (binary, or one-vs-rest macro average), ``precision_macro``,
    ``recall_macro``, ``log_loss`` and ``classification_report`` (scikit-learn's dict) for class
    indices ``y_true`` and model outputs ``logits`` (n, k). A metric that is undefined on these
    rows (ROC AUC with a class absent) is None."""
    from sklearn import metrics as skm

    y_true = np.asarray(y_true).reshape(-1).astype(np.int64)
    logits = np.asarray(logits).reshape(len(y_true), -1)
    k = logits.shape[1]
    proba = _softmax(logits)
    pred = proba.argmax(1)
    labels = list(range(k))
    names = [str(c) for c in class_names] if len(class_names) == k else [str(i) for i in labels]
    out: dict = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # undefined precision of an unpredicted class -> 0
        out["precision_macro"] = float(skm.precision_score(y_true, pred, labels=labels,
                                                           average="macro", zero_division=0))
        out["recall_macro"] = float(skm.recall_score(y_true, pred, labels=labels,
                                                     average="macro", zero_division=0))
        out["log_loss"] = float(skm.log_loss(y_true, proba, labels=labels))
        present = np.unique(y_true)
        try:
            if k == 2 and len(present) == 2:
                out["roc_auc"] = float(skm.roc_auc_score(y_true, proba[:, 1]))
            elif k > 2 and len(present) == k:
                out["roc_auc"] = float(skm.roc_auc_score(y_true, proba, multi_class="ovr",
                                                         average="macro", labels=labels))
            else:
                out["roc_auc"] = None
        except ValueError:
            out["roc_auc"] = None
        report = skm.classification_report(y_true, pred, labels=labels, target_names=names,
                                           output_dict=True, zero_division=0)
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
