"""SyncBatchNorm: batch normalisation with statistics over the whole global batch.

Forward: each rank sums ``x`` and ``x*x`` per channel in float64 and counts its rows; one
allreduce of ``[sum, sum of squares, count]`` gives every rank the global mean and biased
variance (``E[x^2] - mean^2``, in float64). Backward: one allreduce of the per-channel sums of
``dy`` and ``dy * x_hat`` gives the input gradient of the global batch; the weight and bias
gradients stay local (DistributedDataParallel averages them with the others). A run with
SyncBatchNorm on N ranks thus equals the single-process run on the concatenated batch.
Without an initialized multi-rank group (or in eval) it is plain BatchNorm.
"""

from __future__ import annotations

import numpy as np

from nnlite._tensor import Tensor, _check_device
from nnlite.autograd.function import Function, once_differentiable
from nnlite.nn.module import Module
from nnlite.nn.normalization import _BatchNorm, _member


def _allreduce_sum(arr: np.ndarray, call: str) -> None:
    from nnlite.distributed import process_group as pg

    group = pg._require()
    group.calls += 1
    pg.wait(group.comm.Iallreduce(group.mpi.IN_PLACE, arr, op=group.mpi.SUM), call)


def _channels_last(x: np.ndarray) -> np.ndarray:
    """(N, C, *) -> (rows, C) as a view where possible."""
    if x.ndim == 2:
        return x
    return np.moveaxis(x, 1, -1).reshape(-1, x.shape[1])


class SyncBatchNorm(Function):
    """The autograd Function (named as torch's, so its node is ``SyncBatchNormBackward``);
    the module of the same name below replaces this module-level name."""

    @staticmethod
    def forward(ctx, input, weight, bias, running_mean, running_var, eps, momentum):
        x = input._data
        c = x.shape[1]
        x64 = _channels_last(x).astype(np.float64)
        stats = np.empty(2 * c + 1, np.float64)
        stats[:c] = x64.sum(0)
        stats[c:2 * c] = np.einsum("ij,ij->j", x64, x64)
        stats[2 * c] = x64.shape[0]
        _allreduce_sum(stats, "SyncBatchNorm forward (batch statistics)")
        n = stats[2 * c]
        if n <= 1:
            raise ValueError(
                "Expected more than 1 value per channel when training, got input size "
                f"{list(x.shape)} on this rank ({int(n)} values over all ranks)"
            )
        mean = stats[:c] / n
        var = np.maximum(stats[c:2 * c] / n - mean * mean, 0.0)
        invstd = 1.0 / np.sqrt(var + eps)
        xhat = (x64 - mean) * invstd
        y = xhat if weight is None else xhat * weight._data.astype(np.float64)
        if bias is not None:
            y = y + bias._data.astype(np.float64)
        if running_mean is not None:
            for buf, stat in ((running_mean, mean), (running_var, var * (n / (n - 1)))):
                d = buf._data
                d[...] = momentum * stat + (1 - momentum) * d.astype(np.float64)
                buf._vc[0] += 1
        ctx.xhat, ctx.invstd, ctx.n, ctx.shape = xhat, invstd, n, x.shape
        ctx.weight, ctx.has_bias = weight, bias is not None
        return Tensor._wrap(_from_channels_last(y, x.shape).astype(x.dtype))

    @staticmethod
    @once_differentiable
    def backward(ctx, grad_out):
        g = grad_out._data
        shape = ctx.shape
        c = shape[1]
        g64 = _channels_last(g).astype(np.float64)
        xhat = ctx.xhat
        local = np.empty(2 * c, np.float64)
        local[:c] = g64.sum(0)
        local[c:] = np.einsum("ij,ij->j", g64, xhat)
        total = local.copy()
        _allreduce_sum(total, "SyncBatchNorm backward (gradient sums)")
        n = ctx.n
        w = ctx.weight
        scale = ctx.invstd if w is None else ctx.invstd * w._data.astype(np.float64)
        gx = scale * (g64 - total[:c] / n - xhat * (total[c:] / n))
        gi = Tensor._wrap(_from_channels_last(gx, shape).astype(g.dtype))
        # weight and bias gradients are this rank's share; DDP averages them over ranks
        gw = None if w is None else Tensor._wrap(local[c:].astype(w._data.dtype))
        gb = Tensor._wrap(local[:c].astype(g.dtype)) if ctx.has_bias else None
        return gi, gw, gb, None, None, None, None


_SyncBatchNormFunction = SyncBatchNorm


def _from_channels_last(y: np.ndarray, shape) -> np.ndarray:
    if len(shape) == 2:
        return y
    c = shape[1]
    return np.ascontiguousarray(np.moveaxis(y.reshape((shape[0],) + tuple(shape[2:]) + (c,)),
                                            -1, 1))


class SyncBatchNorm(_BatchNorm):
    """BatchNorm over N-D input whose training statistics span every rank's batch
    (``torch.nn.SyncBatchNorm``).

    Example:
        >>> model = nn.SyncBatchNorm.convert_sync_batchnorm(model)   # before wrapping in DDP
    """

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = True, track_running_stats: bool = True, process_group=None,
                 device=None, dtype=None) -> None:
        _check_device(device)
        super().__init__(num_features, eps, momentum, affine, track_running_stats,
                         dtype=dtype)
        self.process_group = process_group

    def _check_input_dim(self, input: Tensor) -> None:
        if input.dim() < 2:
            raise ValueError(f"expected at least 2D input (got {input.dim()}D input)")

    def forward(self, input: Tensor) -> Tensor:
        from nnlite.distributed import process_group as pg

        self._check_input_dim(input)
        bn_training = self.training or (self.running_mean is None and self.running_var is None)
        group = pg._group
        if not (bn_training and group is not None and group.size > 1):
            return super().forward(input)
        if input._data.shape[1] != self.num_features:
            raise RuntimeError(f"running_mean should contain {input._data.shape[1]} elements "
                               f"not {self.num_features}")
        bufs = self._buffers
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats:
            nbt = _member(bufs, "num_batches_tracked", self)
            if nbt is not None:
                nbt._data[()] = int(nbt._data) + 1
                nbt._vc[0] += 1
                if self.momentum is None:
                    factor = 1.0 / float(nbt._data)
        rm = _member(bufs, "running_mean", self) if self.training else None
        rv = _member(bufs, "running_var", self) if self.training else None
        w = _member(self._parameters, "weight", self)
        b = _member(self._parameters, "bias", self)
        return _sync_batch_norm(input, w, b, rm, rv, self.eps, factor)

    @classmethod
    def convert_sync_batchnorm(cls, module: Module, process_group=None) -> Module:
        """Replace every BatchNorm*d in ``module`` by a SyncBatchNorm with the same weights,
        running statistics and flags (returns ``module`` itself, or the new layer)."""
        out = module
        if isinstance(module, _BatchNorm) and not isinstance(module, cls):
            out = cls(module.num_features, module.eps, module.momentum, module.affine,
                      module.track_running_stats, process_group)
            if module.affine:
                out.weight = module.weight
                out.bias = module.bias
            out.running_mean = module.running_mean
            out.running_var = module.running_var
            out.num_batches_tracked = module.num_batches_tracked
            out.training = module.training
        for name, child in module.named_children():
            out.add_module(name, cls.convert_sync_batchnorm(child, process_group))
        return out


def _sync_batch_norm(input, weight, bias, running_mean, running_var, eps, momentum):
    return _SyncBatchNormFunction.apply(input, weight, bias, running_mean, running_var, eps,
                                        momentum)
