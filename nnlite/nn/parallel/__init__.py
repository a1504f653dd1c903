"""``torch.nn.parallel``: DistributedDataParallel (data parallel over MPI ranks)."""

from nnlite.nn.parallel.distributed import DistributedDataParallel

DDP = DistributedDataParallel

__all__ = ["DistributedDataParallel"]
