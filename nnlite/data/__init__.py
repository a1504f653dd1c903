"""Data loading with ``torch.utils.data``'s names, plus built-in datasets (``load_dataset``)."""

from nnlite.data import datasets
from nnlite.data.dataloader import (
    BatchSampler,
    DataLoader,
    RandomSampler,
    Sampler,
    SequentialSampler,
    SubsetRandomSampler,
    WeightedRandomSampler,
    default_collate,
    default_convert,
    get_worker_info,
)
from nnlite.data.dataset import (
    ChainDataset,
    ConcatDataset,
    Dataset,
    IterableDataset,
    StackDataset,
    Subset,
    TensorDataset,
    random_split,
)
from nnlite.data.distributed import DistributedSampler

__all__ = [
    "DATASETS",
    "BatchSampler",
    "ChainDataset",
    "ConcatDataset",
    "DataLoader",
    "Dataset",
    "IterableDataset",
    "RandomSampler",
    "Sampler",
    "SequentialSampler",
    "StackDataset",
    "SubsetRandomSampler",
    "WeightedRandomSampler",
    "Subset",
    "TensorDataset",
    "default_collate",
    "default_convert",
    "get_worker_info",
    "load_dataset",
    "random_split",
]


def __getattr__(name):
    # The built-in datasets need scikit-learn, which is slow to import: load it on first use.
    if name in ("load_dataset", "DATASETS", "DataSplits"):
        return getattr(datasets, name)
    if name == "DistributedSampler":
        return DistributedSampler
    raise AttributeError(f"module 'nnlite.data' has no attribute '{name}'")
