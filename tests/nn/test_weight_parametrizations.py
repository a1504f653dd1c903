"""weight_norm / spectral_norm (hook-based and as parametrizations) and nn.utils.parametrize
against PyTorch: state_dict keys, seeded buffers, values and gradients over training steps,
train/eval, removal, caching, right_inverse assignment, torch's errors."""

import warnings

import numpy as np
import pytest

import nnlite as nl

torch = pytest.importorskip("torch")


def close(a, b, tol=1e-5):
    np.testing.assert_allclose(np.asarray(a.detach().numpy()), b.detach().numpy(), rtol=tol,
                               atol=tol)


def run_both(build, steps=3, shape=(2, 3)):
    """Build with the same seed in both libraries, train a few SGD steps, compare each step's
    output, the state_dict (keys and values) and the parameters' grads."""
    outs = []
    for T in (nl, torch):
        T.manual_seed(0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            m = build(T)
        opt = T.optim.SGD(m.parameters(), lr=0.1)
        x = T.tensor(np.linspace(-1, 1, int(np.prod(shape))).reshape(shape).astype(np.float32))
        ys, grads = [], []
        for _ in range(steps):
            y = m(x)
            opt.zero_grad()
            y.pow(2).sum().backward()
            grads.append([p.grad.clone() for p in m.parameters()])
            opt.step()
            ys.append(y.detach())
        outs.append((m, ys, grads))
    (mn, yn, gn), (mt, yt, gt) = outs
    assert list(mn.state_dict()) == list(mt.state_dict())
    for (k, a), (_, b) in zip(mn.state_dict().items(), mt.state_dict().items()):
        close(a, b)
    for a, b in zip(yn, yt):
        close(a, b)
    for ga, gb in zip(gn, gt):
        for a, b in zip(ga, gb):
            close(a, b)
    return mn, mt


@pytest.mark.parametrize("dim", [0, 1, None])
def test_weight_norm_hook_matches_torch(dim):
    mn, mt = run_both(lambda T: T.nn.utils.weight_norm(T.nn.Linear(3, 4), dim=dim))
    nl.nn.utils.remove_weight_norm(mn)
    torch.nn.utils.remove_weight_norm(mt)
    assert list(mn.state_dict()) == list(mt.state_dict()) == ["bias", "weight"]
    close(mn.weight, mt.weight)


def test_spectral_norm_hook_conv_and_transpose_match_torch():
    mn, mt = run_both(lambda T: T.nn.utils.spectral_norm(T.nn.Conv2d(2, 3, 2)),
                      shape=(1, 2, 3, 3))
    mn.eval()
    mt.eval()
    x = np.ones((1, 2, 3, 3), np.float32)
    close(mn(nl.tensor(x)), mt(torch.tensor(x)))
    nl.nn.utils.remove_spectral_norm(mn)
    torch.nn.utils.remove_spectral_norm(mt)
    assert list(mn.state_dict()) == list(mt.state_dict())
    close(mn.weight, mt.weight)
    run_both(lambda T: T.nn.utils.spectral_norm(T.nn.ConvTranspose2d(2, 3, 2),
                                                n_power_iterations=2), shape=(1, 2, 3, 3))


def test_parametrizations_weight_norm_and_spectral_norm_match_torch():
    run_both(lambda T: T.nn.utils.parametrizations.weight_norm(T.nn.Linear(3, 4)))
    mn, mt = run_both(lambda T: T.nn.utils.parametrizations.spectral_norm(T.nn.Linear(3, 4)))
    assert type(mn).__name__ == type(mt).__name__ == "ParametrizedLinear"
    for m, P in ((mn, nl.nn.utils.parametrize), (mt, torch.nn.utils.parametrize)):
        P.remove_parametrizations(m, "weight")
    assert type(mn).__name__ == "Linear" and list(mn.state_dict()) == list(mt.state_dict())
    close(mn.weight, mt.weight)
    run_both(lambda T: T.nn.utils.parametrizations.spectral_norm(T.nn.Conv1d(2, 3, 2), dim=1),
             shape=(1, 2, 4))


def test_register_parametrization_chain_cache_assignment_and_errors():
    P = nl.nn.utils.parametrize

    class Symmetric(nl.nn.Module):
        def forward(self, X):
            return X.triu() + X.triu(1).transpose(-1, -2)

    class Scale(nl.nn.Module):
        def forward(self, X):
            return X * 2.0

        def right_inverse(self, X):
            return X / 2.0

    m = nl.nn.Linear(3, 3)
    P.register_parametrization(m, "weight", Scale())
    m.weight = nl.eye(3)  # stored through right_inverse
    np.testing.assert_allclose(m.parametrizations.weight.original.detach().numpy(), np.eye(3) / 2)
    P.register_parametrization(m, "weight", Symmetric())
    w = m.weight.detach().numpy()
    np.testing.assert_allclose(w, w.T)
    assert P.is_parametrized(m) and P.is_parametrized(m, "weight")
    assert not P.is_parametrized(m, "bias")
    assert P.type_before_parametrizations(m) is nl.nn.Linear
    with P.cached():
        assert m.weight is m.weight
    assert m.weight is not m.weight
    m(nl.ones(1, 3)).sum().backward()
    assert m.parametrizations.weight.original.grad is not None
    P.remove_parametrizations(m, "weight", leave_parametrized=False)
    np.testing.assert_allclose(m.weight.detach().numpy(), np.eye(3) / 2)
    with pytest.raises(ValueError, match="does not have a parametrization on weight"):
        P.remove_parametrizations(m, "weight")
    with pytest.raises(ValueError, match="does not have a parameter, a buffer, or a param"):
        P.register_parametrization(m, "nothing", Scale())

    class Shrink(nl.nn.Module):
        def forward(self, X):
            return X[:1]

    with pytest.raises(ValueError, match="may not change the shape or dtype"):
        P.register_parametrization(m, "weight", Shrink())
    with pytest.raises(ValueError, match="weight_norm of 'weight' not found"):
        nl.nn.utils.remove_weight_norm(nl.nn.Linear(2, 2))
    with pytest.warns(FutureWarning, match="deprecated in favor of"):
        nl.nn.utils.weight_norm(nl.nn.Linear(2, 2))
