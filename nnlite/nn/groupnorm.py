"""GroupNorm and InstanceNorm1d/2d/3d, and their functional forms.

Both are batch normalisation of a reshaped input, the way PyTorch first defined them:

* ``group_norm``: (N, C, *) viewed as (1, N*G, C/G * prod(*)), normalised per row with the
  fused batch-norm op (no running stats), then the per-channel affine ``y * w[c] + b[c]``;
* ``instance_norm``: (N, C, *) viewed as (1, N*C, *), batch-normalised with the weight, bias and
  running stats repeated N times; the running stats are then averaged back over N, which is
  PyTorch's update ``running = (1 - m) running + m mean_n(stat_n)``.

The fused op's backward is twice differentiable, so these are too.
"""

from __future__ import annotations

import warnings

from nnlite._tensor import Tensor, _check_device
from nnlite.nn.module import Module
from nnlite.nn.normalization import _NormBase, affine_params, reset_affine
from nnlite.ops.nn.norms import group_norm, instance_norm

__all__ = ["GroupNorm", "InstanceNorm1d", "InstanceNorm2d", "InstanceNorm3d", "group_norm",
           "instance_norm"]


class GroupNorm(Module):
    """Group normalisation (Wu & He, 2018) over (N, C, *) input, with per-channel affine.

    Example:
        >>> gn = nn.GroupNorm(2, 6)
        >>> gn(torch.randn(4, 6, 10)).shape
        torch.Size([4, 6, 10])
    """

    def __init__(self, num_groups: int, num_channels: int, eps: float = 1e-5,
                 affine: bool = True, device=None, dtype=None, *, bias: bool = True) -> None:
        _check_device(device)
        super().__init__()
        if num_channels % num_groups != 0:
            raise ValueError(f"num_channels ({num_channels}) must be divisible by num_groups "
                             f"({num_groups})")
        self.num_groups = num_groups
        self.num_channels = num_channels
        self.eps = eps
        self.affine = affine
        affine_params(self, num_channels, affine, bias, dtype)

    def reset_parameters(self) -> None:
        reset_affine(self)

    def forward(self, input: Tensor) -> Tensor:
        return group_norm(input, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.num_groups}, {self.num_channels}, eps={self.eps}, "
                f"affine={self.affine}, bias={self.bias is not None}")


class _InstanceNorm(_NormBase):
    _no_batch_dim = 2

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float = 0.1,
                 affine: bool = False, track_running_stats: bool = False, device=None,
                 dtype=None, *, bias: bool = True) -> None:
        _check_device(device)
        super().__init__(num_features, eps, momentum, affine, track_running_stats, dtype=dtype,
                         bias=bias)

    def _check_input_dim(self, input: Tensor) -> None:
        nd = self._no_batch_dim
        if input.dim() not in (nd, nd + 1):
            raise ValueError(f"expected {nd}D or {nd + 1}D input (got {input.dim()}D input)")

    def _apply_instance_norm(self, input: Tensor) -> Tensor:
        return instance_norm(input, self.running_mean, self.running_var, self.weight, self.bias,
                             self.training or not self.track_running_stats,
                             self.momentum if self.momentum is not None else 0.0, self.eps)

    def forward(self, input: Tensor) -> Tensor:
        self._check_input_dim(input)
        feature_dim = input.dim() - self._no_batch_dim
        if input.size(feature_dim) != self.num_features:
            if self.affine:
                raise ValueError(
                    f"expected input's size at dim={feature_dim} to match num_features "
                    f"({self.num_features}), but got: {input.size(feature_dim)}.")
            warnings.warn(
                f"input's size at dim={feature_dim} does not match num_features. You can silence "
                "this warning by not passing in num_features, which is not used because "
                "affine=False", stacklevel=2)
        if input.dim() == self._no_batch_dim:
            return self._apply_instance_norm(input.unsqueeze(0)).squeeze(0)
        return self._apply_instance_norm(input)


class InstanceNorm1d(_InstanceNorm):
    """Instance normalisation over (N, C, L) or unbatched (C, L) input.

    Example:
        >>> nn.InstanceNorm1d(3)(torch.randn(2, 3, 7)).shape
        torch.Size([2, 3, 7])
    """

    _no_batch_dim = 2


class InstanceNorm2d(_InstanceNorm):
    """Instance normalisation over (N, C, H, W) or unbatched (C, H, W) input."""

    _no_batch_dim = 3


class InstanceNorm3d(_InstanceNorm):
    """Instance normalisation over (N, C, D, H, W) or unbatched (C, D, H, W) input."""

    _no_batch_dim = 4
