"""Evaluation metrics on numpy predictions.

The formulas are scikit-learn's (accuracy_score, balanced_accuracy_score, f1_score(average=
'macro', zero_division=0), confusion_matrix, mean_squared_error, mean_absolute_error, r2_score)
written in numpy: the same numbers (tests compare with scikit-learn), without scikit-learn's
~50 ms of argument validation per call, which cost seconds per run when evaluating every epoch.
"""

from __future__ import annotations

import numpy as np

DEFAULTS = {
    "classification": ["accuracy", "balanced_accuracy", "f1_macro"],
    "regression": ["mse", "mae", "r2"],
}
TASK_OF = {"accuracy": "classification", "balanced_accuracy": "classification",
           "f1_macro": "classification", "confusion_matrix": "classification",
           "mse": "regression", "mae": "regression", "r2": "regression"}


def confusion_matrix(y_true: np.ndarray, pred: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """``C[i, j]``: samples of class ``labels[i]`` predicted as ``labels[j]``."""
    k = len(labels)
    t, p = _positions(y_true, labels), _positions(pred, labels)
    keep = (t >= 0) & (p >= 0)
    return np.bincount(t[keep] * k + p[keep], minlength=k * k).reshape(k, k)


def _positions(values: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """For each value, the index of the label equal to ``int(value)`` (the last such label),
    -1 for none. Integer arrays in one vectorized search (a validation pass each epoch);
    anything else one value at a time."""
    v, lab = np.asarray(values).reshape(-1), np.asarray(labels).reshape(-1)
    if v.dtype.kind not in "biu" or lab.dtype.kind not in "biu" or not len(lab):
        index = {int(x): i for i, x in enumerate(lab)}
        return np.array([index.get(int(x), -1) for x in v], dtype=np.int64)
    lab = lab.astype(np.int64)
    order = np.argsort(lab, kind="stable")
    ends = np.searchsorted(lab[order], v.astype(np.int64), side="right") - 1  # last equal
    at = order[np.maximum(ends, 0)]
    return np.where((ends >= 0) & (lab[at] == v), at, -1).astype(np.int64)


def balanced_accuracy(y_true: np.ndarray, pred: np.ndarray) -> float:
    """Mean recall over the classes present in ``y_true``."""
    labels = np.union1d(y_true, pred)
    c = confusion_matrix(y_true, pred, labels)
    support = c.sum(axis=1)
    present = support > 0
    return float(np.mean(np.diag(c)[present] / support[present]))


def f1_macro(y_true: np.ndarray, pred: np.ndarray, labels: np.ndarray) -> float:
    """Unweighted mean of per-class F1 over ``labels`` (0 where a class's F1 is undefined)."""
    c = confusion_matrix(y_true, pred, labels).astype(np.float64)
    tp = np.diag(c)
    denom = 2 * tp + (c.sum(axis=0) - tp) + (c.sum(axis=1) - tp)
    f1 = np.divide(2 * tp, denom, out=np.zeros_like(tp), where=denom > 0)
    return float(f1.mean()) if len(f1) else 0.0


def r2(y: np.ndarray, p: np.ndarray) -> float:
    """Coefficient of determination, averaged over outputs (1 for a perfect constant fit)."""
    ss_res = ((y - p) ** 2).sum(axis=0)
    ss_tot = ((y - y.mean(axis=0)) ** 2).sum(axis=0)
    scores = np.ones_like(ss_res)
    ok = ss_tot != 0
    scores[ok] = 1 - ss_res[ok] / ss_tot[ok]
    scores[~ok & (ss_res != 0)] = 0.0
    return float(scores.mean())


def compute(names: list[str], y_true: np.ndarray, output: np.ndarray, task: str) -> dict:
    """Metric values for model ``output`` (logits for classification, predictions for
    regression) against ``y_true``. The confusion matrix is a list of lists."""
    out = {}
    if task == "classification":
        y_true = np.asarray(y_true).reshape(-1)
        pred = output.argmax(1) if output.ndim == 2 else (output > 0).astype(np.int64)
        labels = (np.arange(output.shape[1]) if output.ndim == 2
                  else np.union1d(y_true, pred))
        for n in names:
            if n == "accuracy":
                out[n] = float(np.mean(pred == y_true))
            elif n == "balanced_accuracy":
                out[n] = balanced_accuracy(y_true, pred)
            elif n == "f1_macro":
                out[n] = f1_macro(y_true, pred, labels)
            elif n == "confusion_matrix":
                out[n] = confusion_matrix(y_true, pred, labels).tolist()
    else:
        y = y_true.reshape(len(y_true), -1).astype(np.float64)
        p = output.reshape(len(output), -1).astype(np.float64)
        for n in names:
            if n == "mse":
                out[n] = float(np.mean((y - p) ** 2))
            elif n == "mae":
                out[n] = float(np.mean(np.abs(y - p)))
            elif n == "r2":
                out[n] = r2(y, p) if len(y) > 1 else float("nan")
    return out
