"""Exponential, Laplace, Gumbel, HalfNormal, LogNormal against torch.distributions: seeded
samples, log_prob, cdf/icdf, moments, entropy, rsample gradients, KL pairs, validation."""

import numpy as np
import pytest

import nnlite

torch = pytest.importorskip("torch")

ARGS = {
    "Exponential": lambda L: (L.tensor([0.5, 2.0, 3.0]),),
    "Laplace": lambda L: (L.tensor([0.0, 1.0, -2.0]), L.tensor([1.0, 0.5, 3.0])),
    "Gumbel": lambda L: (L.tensor([0.0, 1.0, -1.0]), L.tensor([1.0, 2.0, 0.3])),
    "HalfNormal": lambda L: (L.tensor([1.0, 0.3, 2.0]),),
    "LogNormal": lambda L: (L.tensor([0.0, 1.0, -0.5]), L.tensor([0.5, 0.2, 1.0])),
}


def _stats(L, name, dtype):
    L.manual_seed(0)
    args = [a.to(dtype) for a in ARGS[name](L)]
    for a in args:
        a.requires_grad_()
    d = getattr(L.distributions, name)(*args)
    s = d.sample((4,))
    r = d.rsample((2,))
    r.sum().backward()
    out = [s, d.log_prob(s), d.entropy(), d.mean, d.variance, d.stddev, d.mode,
           d.cdf(s), d.icdf(L.tensor([0.3, 0.6, 0.9], dtype=dtype)), r]
    return [x.detach().numpy() for x in out] + [a.grad.numpy() for a in args]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", sorted(ARGS))
def test_matches_torch(name, dtype):
    a = _stats(torch, name, getattr(torch, dtype))
    b = _stats(nnlite, name, getattr(nnlite, dtype))
    for i, (x, y) in enumerate(zip(a, b)):
        assert x.dtype == y.dtype and x.shape == y.shape, i
        np.testing.assert_allclose(y, x, rtol=2e-6 if dtype == "float32" else 1e-13,
                                   atol=1e-7 if dtype == "float32" else 1e-14, err_msg=str(i))


def test_sample_moments_closed_form():
    nnlite.manual_seed(1)
    for d in (nnlite.distributions.Exponential(nnlite.tensor(2.0, dtype=nnlite.float64)),
              nnlite.distributions.Laplace(1.0, 0.5),
              nnlite.distributions.Gumbel(0.5, 2.0),
              nnlite.distributions.HalfNormal(1.5),
              nnlite.distributions.LogNormal(0.0, 0.25)):
        s = d.sample((40000,)).double()
        assert abs(s.mean().item() - d.mean.item()) < 5 * d.stddev.item() / 200, d
        assert abs(s.var().item() / d.variance.item() - 1) < 0.06, d


@pytest.mark.parametrize("name", sorted(ARGS))
def test_kl_matches_torch(name):
    res = []
    for L in (torch, nnlite):
        p = getattr(L.distributions, name)(*ARGS[name](L))
        q = getattr(L.distributions, name)(*[a * 1.3 + 0.1 for a in ARGS[name](L)])
        res.append(L.distributions.kl_divergence(p, q).numpy())
    np.testing.assert_allclose(res[1], res[0], rtol=1e-5, atol=1e-7)


def test_validation_as_torch():
    for L in (torch, nnlite):
        with pytest.raises(ValueError):
            L.distributions.Exponential(L.tensor([-1.0]))
        with pytest.raises(ValueError):
            L.distributions.Laplace(L.tensor([0.0]), L.tensor([0.0]))
        with pytest.raises(ValueError):
            L.distributions.Exponential(L.tensor([1.0])).log_prob(L.tensor([-0.5]))
