"""The averaging pass of DDP's shared-memory gradient buckets on two ranks, in one pass.

``average2_into(a, b, d)`` sets ``a[i] = b[i] = (a[i] + b[i]) / d`` for every i: each element
read once from each rank's segment and written once into each. numpy needs three passes for
the same (an add, a divide, a copy: twice the memory traffic). The arithmetic is numpy's, in
the arrays' own dtype (``d`` is that dtype too): one rounding for the sum, one for the
quotient, so the bits equal :func:`average2_ref`'s.
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
