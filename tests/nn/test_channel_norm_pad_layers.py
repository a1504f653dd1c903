"""RMSNorm, LocalResponseNorm, ChannelShuffle, AlphaDropout/FeatureAlphaDropout and the 1-d/3-d
and circular padding layers against PyTorch: seeded values (dropout masks drawn as torch
draws them), gradients, reprs, state_dict keys, errors."""

import numpy as np
import pytest

import nnlite as nl
from nnlite import nn

torch = pytest.importorskip("torch")


def close(a, b, tol=1e-6):
    np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=tol, atol=tol)


def compare(name, args, kwargs, shape, train=True, seed=0):
    ours, theirs = getattr(nn, name)(*args, **kwargs), getattr(torch.nn, name)(*args, **kwargs)
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    ours.train(train)
    theirs.train(train)
    a = np.random.default_rng(seed).standard_normal(shape).astype(np.float32)
    xn, xt = nl.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    nl.manual_seed(seed)
    torch.manual_seed(seed)
    yn, yt = ours(xn), theirs(xt)
    close(yn, yt)
    if not name.startswith(("Reflection", "Replication", "Circular")):
        # (F.pad's non-constant modes: grad_fn names still pending, see GRAD_FN_PENDING)
        assert type(yn.grad_fn).__name__ == type(yt.grad_fn).__name__
    w = np.random.default_rng(seed + 1).standard_normal(tuple(yt.shape)).astype(np.float32)
    (yn * nl.tensor(w)).sum().backward()
    (yt * torch.tensor(w)).sum().backward()
    close(xn.grad, xt.grad, 1e-5)
    for p, q in zip(ours.parameters(), theirs.parameters()):
        close(p.grad, q.grad, 1e-5)


@pytest.mark.parametrize("name,args,kwargs,shape", [
    ("RMSNorm", ([3, 4],), {}, (2, 3, 4)),
    ("RMSNorm", (4,), {"eps": 1e-3, "elementwise_affine": False}, (5, 4)),
    ("LocalResponseNorm", (3,), {"alpha": 0.1, "beta": 0.5, "k": 2.0}, (2, 5, 3, 3)),
    ("LocalResponseNorm", (2,), {}, (2, 4, 6)),
    ("LocalResponseNorm", (4,), {}, (1, 6, 2, 2, 2)),
    ("ChannelShuffle", (3,), {}, (2, 6, 2, 2)),
    ("AlphaDropout", (0.3,), {}, (4, 5)),
    ("FeatureAlphaDropout", (0.4,), {}, (3, 4, 2, 2)),
    ("ZeroPad1d", ((1, 2),), {}, (2, 3, 4)),
    ("ZeroPad3d", (1,), {}, (1, 2, 2, 3, 3)),
    ("ConstantPad3d", ((1, 0, 2, 1, 0, 1), 0.5), {}, (1, 2, 2, 3, 3)),
    ("ReflectionPad3d", (1,), {}, (1, 2, 3, 3, 3)),
    ("ReplicationPad3d", ((1, 2, 0, 1, 2, 0),), {}, (1, 2, 3, 3, 3)),
    ("CircularPad1d", (2,), {}, (2, 3, 4)),
    ("CircularPad2d", ((1, 0, 2, 1),), {}, (1, 2, 3, 4)),
    ("CircularPad3d", (1,), {}, (1, 1, 2, 3, 3)),
])
def test_layer_matches_torch(name, args, kwargs, shape):
    compare(name, args, kwargs, shape)


def test_dropouts_are_identity_in_eval_and_rms_norm_default_eps():
    compare("AlphaDropout", (0.5,), {}, (3, 4), train=False)
    x = nl.full((2, 3), 1e-4)
    y = nl.nn.functional.rms_norm(x, (3,))
    close(y, torch.nn.functional.rms_norm(torch.full((2, 3), 1e-4), (3,)))


def test_errors_are_torchs():
    F = nl.nn.functional
    with pytest.raises(RuntimeError, match="Number of channels must be divisible by groups"):
        F.channel_shuffle(nl.zeros(1, 5, 2), 2)
    with pytest.raises(ValueError, match="Expected 3D or higher dimensionality input"):
        F.local_response_norm(nl.zeros(2, 3), 2)
    with pytest.raises(ValueError, match="dropout probability has to be between 0 and 1"):
        nn.AlphaDropout(1.5)
    with pytest.raises(RuntimeError, match="Given normalized_shape="):
        F.rms_norm(nl.zeros(2, 3), (4,))
