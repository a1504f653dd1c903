"""Spatial sampling: ``F.affine_grid`` (the sampling grid of a batch of affine maps) and
``F.grid_sample`` (bilinear / nearest sampling of an image at grid points), 2-D and 3-D.

Both are composites of differentiable ops, so gradients reach the input and the grid (and
the affine matrices) and double backward works. ``grid_sample`` follows torch's CPU kernel
(``GridSampler.h``): grid coordinates in [-1, 1] are mapped to pixel positions
(``align_corners=True``: -1 and 1 are the centres of the corner pixels; ``False``: their outer
edges), then the padding mode acts on the positions ('border' clips them, 'reflection'
reflects them at the borders, 'zeros' leaves them and out-of-range neighbours count as 0), then
the 2^d neighbours are gathered from the (N*pixels, C) rows of the input and weighted.
The results' nodes show torch's names (``GridSampler2DBackward0``,
``AffineGridGeneratorBackward0``).
"""

from __future__ import annotations

import itertools
import warnings

import numpy as np

from nnlite._tensor import Tensor
from nnlite.autograd.engine import grad
from nnlite.autograd.function import Node, record
from nnlite.autograd.grad_mode import _GradState, enable_grad, no_grad
from nnlite.ops import elementwise as E

_W = Tensor._wrap
_ALIGN_WARNING = (
    "Default grid_sample and affine_grid behavior has changed to align_corners=False since "
    "1.3.0. Please specify align_corners=True if the old behavior is desired. See the "
    "documentation of grid_sample for details.")


def _align(align_corners) -> bool:
    if align_corners is None:
        warnings.warn(_ALIGN_WARNING, stacklevel=3)
        return False
    return bool(align_corners)


def _linspace(n: int, align_corners: bool, dtype) -> np.ndarray:
    """torch's base-grid axis, rounded as torch computes it in ``dtype`` (linspace from both
    ends, then ``* (n - 1) / n``): sample positions then fall on the same side of a pixel."""
    if n <= 1:
        return np.zeros(max(n, 0), dtype)
    one = dtype.type(1.0)
    step = dtype.type(2.0) / dtype.type(n - 1)
    i = np.arange(n)
    half = n // 2
    v = np.where(i < half, -one + i.astype(dtype) * step,
                 one - (n - 1 - i).astype(dtype) * step).astype(dtype)
    if not align_corners:
        v = (v * dtype.type(n - 1)) / dtype.type(n)
    return v.astype(dtype)


def affine_grid(theta: Tensor, size, align_corners=None) -> Tensor:
    """The (N, H, W, 2) grid (5-D size: (N, D, H, W, 3)) of ``theta`` (N, 2, 3) (or (N, 3, 4))
    applied to the normalised pixel centres of an image of ``size`` (N, C, H, W)."""
    align = _align(align_corners)
    size = tuple(int(s) for s in size)
    if theta.dtype.is_floating_point is False:
        raise ValueError(f"Expected theta to have floating point type, but got {theta.dtype}")
    if len(size) == 4:
        nd, want = 2, (2, 3)
    elif len(size) == 5:
        nd, want = 3, (3, 4)
    else:
        raise NotImplementedError(
            "affine_grid only supports 4D and 5D sizes, for 2D and 3D affine transforms, "
            f"respectively. Got size {size}.")
    if theta.dim() != 3 or tuple(theta.shape[1:]) != want:
        raise ValueError(
            f"Expected a batch of {nd}D affine matrices of shape Nx{want[0]}x{want[1]} for size "
            f"{size}. Got {tuple(theta.shape)}.")
    if min(size) <= 0:
        raise ValueError(f"Expected non-zero, positive output size. Got {size}")
    if theta.shape[0] != size[0]:
        raise RuntimeError(
            f"Expected size for first two dimensions of batch2 tensor to be: [{size[0]}, "
            f"{want[1]}] but got: [{theta.shape[0]}, {want[1]}].")
    dt = theta._data.dtype
    dt = dt if isinstance(dt, np.dtype) else np.dtype(dt)
    base = _base_grid(size[2:], align, dt)
    grid = _W(np.ascontiguousarray((base @ theta._data.transpose(0, 2, 1)).reshape(
        (size[0], *size[2:], nd))))
    node = record(grid, AffineGridGeneratorBackward0, (theta,))
    if node is not None:
        node.size, node.align = size, align
    return grid


def _base_grid(spatial, align: bool, dt) -> np.ndarray:
    """torch's base grid: (1, pixels, nd + 1) rows (x (W), y (H), [z (D)], 1)."""
    axes = [_linspace(n, align, dt) for n in spatial]  # (D,) H, W
    mesh = np.meshgrid(*axes, indexing="ij")
    base = np.stack([*reversed(mesh), np.ones(spatial, dt)], axis=-1)
    return np.ascontiguousarray(base.reshape(1, -1, len(spatial) + 1))


class AffineGridGeneratorBackward0(Node):
    """``grid = base @ theta^T`` is linear in theta: ``g_theta = g^T @ base``."""

    def backward(self, g):
        n, nd = self.size[0], len(self.size) - 2
        base = _W(_base_grid(self.size[2:], self.align, g._data.dtype))
        return (g.reshape(n, -1, nd).transpose(1, 2).matmul(base),)


def _reflect(c: Tensor, twice_low: int, twice_high: int) -> Tensor:
    """Reflect positions at ``twice_low/2`` and ``twice_high/2`` until they fall inside."""
    if twice_low == twice_high:
        return c * 0.0
    low = twice_low / 2.0
    span = (twice_high - twice_low) / 2.0
    d = (c - low).abs()
    extra = E.fmod(d, span)
    flips = np.floor(d._data / span)
    even = _W((flips % 2) == 0)
    return E.where(even, extra + low, (extra * -1.0) + (span + low))


def _source_index(c: Tensor, size: int, padding_mode: str, align: bool) -> Tensor:
    c = ((c + 1.0) * 0.5 * (size - 1)) if align else (((c + 1.0) * size - 1.0) * 0.5)
    if padding_mode == "border":
        c = c.clamp(0, size - 1)
    elif padding_mode == "reflection":
        c = _reflect(c, 0, 2 * (size - 1)) if align else _reflect(c, -1, 2 * size - 1)
        c = c.clamp(0, size - 1)
    return c


def grid_sample(input: Tensor, grid: Tensor, mode: str = "bilinear",
                padding_mode: str = "zeros", align_corners=None) -> Tensor:
    """Sample ``input`` (N, C, H, W) (or (N, C, D, H, W)) at ``grid`` (N, H_out, W_out, 2)
    (or (N, D_out, H_out, W_out, 3)) of normalised (x, y[, z]) positions in [-1, 1]."""
    if mode not in ("bilinear", "nearest", "bicubic"):
        raise ValueError("nn.functional.grid_sample(): expected mode to be 'bilinear', "
                         f"'nearest' or 'bicubic', but got: '{mode}'")
    if padding_mode not in ("zeros", "border", "reflection"):
        raise ValueError("nn.functional.grid_sample(): expected padding_mode to be 'zeros', "
                         f"'border', or 'reflection', but got: '{padding_mode}'")
    if mode == "bicubic":
        raise NotImplementedError(
            "grid_sample(mode='bicubic') is not implemented in nnlite: use 'bilinear' or "
            "'nearest'")
    align = _align(align_corners)
    if input.dim() not in (4, 5) or grid.dim() != input.dim():
        raise RuntimeError(
            "grid_sampler(): expected 4D or 5D input and grid with same number of dimensions, "
            f"but got input with sizes {list(input.shape)} and grid with sizes "
            f"{list(grid.shape)}")
    nd = input.dim() - 2
    n = input.shape[0]
    if grid.shape[0] != n:
        raise RuntimeError(
            "grid_sampler(): expected grid and input to have same batch size, but got input "
            f"with sizes {list(input.shape)} and grid with sizes {list(grid.shape)}")
    if grid.shape[-1] != nd:
        raise RuntimeError(
            f"grid_sampler(): expected grid to have size {nd} in last dimension, but got grid "
            f"with sizes {list(grid.shape)}")
    if input.dtype != grid.dtype:
        raise RuntimeError(
            "grid_sampler(): expected input and grid to have same dtype, but input has "
            f"{input.dtype} and grid has {grid.dtype}")
    with no_grad():
        out = _sample(input, grid, mode, padding_mode, align)
    out = _W(out._data)
    node = record(out, GridSampler2DBackward0 if nd == 2 else GridSampler3DBackward0,
                  (input, grid), (input, grid))
    if node is not None:
        node.mode, node.padding_mode, node.align = mode, padding_mode, align
    return out


class GridSampler2DBackward0(Node):
    """The sample's gradient: the vector-Jacobian product of its Tensor-op composite
    (:func:`_sample`: gathers of the input rows weighted by functions of the grid), rebuilt from
    the saved input and grid. Under ``create_graph`` it is rebuilt on the saved tensors
    themselves, so the result is differentiable in them (and in ``g``)."""

    def backward(self, g):
        x, grid = self._unpacked_saved
        nig = self.needs_input_grad
        create = _GradState.enabled
        if not create:
            x, grid = x.detach().requires_grad_(nig[0]), grid.detach().requires_grad_(nig[1])
        with enable_grad():
            out = _sample(x, grid, self.mode, self.padding_mode, self.align)
        wrt = [t for t, need in zip((x, grid), nig) if need]
        got = iter(grad(out, wrt, g, create_graph=create, allow_unused=True))
        return tuple(next(got) if need else None for need in nig)


class GridSampler3DBackward0(GridSampler2DBackward0):
    pass


def _sample(input: Tensor, grid: Tensor, mode: str, padding_mode: str, align: bool) -> Tensor:
    """grid_sample as a composite of differentiable ops, on checked arguments."""
    nd = input.dim() - 2
    n, ch = input.shape[0], input.shape[1]
    spatial = tuple(input.shape[2:])  # (D,) H, W
    out_sp = tuple(grid.shape[1:-1])
    count = int(np.prod(out_sp, dtype=np.int64))
    pixels = int(np.prod(spatial, dtype=np.int64))
    strides = [int(np.prod(spatial[d + 1:], dtype=np.int64)) for d in range(nd)]
    # rows (n * pixels + pixel, C) of the input; each sample gathers rows
    rows = input.reshape(n, ch, pixels).transpose(1, 2).reshape(n * pixels, ch)
    g = grid.reshape(n, count, nd)
    # coordinate k of the grid indexes spatial dim nd-1-k (x is the last, W)
    coords = [_source_index(g[:, :, nd - 1 - d], spatial[d], padding_mode, align)
              for d in range(nd)]
    base = (np.arange(n, dtype=np.int64) * pixels)[:, None]
    if mode == "nearest":
        pos = [np.rint(c._data).astype(np.int64) for c in coords]
        valid = np.ones((n, count), bool)
        flat = base + np.zeros((n, count), np.int64)
        for d in range(nd):
            valid &= (pos[d] >= 0) & (pos[d] < spatial[d])
            flat = flat + np.clip(pos[d], 0, spatial[d] - 1) * strides[d]
        vals = rows.index_select(0, _W(flat.reshape(-1)))
        # 0 * coordinate keeps the grid in the graph: its gradient is zero, as torch's
        weight = _W(valid.astype(input._data.dtype))
        for c in coords:
            weight = weight + c * 0.0
        out = vals * weight.reshape(n * count, 1)
    else:
        lo = [np.floor(c._data).astype(np.int64) for c in coords]
        frac = [c - _W(f.astype(c._data.dtype)) for c, f in zip(coords, lo)]
        out = None
        for bits in itertools.product((0, 1), repeat=nd):
            valid = np.ones((n, count), bool)
            flat = base + np.zeros((n, count), np.int64)
            weight = None
            for d, b in enumerate(bits):
                p = lo[d] + b
                valid &= (p >= 0) & (p < spatial[d])
                flat = flat + np.clip(p, 0, spatial[d] - 1) * strides[d]
                w = frac[d] if b else (frac[d] * -1.0) + 1.0
                weight = w if weight is None else weight * w
            if not valid.any():
                continue
            weight = weight * _W(valid.astype(input._data.dtype))
            term = rows.index_select(0, _W(flat.reshape(-1))) * weight.reshape(n * count, 1)
            out = term if out is None else out + term
        if out is None:  # every neighbour outside the image: zeros, still in the graph
            out = rows.index_select(0, _W(base.repeat(count, 1).reshape(-1))) * 0.0
            out = out + (sum(c.sum() for c in coords) * 0.0)
    return out.reshape(n, count, ch).transpose(1, 2).reshape((n, ch) + out_sp).contiguous()
