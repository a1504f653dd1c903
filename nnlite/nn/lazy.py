"""Lazy modules: layers whose input size is inferred from the first batch, as torch's.

``LazyLinear(out)``, ``LazyConv1d/2d/3d(out, k)``, ``LazyConvTranspose1d/2d/3d``,
``LazyBatchNorm1d/2d/3d()`` and ``LazyInstanceNorm1d/2d/3d()`` hold
``UninitializedParameter``/``UninitializedBuffer`` placeholders until the first call. A
forward pre-hook then reads the input's feature size, materializes the placeholders in place
(same objects: an optimizer built before the first call trains them), runs the layer's own
``reset_parameters`` (so under a seed the draws are those of the eager layer built at that
moment) and turns the module into its eager class (``LazyLinear`` -> ``Linear``).

Before the first call ``state_dict`` holds the placeholders themselves; ``load_state_dict``
with real tensors materializes them to the checkpoint's shapes first (torch's
``_lazy_load_hook``), and the class switch then happens at the first call.
"""

from __future__ import annotations

import numpy as np

from nnlite._tensor import Tensor
from nnlite.nn.conv import (
    Conv1d,
    Conv2d,
    Conv3d,
    ConvTranspose1d,
    ConvTranspose2d,
    ConvTranspose3d,
)
from nnlite.nn.groupnorm import InstanceNorm1d, InstanceNorm2d, InstanceNorm3d
from nnlite.nn.linear import Linear
from nnlite.nn.normalization import BatchNorm1d, BatchNorm2d, BatchNorm3d
from nnlite.nn.parameter import UninitializedBuffer, UninitializedParameter, is_lazy

__all__ = [
    "LazyBatchNorm1d", "LazyBatchNorm2d", "LazyBatchNorm3d", "LazyConv1d", "LazyConv2d",
    "LazyConv3d", "LazyConvTranspose1d", "LazyConvTranspose2d", "LazyConvTranspose3d",
    "LazyInstanceNorm1d", "LazyInstanceNorm2d", "LazyInstanceNorm3d", "LazyLinear",
    "LazyModuleMixin",
]


class LazyModuleMixin:
    """Mixin of the lazy layers (``torch.nn.modules.lazy.LazyModuleMixin``): the inference
    hook, the load hook and ``has_uninitialized_params``. A subclass defines
    ``initialize_parameters(input)`` and names its eager class in ``cls_to_become``."""

    cls_to_become = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._initialize_hook = self.register_forward_pre_hook(self._infer_parameters,
                                                               with_kwargs=True)
        self._load_hook = True  # torch keeps a handle; here the load step is an override

    def has_uninitialized_params(self) -> bool:
        """Whether any parameter or buffer of this module is still a placeholder."""
        return any(is_lazy(v) for v in
                   list(self._parameters.values()) + list(self._buffers.values()))

    def initialize_parameters(self, *args, **kwargs) -> None:
        raise NotImplementedError(f"initialize_parameters is not implemented for "
                                  f"{self.__class__.__name__}")

    @staticmethod
    def _infer_parameters(module, args, kwargs=None):
        module.initialize_parameters(*args, **(kwargs or {}))
        if module.has_uninitialized_params():
            raise RuntimeError(f"module {module._get_name()} has not been fully initialized")
        module._initialize_hook.remove()
        del module._initialize_hook
        del module._load_hook
        if module.cls_to_become is not None:
            module.__class__ = module.cls_to_become

    def _save_to_state_dict(self, destination, prefix, keep_vars) -> None:
        # placeholders go in as they are (detach would make them plain empty tensors)
        for name, p in self._parameters.items():
            if p is not None:
                destination[prefix + name] = p if (keep_vars or is_lazy(p)) else p.detach()
        for name, b in self._buffers.items():
            if b is not None and name not in self._non_persistent_buffers_set:
                destination[prefix + name] = b if (keep_vars or is_lazy(b)) else b.detach()

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys,
                              unexpected_keys, error_msgs) -> None:
        # torch's _lazy_load_hook: a checkpoint's real tensor gives the placeholder its shape
        for name, v in list(self._parameters.items()) + list(self._buffers.items()):
            key = prefix + name
            if key in state_dict and is_lazy(v) and not is_lazy(state_dict[key]):
                v.materialize(state_dict[key].shape)
        lazy = {k: v for k, v in state_dict.items()
                if k.startswith(prefix) and is_lazy(v) and "." not in k[len(prefix):]}
        rest = type(state_dict)((k, v) for k, v in state_dict.items() if k not in lazy)
        if hasattr(state_dict, "_metadata"):
            rest._metadata = state_dict._metadata
        for k in lazy:  # a placeholder in the checkpoint: nothing to copy, but not missing
            name = k[len(prefix):]
            if name not in self._parameters and name not in self._buffers and strict:
                unexpected_keys.append(k)
        super()._load_from_state_dict(rest, prefix, local_metadata, False, missing_keys,
                                      unexpected_keys, error_msgs)
        if strict:
            for name, v in list(self._parameters.items()) + list(self._buffers.items()):
                key = prefix + name
                if (v is not None and key not in state_dict
                        and name not in self._non_persistent_buffers_set):
                    missing_keys.append(key)
            for key in rest:
                if key.startswith(prefix):
                    head = key[len(prefix):].split(".", 1)[0]
                    if (head not in self._modules and head not in self._parameters
                            and head not in self._buffers):
                        unexpected_keys.append(key)

    def _apply(self, fn):
        # dtype conversion of a placeholder keeps the placeholder (torch: .double() before the
        # first call gives float64 parameters)
        held = {}
        for store in (self._parameters, self._buffers):
            for k, v in store.items():
                if is_lazy(v):
                    v._convert(fn)
                    held[(id(store), k)] = (store, v)
                    store[k] = None  # the base _apply skips None entries
        try:
            return super()._apply(fn)
        finally:
            for (_, k), (store, v) in held.items():
                store[k] = v


# ---- Linear -----------------------------------------------------------------------------------


class LazyLinear(LazyModuleMixin, Linear):
    """Linear whose ``in_features`` is inferred from the first input's last dim.

    Example:
        >>> m = nn.LazyLinear(3)
        >>> m(torch.randn(2, 5)).shape, type(m).__name__, m.in_features
        (torch.Size([2, 3]), 'Linear', 5)
    """

    cls_to_become = Linear

    def __init__(self, out_features: int, bias: bool = True, device=None, dtype=None) -> None:
        super().__init__(0, 0, False, device=device, dtype=dtype)
        self.weight = UninitializedParameter(dtype=dtype)
        self.out_features = out_features
        if bias:
            self.bias = UninitializedParameter(dtype=dtype)

    def reset_parameters(self) -> None:
        if not self.has_uninitialized_params() and self.in_features != 0:
            super().reset_parameters()

    def initialize_parameters(self, input: Tensor, *args, **kwargs) -> None:
        if self.has_uninitialized_params():
            self.in_features = input.shape[-1]
            self.weight.materialize((self.out_features, self.in_features))
            if self.bias is not None:
                self.bias.materialize((self.out_features,))
            self.reset_parameters()


# ---- convolutions ---------------------------------------------------------------------------


class _LazyConvXdMixin(LazyModuleMixin):
    def reset_parameters(self) -> None:
        if not self.has_uninitialized_params() and self.in_channels != 0:
            super().reset_parameters()

    def _get_in_channels(self, input: Tensor) -> int:
        nd = self._nd
        if input.dim() not in (nd + 1, nd + 2):
            raise RuntimeError(f"Expected {nd + 1}D (unbatched) or {nd + 2}D (batched) input to "
                               f"{self.__class__.__name__}, but got input of size: "
                               f"{input.shape}")
        return input.shape[1] if input.dim() == nd + 2 else input.shape[0]

    def initialize_parameters(self, input: Tensor, *args, **kwargs) -> None:
        if self.has_uninitialized_params():
            self.in_channels = self._get_in_channels(input)
            if self.in_channels % self.groups != 0:
                raise ValueError("in_channels must be divisible by groups")
            if self.transposed:
                shape = (self.in_channels, self.out_channels // self.groups)
            else:
                shape = (self.out_channels, self.in_channels // self.groups)
            self.weight.materialize(shape + tuple(self.kernel_size))
            if self.bias is not None:
                self.bias.materialize((self.out_channels,))
            self.reset_parameters()

    def _lazy_params(self, out_channels: int, bias: bool, dtype) -> None:
        self.weight = UninitializedParameter(dtype=dtype)
        self.out_channels = out_channels
        if bias:
            self.bias = UninitializedParameter(dtype=dtype)


def _lazy_conv(base, nd: int):
    class LazyConv(_LazyConvXdMixin, base):
        __doc__ = (f"{base.__name__} whose ``in_channels`` is inferred from the first input "
                   "(``input.size(1)``).")
        cls_to_become = base

        def __init__(self, out_channels: int, kernel_size, stride=1, padding=0, dilation=1,
                     groups: int = 1, bias: bool = True, padding_mode: str = "zeros",
                     device=None, dtype=None) -> None:
            super().__init__(0, 0, kernel_size, stride, padding, dilation, groups, False,
                             padding_mode, device=device, dtype=dtype)
            self._lazy_params(out_channels, bias, dtype)

    LazyConv.__name__ = LazyConv.__qualname__ = f"Lazy{base.__name__}"
    return LazyConv


def _lazy_conv_transpose(base, nd: int):
    class LazyConvTranspose(_LazyConvXdMixin, base):
        __doc__ = (f"{base.__name__} whose ``in_channels`` is inferred from the first input "
                   "(``input.size(1)``).")
        cls_to_become = base

        def __init__(self, out_channels: int, kernel_size, stride=1, padding=0,
                     output_padding=0, groups: int = 1, bias: bool = True, dilation=1,
                     padding_mode: str = "zeros", device=None, dtype=None) -> None:
            super().__init__(0, 0, kernel_size, stride, padding, output_padding, groups, False,
                             dilation, padding_mode, device=device, dtype=dtype)
            self._lazy_params(out_channels, bias, dtype)

    LazyConvTranspose.__name__ = LazyConvTranspose.__qualname__ = f"Lazy{base.__name__}"
    return LazyConvTranspose


LazyConv1d = _lazy_conv(Conv1d, 1)
LazyConv2d = _lazy_conv(Conv2d, 2)
LazyConv3d = _lazy_conv(Conv3d, 3)
LazyConvTranspose1d = _lazy_conv_transpose(ConvTranspose1d, 1)
LazyConvTranspose2d = _lazy_conv_transpose(ConvTranspose2d, 2)
LazyConvTranspose3d = _lazy_conv_transpose(ConvTranspose3d, 3)


# ---- normalization --------------------------------------------------------------------------


class _LazyNormBase(LazyModuleMixin):
    def __init__(self, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True,
                 device=None, dtype=None, *, bias=True) -> None:
        super().__init__(0, eps, momentum, False, False, device=device, dtype=dtype, bias=False)
        self.affine = affine
        self.track_running_stats = track_running_stats
        if affine:
            self.weight = UninitializedParameter(dtype=dtype)
            if bias:
                self.bias = UninitializedParameter(dtype=dtype)
        if track_running_stats:
            self.running_mean = UninitializedBuffer(dtype=dtype)
            self.running_var = UninitializedBuffer(dtype=dtype)
            self.num_batches_tracked = Tensor._wrap(np.array(0, np.int64))

    def reset_parameters(self) -> None:
        if not self.has_uninitialized_params() and self.num_features != 0:
            super().reset_parameters()

    def initialize_parameters(self, input: Tensor, *args, **kwargs) -> None:
        if self.has_uninitialized_params():
            self.num_features = input.shape[1]
            for name in ("weight", "bias", "running_mean", "running_var"):
                v = getattr(self, name)
                if v is not None and is_lazy(v):
                    v.materialize((self.num_features,))
            self.reset_parameters()


def _lazy_norm(base):
    class LazyNorm(_LazyNormBase, base):
        __doc__ = (f"{base.__name__} whose ``num_features`` is inferred from the first input "
                   "(``input.size(1)``).")
        cls_to_become = base

    LazyNorm.__name__ = LazyNorm.__qualname__ = f"Lazy{base.__name__}"
    return LazyNorm


LazyBatchNorm1d = _lazy_norm(BatchNorm1d)
LazyBatchNorm2d = _lazy_norm(BatchNorm2d)
LazyBatchNorm3d = _lazy_norm(BatchNorm3d)
LazyInstanceNorm1d = _lazy_norm(InstanceNorm1d)
LazyInstanceNorm2d = _lazy_norm(InstanceNorm2d)
LazyInstanceNorm3d = _lazy_norm(InstanceNorm3d)
