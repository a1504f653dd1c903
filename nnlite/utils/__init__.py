"""``torch.utils``: ``nnlite.utils.data`` is ``nnlite.data`` (Dataset, DataLoader, ...)."""


def __getattr__(name):
    if name == "data":
        import nnlite.data as data

        return data
    raise AttributeError(f"module 'nnlite.utils' has no attribute '{name}'")
