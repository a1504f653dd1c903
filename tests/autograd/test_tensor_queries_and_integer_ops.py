"""Tensor.nbytes/itemsize/is_same_size/new, gcd/lcm, and the multinomial/bernoulli methods,
against torch."""

import numpy as np
import pytest

import nnlite

torch = pytest.importorskip("torch")


@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "int32", "bool", "uint8"])
def test_sizes_as_torch(dtype):
    for lib in (torch, nnlite):
        x = lib.zeros(3, 5, dtype=getattr(lib, dtype))
        assert x.itemsize == np.dtype(dtype).itemsize and x.nbytes == 15 * x.itemsize
        assert x.is_same_size(lib.ones(3, 5)) and not x.is_same_size(x.t())
        with pytest.raises(TypeError, match="must be Tensor"):
            x.is_same_size(3)


def test_new_as_torch():
    out = {}
    for lib in (torch, nnlite):
        x = lib.ones(2, 3, dtype=lib.float64)
        out[lib.__name__] = [
            (tuple(x.new(2, 3).shape), str(x.new(2, 3).dtype)),
            x.new([1, 2]).numpy().tolist(), str(x.new([1, 2]).dtype),
            x.new((2, 3)).numpy().tolist(),
            tuple(x.new(lib.Size([4])).shape), tuple(x.new().shape),
            tuple(lib.zeros(2, dtype=lib.int64).new([[1, 2]]).shape),
        ]
        with pytest.raises(TypeError):
            x.new(2.5)
    assert out["torch"] == out["nnlite"]


def test_gcd_lcm_as_torch():
    rng = np.random.default_rng(0)
    a, b = rng.integers(-30, 30, (4, 5)), rng.integers(-30, 30, (5,))
    for fn in ("gcd", "lcm"):
        t = getattr(torch, fn)(torch.tensor(a), torch.tensor(b)).numpy()
        n = getattr(nnlite, fn)(nnlite.tensor(a), nnlite.tensor(b))
        np.testing.assert_array_equal(n.numpy(), t)
        assert n.dtype == nnlite.int64
        m = nnlite.tensor(a.astype(np.int32))
        getattr(m, fn + "_")(nnlite.tensor(b.astype(np.int32)))
        np.testing.assert_array_equal(m.numpy(), t)
        for lib in (torch, nnlite):
            with pytest.raises(NotImplementedError, match=f'"{fn}_cpu" not implemented for'):
                getattr(lib, fn)(lib.ones(2), lib.ones(2))
    assert nnlite.gcd(nnlite.tensor(12), nnlite.tensor(18)).item() == 6  # closed form
    assert nnlite.lcm(nnlite.tensor(4), nnlite.tensor(6)).item() == 12


def test_random_methods_seeded_as_torch():
    res = []
    for lib in (torch, nnlite):
        lib.manual_seed(5)
        p = lib.rand(3, 6)
        res.append([p.multinomial(4).numpy(), p.multinomial(9, replacement=True).numpy(),
                    p.bernoulli().numpy(), p.bernoulli(0.25).numpy()])
    for a, b in zip(*res):
        np.testing.assert_array_equal(b, a)
