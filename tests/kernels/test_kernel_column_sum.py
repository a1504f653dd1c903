"""``nnlite.kernels.column_sum``: the numpy statement of torch's dim-0 sum order gives the
summation kernel's bits (0 ulps) for every shape it takes, at both vector widths, float32 and
float64, signed zeros included; ``col_sum`` (bias gradients) uses it without loading numba."""


import numpy as np
import pytest

from nnlite.kernels import column_sum as C

ROWS = [*range(1, 40), 63, 64, 65, 127, 128, 129, 255, 256, 257, 300, 1000, 1024, 4095]
COLS = [2, 3, 4, 5, 7, 8, 9, 10, 16, 17, 31, 32, 33, 64, 65, 129, 257]


def _data(rng, shape, kind, dt):
    if kind == "normal":
        x = rng.normal(size=shape)
    elif kind == "scales":  # magnitudes 1e-8..1e8: the order decides the rounding
        x = rng.normal(size=shape) * 10.0 ** rng.integers(-8, 8, size=shape)
    else:  # mostly -0.0: where the +0 starts of the accumulators show
        x = np.where(rng.random(shape) < 0.8, -0.0, rng.normal(size=shape))
    return x.astype(dt)


@pytest.mark.parametrize("dt", [np.float32, np.float64])
@pytest.mark.parametrize("vector_bytes", [32, 64])
def test_same_bits_as_the_kernel(dt, vector_bytes):
    K = pytest.importorskip("nnlite.kernels.summation")
    rng = np.random.default_rng(vector_bytes + np.dtype(dt).itemsize)
    lanes = vector_bytes // np.dtype(dt).itemsize
    for n in ROWS:
        for c in COLS:
            if n * c > 200_000:
                continue
            for kind in ("normal", "scales", "zeros"):
                x = _data(rng, (n, c), kind, dt)
                assert C.fits(x)
                want, got = np.empty(c, dt), np.empty(c, dt)
                K.sum_outer(x, lanes, want)
                C.sum_outer(x, lanes, got)
                assert want.tobytes() == got.tobytes(), (n, c, kind)


def test_all_negative_zeros_sum_to_plus_zero_as_the_kernel():
    x = np.full((20, 6), -0.0, np.float32)
    out = C.sum_outer(x, 8, np.empty(6, np.float32))
    assert not np.signbit(out).any()


def test_differs_from_numpy_sum_order():
    """The check above can fail: numpy's own column sum rounds differently on some columns."""
    x = _data(np.random.default_rng(3), (1000, 64), "scales", np.float32)
    got = C.sum_outer(x, 8, np.empty(64, np.float32))
    assert (got != x.sum(axis=0)).any()


def test_fits_only_what_it_computes():
    f32 = np.ones((4, 3), np.float32)
    assert C.fits(f32) and C.fits(f32.astype(np.float64))
    assert not C.fits(np.ones((4, 1), np.float32))  # one column: a contiguous sum
    assert not C.fits(np.ones((4096, 3), np.float32))  # level 3 of the cascade
    assert not C.fits(np.ones((4, 3), np.float16)) and not C.fits(np.ones((3, 4)).T)
    assert not C.fits(np.ones((0, 3), np.float32)) and not C.fits(np.ones(3, np.float32))
