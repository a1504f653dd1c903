"""nnlite._blas: MKL's CBLAS products agree with numpy's, the per-shape-class choice is cached
per machine and NNLITE_BLAS overrides it."""

from __future__ import annotations

import json

import numpy as np
import pytest

from nnlite import _blas


@pytest.fixture
def fresh(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.delenv("NNLITE_BLAS", raising=False)
    monkeypatch.setattr(_blas, "_choice", {})
    monkeypatch.setattr(_blas, "_loaded_cache", False)
    monkeypatch.setattr(_blas, "_lib", None)
    return tmp_path


def _need_mkl():
    if _blas.mkl() is None:
        pytest.skip("the mkl extra is not installed")


@pytest.mark.parametrize("dt", [np.float32, np.float64])
@pytest.mark.parametrize("ta,tb", [(False, False), (True, False), (False, True)])
def test_mkl_matmul_matches_numpy(fresh, dt, ta, tb):
    _need_mkl()
    rng = np.random.default_rng(0)
    a = rng.standard_normal((7, 5) if not ta else (5, 7)).astype(dt)
    b = rng.standard_normal((5, 3) if not tb else (3, 5)).astype(dt)
    a, b = (a.T if ta else a), (b.T if tb else b)
    got = _blas.mkl_matmul(a, b)
    assert got.dtype == dt
    np.testing.assert_allclose(got, a.astype(np.float64) @ b.astype(np.float64),
                               rtol=1e-5 if dt == np.float32 else 1e-12)
    with pytest.raises(AssertionError):  # the check above can fail
        np.testing.assert_allclose(got + 1e-3, a @ b, rtol=1e-5)


def test_choice_is_cached_and_overridable(fresh, monkeypatch):
    _need_mkl()
    c = _blas.choose(16, 784, 512, np.float32, threads=1)
    assert c in ("openblas", "mkl")
    data = json.loads((fresh / "nnlite" / "blas.json").read_text())
    assert data["choice"][_blas.shape_class(16, 784, 512, np.float32, 1)] == c
    # a new process reads the cache instead of timing: flip the stored choice and see it used
    other = "openblas" if c == "mkl" else "mkl"
    data["choice"][_blas.shape_class(16, 784, 512, np.float32, 1)] = other
    (fresh / "nnlite" / "blas.json").write_text(json.dumps(data))
    monkeypatch.setattr(_blas, "_choice", {})
    monkeypatch.setattr(_blas, "_loaded_cache", False)
    assert _blas.choose(16, 784, 512, np.float32, threads=1) == other
    monkeypatch.setenv("NNLITE_BLAS", "openblas")
    assert _blas.choose(16, 784, 512, np.float32, threads=1) == "openblas"


def test_without_mkl_matmul_is_numpy(fresh, monkeypatch):
    monkeypatch.setenv("NNLITE_BLAS", "openblas")
    a = np.arange(6, dtype=np.float32).reshape(2, 3)
    b = np.ones((3, 2), np.float32)
    assert _blas.mkl() is None
    assert _blas.matmul(a, b).tobytes() == (a @ b).tobytes()
    assert "no MKL" in _blas.describe()
