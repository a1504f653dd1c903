"""Evaluation metrics, computed with scikit-learn on numpy predictions."""

from __future__ import annotations

import numpy as np

DEFAULTS = {
    "classification": ["accuracy", "balanced_accuracy", "f1_macro"],
    "regression": ["mse", "mae", "r2"],
}
TASK_OF = {"accuracy": "classification", "balanced_accuracy": "classification",
           "f1_macro": "classification", "confusion_matrix": "classification",
           "mse": "regression", "mae": "regression", "r2": "regression"}


def compute(names: list[str], y_true: np.ndarray, output: np.ndarray, task: str) -> dict:
    """Metric values for model ``output`` (logits for classification, predictions for
    regression) against ``y_true``. The confusion matrix is a list of lists."""
    import sklearn.metrics as M

    out = {}
    if task == "classification":
        pred = output.argmax(1) if output.ndim == 2 else (output > 0).astype(np.int64)
        labels = np.arange(output.shape[1]) if output.ndim == 2 else None
        for n in names:
            if n == "accuracy":
                out[n] = float(M.accuracy_score(y_true, pred))
            elif n == "balanced_accuracy":
                out[n] = float(M.balanced_accuracy_score(y_true, pred)) if len(
                    np.unique(y_true)) > 1 else float(M.accuracy_score(y_true, pred))
            elif n == "f1_macro":
                out[n] = float(M.f1_score(y_true, pred, average="macro", labels=labels,
                                          zero_division=0))
            elif n == "confusion_matrix":
                out[n] = M.confusion_matrix(y_true, pred, labels=labels).tolist()
    else:
        y, p = y_true.reshape(len(y_true), -1), output.reshape(len(output), -1)
        for n in names:
            if n == "mse":
                out[n] = float(M.mean_squared_error(y, p))
            elif n == "mae":
                out[n] = float(M.mean_absolute_error(y, p))
            elif n == "r2":
                out[n] = float(M.r2_score(y, p)) if len(y) > 1 else float("nan")
    return out
