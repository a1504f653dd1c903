"""Sums in torch's order (nnlite.kernels.summation): kernel == numpy reference == torch's CPU sum,
bit for bit (0 ulps), for dim-0, last-dim and all-element sums, float32 and float64."""

import numpy as np
import pytest

import nnlite
from nnlite.kernels import summation as K

SHAPES = [(64, 128), (32, 64), (7, 3), (1000, 37), (5, 200), (300, 17), (128, 8), (33, 96),
          (2, 5), (1, 1), (9, 1), (1, 40), (70000, 3), (600, 40), (20, 16), (10, 511), (10, 512),
          (3, 8)]


def ulps(a, b):
    """Largest distance in units in the last place between two float arrays (0: identical)."""
    a, b = np.asarray(a), np.asarray(b)
    it = np.int32 if a.dtype == np.float32 else np.int64
    ia, ib = a.view(it).astype(np.int64), b.view(it).astype(np.int64)
    top = np.int64(np.iinfo(it).max)
    ia = np.where(ia < 0, -(ia & top), ia)
    ib = np.where(ib < 0, -(ib & top), ib)
    return int(np.abs(ia - ib).max()) if ia.size else 0


def test_ulps_sees_one_ulp():
    a = np.float32([1.0, 2.0])
    assert ulps(a, a) == 0 and ulps(a, np.nextafter(a, np.float32(3))) == 1


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("dt", [np.float32, np.float64])
def test_kernels_follow_the_reference_order(shape, dt):
    x = np.random.default_rng(sum(shape)).normal(size=shape).astype(dt)
    lanes = K.vector_bytes() // x.itemsize
    o0, o1 = np.empty(shape[1], dt), np.empty(shape[0], dt)
    K.sum_outer(x, lanes, o0)
    K.sum_inner(x, lanes, o1)
    assert ulps(o0, K.sum_outer_ref(x, lanes)) == 0
    assert ulps(o1, [K.sum_inner_ref(r, lanes) for r in x]) == 0


def _torch_lanes(torch, itemsize):
    return (64 if torch.backends.cpu.get_cpu_capability() == "AVX512" else 32) // itemsize


@pytest.mark.parametrize("shape", SHAPES)
def test_kernels_round_as_torch(shape):
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(sum(shape) + 1).normal(size=shape).astype(np.float32)
    lanes = _torch_lanes(torch, 4)
    o0, o1 = np.empty(shape[1], np.float32), np.empty(shape[0], np.float32)
    K.sum_outer(x, lanes, o0)
    K.sum_inner(x, lanes, o1)
    t = torch.tensor(x)
    assert ulps(o0, t.sum(0).numpy()) == 0
    assert ulps(o1, t.sum(1).numpy()) == 0
    threads = torch.get_num_threads()
    assert ulps(K.sum_all(x.ravel(), lanes, threads), t.sum().numpy()) == 0


def test_numpy_order_is_not_torch_order():
    """The comparison can fail: numpy's own sums are off torch's by some ulps here."""
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(1).normal(size=(64, 128)).astype(np.float32)
    t = torch.tensor(x)
    assert ulps(x.sum(0), t.sum(0).numpy()) > 0 and ulps(x.sum(1), t.sum(1).numpy()) > 0


@pytest.mark.parametrize("case", [("sum", 0), ("sum", 1), ("sum", None), ("mean", 0),
                                  ("mean", None), ("sum", (1, 2)), ("mean", (0, 1)),
                                  ("sum", -1), ("mean", 1)])
def test_sum_and_mean_ops_match_torch_bits(case):
    torch = pytest.importorskip("torch")
    if _torch_lanes(torch, 4) != K.vector_bytes() // 4:
        pytest.skip("this torch build vectorizes with another width than the CPU flags say")
    name, dim = case
    x = np.random.default_rng(3).normal(size=(48, 20, 24)).astype(np.float32)
    for keepdim in (False, True):
        kw = {} if dim is None else {"dim": dim, "keepdim": keepdim}
        a = getattr(nnlite.tensor(x), name)(**kw)
        b = getattr(torch.tensor(x), name)(**kw)
        assert tuple(a.shape) == tuple(b.shape)
        assert ulps(a.numpy(), b.numpy()) == 0


def test_non_adjacent_and_integer_sums_still_exact():
    x = np.arange(60, dtype=np.int64).reshape(3, 4, 5)
    assert nnlite.tensor(x).sum((0, 2)).tolist() == x.sum((0, 2)).tolist()
    f = np.random.default_rng(0).normal(size=(3, 4, 5))
    np.testing.assert_allclose(nnlite.tensor(f).sum((0, 2)).numpy(), f.sum((0, 2)), rtol=1e-12)


def test_one_compiled_version_per_dtype():
    """Every axis, width and row count runs through one specialization of each of the two
    kernels (the compile is paid once per clone): no helper compiled per argument type or
    literal. Dim-0 sums of 2+ columns (bias gradients) need only ``_sum_cols``."""
    if not hasattr(K.sum_2d, "signatures"):
        pytest.skip("NUMBA_DISABLE_JIT: nothing is compiled")
    for shape in [(64, 128), (64, 10), (9, 1), (3, 5), (1000, 37), (5, 200)]:
        x = np.ones(shape, np.float32)
        K.sum_outer(x, 8, np.empty(shape[1], np.float32))
        K.sum_inner(x, 8, np.empty(shape[0], np.float32))
    K.sum_all(np.ones(70000, np.float32), 8, 2)
    for kernel in (K.sum_2d, K._sum_cols):
        f32 = [s for s in kernel.signatures if "float32" in str(s[0])]
        assert len(f32) == 1, f32
    compiled = [n for n in dir(K) if getattr(getattr(K, n), "signatures", None)]
    assert compiled == ["_sum_cols", "sum_2d"], compiled  # _cascade is inlined into sum_2d


def test_a_bias_gradient_compiles_only_the_column_kernel():
    """The default run's sums (dim 0 of (batch, features), 2+ features) leave ``sum_2d``
    uncompiled: a fresh process, a fresh numba cache."""
    import os
    import subprocess
    import sys
    import tempfile

    code = ("import numpy as np\n"
            "from nnlite.kernels import summation as K\n"
            "x = np.random.default_rng(0).normal(size=(64, 128)).astype(np.float32)\n"
            "o = np.empty(128, np.float32)\n"
            "K.sum_outer(x, 8, o)\n"
            "assert (o == K.sum_outer_ref(x, 8)).all()\n"
            "print(len(K._sum_cols.signatures), len(K.sum_2d.signatures))\n")
    if not hasattr(K.sum_2d, "signatures"):
        pytest.skip("NUMBA_DISABLE_JIT: nothing is compiled")
    with tempfile.TemporaryDirectory() as tmp:
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                             timeout=240, check=False, env=dict(os.environ, NUMBA_CACHE_DIR=tmp))
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["1", "0"]
