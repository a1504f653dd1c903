"""F.gumbel_softmax: seeded like torch (same draws), hard one-hot with the soft gradient."""

import numpy as np
import pytest

import nnlite

torch = pytest.importorskip("torch")


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("kw", [{}, {"tau": 0.3}, {"hard": True}, {"hard": True, "dim": 0,
                                                                   "tau": 2.0}])
def test_same_samples_and_grads_as_torch(kw, dtype):
    res = []
    for lib in (torch, nnlite):
        lib.manual_seed(7)
        x = lib.randn(4, 6, dtype=getattr(lib, dtype), requires_grad=True)
        y = lib.nn.functional.gumbel_softmax(x, **kw)
        (y * lib.arange(6.0, dtype=x.dtype)).sum().backward()
        res.append((y.detach().numpy(), x.grad.numpy(), type(y.grad_fn).__name__))
    (ty, tg, tn), (ny, ng, nn_) = res
    np.testing.assert_allclose(ny, ty, rtol=1e-6 if dtype == "float32" else 1e-13)
    np.testing.assert_allclose(ng, tg, rtol=1e-5 if dtype == "float32" else 1e-12, atol=1e-7)
    assert nn_ == tn


def test_hard_is_one_hot_with_the_soft_gradient():
    nnlite.manual_seed(0)
    x = nnlite.randn(5, 3, dtype=nnlite.float64, requires_grad=True)
    nnlite.manual_seed(1)
    soft = nnlite.nn.functional.gumbel_softmax(x, tau=0.5)
    nnlite.manual_seed(1)
    hard = nnlite.nn.functional.gumbel_softmax(x, tau=0.5, hard=True)
    h = hard.detach().numpy()
    assert set(np.unique(h)) == {0.0, 1.0} and (h.sum(1) == 1).all()
    assert (h.argmax(1) == soft.detach().numpy().argmax(1)).all()
    w = nnlite.randn(5, 3, dtype=nnlite.float64)
    gs = nnlite.autograd.grad((soft * w).sum(), x)[0]
    gh = nnlite.autograd.grad((hard * w).sum(), x)[0]
    np.testing.assert_allclose(gh.numpy(), gs.numpy(), rtol=1e-12)


def test_eps_is_deprecated_as_in_torch():
    for lib in (torch, nnlite):
        with pytest.warns(UserWarning, match="`eps` parameter is deprecated"):
            lib.nn.functional.gumbel_softmax(lib.zeros(2, 3), eps=1e-5)
