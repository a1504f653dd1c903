"""``torch.autograd.detect_anomaly`` / ``set_detect_anomaly``: NaN checks in backward.

While anomaly detection is on, the backward engine looks at every gradient a node returns and
raises torch's ``RuntimeError("Function 'SqrtBackward0' returned nan values in its 0th
output.")`` at the first node that produced a NaN, instead of letting it spread into ``.grad``.
(torch also records each node's forward traceback to print with the error; nnlite names the
node only.)
"""

from __future__ import annotations

import functools
import warnings

import numpy as np

__all__ = ["detect_anomaly", "set_detect_anomaly", "is_anomaly_enabled",
           "is_anomaly_check_nan_enabled", "set_anomaly_enabled"]


class _AnomalyState:
    enabled = False
    check_nan = True


def is_anomaly_enabled() -> bool:
    """Whether anomaly detection is on (``torch.is_anomaly_enabled``)."""
    return _AnomalyState.enabled


def is_anomaly_check_nan_enabled() -> bool:
    """Whether anomaly detection checks backward outputs for NaN."""
    return _AnomalyState.check_nan


def set_anomaly_enabled(enabled: bool, check_nan: bool = True) -> None:
    """Turn anomaly detection on or off for the whole process."""
    _AnomalyState.enabled = bool(enabled)
    _AnomalyState.check_nan = bool(check_nan)


class detect_anomaly:
    """Context manager (or decorator) enabling anomaly detection inside it.

    Args:
        check_nan: raise when a backward node returns NaN (default True).

    Example:
        >>> with nnlite.autograd.detect_anomaly():
        ...     (x.sqrt() * 0).sum().backward()   # raises at SqrtBackward0 for x == 0
    """

    def __init__(self, check_nan: bool = True) -> None:
        self.prev = _AnomalyState.enabled
        self.prev_check_nan = _AnomalyState.check_nan
        self.check_nan = check_nan
        warnings.warn("Anomaly Detection has been enabled. This mode will increase the runtime "
                      "and should only be enabled for debugging.", stacklevel=2)

    def __enter__(self) -> None:
        set_anomaly_enabled(True, self.check_nan)

    def __exit__(self, *args) -> None:
        set_anomaly_enabled(self.prev, self.prev_check_nan)

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self.__class__(self.check_nan):
                return fn(*args, **kwargs)
        return wrapper


class set_detect_anomaly:
    """Turn anomaly detection on or off (``mode``); as a context manager the previous setting
    comes back at its end. It takes effect at construction, as torch's does."""

    def __init__(self, mode: bool, check_nan: bool = True) -> None:
        self.prev = _AnomalyState.enabled
        self.prev_check_nan = _AnomalyState.check_nan
        set_anomaly_enabled(mode, check_nan)

    def __enter__(self) -> None:
        pass

    def __exit__(self, *args) -> None:
        set_anomaly_enabled(self.prev, self.prev_check_nan)


def check_nan_outputs(fn, grads) -> None:
    """Raise torch's error when a backward node ``fn`` returned a NaN gradient."""
    for i, g in enumerate(grads):
        if g is not None and g._data.dtype.kind in "fc" and np.isnan(g._data).any():
            raise RuntimeError(f"Function '{fn.name()}' returned nan values in its {i}th "
                               "output.")
