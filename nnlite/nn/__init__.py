"""``nnlite.nn``: Module, Parameter, containers, layers, losses, init, functional, utils.

Mirrors ``torch.nn`` for the covered subset. Importing it does not import numba: the kernels
load on the first op that needs them.
"""

import importlib as _importlib

from nnlite.nn import functional, init, utils  # noqa: F401
from nnlite.nn.activation import (  # noqa: F401
    ELU,
    GELU,
    Hardtanh,
    LeakyReLU,
    LogSigmoid,
    LogSoftmax,
    ReLU,
    ReLU6,
    Sigmoid,
    SiLU,
    Softmax,
    Softplus,
    Tanh,
)
from nnlite.nn.containers import Container, ModuleDict, ModuleList, Sequential  # noqa: F401
from nnlite.nn.dropout import Dropout  # noqa: F401
from nnlite.nn.flatten import Flatten, Unflatten  # noqa: F401
from nnlite.nn.linear import Identity, Linear  # noqa: F401
from nnlite.nn.loss import (  # noqa: F401
    BCELoss,
    BCEWithLogitsLoss,
    CrossEntropyLoss,
    HuberLoss,
    L1Loss,
    MSELoss,
    NLLLoss,
    SmoothL1Loss,
)
from nnlite.nn.mlp import MLP  # noqa: F401
from nnlite.nn.module import Module  # noqa: F401
from nnlite.nn.normalization import BatchNorm1d, BatchNorm2d, BatchNorm3d, LayerNorm  # noqa: F401
from nnlite.nn.parameter import Buffer, Parameter  # noqa: F401
from nnlite.nn.activation import (  # noqa: F401,E402
    CELU,
    GLU,
    SELU,
    Hardsigmoid,
    Hardswish,
    Mish,
    PReLU,
    RReLU,
    Softmin,
    Softsign,
    Tanhshrink,
)
from nnlite.nn.distance import CosineSimilarity, PairwiseDistance  # noqa: F401,E402
from nnlite.nn.loss import KLDivLoss  # noqa: F401,E402
from nnlite.nn.padding import (  # noqa: F401,E402
    ConstantPad1d,
    ConstantPad2d,
    ReflectionPad1d,
    ReflectionPad2d,
    ReplicationPad1d,
    ReplicationPad2d,
    ZeroPad2d,
)
from nnlite.nn.conv import Conv1d, Conv2d, Conv3d  # noqa: F401,E402
from nnlite.nn.pooling import (  # noqa: F401,E402
    AdaptiveAvgPool2d,
    AdaptiveAvgPool3d,
    AdaptiveMaxPool3d,
    AvgPool1d,
    AvgPool2d,
    AvgPool3d,
    FractionalMaxPool2d,
    FractionalMaxPool3d,
    LPPool1d,
    LPPool2d,
    LPPool3d,
    MaxPool1d,
    MaxPool2d,
    MaxPool3d,
)
from nnlite.nn.max_unpool import MaxUnpool1d, MaxUnpool2d, MaxUnpool3d  # noqa: F401,E402
from nnlite.nn.ctc_loss import CTCLoss  # noqa: F401,E402
from nnlite.nn.lazy import (  # noqa: F401,E402
    LazyBatchNorm1d,
    LazyBatchNorm2d,
    LazyBatchNorm3d,
    LazyConv1d,
    LazyConv2d,
    LazyConv3d,
    LazyConvTranspose1d,
    LazyConvTranspose2d,
    LazyConvTranspose3d,
    LazyInstanceNorm1d,
    LazyInstanceNorm2d,
    LazyInstanceNorm3d,
    LazyLinear,
)
from nnlite.nn.parameter import UninitializedBuffer, UninitializedParameter  # noqa: F401,E402
from nnlite.nn.sparse import Embedding, EmbeddingBag  # noqa: F401,E402
from nnlite.nn.activation import Hardshrink, Softmax2d, Softshrink, Threshold  # noqa: F401,E402
from nnlite.nn.dropout import Dropout1d, Dropout2d, Dropout3d  # noqa: F401,E402
from nnlite.nn.linear import Bilinear  # noqa: F401,E402
from nnlite.nn.loss import (  # noqa: F401,E402
    CosineEmbeddingLoss,
    GaussianNLLLoss,
    HingeEmbeddingLoss,
    MarginRankingLoss,
    MultiLabelMarginLoss,
    MultiLabelSoftMarginLoss,
    MultiMarginLoss,
    NLLLoss2d,
    PoissonNLLLoss,
    SoftMarginLoss,
    TripletMarginLoss,
    TripletMarginWithDistanceLoss,
)
from nnlite.nn.containers import ParameterDict, ParameterList  # noqa: F401,E402
from nnlite.nn.rnn import (  # noqa: F401,E402
    GRU,
    LSTM,
    RNN,
    GRUCell,
    LSTMCell,
    RNNBase,
    RNNCell,
    RNNCellBase,
)
from nnlite.nn.groupnorm import (  # noqa: F401,E402
    GroupNorm,
    InstanceNorm1d,
    InstanceNorm2d,
    InstanceNorm3d,
)
from nnlite.nn.conv import ConvTranspose1d, ConvTranspose2d, ConvTranspose3d  # noqa: F401,E402
from nnlite.nn.upsample import (  # noqa: F401,E402
    AdaptiveAvgPool1d,
    AdaptiveMaxPool1d,
    AdaptiveMaxPool2d,
    PixelShuffle,
    PixelUnshuffle,
    Upsample,
    UpsamplingBilinear2d,
    UpsamplingNearest2d,
)
from nnlite.nn.attention import MultiheadAttention  # noqa: F401,E402
from nnlite.nn.transformer import (  # noqa: F401,E402
    Transformer,
    TransformerDecoder,
    TransformerDecoderLayer,
    TransformerEncoder,
    TransformerEncoderLayer,
)
from nnlite.nn.fold import Fold, Unfold  # noqa: F401,E402
from nnlite.nn.rms_norm import RMSNorm  # noqa: F401,E402
from nnlite.nn.channel import ChannelShuffle, LocalResponseNorm  # noqa: F401,E402
from nnlite.nn.alpha_dropout import AlphaDropout, FeatureAlphaDropout  # noqa: F401,E402
from nnlite.nn.padding import (  # noqa: F401,E402
    CircularPad1d,
    CircularPad2d,
    CircularPad3d,
    ConstantPad3d,
    ReflectionPad3d,
    ReplicationPad3d,
    ZeroPad1d,
    ZeroPad3d,
)
from nnlite.nn.data_parallel import DataParallel  # noqa: F401,E402
from nnlite.nn.adaptive import AdaptiveLogSoftmaxWithLoss  # noqa: F401,E402
from nnlite.nn import modules  # noqa: F401,E402
from nnlite.nn.sync_batchnorm import SyncBatchNorm  # noqa: F401,E402


def __getattr__(name):
    # nn.parallel (DistributedDataParallel) loads nnlite.distributed: on first use only
    if name == "parallel":
        return _importlib.import_module("nnlite.nn.parallel")
    raise AttributeError(f"module 'nnlite.nn' has no attribute '{name}'")
