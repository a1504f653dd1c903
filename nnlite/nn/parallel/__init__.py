"""``torch.nn.parallel``: DistributedDataParallel (data parallel over MPI ranks) and
DataParallel (as torch's without GPUs: a wrapper)."""

from nnlite.nn.parallel.data_parallel import DataParallel, data_parallel
from nnlite.nn.parallel.distributed import DistributedDataParallel

DDP = DistributedDataParallel

__all__ = ["DataParallel", "DistributedDataParallel", "data_parallel"]
