"""nnlite.optim: optimizers and learning-rate schedulers with PyTorch's API (``torch.optim``).

Importing this package does not import numba: the update kernels (``nnlite.kernels.optim``)
load on the first ``step``.
"""

import importlib

from nnlite.optim import lr_scheduler
from nnlite.optim.adadelta import Adadelta
from nnlite.optim.adafactor import Adafactor
from nnlite.optim.adagrad import Adagrad
from nnlite.optim.adam import Adam
from nnlite.optim.adamax import Adamax
from nnlite.optim.adamw import AdamW
from nnlite.optim.asgd import ASGD
from nnlite.optim.lbfgs import LBFGS
from nnlite.optim.nadam import NAdam
from nnlite.optim.optimizer import Optimizer
from nnlite.optim.radam import RAdam
from nnlite.optim.rmsprop import RMSprop
from nnlite.optim.rprop import Rprop
from nnlite.optim.sgd import SGD


def __getattr__(name: str):
    # swa_utils builds on nn.Module: loaded on first use, so importing optim stays light
    if name == "swa_utils":
        return importlib.import_module("nnlite.optim.swa_utils")
    raise AttributeError(f"module 'nnlite.optim' has no attribute {name!r}")


__all__ = ["ASGD", "LBFGS", "SGD", "Adadelta", "Adafactor", "Adagrad", "Adam", "AdamW", "Adamax", "NAdam",
           "Optimizer", "RAdam", "RMSprop", "Rprop", "lr_scheduler", "swa_utils"]
