"""Compare what one call does under torch and under nnlite: the same exception type, or results
of the same dtype and shape with the same values (NaN positions included).

``outcome(fn, T)`` runs ``fn(T)`` and records either the exception or the result as plain numpy
arrays; ``diverges(theirs, ours)`` is None when the two agree, else a one-line description.
"""

from __future__ import annotations

import math

import numpy as np


class Raised:
    """The exception a call raised."""

    def __init__(self, exc: BaseException):
        self.type, self.message = type(exc), str(exc).split("\n")[0]

    def __repr__(self) -> str:
        return f"{self.type.__name__}({self.message[:80]!r})"


def _leaves(r) -> list:
    """A result as a flat list of (dtype name, shape, numpy array) / plain values."""
    if hasattr(r, "detach") and hasattr(r, "dtype") and hasattr(r, "shape"):
        arr = r.detach().numpy() if hasattr(r.detach(), "numpy") else np.asarray(r)
        return [(str(r.dtype).split(".")[-1], tuple(r.shape), np.array(arr, copy=True))]
    if isinstance(r, (tuple, list)):
        return [x for item in r for x in _leaves(item)]
    return [r]


def outcome(fn, T):
    try:
        r = fn(T)
    except Exception as e:  # noqa: BLE001 - which exception is the point
        return Raised(e)
    return _leaves(r)


def _same_exception(theirs: type, ours: type) -> bool:
    return issubclass(ours, theirs) or ours.__name__ == theirs.__name__


def _same_values(a: np.ndarray, b: np.ndarray) -> bool:
    if a.dtype.kind in "fc":
        if not np.array_equal(np.isnan(a), np.isnan(b)):
            return False
        fin = np.isfinite(a)
        if not np.array_equal(a[~fin & ~np.isnan(a)], b[~fin & ~np.isnan(a)]):
            return False  # the same infinities
        return bool(np.allclose(a[fin], b[fin], rtol=1e-5, atol=1e-6, equal_nan=True))
    return bool(np.array_equal(a, b))


def diverges(theirs, ours) -> str | None:
    """None when ``ours`` (nnlite's outcome) agrees with ``theirs`` (torch's)."""
    if isinstance(theirs, Raised) or isinstance(ours, Raised):
        if isinstance(theirs, Raised) and isinstance(ours, Raised):
            if _same_exception(theirs.type, ours.type):
                return None
            return f"torch raises {theirs}, nnlite {ours}"
        return f"torch {'raises' if isinstance(theirs, Raised) else 'returns'} {theirs!r:.120}, " \
               f"nnlite {'raises' if isinstance(ours, Raised) else 'returns'} {ours!r:.120}"
    if len(theirs) != len(ours):
        return f"torch returns {len(theirs)} values, nnlite {len(ours)}"
    for t, o in zip(theirs, ours):
        if isinstance(t, tuple) and isinstance(o, tuple) and len(t) == 3 == len(o):
            if t[0] != o[0] or t[1] != o[1]:
                return f"torch gives {t[0]}{list(t[1])}, nnlite {o[0]}{list(o[1])}"
            a, b = t[2], o[2]
            if a.shape != b.shape or not _same_values(a, b):
                return f"values differ: torch {a.ravel()[:6]}, nnlite {np.asarray(b).ravel()[:6]}"
        elif isinstance(t, float) and isinstance(o, float):
            if not (math.isnan(t) and math.isnan(o)) and not math.isclose(t, o, rel_tol=1e-6):
                return f"torch {t}, nnlite {o}"
        elif t != o and type(t).__name__ != "dtype":
            return f"torch {t!r:.80}, nnlite {o!r:.80}"
    return None
