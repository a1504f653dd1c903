"""PyTorch's CPU random generator, bit for bit: ``manual_seed``, ``Generator`` and the samplers.

PyTorch's CPU generator is an mt19937 seeded with ``init_genrand(seed & 0xffffffff)``; numpy's
``MT19937`` with legacy seeding produces the same 32-bit words, so nnlite draws them in bulk
(``random_raw``) and converts them exactly as ATen does (``ATen/core/DistributionsHelper.h``,
``TransformationHelper.h``, ``native/cpu/DistributionTemplates.h``):

* float32 uniform: ``(w & (2**24 - 1)) * 2**-24`` from one 32-bit word ``w``; float64 uniform:
  ``(d & (2**53 - 1)) * 2**-53`` from a 64-bit draw ``d = (first word << 32) | second word``;
  ``uniform_(a, b)`` is ``fma(u, b - a, a)`` in the tensor's dtype.
* normal, 16 or more contiguous elements: all uniforms first, then Box-Muller per block of 16
  (see :mod:`nnlite.kernels.rng`); if the size is not a multiple of 16, 16 fresh uniforms
  replace the last 16 values. Fewer than 16: the scalar float64 Box-Muller that caches its
  second (sine) value in the generator; ``manual_seed`` clears that cache.
* integers: ``w % range + low`` with a 32-bit word, or a 64-bit draw once ``range >= 2**28``.
* ``randperm(n)``: swap ``i`` with ``i + w % (n - i)`` for ``i < n - 1``.
* bernoulli with a float ``p``: float64 uniform ``< p`` (ATen's default kernel; on Intel CPUs a
  torch built with MKL uses MKL's own stream instead, see :func:`bernoulli_scalar`).

States are plain bytes in PyTorch's own ``get_rng_state`` layout (5056 bytes), so they need no
pickle and ``torch.set_rng_state`` / ``nnlite.set_rng_state`` accept each other's states.

Example:
    >>> g = Generator().manual_seed(0)
    >>> uniform(g, (2,), np.float32).tolist()  # torch.rand(2, generator=g)
    [0.49625658988952637, 0.7682217955589294]
"""

from __future__ import annotations

import contextlib
import math

import numpy as np

from nnlite._tensor import _CPU, Tensor
from nnlite.kernels import lazy as _lazy_kernels

K = _lazy_kernels("rng")  # imported on first use: ``import nnlite`` must not import numba

_DEFAULT_SEED = 67280421310721  # PyTorch's default_rng_seed_val
_N = 624  # mt19937 state words
_U64_MAX = (1 << 64) - 1

# torch's CPUGeneratorImplState: the legacy THGeneratorState POD, then the float normal cache.
_STATE = np.dtype(
    [
        ("seed", "<u8"),
        ("left", "<i4"),
        ("seeded", "<i4"),
        ("next", "<u8"),
        ("state", "<u8", (_N,)),
        ("normal_x", "<f8"),
        ("normal_y", "<f8"),
        ("normal_rho", "<f8"),
        ("normal_is_valid", "<i4"),
        ("pad0", "V4"),
        ("next_float_normal", "<f4"),
        ("float_normal_is_valid", "u1"),
        ("pad1", "V3"),
    ]
)
assert _STATE.itemsize == 5056


class Generator:
    """A random generator (``torch.Generator``): an mt19937 with PyTorch's seeding and layout.

    ``manual_seed`` returns the generator for chaining; ``get_state``/``set_state`` exchange
    5056-byte uint8 tensors identical to PyTorch's.

    Example:
        >>> g = Generator().manual_seed(42)
        >>> g.initial_seed()
        42
    """

    def __init__(self, device="cpu"):
        self._mt = np.random.MT19937()
        self.manual_seed(_DEFAULT_SEED)

    # ---- seeding and state ---------------------------------------------------------------------

    def manual_seed(self, seed) -> Generator:
        seed = int(seed)
        if not -(1 << 63) <= seed <= _U64_MAX:
            raise ValueError("Overflow when unpacking long long")
        self._seed = seed & _U64_MAX
        key = np.random.RandomState(self._seed & 0xFFFFFFFF).get_state(legacy=False)["state"]["key"]
        self._mt.state = {"bit_generator": "MT19937", "state": {"key": key, "pos": _N}}
        self._fresh = True  # torch reports next=0 (not 624) until the first draw
        self._next_double_normal = None
        self._next_float_normal = None
        return self

    def seed(self) -> int:
        s = int(np.random.SeedSequence().entropy % (1 << 63))
        self.manual_seed(s)
        return s

    def initial_seed(self) -> int:
        return self._seed

    def get_state(self):
        mt = self._mt.state["state"]
        rec = np.zeros((), _STATE)
        rec["seed"], rec["seeded"], rec["state"] = self._seed, 1, mt["key"]
        rec["left"], rec["next"] = (1, 0) if self._fresh else (_N + 1 - mt["pos"], mt["pos"])
        if self._next_double_normal is not None:
            rec["normal_y"], rec["normal_is_valid"] = self._next_double_normal, 1
        if self._next_float_normal is not None:
            rec["next_float_normal"], rec["float_normal_is_valid"] = self._next_float_normal, 1
        return Tensor._wrap(np.frombuffer(rec.tobytes(), np.uint8).copy())

    def set_state(self, state) -> Generator:
        arr = state._data if hasattr(state, "_data") else np.asarray(state)
        raw = np.ascontiguousarray(arr, dtype=np.uint8).tobytes()
        # the old JSON state starts with "{"; so does a real state seeded with 123 (0x7b)
        if raw[:1] == b"{" and len(raw) != _STATE.itemsize:
            raise RuntimeError(
                "this RNG state was saved by an older nnlite (numpy PCG64) and cannot drive the "
                "PyTorch-compatible mt19937 generator; reseed with manual_seed instead"
            )
        if len(raw) != _STATE.itemsize:
            raise RuntimeError(
                f"Expected a CPUGeneratorImplState of size {_STATE.itemsize} but found the input "
                f"RNG state size to be {len(raw)}"
            )
        rec = np.frombuffer(raw, _STATE)[0]
        left = int(rec["left"])
        if not 1 <= left <= _N or int(rec["next"]) > _N:
            raise RuntimeError("Invalid mt19937 state")
        key = rec["state"].astype(np.uint32)
        self._mt.state = {"bit_generator": "MT19937", "state": {"key": key, "pos": _N + 1 - left}}
        self._seed = int(rec["seed"])
        self._fresh = left == 1 and int(rec["next"]) == 0
        self._next_double_normal = float(rec["normal_y"]) if rec["normal_is_valid"] else None
        self._next_float_normal = (
            float(rec["next_float_normal"]) if rec["float_normal_is_valid"] else None
        )
        return self

    @property
    def device(self):
        return _CPU

    # ---- raw draws -----------------------------------------------------------------------------

    def _random(self, n: int) -> np.ndarray:
        """``n`` 32-bit words (torch's ``generator->random()``), as uint64."""
        self._fresh = False
        return self._mt.random_raw(n)

    def _random64(self, n: int) -> np.ndarray:
        """``n`` 64-bit draws (torch's ``random64()``): two words, the first one high."""
        w = self._random(2 * n)
        return (w[0::2] << np.uint64(32)) | w[1::2]


default_generator = Generator()


def _gen(generator=None) -> Generator:
    return default_generator if generator is None else generator


def manual_seed(seed) -> Generator:
    """Seed the global generator (and return it), as ``torch.manual_seed``."""
    return default_generator.manual_seed(seed)


def seed() -> int:
    return default_generator.seed()


def initial_seed() -> int:
    return default_generator.initial_seed()


def get_rng_state():
    return default_generator.get_state()


def set_rng_state(state) -> None:
    default_generator.set_state(state)


@contextlib.contextmanager
def fork_rng(devices=None, enabled=True, _caller="fork_rng", _devices_kw="devices",
             device_type="cuda"):
    """``torch.random.fork_rng``: the global generator's state is restored on exit, so draws
    inside the block do not change the stream outside it (CPU only; ``devices`` is ignored)."""
    if not enabled:
        yield
        return
    state = default_generator.get_state()
    try:
        yield
    finally:
        default_generator.set_state(state)


# ---- samplers: numpy arrays in, numpy arrays out -------------------------------------------------
# Each returns values in the order torch writes them to a contiguous tensor (C order).


def _numel(shape) -> int:
    return int(np.prod(shape, dtype=np.int64))


def _unit_uniform(g: Generator, n: int, dtype) -> np.ndarray:
    """``n`` values of ``uniform_real_distribution<dtype>(0, 1)``."""
    if np.dtype(dtype) == np.float64:
        return (g._random64(n) & np.uint64((1 << 53) - 1)).astype(np.float64) * 2.0**-53
    if np.dtype(dtype) == np.float16:  # 11 digits, computed in float
        return (g._random(n) & np.uint64(2047)).astype(np.float32) * np.float32(2.0**-11)
    return K.words_to_unit_f32(g._random(n))


def uniform(g: Generator, shape, dtype, low: float = 0.0, high: float = 1.0) -> np.ndarray:
    """``torch.empty(shape, dtype).uniform_(low, high)``: ``fma(u, high - low, low)`` in dtype."""
    dtype = np.dtype(dtype)
    u = _unit_uniform(g, _numel(shape), dtype)
    t = u.dtype.type  # float16 works in float32, like ATen's dist_acctype
    lo, hi = t(dtype.type(low)), t(dtype.type(high))
    if lo != 0 or hi != 1:
        K.fma_scalar_(u, hi - lo, lo)
    return u.astype(dtype, copy=False).reshape(shape)


def _scalar_normals(g: Generator, n: int, mean: float, std: float) -> np.ndarray:
    """ATen's ``normal_distribution<double>``: Box-Muller on two float64 uniforms; the sine value
    is cached in the generator for the next call."""
    out = np.empty(n, np.float64)
    for i in range(n):
        if g._next_double_normal is not None:
            val, g._next_double_normal = g._next_double_normal, None
        else:
            u1, u2 = _unit_uniform(g, 2, np.float64)
            r = math.sqrt(-2.0 * math.log1p(-u2))
            theta = 2.0 * math.pi * u1
            g._next_double_normal = r * math.sin(theta)
            val = r * math.cos(theta)
        out[i] = val
    if mean != 0.0 or std != 1.0:
        K.fma_scalar_(out, float(std), float(mean))
    return out


def normal(
    g: Generator, shape, dtype, mean: float = 0.0, std: float = 1.0, contiguous: bool = True
) -> np.ndarray:
    """``torch.empty(shape, dtype).normal_(mean, std)``; a non-contiguous target (values in its
    memory order) always takes the scalar path, as in ATen."""
    dtype = np.dtype(dtype)
    n = _numel(shape)
    if n < 16 or not contiguous:
        return _scalar_normals(g, n, mean, std).astype(dtype).reshape(shape)
    work = np.float64 if dtype == np.float64 else np.float32  # float16: opmath float
    fill = K.normal_fill16_f64 if work == np.float64 else K.normal_fill16_f32
    u = _unit_uniform(g, n, work)
    full = n - n % 16
    fill(u[:full], mean, std)
    if n % 16:
        u[n - 16 :] = fill(_unit_uniform(g, 16, work), mean, std)
    return u.astype(dtype, copy=False).reshape(shape)


def random_from_to(g: Generator, shape, dtype, low: int, high: int) -> np.ndarray:
    """``random_(low, high)`` / ``randint``: ``w % (high - low) + low``; ``w`` is a 32-bit word,
    or a 64-bit draw when the range is ``>= 2**28``."""
    low, high, dtype = int(low), int(high), np.dtype(dtype)
    if dtype.kind == "f":  # ATen's update_from/update_to: keep casted values inside [low, high)
        digits = np.finfo(dtype).nmant + 1
        as_float = lambda v: int(np.array(v).astype(dtype).astype(np.int64))
        if as_float(low + 1) < low:
            low = as_float(low + 1) + (1 << (abs(low + 1).bit_length() - digits))
        if as_float(high - 1) >= high:
            high = as_float(high - 1) - (1 << (abs(high - 1).bit_length() - digits))
    span, n = high - low, _numel(shape)
    w = g._random64(n) if span >= 1 << 28 else g._random(n)
    vals = (w % np.uint64(span)).astype(np.int64) + np.int64(low)
    return vals.astype(dtype).reshape(shape)


def random_full(g: Generator, shape, dtype) -> np.ndarray:
    """``random_()`` without bounds: ``[0, 2**digits]`` for floats, ``[0, max]`` for integers."""
    dtype, n = np.dtype(dtype), _numel(shape)
    if dtype == np.bool_:
        return (g._random(n) & np.uint64(1)).astype(np.bool_).reshape(shape)
    if dtype.kind == "f":
        span = (1 << {2: 11, 4: 24, 8: 53}[dtype.itemsize]) + 1
    else:
        span = int(np.iinfo(dtype).max) + 1
    w = g._random64(n) if dtype in (np.int64, np.float64) else g._random(n)
    return (w % np.uint64(span)).astype(dtype).reshape(shape)


def randperm(g: Generator, n: int) -> np.ndarray:
    """``torch.randperm(n)`` as int64."""
    if n < (2**32 - 1) // 20:
        return K.randperm_swaps(g._random(max(n - 1, 0)), n)
    return K.randperm_inside_out(g._random64(n), n)


def bernoulli_scalar(g: Generator, shape, p: float) -> np.ndarray:
    """``bernoulli_(p)`` with a float ``p``: a float64 uniform per element, ``u < p`` (bool).

    This is ATen's default kernel, which torch uses on AMD and other non-Intel CPUs. On Intel
    CPUs a torch built with MKL draws one 32-bit seed and samples MKL's MCG31 stream instead, so
    masks there differ from these (and from torch on AMD).
    """
    p, n = float(p), _numel(shape)
    if not 0.0 < p < 1.0:
        return (_unit_uniform(g, n, np.float64) < p).reshape(shape)
    # The same draws and the same answer as ``uniform < p``, on the integers: the uniform is
    # m * 2**-53 exactly (m = the 53 low bits of a 64-bit draw, the first word high), and for
    # an integer m, ``m * 2**-53 < p`` iff ``m < ceil(p * 2**53)`` (p * 2**53 is exact). Two
    # fewer passes over the array than forming the floats (dropout draws one per activation).
    w = g._random(2 * n)
    m = w[0::2] & np.uint64((1 << 21) - 1)
    m <<= np.uint64(32)
    m |= w[1::2]
    return (m < np.uint64(math.ceil(p * 2.0**53))).reshape(shape)


def bernoulli_tensor(g: Generator, probs: np.ndarray) -> np.ndarray:
    """``bernoulli_(p_tensor)``: one uniform per element in p's precision (float64 uniforms for
    float64 p, 24-bit float uniforms otherwise), ``u < p``."""
    work = np.float64 if probs.dtype == np.float64 else np.float32
    u = _unit_uniform(g, probs.size, work).reshape(probs.shape)
    return u < probs.astype(work, copy=False)


def exponential(g: Generator, shape, dtype, lambd: float = 1.0) -> np.ndarray:
    """``exponential_(lambd)``: ``(-1 / lambd) * log1p(-u)`` in float64, u a float64 uniform."""
    u = _unit_uniform(g, _numel(shape), np.float64)
    return K.neg_log1p_scaled(u, -1.0 / lambd).astype(dtype).reshape(shape)


# ---- the numpy-Generator-like view that older nnlite code calls through ``_rng`` ---------------


class _NumpyLike:
    """Answers the numpy ``Generator`` calls that nnlite code used before (``uniform``,
    ``standard_normal``, ``random``, ``integers``, ``permutation``, ``exponential``) from the
    torch-compatible stream. New code should call the samplers above (or the Tensor methods
    ``uniform_``/``normal_``/``bernoulli_``/``random_``) so the dtype, and thus the draws, match
    PyTorch; through this view float results are float64 unless ``dtype`` is given."""

    def __init__(self, g: Generator):
        self.generator = g

    @staticmethod
    def _shape(size):
        return () if size is None else (tuple(size) if np.iterable(size) else (int(size),))

    def random(self, size=None, dtype=np.float64, out=None):
        return uniform(self.generator, self._shape(size), dtype)

    def uniform(self, low=0.0, high=1.0, size=None, dtype=np.float64):
        return uniform(self.generator, self._shape(size), dtype, low, high)

    def standard_normal(self, size=None, dtype=np.float64, out=None):
        return normal(self.generator, self._shape(size), dtype)

    def normal(self, loc=0.0, scale=1.0, size=None, dtype=np.float64):
        return normal(self.generator, self._shape(size), dtype, loc, scale)

    def integers(self, low, high=None, size=None, dtype=np.int64, endpoint=False):
        if high is None:
            low, high = 0, low
        return random_from_to(self.generator, self._shape(size), dtype, low, high + endpoint)

    def permutation(self, x):
        if isinstance(x, (int, np.integer)):
            return randperm(self.generator, int(x))
        x = np.asarray(x)
        return x[randperm(self.generator, len(x))]

    def exponential(self, scale=1.0, size=None):
        return exponential(self.generator, self._shape(size), np.float64, 1.0 / scale)


def _rng(generator=None) -> _NumpyLike:
    return _NumpyLike(_gen(generator))
