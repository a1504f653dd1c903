"""``torch.backends.openmp``: nnlite does not use it (its CPU path is numpy BLAS + numba)."""

enabled = True


def is_available() -> bool:
    return False
