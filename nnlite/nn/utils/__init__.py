"""``nnlite.nn.utils``: gradient clipping, parameter <-> vector, freezing helpers, weight and
spectral normalisation, parametrizations, pruning, packed sequences."""

from nnlite.nn.utils.clip_grad import (
    clip_grad_norm,
    clip_grad_norm_,
    clip_grad_value_,
    clip_grads_with_norm_,
    get_total_norm,
)
from nnlite.nn.utils.convert_parameters import parameters_to_vector, vector_to_parameters
from nnlite.nn.utils.freeze import freeze, frozen_parameters, unfreeze
from nnlite.nn.utils.fusion import (
    fuse_conv_bn_eval,
    fuse_conv_bn_weights,
    fuse_linear_bn_eval,
    fuse_linear_bn_weights,
)
from nnlite.nn.utils.init import skip_init
from nnlite.nn.utils.spectral_norm import remove_spectral_norm, spectral_norm
from nnlite.nn.utils.weight_norm import remove_weight_norm, weight_norm

__all__ = [
           "clip_grad_norm",
           "clip_grad_norm_",
           "clip_grad_value_",
           "clip_grads_with_norm_",
           "freeze",
           "frozen_parameters",
           "fuse_conv_bn_eval",
           "fuse_conv_bn_weights",
           "fuse_linear_bn_eval",
           "fuse_linear_bn_weights",
           "get_total_norm",
           "parameters_to_vector",
           "remove_spectral_norm",
           "remove_weight_norm",
           "skip_init",
           "spectral_norm",
           "unfreeze",
           "vector_to_parameters",
           "weight_norm",
]

from nnlite.nn.utils import (  # noqa: E402,F401
    fusion,
    init,
    parametrizations,
    parametrize,
    prune,
    rnn,
    stateless,
)
