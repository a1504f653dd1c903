"""``torch.backends``: which accelerated back-ends exist, and their switches.

nnlite computes on the CPU with numpy's BLAS and numba kernels, so every GPU back-end reports
itself unavailable (as on a CPU-only PyTorch build). The switches programs set for reproducibility
(``cudnn.deterministic = True``, ``cudnn.benchmark = False``) are plain settable attributes that
change nothing: nnlite's CPU results are already deterministic. nnlite does not use oneDNN, MKL
or OpenMP, so ``mkldnn``, ``mkl`` and ``openmp`` answer ``is_available()`` with False (a CPU
PyTorch build says True), so that a program does not take a path (``x.to_mkldnn()``) nnlite lacks.
"""

from nnlite.backends import cpu, cuda, cudnn, mha, mkl, mkldnn, mps, openmp  # noqa: F401

__all__ = ["cpu", "cuda", "cudnn", "mha", "mkl", "mkldnn", "mps", "openmp"]
