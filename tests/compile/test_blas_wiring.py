"""The matrix products of eager ``linear``/``mm`` and of captured plans all go through
``nnlite._blas.matmul``, so whatever it chooses per shape (MKL, OpenBLAS on fewer threads), a
captured step stays bit-identical to eager and the eager results are the chosen library's."""

from __future__ import annotations

import numpy as np
import pytest

import nnlite
from nnlite import _blas, nn, optim
from nnlite.nn import functional as F
from tests.compile.harness import batches_for, compare_modes


@pytest.fixture
def auto(monkeypatch, tmp_path):
    monkeypatch.setenv("NNLITE_BLAS", "auto")
    monkeypatch.setenv("NNLITE_BLAS_CACHE", str(tmp_path / "blas.json"))
    monkeypatch.setattr(_blas, "_choice", {})
    monkeypatch.setattr(_blas, "_fast", {})
    monkeypatch.setattr(_blas, "_loaded_cache", False)
    monkeypatch.setattr(_blas, "_lib", None)
    return monkeypatch


def _spy(monkeypatch, name):
    calls = []
    real = getattr(_blas, name)

    def spy(*a, **k):
        calls.append(1)
        return real(*a, **k)

    monkeypatch.setattr(_blas, name, spy)
    return calls, real


def _mlp():
    return nn.MLP(12, (24, 16), 5, norm="batchnorm", activation="relu")


@pytest.mark.parametrize("opt", ["sgd", "adam"])
def test_captured_equals_eager_on_mkl(auto, opt):
    if _blas.mkl() is None:
        pytest.skip("the mkl extra is not installed")
    auto.setenv("NNLITE_BLAS", "mkl")
    calls, _ = _spy(auto, "mkl_matmul")
    make_opt = ((lambda ps: optim.SGD(ps, lr=0.05, momentum=0.9, fused=True)) if opt == "sgd"
                else (lambda ps: optim.Adam(ps, lr=1e-2, fused=True)))
    compare_modes(_mlp, make_opt, batches_for(12, 5, 16, count=2), steps=3)
    assert calls  # the products really ran on MKL, eager and captured


def test_captured_equals_eager_with_fewer_threads_per_shape(auto):
    """Every class chosen as 'OpenBLAS on one thread' while two are in force: the thread
    switch happens in eager and captured products alike."""
    if _blas._openblas() is None:
        pytest.skip("numpy's OpenBLAS thread control was not found")
    auto.setattr(_blas, "_blas_threads", 2)
    auto.setattr(_blas, "_candidates", lambda t, small=False: [("openblas", t), ("openblas", 1)])
    auto.setattr(_blas, "_time_candidates",
                 lambda cands, *a: {c: (0.5 if c[1] == 1 else 1.0) for c in cands})
    set_threads, get_threads = _blas._openblas()
    before = get_threads()
    set_threads(2)
    seen = []
    real = np.matmul

    def spy(*a, **k):
        if a[0].ndim == 2 and a[1].ndim == 2:  # the GEMMs (bias gradients are gemv)
            seen.append(get_threads())
        return real(*a, **k)

    auto.setattr(_blas.np, "matmul", spy)
    try:
        compare_modes(_mlp, lambda ps: optim.SGD(ps, lr=0.05, momentum=0.9, fused=True),
                      batches_for(12, 5, 16, count=2), steps=3)
    finally:
        auto.setattr(_blas.np, "matmul", real)
        set_threads(before)
    assert seen and set(seen) == {1}


def test_eager_linear_and_mm_use_the_chosen_blas(auto):
    if _blas.mkl() is None:
        pytest.skip("the mkl extra is not installed")
    auto.setenv("NNLITE_BLAS", "mkl")
    rng = np.random.default_rng(0)
    xa = rng.standard_normal((9, 7)).astype(np.float32)
    wa = rng.standard_normal((5, 7)).astype(np.float32)
    x = nnlite.from_numpy(xa).requires_grad_()
    w = nnlite.from_numpy(wa).requires_grad_()
    y = F.linear(x, w)
    assert y.detach().numpy().tobytes() == _blas.mkl_matmul(xa, wa.T).tobytes()
    g = rng.standard_normal((9, 5)).astype(np.float32)
    y.backward(nnlite.from_numpy(g))
    assert w.grad.numpy().tobytes() == _blas.mkl_matmul(g.T, xa).tobytes()
    assert x.grad.numpy().tobytes() == _blas.mkl_matmul(g, wa).tobytes()
    z = x.detach().mm(w.detach().t())
    assert z.numpy().tobytes() == _blas.mkl_matmul(xa, wa.T).tobytes()
    # float32 stays float32, and agrees with a float64 product to float tolerance
    assert y.dtype == nnlite.float32
    np.testing.assert_allclose(y.detach().numpy(), xa.astype(np.float64) @ wa.T.astype(np.float64),
                               rtol=1e-5, atol=1e-5)


def test_openblas_mode_is_numpy_bit_for_bit_in_eager_linear(monkeypatch):
    monkeypatch.setenv("NNLITE_BLAS", "openblas")
    monkeypatch.setattr(_blas, "_fast", {})
    rng = np.random.default_rng(1)
    xa = rng.standard_normal((9, 7)).astype(np.float32)
    wa = rng.standard_normal((5, 7)).astype(np.float32)
    y = F.linear(nnlite.from_numpy(xa), nnlite.from_numpy(wa))
    assert y.numpy().tobytes() == (xa @ wa.T).tobytes()


class _FakeOpenBLAS:
    """Stands in for numpy's OpenBLAS thread control: records each switch."""

    def __init__(self, n):
        self.n = n
        self.switches = []

    def set(self, n):
        self.switches.append(n)
        self.n = n

    def get(self):
        return self.n


@pytest.mark.parametrize("one_thread", ["all", "wide"])
def test_a_plan_switches_openblas_once_per_function(auto, one_thread):
    """Products chosen at one thread while two are in force: a captured plan's functions
    switch OpenBLAS once each (not twice per product), every product runs at its chosen count
    (``wide``: the products with 24 outputs stay at two), and OpenBLAS is back at two after
    each function; eager vs captured bit for bit."""
    fake = _FakeOpenBLAS(2)
    auto.setattr(_blas, "_ob", (fake.set, fake.get))
    auto.setattr(_blas, "_blas_threads", 2)

    def decide(a, b, out, key):
        one = one_thread == "all" or 24 not in (a.shape[1], b.shape[1])
        how = (False, 1) if one else _blas._NUMPY
        _blas._fast[key] = how
        return how

    auto.setattr(_blas, "_decide", decide)
    seen = []
    real = np.matmul

    def spy(*a, **k):
        if a[0].ndim == 2 and a[1].ndim == 2:
            one = one_thread == "all" or 24 not in (a[0].shape[1], a[1].shape[1])
            seen.append((fake.n, 1 if one else 2))
        return real(*a, **k)

    auto.setattr(_blas.np, "matmul", spy)
    nets = compare_modes(_mlp, lambda ps: optim.SGD(ps, lr=0.05, momentum=0.9, fused=True),
                         batches_for(12, 5, 16, count=2), steps=3, modes=("module",))
    assert seen and all(got == want for got, want in seen), seen
    assert fake.n == 2
    # one more compiled step, counted: the forward and the backward each switch to one thread
    # and back (per product without the scope: 2 per product, 12 for the 6 products)
    net = nets["module"]
    x, y = batches_for(12, 5, 16, count=1)[0]
    fake.switches.clear()
    F.cross_entropy(net(x), y).backward()
    assert fake.n == 2
    if one_thread == "all":
        assert fake.switches == [1, 2, 1, 2]
    else:
        # forward: 24-wide, 24-wide, then one thread (switch), exit (back); backward: two at
        # one thread (switch), two 24-wide (back), one at one thread (switch), exit (back)
        assert fake.switches == [1, 2, 1, 2, 1, 2]


def test_product_scope_restores_openblas_on_error(monkeypatch):
    fake = _FakeOpenBLAS(2)
    monkeypatch.setattr(_blas, "_ob", (fake.set, fake.get))
    monkeypatch.setattr(_blas, "_blas_threads", 2)
    monkeypatch.setattr(_blas, "_fast", {})
    a = np.ones((3, 3), np.float32)
    key = (a.shape, a.shape, a.strides, a.strides, a.dtype, True)
    _blas._fast[key] = (False, 1)
    _blas.enter_scope()
    try:
        _blas.enter_scope()  # nested: only the outermost exit restores
        try:
            np.testing.assert_array_equal(_blas.matmul(a, a), a @ a)
            _blas.matmul(a, a)
            assert fake.switches == [1]
        finally:
            _blas.exit_scope()
        assert fake.n == 1
        raise KeyError("inside")
    except KeyError:
        pass
    finally:
        _blas.exit_scope()
    assert fake.n == 2 and fake.switches == [1, 2] and _blas._held is None
    _blas.matmul(a, a)  # outside a scope: switch and back per product
    assert fake.switches == [1, 2, 1, 2]
