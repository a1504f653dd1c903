"""nnlite.optim: optimizers and learning-rate schedulers with PyTorch's API (``torch.optim``).

Importing this package does not import numba: the update kernels (``nnlite.kernels.optim``)
load on the first ``step``.
"""

from nnlite.optim import lr_scheduler
from nnlite.optim.adadelta import Adadelta
from nnlite.optim.adagrad import Adagrad
from nnlite.optim.adam import Adam
from nnlite.optim.adamw import AdamW
from nnlite.optim.lbfgs import LBFGS
from nnlite.optim.optimizer import Optimizer
from nnlite.optim.rmsprop import RMSprop
from nnlite.optim.sgd import SGD

__all__ = ["LBFGS", "SGD", "Adadelta", "Adagrad", "Adam", "AdamW", "Optimizer", "RMSprop", "lr_scheduler"]
