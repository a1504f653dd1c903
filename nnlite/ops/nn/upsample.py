"""``interpolate`` (nearest / linear family, PyTorch's source-index arithmetic) and pixel
(un)shuffle.

Nearest and (bi/tri)linear resizing are separable maps (``taps.py``): one node each, named as
torch's (``UpsampleNearest2DBackward0``, ``UpsampleBilinear2DBackward0``, ...), whose gradient is
the adjoint map."""

from __future__ import annotations

import math

import numpy as np

from nnlite._tensor import Tensor
from nnlite.autograd.function import Node, record
from nnlite.ops.nn.pool import adaptive_avg_pool1d, adaptive_avg_pool2d
from nnlite.ops.nn.taps import apply_taps

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


def _resize_taps(mode: str, sizes, align_corners):
    """``make_taps`` of a resize over dims 2, 3, ... (``sizes``: (in, out, scale) per dim), the
    last dim first (torch's order of the products)."""

    def make_taps(dtype):
        taps = []
        for d in range(len(sizes) - 1, -1, -1):
            n_in, n_out, scale = sizes[d]
            if mode in ("nearest", "nearest-exact"):
                pairs = ((_nearest_index(n_in, n_out, scale, mode == "nearest-exact"), None),)
            else:
                i0, i1, l0, l1 = _linear_weights(n_in, n_out, scale, align_corners, dtype)
                pairs = ((i0, l0), (i1, l1)) if n_in != n_out else ((i0, None),)
            taps.append((d + 2, n_in, pairs))
        return tuple(taps)

    return make_taps


_NODE_NAMES = {"nearest": "UpsampleNearest{}D", "nearest-exact": "UpsampleNearestExact{}D",
               "linear": "UpsampleLinear1D", "bilinear": "UpsampleBilinear2D",
               "trilinear": "UpsampleTrilinear3D"}


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
    linear = {"linear": 3, "bilinear": 4, "trilinear": 5}
    if (mode in ("nearest", "nearest-exact") and input.dim() in (3, 4, 5)
            or linear.get(mode) == input.dim()):
        if any(s <= 0 for s in output_size):
            raise RuntimeError(f"Input and output sizes should be greater than 0, but got input "
                               f"({', '.join(map(str, input.shape[2:]))}) and output "
                               f"({', '.join(map(str, output_size))})")
        sizes = tuple((int(input.shape[d + 2]), int(output_size[d]), scales[d])
                      for d in range(dim))
        name = _NODE_NAMES[mode].format(dim)
        return apply_taps(input, name, _resize_taps(mode, sizes, align_corners))
    if mode == "area" and input.dim() == 3:
        return adaptive_avg_pool1d(input, output_size)
    if mode == "area" and input.dim() == 4:
        return adaptive_avg_pool2d(input, output_size)
    want = {"linear": 3, "bilinear": 4, "trilinear": 5, "bicubic": 4}
    if mode in want and input.dim() != want[mode]:
        raise NotImplementedError(f"Got {input.dim()}D input, but {mode} mode needs "
                                  f"{want[mode]}D input")
    raise NotImplementedError(
        f"Input Error: Only 3D, 4D and 5D input Tensors supported (got {input.dim()}D) for the "
        f"modes: nearest | linear | bilinear | bicubic | trilinear | area | nearest-exact (got "
        f"{mode})" if mode not in want and mode not in ("nearest", "nearest-exact", "area")
        else f"interpolate: mode {mode!r} on {input.dim()}D input is not supported")


# ---- pixel shuffle ----------------------------------------------------------------------------
# Both are permutations of the elements, each the other's inverse (and so its adjoint): one node
# each, whose backward is the other op.


class PixelShuffleBackward0(Node):
    def backward(self, g):
        return (pixel_unshuffle(g, self.r),)


class PixelUnshuffleBackward0(Node):
    def backward(self, g):
        return (pixel_shuffle(g, self.r),)


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
    x = input._data.reshape(lead + (oc, r, r, h, w))
    x = x.transpose(*range(n), n, n + 3, n + 1, n + 4, n + 2)
    out = _W(np.ascontiguousarray(x).reshape(lead + (oc, h * r, w * r)))
    node = record(out, PixelShuffleBackward0, (input,))
    if node is not None:
        node.r = r
    return out


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
    x = input._data.reshape(lead + (c, h // r, r, w // r, r))
    x = x.transpose(*range(n), n, n + 2, n + 4, n + 1, n + 3)
    out = _W(np.ascontiguousarray(x).reshape(lead + (c * r * r, h // r, w // r)))
    node = record(out, PixelUnshuffleBackward0, (input,))
    if node is not None:
        node.r = r
    return out
