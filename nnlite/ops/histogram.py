"""``histogram(input, bins, *, range=None, weight=None, density=False)`` as ``torch.histogram``:
counts (or weight sums, or densities) over equal-width bins between the data's or the given
bounds, or over given bin edges; the last bin includes its right edge. No gradient, as torch."""

from __future__ import annotations

from collections import namedtuple

import numpy as np

from nnlite._tensor import Tensor

_W = Tensor._wrap
_Histogram = namedtuple("histogram", ["hist", "bin_edges"])


class histogram_result(_Histogram):  # noqa: N801 (torch.return_types.histogram)
    __slots__ = ()

    def __repr__(self) -> str:
        return (f"torch.return_types.histogram(\nhist={self.hist!r},\n"
                f"bin_edges={self.bin_edges!r})")


def histogram(input, bins=100, *, range=None, weight=None, density=False):  # noqa: A002
    """Histogram of ``input``'s values.

    Example:
        >>> nnlite.histogram(nnlite.tensor([1., 2., 1.]), bins=4, range=(0., 3.))
    """
    a = input._data
    if a.dtype.kind != "f":
        raise RuntimeError(f"torch.histogram: input tensor and bins tensors should have the "
                           f"same dtype, but got input {input.dtype} and bins "
                           f"{input.dtype}")
    dt = a.dtype
    if isinstance(bins, Tensor):
        edges = bins._data.astype(dt)
        if edges.ndim != 1 or edges.size < 1:
            raise RuntimeError("torch.histogram(): bins tensor should have one dimension and at "
                               "least 1 element")
    else:
        n = int(bins)
        if n <= 0:
            raise RuntimeError("torch.histogram(): bins must be > 0, but got "
                               f"{n} for dimension 0")
        if range is not None:
            lo, hi = float(range[0]), float(range[1])
        elif a.size:
            lo, hi = float(a.min()), float(a.max())
        else:
            lo, hi = 0.0, 1.0  # torch's bounds for no data
        if not (np.isfinite(lo) and np.isfinite(hi)):
            raise RuntimeError(f"torch.histogramdd: dimension 0's range [{lo}, {hi}] is not "
                               "finite (drop or clamp the NaN/inf values, or pass range=)")
        if lo > hi:
            raise RuntimeError(f"torch.histogram(): min should not exceed max, but got min "
                               f"{lo} max {hi}")
        if lo == hi:
            lo, hi = lo - 0.5, hi + 0.5
        edges = np.linspace(lo, hi, n + 1).astype(dt)
    w = None if weight is None else weight._data.reshape(-1).astype(np.float64)
    hist, _ = np.histogram(a.reshape(-1).astype(np.float64), bins=edges.astype(np.float64),
                           weights=w)
    hist = hist.astype(np.float64)
    if density:
        widths = np.diff(edges.astype(np.float64))
        total = hist.sum()
        hist = hist / (total * widths) if total else hist
    return histogram_result(_W(hist.astype(dt)), _W(np.ascontiguousarray(edges)))
