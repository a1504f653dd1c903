"""``torch.nn.parallel.data_parallel``: the module path PyTorch programs import DataParallel
from (the classes live in :mod:`nnlite.nn.data_parallel`, which ``nnlite.nn`` loads without
this package's distributed machinery)."""

from nnlite.nn.data_parallel import DataParallel, data_parallel

__all__ = ["DataParallel", "data_parallel"]
