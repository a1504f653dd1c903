"""Resampling layers: Upsample / F.interpolate (nearest, nearest-exact, linear, bilinear, area),
PixelShuffle / PixelUnshuffle, AdaptiveMaxPool1d/2d and AdaptiveAvgPool1d.

Interpolation is separable: along each spatial dim (last first, as PyTorch's bilinear kernel
combines ``h0l * (w0l * x00 + w1l * x01) + h1l * (...)``) it is a gather of source rows times
constant weights, with PyTorch's source-index arithmetic (``compute_scales_value``,
``area_pixel_compute_source_index``, float32 ``floorf`` for nearest). Gathers and products are
differentiable ops, so every order of derivative works.
"""

from __future__ import annotations

import math

import numpy as np

from nnlite._tensor import Tensor
from nnlite.nn import _conv_ops
from nnlite.nn.module import Module

__all__ = ["AdaptiveAvgPool1d", "AdaptiveMaxPool1d", "AdaptiveMaxPool2d", "PixelShuffle",
           "PixelUnshuffle", "Upsample", "UpsamplingBilinear2d", "UpsamplingNearest2d",
           "adaptive_avg_pool1d", "adaptive_max_pool1d", "adaptive_max_pool2d", "interpolate",
           "pixel_shuffle", "pixel_unshuffle"]

_W = Tensor._wrap


# ---- source indices (PyTorch's UpSample.h arithmetic) -----------------------------------------


def _scale_value(scale, in_size: int, out_size: int, t):
    """``compute_scales_value``: 1/scale_factor when one was given, else in/out, in type ``t``."""
    if scale is not None and scale > 0:
        return t(1.0 / scale)
    return t(in_size) / t(out_size)


def _nearest_index(in_size: int, out_size: int, scale, exact: bool) -> np.ndarray:
    dst = np.arange(out_size)
    if not exact:
        if out_size == in_size:
            return dst
        if out_size == 2 * in_size:
            return dst >> 1
    s = _scale_value(scale, in_size, out_size, np.float32)
    pos = dst.astype(np.float32) + np.float32(0.5) if exact else dst.astype(np.float32)
    return np.minimum(np.floor(pos * s).astype(np.int64), in_size - 1)


def _linear_weights(in_size: int, out_size: int, scale, align_corners: bool, dtype):
    """-> (i0, i1, l0, l1): source rows and their weights for each output row."""
    t = np.dtype(dtype).type
    dst = np.arange(out_size)
    if out_size == in_size:
        return dst, dst, np.ones(out_size, dtype), np.zeros(out_size, dtype)
    if align_corners:
        ratio = t(in_size - 1) / t(out_size - 1) if out_size > 1 else t(0)
        real = ratio * dst.astype(dtype)
    else:
        ratio = _scale_value(scale, in_size, out_size, t)
        real = np.maximum(ratio * (dst.astype(dtype) + t(0.5)) - t(0.5), t(0))
    i0 = np.minimum(np.floor(real).astype(np.int64), in_size - 1)
    l1 = np.clip(real - i0.astype(dtype), t(0), t(1)).astype(dtype)
    i1 = i0 + (i0 < in_size - 1)
    return i0, i1, (t(1) - l1).astype(dtype), l1


def _weights_along(w: np.ndarray, dim: int, ndim: int) -> Tensor:
    shape = [1] * ndim
    shape[dim] = w.shape[0]
    return _W(w.reshape(shape))


def _linear_dim(x: Tensor, dim: int, out_size: int, scale, align_corners: bool) -> Tensor:
    in_size = x.shape[dim]
    i0, i1, l0, l1 = _linear_weights(in_size, out_size, scale, align_corners, x._data.dtype)
    if out_size == in_size:
        return x
    nd = x.ndim
    return (x.index_select(dim, _W(i0)) * _weights_along(l0, dim, nd)
            + x.index_select(dim, _W(i1)) * _weights_along(l1, dim, nd))


# ---- interpolate ------------------------------------------------------------------------------


def _is_int(v) -> bool:
    return isinstance(v, (int, np.integer)) and not isinstance(v, bool)


def interpolate(input: Tensor, size=None, scale_factor=None, mode: str = "nearest",
                align_corners: bool | None = None, recompute_scale_factor: bool | None = None,
                antialias: bool = False) -> Tensor:
    """Resize the spatial dims of (N, C, *) input to ``size`` or by ``scale_factor``.

    Modes: 'nearest', 'nearest-exact' (1-3 spatial dims), 'linear' (3-D input), 'bilinear'
    (4-D input), 'area' (adaptive average pooling).

    Example:
        >>> F.interpolate(torch.randn(1, 3, 4, 4), scale_factor=2, mode="bilinear").shape
        torch.Size([1, 3, 8, 8])
    """
    if mode in ("nearest", "area", "nearest-exact"):
        if align_corners is not None:
            raise ValueError("align_corners option can only be set with the interpolating "
                             "modes: linear | bilinear | bicubic | trilinear")
    elif align_corners is None:
        align_corners = False
    dim = input.dim() - 2
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    if size is not None:
        scale_factors = None
        if isinstance(size, (list, tuple)):
            if len(size) != dim:
                raise ValueError(
                    "Input and output must have the same number of spatial dimensions, but got "
                    f"input with spatial dimensions of {list(input.shape[2:])} and output size "
                    f"of {size}. Please provide input tensor in (N, C, d1, d2, ...,dK) format "
                    "and output size in (o1, o2, ...,oK) format.")
            if not all(_is_int(v) for v in size):
                raise TypeError(
                    "expected size to be one of int or Tuple[int] or Tuple[int, int] or "
                    f"Tuple[int, int, int], but got size with types {[type(v) for v in size]}")
            output_size = [int(v) for v in size]
        else:
            output_size = [int(size)] * dim
    elif scale_factor is not None:
        output_size = None
        if isinstance(scale_factor, (list, tuple)):
            if len(scale_factor) != dim:
                raise ValueError(
                    "Input and scale_factor must have the same number of spatial dimensions, "
                    f"but got input with spatial dimensions of {list(input.shape[2:])} and "
                    f"scale_factor of shape {scale_factor}. Please provide input tensor in "
                    "(N, C, d1, d2, ...,dK) format and scale_factor in (s1, s2, ...,sK) format.")
            scale_factors = [float(s) for s in scale_factor]
        else:
            scale_factors = [float(scale_factor)] * dim
    else:
        raise ValueError("either size or scale_factor should be defined")
    if recompute_scale_factor and size is not None:
        raise ValueError("recompute_scale_factor is not meaningful with an explicit size.")
    if mode == "area" and output_size is None:
        recompute_scale_factor = True
    if output_size is None:
        output_size = [math.floor(input.shape[i + 2] * scale_factors[i])
                       for i in range(dim)]
        if recompute_scale_factor:
            scale_factors = None
    if antialias and not (mode in ("bilinear", "bicubic", "lanczos") and input.ndim == 4):
        raise ValueError("Anti-alias option is restricted to bilinear, bicubic, and lanczos "
                         "modes and requires a 4-D tensor as input")
    if antialias:
        raise NotImplementedError("interpolate: antialias=True is not supported")
    scales = scale_factors or [None] * dim
    if mode in ("nearest", "nearest-exact") and input.dim() in (3, 4, 5):
        if any(s <= 0 for s in output_size):
            raise RuntimeError(f"Input and output sizes should be greater than 0, but got input "
                               f"({', '.join(map(str, input.shape[2:]))}) and output "
                               f"({', '.join(map(str, output_size))})")
        out = input
        for d in range(dim - 1, -1, -1):
            idx = _nearest_index(input.shape[d + 2], output_size[d], scales[d],
                                 mode == "nearest-exact")
            if not (len(idx) == input.shape[d + 2] and (idx == np.arange(len(idx))).all()):
                out = out.index_select(d + 2, _W(idx))
        return out if out is not input else input * 1
    if mode == "area" and input.dim() == 3:
        return adaptive_avg_pool1d(input, output_size)
    if mode == "area" and input.dim() == 4:
        return _conv_ops.adaptive_avg_pool2d(input, output_size)
    if (mode == "linear" and input.dim() == 3) or (mode == "bilinear" and input.dim() == 4):
        if any(s <= 0 for s in output_size):
            raise RuntimeError(f"Input and output sizes should be greater than 0, but got input "
                               f"({', '.join(map(str, input.shape[2:]))}) and output "
                               f"({', '.join(map(str, output_size))})")
        out = input
        for d in range(dim - 1, -1, -1):
            out = _linear_dim(out, d + 2, output_size[d], scales[d], align_corners)
        return out if out is not input else input * 1
    want = {"linear": 3, "bilinear": 4, "trilinear": 5, "bicubic": 4}
    if mode in want and input.dim() != want[mode]:
        raise NotImplementedError(f"Got {input.dim()}D input, but {mode} mode needs "
                                  f"{want[mode]}D input")
    raise NotImplementedError(
        f"Input Error: Only 3D, 4D and 5D input Tensors supported (got {input.dim()}D) for the "
        f"modes: nearest | linear | bilinear | bicubic | trilinear | area | nearest-exact (got "
        f"{mode})" if mode not in want and mode not in ("nearest", "nearest-exact", "area")
        else f"interpolate: mode {mode!r} on {input.dim()}D input is not supported")


class Upsample(Module):
    """Resize by ``scale_factor`` or to ``size`` with ``mode`` (see :func:`interpolate`).

    Example:
        >>> nn.Upsample(scale_factor=2, mode="nearest")(torch.randn(1, 3, 4, 4)).shape
        torch.Size([1, 3, 8, 8])
    """

    def __init__(self, size=None, scale_factor=None, mode: str = "nearest",
                 align_corners: bool | None = None,
                 recompute_scale_factor: bool | None = None) -> None:
        super().__init__()
        self.name = type(self).__name__
        self.size = size
        if isinstance(scale_factor, tuple):
            self.scale_factor = tuple(float(f) for f in scale_factor)
        else:
            self.scale_factor = float(scale_factor) if scale_factor else None
        self.mode = mode
        self.align_corners = align_corners
        self.recompute_scale_factor = recompute_scale_factor

    def forward(self, input: Tensor) -> Tensor:
        return interpolate(input, self.size, self.scale_factor, self.mode, self.align_corners,
                           recompute_scale_factor=self.recompute_scale_factor)

    def extra_repr(self) -> str:
        if self.scale_factor is not None:
            info = "scale_factor=" + repr(self.scale_factor)
        else:
            info = "size=" + repr(self.size)
        return info + ", mode=" + repr(self.mode)


class UpsamplingNearest2d(Upsample):
    """``Upsample(size, scale_factor, mode='nearest')``."""

    def __init__(self, size=None, scale_factor=None) -> None:
        super().__init__(size, scale_factor, mode="nearest")


class UpsamplingBilinear2d(Upsample):
    """``Upsample(size, scale_factor, mode='bilinear', align_corners=True)``."""

    def __init__(self, size=None, scale_factor=None) -> None:
        super().__init__(size, scale_factor, mode="bilinear", align_corners=True)


# ---- pixel shuffle ----------------------------------------------------------------------------


def pixel_shuffle(input: Tensor, upscale_factor: int) -> Tensor:
    """(*, C r^2, H, W) -> (*, C, H r, W r): ``out[c, h r + i, w r + j] = x[c r^2 + i r + j, h, w]``.
    """
    if input.dim() < 3:
        raise RuntimeError(f"pixel_shuffle expects input to have at least 3 dimensions, but got "
                           f"input with {input.dim()} dimension(s)")
    r = int(upscale_factor)
    if r <= 0:
        raise RuntimeError(f"pixel_shuffle expects a positive upscale_factor, but got {r}")
    *lead, c, h, w = input.shape
    if c % (r * r) != 0:
        raise RuntimeError("pixel_shuffle expects its input's 'channel' dimension to be "
                           f"divisible by the square of upscale_factor, but input.size(-3)={c} "
                           f"is not divisible by {r * r}")
    lead = tuple(lead)
    oc = c // (r * r)
    n = len(lead)
    x = input.reshape(lead + (oc, r, r, h, w))
    x = x.permute(*range(n), n, n + 3, n + 1, n + 4, n + 2)
    return x.reshape(lead + (oc, h * r, w * r))


def pixel_unshuffle(input: Tensor, downscale_factor: int) -> Tensor:
    """The inverse of :func:`pixel_shuffle`: (*, C, H r, W r) -> (*, C r^2, H, W)."""
    if input.dim() < 3:
        raise RuntimeError(f"pixel_unshuffle expects input to have at least 3 dimensions, but "
                           f"got input with {input.dim()} dimension(s)")
    r = int(downscale_factor)
    if r <= 0:
        raise RuntimeError(f"pixel_unshuffle expects a positive downscale_factor, but got {r}")
    *lead, c, h, w = input.shape
    if h % r != 0:
        raise RuntimeError("pixel_unshuffle expects height to be divisible by downscale_factor, "
                           f"but input.size(-2)={h} is not divisible by {r}")
    if w % r != 0:
        raise RuntimeError("pixel_unshuffle expects width to be divisible by downscale_factor, "
                           f"but input.size(-1)={w} is not divisible by {r}")
    lead = tuple(lead)
    n = len(lead)
    x = input.reshape(lead + (c, h // r, r, w // r, r))
    x = x.permute(*range(n), n, n + 2, n + 4, n + 1, n + 3)
    return x.reshape(lead + (c * r * r, h // r, w // r))


class PixelShuffle(Module):
    """Rearrange (*, C r^2, H, W) into (*, C, H r, W r) (sub-pixel convolution upsampling).

    Example:
        >>> nn.PixelShuffle(2)(torch.randn(1, 8, 3, 3)).shape
        torch.Size([1, 2, 6, 6])
    """

    def __init__(self, upscale_factor: int) -> None:
        super().__init__()
        self.upscale_factor = upscale_factor

    def forward(self, input: Tensor) -> Tensor:
        return pixel_shuffle(input, self.upscale_factor)

    def extra_repr(self) -> str:
        return f"upscale_factor={self.upscale_factor}"


class PixelUnshuffle(Module):
    """Rearrange (*, C, H r, W r) into (*, C r^2, H, W)."""

    def __init__(self, downscale_factor: int) -> None:
        super().__init__()
        self.downscale_factor = downscale_factor

    def forward(self, input: Tensor) -> Tensor:
        return pixel_unshuffle(input, self.downscale_factor)

    def extra_repr(self) -> str:
        return f"downscale_factor={self.downscale_factor}"


# ---- adaptive pooling -------------------------------------------------------------------------


def _adaptive_bounds(size: int, out: int):
    i = np.arange(out)
    return (i * size) // out, -(-((i + 1) * size) // out)


def _adaptive_max_np(x4: np.ndarray, oh: int, ow: int):
    """(N, C, H, W) -> (max, flat index h * W + w) over PyTorch's adaptive windows."""
    n, c, h, w = x4.shape
    hs, he = _adaptive_bounds(h, oh)
    ws, we = _adaptive_bounds(w, ow)
    out = np.empty((n, c, oh, ow), x4.dtype)
    idx = np.empty((n, c, oh, ow), np.int64)
    for i in range(oh):
        for j in range(ow):
            win = x4[:, :, hs[i]:he[i], ws[j]:we[j]]
            kw = we[j] - ws[j]
            flat = win.reshape(n, c, -1)
            a = np.argmax(flat, axis=2)  # first max; a NaN wins (as in PyTorch)
            out[:, :, i, j] = np.take_along_axis(flat, a[..., None], 2)[..., 0]
            idx[:, :, i, j] = (hs[i] + a // kw) * w + ws[j] + a % kw
    return out, idx


def _adaptive_sizes(output_size, in_sizes, nd: int) -> tuple:
    if isinstance(output_size, (tuple, list)):
        if len(output_size) != nd:
            raise RuntimeError(f"adaptive_max_pool{nd}d(): internal error: output_size.size() "
                               f"must be {nd}")
        sizes = tuple(output_size)
    else:
        sizes = (output_size,) * nd
    return tuple(int(s) if s is not None else int(i) for s, i in zip(sizes, in_sizes))


def adaptive_max_pool2d(input: Tensor, output_size, return_indices: bool = False):
    """Max over PyTorch's adaptive windows ``[floor(i H / oH), ceil((i + 1) H / oH))``; with
    ``return_indices`` also the flat ``h * W + w`` argmax positions (as MaxPool2d's)."""
    xd = input._data
    if xd.ndim not in (3, 4):
        raise RuntimeError(f"adaptive_max_pool2d(): Expected 3D or 4D tensor, but got: "
                           f"{list(xd.shape)}")
    oh, ow = _adaptive_sizes(output_size, xd.shape[-2:], 2)
    x = input if xd.ndim == 4 else input.unsqueeze(0)
    _, idx = _adaptive_max_np(x._data, oh, ow)
    out = _conv_ops.max_pool_gather(x, idx, idx.shape)
    if xd.ndim == 3:
        out, idx = out.squeeze(0), idx[0]
    return (out, _W(idx)) if return_indices else out


def adaptive_max_pool1d(input: Tensor, output_size, return_indices: bool = False):
    """Adaptive max pooling over (N, C, L) or (C, L) input."""
    if input.dim() not in (2, 3):
        raise RuntimeError(f"adaptive_max_pool1d(): Expected 2D or 3D tensor, but got: "
                           f"{list(input.shape)}")
    size = output_size[0] if isinstance(output_size, (tuple, list)) else output_size
    out = adaptive_max_pool2d(input.unsqueeze(-2), (1, size), return_indices)
    if return_indices:
        return out[0].squeeze(-2), out[1].squeeze(-2)
    return out.squeeze(-2)


def adaptive_avg_pool1d(input: Tensor, output_size) -> Tensor:
    """Adaptive average pooling over (N, C, L) or (C, L) input."""
    if input.dim() not in (2, 3):
        raise RuntimeError(f"adaptive_avg_pool1d() argument 'input' must be 2D or 3D, got "
                           f"{input.dim()}D")
    size = output_size[0] if isinstance(output_size, (tuple, list)) else output_size
    return _conv_ops.adaptive_avg_pool2d(input.unsqueeze(-2), (1, size)).squeeze(-2)


class _AdaptivePool(Module):
    def __init__(self, output_size, return_indices: bool = False) -> None:
        super().__init__()
        self.output_size = output_size
        self.return_indices = return_indices

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class AdaptiveMaxPool2d(_AdaptivePool):
    """Max into a fixed (oH, oW) output whatever the input size.

    Example:
        >>> nn.AdaptiveMaxPool2d((2, 3))(torch.randn(1, 4, 7, 9)).shape
        torch.Size([1, 4, 2, 3])
    """

    def forward(self, input: Tensor):
        return adaptive_max_pool2d(input, self.output_size, self.return_indices)


class AdaptiveMaxPool1d(_AdaptivePool):
    """Max into a fixed output length whatever the input length."""

    def forward(self, input: Tensor):
        return adaptive_max_pool1d(input, self.output_size, self.return_indices)


class AdaptiveAvgPool1d(Module):
    """Average into a fixed output length whatever the input length."""

    def __init__(self, output_size) -> None:
        super().__init__()
        self.output_size = output_size

    def forward(self, input: Tensor) -> Tensor:
        return adaptive_avg_pool1d(input, self.output_size)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"
