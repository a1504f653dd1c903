"""``nnlite.nn.utils``: gradient clipping, parameter <-> vector, freezing helpers."""

from nnlite.nn.utils.clip_grad import clip_grad_norm_, clip_grad_value_
from nnlite.nn.utils.convert_parameters import parameters_to_vector, vector_to_parameters
from nnlite.nn.utils.freeze import freeze, frozen_parameters, unfreeze

__all__ = [
           "clip_grad_norm_",
           "clip_grad_value_",
           "freeze",
           "frozen_parameters",
           "parameters_to_vector",
           "unfreeze",
           "vector_to_parameters",
]

from nnlite.nn.utils import rnn, stateless  # noqa: E402,F401
