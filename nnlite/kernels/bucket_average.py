"""The averaging pass of DDP's shared-memory gradient buckets on two ranks, in one pass.

``average2_into(a, b, d)`` sets ``a[i] = b[i] = (a[i] + b[i]) / d`` for every i: each element
read once from each rank's segment and written once into each. numpy needs three passes for
the same (an add, a divide, a copy: twice the memory traffic). ``average2_to(a, b, out, d)``
writes ``(a[i] + b[i]) / d`` into ``out`` (a gradient), leaving the segments alone. The
arithmetic is numpy's, in the arrays' own dtype (``d`` is that dtype too): one rounding for the
sum, one for the quotient, so the bits equal the ``*_ref`` functions'.
"""

from __future__ import annotations

import numpy as np

from nnlite.kernels._jit import njit


@njit
def average2_into(a, b, d):
    for i in range(a.size):
        s = (a[i] + b[i]) / d
        a[i] = s
        b[i] = s


def average2_ref(a: np.ndarray, b: np.ndarray, d) -> None:
    """numpy statement of :func:`average2_into` (for tests and other dtypes)."""
    np.add(a, b, out=a)
    np.divide(a, d, out=a)
    b[...] = a


@njit
def average2_to(a, b, out, d):
    for i in range(a.size):
        out[i] = (a[i] + b[i]) / d


def average2_to_ref(a: np.ndarray, b: np.ndarray, out: np.ndarray, d) -> None:
    """numpy statement of :func:`average2_to`."""
    np.add(a, b, out=out)
    np.divide(out, d, out=out)
