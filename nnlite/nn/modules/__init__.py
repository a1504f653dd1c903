"""``torch.nn.modules``: the module paths PyTorch programs import layers from
(``torch.nn.modules.loss._Loss``, ``torch.nn.modules.linear.NonDynamicallyQuantizableLinear``).

Each submodule re-exports nnlite.nn's classes of that family; nothing is defined twice.
"""

from nnlite.nn.modules import (  # noqa: F401
    activation,
    adaptive,
    batchnorm,
    channelshuffle,
    container,
    conv,
    distance,
    dropout,
    flatten,
    fold,
    instancenorm,
    lazy,
    linear,
    loss,
    module,
    normalization,
    padding,
    pixelshuffle,
    pooling,
    rnn,
    sparse,
    transformer,
    upsampling,
    utils,
)
from nnlite.nn.modules.module import Module  # noqa: F401
