"""BatchNorm1d, BatchNorm2d and LayerNorm."""

from __future__ import annotations

import numpy as np

from nnlite._tensor import Tensor, _check_device
from nnlite.autograd.grad_mode import _CaptureState
from nnlite.nn import init
from nnlite.nn.module import Module
from nnlite.nn.parameter import Parameter
from nnlite.ops.creation import empty, ones, zeros
from nnlite.ops.nn import norms as _norms


def _member(store: dict, name: str, mod: Module):
    """``store[name]`` (a module's ``_parameters``/``_buffers``), else ``getattr(mod, name)``:
    what ``mod.<name>`` gives, without Module.__getattr__'s failed-lookup cost (~1.5 us)."""
    try:
        return store[name]
    except KeyError:
        return getattr(mod, name)


def affine_params(mod: Module, shape, affine: bool, bias: bool, dtype) -> None:
    """Register ``weight`` (ones) and ``bias`` (zeros) of ``shape``, or None, as PyTorch does."""
    if affine:
        mod.weight = Parameter(empty(shape, dtype=dtype))
        if bias:
            mod.bias = Parameter(empty(shape, dtype=dtype))
        else:
            mod.register_parameter("bias", None)
    else:
        mod.register_parameter("weight", None)
        mod.register_parameter("bias", None)
    reset_affine(mod)


def reset_affine(mod: Module) -> None:
    if mod.weight is not None:
        init.ones_(mod.weight)
    if mod.bias is not None:
        init.zeros_(mod.bias)


class _NormBase(Module):
    """Parameters (weight, bias) and buffers (running_mean, running_var, num_batches_tracked)
    shared by the BatchNorm layers; state_dict keys are PyTorch's."""

    _version = 2

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = True, track_running_stats: bool = True, device=None,
                 dtype=None, *, bias: bool = True) -> None:
        _check_device(device)
        super().__init__()
        self.num_features = num_features
        self.eps = eps
        self.momentum = momentum
        self.affine = affine
        self.track_running_stats = track_running_stats
        if affine:
            self.weight = Parameter(empty(num_features, dtype=dtype))
            if bias:
                self.bias = Parameter(empty(num_features, dtype=dtype))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        if track_running_stats:
            self.register_buffer("running_mean", zeros(num_features, dtype=dtype))
            self.register_buffer("running_var", ones(num_features, dtype=dtype))
            self.register_buffer("num_batches_tracked", Tensor._wrap(np.array(0, np.int64)))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)
        self.reset_parameters()

    def reset_running_stats(self) -> None:
        if self.track_running_stats:
            self.running_mean._data[...] = 0
            self.running_var._data[...] = 1
            self.num_batches_tracked._data[...] = 0
            for b in (self.running_mean, self.running_var, self.num_batches_tracked):
                b._vc[0] += 1

    def reset_parameters(self) -> None:
        self.reset_running_stats()
        if self.affine:
            init.ones_(self.weight)
            if self.bias is not None:
                init.zeros_(self.bias)

    def _check_input_dim(self, input: Tensor) -> None:
        raise NotImplementedError

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}, bias={self.bias is not None}, "
                f"track_running_stats={self.track_running_stats}")

    def train(self, mode: bool = True) -> Module:
        # nn.utils.freeze(..., bn_eval=True) pins a frozen BatchNorm in eval mode
        super().train(mode)
        if self.__dict__.get("_frozen_eval", False):
            self.training = False
        return self

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys,
                              unexpected_keys, error_msgs) -> None:
        version = local_metadata.get("version", None)
        if (version is None or version < 2) and self.track_running_stats:
            # checkpoints from before num_batches_tracked existed: default it (as PyTorch)
            key = prefix + "num_batches_tracked"
            if key not in state_dict:
                state_dict[key] = (self.num_batches_tracked if self.num_batches_tracked is not None
                                   else Tensor._wrap(np.array(0, np.int64)))
        super()._load_from_state_dict(state_dict, prefix, local_metadata, strict, missing_keys,
                                      unexpected_keys, error_msgs)


class _BatchNorm(_NormBase):
    def forward(self, input: Tensor) -> Tensor:
        self._check_input_dim(input)
        # parameters and buffers read from their dicts once (each self.<name> would go through
        # Module.__getattr__, ~1.5 us apiece)
        params, bufs = self._parameters, self._buffers
        running_mean = _member(bufs, "running_mean", self)
        running_var = _member(bufs, "running_var", self)
        momentum = self.momentum
        training = self.training
        factor = 0.0 if momentum is None else momentum
        if training and self.track_running_stats:
            nbt = _member(bufs, "num_batches_tracked", self)
            if nbt is not None:
                nbt._data[()] = int(nbt._data) + 1  # += 1 on a 0-d array costs ~1.5 us
                nbt._vc[0] += 1
                if momentum is None:  # cumulative moving average
                    factor = 1.0 / float(nbt._data)
                rec = _CaptureState.recorder
                if rec is not None:  # recording a plan for nnlite.compile
                    if momentum is None:
                        rec.fail("BatchNorm with momentum=None (the factor changes every step)")
                    rec.emit("count", None, (nbt,))
        bn_training = training or (running_mean is None and running_var is None)
        use_stats = not training or self.track_running_stats
        return _norms.batch_norm(
            input,
            running_mean if use_stats else None,
            running_var if use_stats else None,
            _member(params, "weight", self),
            _member(params, "bias", self),
            bn_training, factor, self.eps,
        )


class BatchNorm1d(_BatchNorm):
    """Batch normalisation over (N, C) or (N, C, L) input.

    Training: normalise with the batch mean and biased variance per channel; update
    ``running_mean``/``running_var`` (with the unbiased variance) by
    ``running = (1 - momentum) * running + momentum * batch`` (``momentum=None``: cumulative
    average) and count ``num_batches_tracked``. Eval: normalise with the running statistics.
    Forward and backward are fused numba kernels; the backward is twice differentiable.

    Example:
        >>> bn = nn.BatchNorm1d(4)
        >>> bn(torch.randn(8, 4)).shape
        torch.Size([8, 4])
    """

    def _check_input_dim(self, input: Tensor) -> None:
        if input.dim() != 2 and input.dim() != 3:
            raise ValueError(f"expected 2D or 3D input (got {input.dim()}D input)")


class BatchNorm2d(_BatchNorm):
    """Batch normalisation over (N, C, H, W) input (statistics over N, H, W per channel)."""

    def _check_input_dim(self, input: Tensor) -> None:
        if input.dim() != 4:
            raise ValueError(f"expected 4D input (got {input.dim()}D input)")


class BatchNorm3d(_BatchNorm):
    """Batch normalisation over (N, C, D, H, W) input (statistics over N, D, H, W per channel).

    Example:
        >>> nn.BatchNorm3d(3)(torch.randn(2, 3, 4, 5, 6)).shape
        torch.Size([2, 3, 4, 5, 6])
    """

    def _check_input_dim(self, input: Tensor) -> None:
        if input.dim() != 5:
            raise ValueError(f"expected 5D input (got {input.dim()}D input)")


class LayerNorm(Module):
    """Normalise over the trailing ``normalized_shape`` dims, then scale and shift.

    Example:
        >>> ln = nn.LayerNorm(4)
        >>> ln(torch.randn(2, 3, 4)).shape
        torch.Size([2, 3, 4])
    """

    def __init__(self, normalized_shape, eps: float = 1e-5, elementwise_affine: bool = True,
                 bias: bool = True, device=None, dtype=None) -> None:
        _check_device(device)
        super().__init__()
        if isinstance(normalized_shape, int):
            normalized_shape = (normalized_shape,)
        self.normalized_shape = tuple(normalized_shape)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        affine_params(self, self.normalized_shape, elementwise_affine, bias, dtype)

    def reset_parameters(self) -> None:
        reset_affine(self)

    def forward(self, input: Tensor) -> Tensor:
        return _norms.layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}, bias={self.bias is not None}")
