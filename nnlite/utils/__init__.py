"""``torch.utils``: ``nnlite.utils.data`` is ``nnlite.data`` (Dataset, DataLoader, ...)."""
import importlib

import nnlite.data as data


def __getattr__(name):
    if name == "data":
        return data
    if name in ("tensorboard", "checkpoint"):
        return importlib.import_module(f"nnlite.utils.{name}")
    raise AttributeError(f"module 'nnlite.utils' has no attribute '{name}'")
