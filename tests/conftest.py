"""Suite-wide settings (a developer's own environment variables win).

* ``NNLITE_BLAS=openblas``: the matrix products run on numpy's own BLAS. The per-shape autotune
  of ``nnlite._blas`` times candidates on first use; on a loaded machine it could pick MKL for
  some shapes, so results that tests compare with numpy or PyTorch would round differently from
  run to run, and it would write the user's cache. ``tests/compile/test_blas.py`` tests the
  autotune itself (with its own cache dir); ``NNLITE_BLAS=auto pytest`` runs everything on it.
* ``NNLITE_NUM_THREADS=1``: the configs say ``threads: auto`` (the machine's cores); the suite
  checks results, not speed, and one BLAS thread keeps it steady on a shared machine.
"""

import os

os.environ.setdefault("NNLITE_BLAS", "openblas")
os.environ.setdefault("NNLITE_NUM_THREADS", "1")
