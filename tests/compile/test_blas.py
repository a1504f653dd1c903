"""nnlite._blas: the one function every matrix product of nnlite goes through.

What is tested: ``NNLITE_BLAS`` is honoured (openblas = numpy bit for bit, mkl = MKL's CBLAS,
anything else a clear error); the per-shape-class autotune keeps the fastest candidate only past
its margin (so on a machine where MKL loses, as on AMD, OpenBLAS stays), writes the choice to
the cache file, reads it back in a new process instead of timing, and survives a corrupt or
foreign cache; every path (MKL, OpenBLAS on fewer threads) agrees with numpy within float
tolerance in the operands' dtype; without MKL it is numpy. Timings are injected where a choice
is asserted (a real timing on a shared machine proves nothing)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from nnlite import _blas


@pytest.fixture
def fresh(monkeypatch, tmp_path):
    """auto mode, an empty cache dir, nothing decided yet (restored afterwards)."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setenv("NNLITE_BLAS", "auto")
    monkeypatch.delenv("NNLITE_BLAS_CACHE", raising=False)
    monkeypatch.setattr(_blas, "_choice", {})
    monkeypatch.setattr(_blas, "_fast", {})
    monkeypatch.setattr(_blas, "_loaded_cache", False)
    monkeypatch.setattr(_blas, "_lib", None)
    return tmp_path


def _need_mkl():
    if _blas.mkl() is None:
        pytest.skip("the mkl extra is not installed")


def _cache(tmp):
    return json.loads((tmp / "nnlite" / "blas.json").read_text())


def _operands(m, k, n, dt, ta=False, tb=False, seed=0):
    rng = np.random.default_rng(seed)
    a = rng.standard_normal((k, m) if ta else (m, k)).astype(dt)
    b = rng.standard_normal((n, k) if tb else (k, n)).astype(dt)
    return (a.T if ta else a), (b.T if tb else b)


def _close(got, a, b):
    dt = a.dtype
    assert got.dtype == dt
    ref = a.astype(np.float64) @ b.astype(np.float64)
    np.testing.assert_allclose(got, ref, rtol=1e-4 if dt == np.float32 else 1e-11,
                               atol=1e-4 if dt == np.float32 else 1e-11)


@pytest.mark.parametrize("dt", [np.float32, np.float64])
@pytest.mark.parametrize("ta,tb", [(False, False), (True, False), (False, True), (True, True)])
def test_mkl_matmul_matches_numpy(fresh, dt, ta, tb):
    _need_mkl()
    a, b = _operands(7, 5, 3, dt, ta, tb)
    got = _blas.mkl_matmul(a, b)
    _close(got, a, b)
    with pytest.raises(AssertionError):  # the check can fail
        _close(got + dt(1e-2), a, b)
    out = np.empty((7, 3), dt)
    assert _blas.mkl_matmul(a, b, out) is out
    _close(out, a, b)


def test_openblas_override_is_numpy_bit_for_bit(fresh, monkeypatch):
    monkeypatch.setenv("NNLITE_BLAS", "openblas")
    monkeypatch.setattr(_blas, "_time_candidates",
                        lambda *a: pytest.fail("NNLITE_BLAS=openblas must not time"))
    a, b = _operands(33, 17, 9, np.float32)
    assert _blas.matmul(a, b).tobytes() == np.matmul(a, b).tobytes()
    out = np.empty((33, 9), np.float32)
    assert _blas.matmul(a, b, out) is out and out.tobytes() == (a @ b).tobytes()
    assert _blas.choose(16, 784, 512, np.float32, 2) == ("openblas", 2)
    assert _blas.mkl() is None  # not even loaded
    assert not (fresh / "nnlite" / "blas.json").exists()


def test_mkl_override_sends_products_to_mkl(fresh, monkeypatch):
    _need_mkl()
    monkeypatch.setenv("NNLITE_BLAS", "mkl")
    calls = []
    real = _blas.mkl_matmul
    monkeypatch.setattr(_blas, "mkl_matmul", lambda a, b, out=None: calls.append(1) or real(a, b, out))
    a, b = _operands(20, 30, 10, np.float32, tb=True)
    got = _blas.matmul(a, b)
    assert calls == [1]
    _close(got, a, b)
    assert got.tobytes() == real(a, b).tobytes()
    # what MKL cannot take (integers, batched operands) stays numpy
    ia = np.arange(6).reshape(2, 3)
    assert (_blas.matmul(ia, ia.T) == ia @ ia.T).all() and calls == [1]
    x = np.ones((2, 3, 4), np.float32)
    assert _blas.matmul(x, np.ones((4, 5), np.float32)).shape == (2, 3, 5) and calls == [1]


def test_bad_override_is_a_clear_error(fresh, monkeypatch):
    monkeypatch.setenv("NNLITE_BLAS", "cublas")
    with pytest.raises(ValueError, match="NNLITE_BLAS must be one of openblas, mkl, auto"):
        _blas.matmul(np.ones((2, 2), np.float32), np.ones((2, 2), np.float32))


def _fake_times(times):
    """A _time_candidates that reports ``times`` ({(lib, threads): seconds}) for whatever it is
    asked, and records the calls."""
    calls = []

    def fake(cands, m, k, n, dtype, trans):
        calls.append((m, k, n, trans))
        return {c: times.get(c, 1.0) for c in cands}

    return fake, calls


def test_pick_keeps_the_default_inside_the_margin():
    d = ("openblas", 2)
    assert _blas.pick({d: 1.0, ("mkl", 2): 0.5}, d) == ("mkl", 2)
    assert _blas.pick({d: 1.0, ("mkl", 2): 1.0 / 1.04}, d) == d  # 4 % faster: noise, keep
    assert _blas.pick({d: 1.0, ("mkl", 2): 2.0, ("openblas", 1): 0.8}, d) == ("openblas", 1)
    assert _blas.pick({d: 1.0, ("mkl", 2): 1.3}, d) == d  # MKL loses (AMD): OpenBLAS


@pytest.mark.parametrize("mkl_faster", [False, True])
def test_autotune_caches_the_faster_and_a_new_process_reads_it(fresh, monkeypatch, mkl_faster):
    _need_mkl()
    t = _blas.blas_threads()
    times = {("openblas", t): 1.0, ("mkl", t): 0.5 if mkl_faster else 1.5}
    fake, calls = _fake_times(times)
    monkeypatch.setattr(_blas, "_time_candidates", fake)
    want = ("mkl", t) if mkl_faster else ("openblas", t)
    assert _blas.choose(16, 784, 512, np.float32, t, "nt") == want
    assert calls == [(16, 1024, 512, "nt")]  # timed once, on the class's power-of-two size
    assert _blas.choose(9, 1000, 300, np.float32, t, "nt") == want and len(calls) == 1
    data = _cache(fresh)
    assert data["choice"][_blas.shape_class(16, 784, 512, np.float32, t, "nt")] == list(want)
    assert data["cpu"] == _blas._cpu_id() and data["version"] == _blas._CACHE_VERSION
    # a new process: the cache answers, nothing is timed; flip the stored choice to see it used
    other = ("openblas", t) if mkl_faster else ("mkl", t)
    data["choice"][_blas.shape_class(16, 784, 512, np.float32, t, "nt")] = list(other)
    (fresh / "nnlite" / "blas.json").write_text(json.dumps(data))
    monkeypatch.setattr(_blas, "_choice", {})
    monkeypatch.setattr(_blas, "_loaded_cache", False)
    monkeypatch.setattr(_blas, "_time_candidates", lambda *a: pytest.fail("timed again"))
    assert _blas.choose(16, 784, 512, np.float32, t, "nt") == other
    # and matmul follows the choice
    a, b = _operands(16, 784, 512, np.float32, tb=True)
    monkeypatch.setattr(_blas, "_fast", {})
    used = []
    real = _blas.mkl_matmul
    monkeypatch.setattr(_blas, "mkl_matmul", lambda a, b, out=None: used.append(1) or real(a, b, out))
    _close(_blas.matmul(a, b), a, b)
    assert bool(used) == (other[0] == "mkl")


@pytest.mark.parametrize("content", [
    b"{not json", b"\xff\xfe\x00garbage", b"[1, 2, 3]", b'{"choice": "everything"}',
    b"", None,
])
def test_corrupt_or_foreign_cache_is_timed_again_and_rewritten(fresh, monkeypatch, content):
    t = _blas.blas_threads()
    path = fresh / "nnlite" / "blas.json"
    path.parent.mkdir(parents=True)
    if content is None:  # valid JSON, but from another machine, with a bad entry too
        key = _blas.shape_class(64, 64, 64, np.float32, t, "nn")
        path.write_text(json.dumps(dict(_blas._machine(), cpu="Some Other CPU",
                                        choice={key: ["mkl", t], "x": ["bogus", 0]})))
    else:
        path.write_bytes(content)
    fake, calls = _fake_times({("openblas", t): 1.0})
    monkeypatch.setattr(_blas, "_time_candidates", fake)
    monkeypatch.setattr(_blas, "_candidates", lambda threads, small=False: [("openblas", threads),
                                                               ("openblas", 1)])
    assert _blas.choose(64, 64, 64, np.float32, t) == ("openblas", t)
    assert len(calls) == 1
    data = _cache(fresh)  # rewritten, valid, for this machine
    assert data["cpu"] == _blas._cpu_id()
    assert data["choice"] == {_blas.shape_class(64, 64, 64, np.float32, t, "nn"): ["openblas", t]}


def test_cache_path_override(fresh, monkeypatch):
    target = fresh / "elsewhere" / "choices.json"
    monkeypatch.setenv("NNLITE_BLAS_CACHE", str(target))
    fake, _ = _fake_times({})
    monkeypatch.setattr(_blas, "_time_candidates", fake)
    monkeypatch.setattr(_blas, "_candidates", lambda threads, small=False: [("openblas", threads),
                                                               ("openblas", 1)])
    _blas.choose(8, 8, 8, np.float32, 2)
    assert json.loads(target.read_text())["choice"]
    assert not (fresh / "nnlite" / "blas.json").exists()


def test_unwritable_cache_dir_only_means_timing_again(fresh, monkeypatch):
    blocker = fresh / "file"
    blocker.write_text("")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))  # a file where the dir should be
    fake, calls = _fake_times({})
    monkeypatch.setattr(_blas, "_time_candidates", fake)
    monkeypatch.setattr(_blas, "_candidates", lambda threads, small=False: [("openblas", threads),
                                                               ("openblas", 1)])
    assert _blas.choose(8, 8, 8, np.float32, 2)[0] == "openblas" and len(calls) == 1


def test_fewer_threads_choice_agrees_with_numpy_and_restores_the_count(fresh, monkeypatch):
    if _blas._openblas() is None:
        pytest.skip("numpy's OpenBLAS thread control was not found")
    monkeypatch.setattr(_blas, "_blas_threads", 2)
    fake, _ = _fake_times({("openblas", 2): 1.0, ("openblas", 1): 0.5})
    monkeypatch.setattr(_blas, "_time_candidates", fake)
    monkeypatch.setattr(_blas, "_candidates", lambda threads, small=False: [("openblas", threads),
                                                               ("openblas", 1)])
    set_threads, get_threads = _blas._openblas()
    before = get_threads()
    set_threads(2)
    try:
        seen = []
        real = np.matmul

        def spy(*args, **kw):
            seen.append(get_threads())
            return real(*args, **kw)

        monkeypatch.setattr(_blas.np, "matmul", spy)
        a, b = _operands(40, 30, 20, np.float32, ta=True)
        got = _blas.matmul(a, b)
        monkeypatch.setattr(_blas.np, "matmul", real)
        assert seen == [1]  # ran on one thread
        assert get_threads() == 2  # and the count in force is back
        assert got.tobytes() == (a @ b).tobytes()
    finally:
        set_threads(before)


def test_without_mkl_matmul_is_numpy(fresh, monkeypatch):
    monkeypatch.setattr(_blas, "_find_mkl", lambda: None)
    assert _blas.mkl() is None
    assert ("mkl", 1) not in _blas._candidates(1) and _blas._candidates(1) == [("openblas", 1)]
    monkeypatch.setattr(_blas, "_blas_threads", 1)
    monkeypatch.setattr(_blas, "_time_candidates", lambda *a: pytest.fail("nothing to time"))
    for dt in (np.float32, np.float64):
        a, b = _operands(12, 7, 5, dt, tb=True)
        assert _blas.matmul(a, b).tobytes() == (a @ b).tobytes()
    assert "no MKL" in _blas.describe()


def test_real_autotune_gives_a_valid_choice_and_correct_products(fresh):
    """Untampered: whatever this machine's timing picks, the products are right (float32
    stays float32) and the choice is recorded."""
    for m, k, n, ta, tb in [(16, 78, 51, False, True), (50, 16, 78, True, False),
                            (64, 64, 64, False, False)]:
        for dt in (np.float32, np.float64):
            a, b = _operands(m, k, n, dt, ta, tb)
            _close(_blas.matmul(a, b), a, b)
            out = np.empty((m, n), dt)
            _close(_blas.matmul(a, b, out), a, b)
    for lib, nt in _blas.choices().values():
        assert lib in ("openblas", "mkl") and nt >= 1


def test_paired_figures_follow_the_typical_round_not_the_luckiest():
    d, alt = ("openblas", 2), ("openblas", 1)
    # alt is 20 % faster in every quiet round; one loaded round slows both 10x
    seen = {d: [1.0, 1.0, 10.0, 1.0, 1.0], alt: [0.8, 0.8, 8.0, 0.8, 0.8]}
    fig = _blas.paired(seen, d)
    assert fig[d] == 1.0 and abs(fig[alt] - 0.8) < 1e-12
    assert _blas.pick(fig, d) == alt
    # best-of would crown alt from a single lucky round; paired ratios do not
    lucky = {d: [1.0, 1.0, 1.0, 1.0, 1.0], alt: [1.1, 1.1, 0.3, 1.1, 1.1]}
    assert min(lucky[alt]) < min(lucky[d])  # the trap best-of falls into
    assert _blas.pick(_blas.paired(lucky, d), d) == d


def test_small_classes_run_on_one_thread_untimed(fresh, monkeypatch):
    """Under SMALL_FLOPS the product runs on one thread whatever the count in force, with no
    timing when there is nothing else to choose from (no MKL)."""
    if _blas._openblas() is None:
        pytest.skip("numpy's OpenBLAS thread control was not found")
    monkeypatch.setattr(_blas, "_find_mkl", lambda: None)
    monkeypatch.setattr(_blas, "_time_candidates", lambda *a: pytest.fail("timed a small class"))
    assert _blas.is_small(64, 128, 128) and _blas.is_small(64, 256, 128)
    assert _blas.is_small(16, 512, 256)
    # batch 16's skinny 16x784x512 gains from a second thread: timed, not pinned to one
    assert not _blas.is_small(256, 784, 512) and not _blas.is_small(16, 784, 512)
    assert _blas.choose(64, 128, 128, np.float32, 2, "nt") == ("openblas", 1)
    assert _blas.choose(64, 256, 128, np.float32, 2, "nt") == ("openblas", 1)
    assert _blas.choose(64, 128, 128, np.float32, 1, "nt") == ("openblas", 1)
    # a large class is still timed (at the count in force and on one thread)
    fake, calls = _fake_times({("openblas", 2): 1.0, ("openblas", 1): 2.0})
    monkeypatch.setattr(_blas, "_time_candidates", fake)
    assert _blas.choose(256, 784, 512, np.float32, 2, "nt") == ("openblas", 2)
    assert calls == [(256, 1024, 512, "nt")]


def test_small_class_with_mkl_times_only_one_thread_candidates(fresh, monkeypatch):
    _need_mkl()
    if _blas._openblas() is None:
        pytest.skip("numpy's OpenBLAS thread control was not found")
    asked = []

    def fake(cands, *a):
        asked.append(list(cands))
        return {c: 1.0 for c in cands}

    monkeypatch.setattr(_blas, "_time_candidates", fake)
    assert _blas.choose(64, 128, 128, np.float32, 2, "nt") == ("openblas", 1)
    assert asked == [[("openblas", 1), ("mkl", 1)]]
    # one choice for every thread count: the 1-thread run reuses it, untimed
    assert _blas.choose(64, 128, 128, np.float32, 1, "nt") == ("openblas", 1) and len(asked) == 1


def test_two_threads_in_force_run_a_small_step_on_one_and_bit_identically(fresh, monkeypatch):
    """Two threads in force: every GEMM of a small MLP's training step runs on one OpenBLAS
    thread (the worker is never woken), untimed, the count in force is restored after each,
    and the run is bit-identical to the same run at one thread. MKL is left out: with it a
    small class times OpenBLAS against MKL on one thread, a timing-dependent choice."""
    if _blas._openblas() is None:
        pytest.skip("numpy's OpenBLAS thread control was not found")
    monkeypatch.setattr(_blas, "_find_mkl", lambda: None)
    monkeypatch.setattr(_blas, "_time_candidates", lambda *a: pytest.fail("timed a small class"))
    import nnlite
    from nnlite import nn, optim
    from nnlite.nn import functional as F

    get_threads = _blas._openblas()[1]
    seen = []
    real = np.matmul

    def spy(*a, **k):
        if a[0].ndim == 2 and a[1].ndim == 2:
            seen.append(get_threads())
        return real(*a, **k)

    def run(threads):
        nnlite.set_num_threads(threads)
        nnlite.manual_seed(0)
        model = nn.MLP(64, (128, 128), 10, norm="batchnorm", activation="relu")
        opt = optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
        rng = np.random.default_rng(0)
        for _ in range(3):
            x = nnlite.from_numpy(rng.standard_normal((64, 64), dtype=np.float32))
            y = nnlite.from_numpy(rng.integers(0, 10, 64))
            opt.zero_grad()
            F.cross_entropy(model(x), y).backward()
            opt.step()
        return [p.detach().numpy().tobytes() for p in model.parameters()]

    before = nnlite.get_num_threads()
    try:
        one = run(1)
        monkeypatch.setattr(_blas.np, "matmul", spy)
        two = run(2)
        monkeypatch.setattr(_blas.np, "matmul", real)
        assert get_threads() == 2
    finally:
        monkeypatch.setattr(_blas.np, "matmul", real)
        nnlite.set_num_threads(before)
    assert seen and set(seen) == {1}
    assert one == two
