"""``torch.utils``: ``nnlite.utils.data`` is ``nnlite.data`` (Dataset, DataLoader, ...)."""


def __getattr__(name):
    if name == "data":
        import nnlite.data as data

        return data
    if name in ("tensorboard",):
        import importlib

        return importlib.import_module(f"nnlite.utils.{name}")
    raise AttributeError(f"module 'nnlite.utils' has no attribute '{name}'")
