"""F.unfold / F.fold and nn.Unfold / nn.Fold against PyTorch: values over kernel, dilation,
padding and stride, unbatched inputs, grad_fn names, gradients, reprs and torch's errors."""

import numpy as np
import pytest

import nnlite as nl
from nnlite import nn

torch = pytest.importorskip("torch")

GEOMS = [dict(kernel_size=2), dict(kernel_size=(2, 3), dilation=(2, 1), padding=1, stride=2),
         dict(kernel_size=3, padding=(0, 2), stride=(1, 3))]


def close(a, b):
    np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("kw", GEOMS)
@pytest.mark.parametrize("batched", [True, False])
def test_unfold_then_fold_match_torch(kw, batched):
    a = np.random.default_rng(0).standard_normal((2, 3, 6, 7) if batched else (3, 6, 7))
    xn, xt = nl.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    un, ut = nn.Unfold(**kw), torch.nn.Unfold(**kw)
    assert repr(un) == repr(ut)
    cn, ct = un(xn), ut(xt)
    close(cn, ct)
    assert type(cn.grad_fn).__name__ == type(ct.grad_fn).__name__
    fn, ft = nn.Fold((6, 7), **kw), torch.nn.Fold((6, 7), **kw)
    assert repr(fn) == repr(ft)
    yn, yt = fn(cn * 2.0), ft(ct * 2.0)
    close(yn, yt)
    assert type(yn.grad_fn).__name__ == type(yt.grad_fn).__name__
    w = np.random.default_rng(1).standard_normal(tuple(yt.shape))
    (yn * nl.tensor(w)).sum().backward()
    (yt * torch.tensor(w)).sum().backward()
    close(xn.grad, xt.grad)


def test_errors_are_torchs():
    F = nl.nn.functional
    with pytest.raises(RuntimeError, match="Expected 3D or 4D \\(batch mode\\) tensor"):
        F.unfold(nl.zeros(1, 1, 2, 3, 3), 2)
    with pytest.raises(RuntimeError, match="divisible by the product of kernel_size"):
        F.fold(nl.zeros(1, 5, 12), (4, 5), 2)
    with pytest.raises(RuntimeError, match="calculated number of sliding blocks 3 \\* 4 = 12"):
        F.fold(nl.zeros(1, 4, 10), (4, 5), 2)
    with pytest.raises(RuntimeError, match="must be at least one"):
        F.unfold(nl.zeros(1, 1, 2, 2), 3)
