"""torch.distributions against PyTorch: seeded samples, log_prob, entropy, moments, gradients."""

import numpy as np
import pytest

import nnlite

torch = pytest.importorskip("torch")


def _cases(T):
    D = T.distributions
    logits = T.tensor([[0.5, -1.0, 2.0, 0.0], [1.0, 1.0, -3.0, 0.5]], requires_grad=True)
    probs = T.tensor([0.1, 0.6, 0.3])
    return [
        ("normal", D.Normal(T.tensor([0.0, 1.5]), T.tensor([1.0, 0.5])), T.tensor([0.3, 1.0])),
        ("normal_scalar", D.Normal(0.0, 2.0), T.tensor(0.7)),
        ("uniform", D.Uniform(T.tensor([0.0, -1.0]), T.tensor([2.0, 3.0])), T.tensor([1.0, 2.5])),
        ("bernoulli_p", D.Bernoulli(T.tensor([0.2, 0.7, 0.5])), T.tensor([1.0, 0.0, 1.0])),
        ("bernoulli_logits", D.Bernoulli(logits=logits), (logits > 0).float()),
        ("categorical_logits", D.Categorical(logits=logits), T.tensor([2, 0])),
        ("categorical_probs", D.Categorical(probs=probs), T.tensor(1)),
        ("onehot", D.OneHotCategorical(probs=probs), T.tensor([0.0, 0.0, 1.0])),
    ]


def _run(T):
    T.manual_seed(3)
    out = {}
    for name, d, v in _cases(T):
        s1, s2 = d.sample(), d.sample((5,))
        lp, ent = d.log_prob(v), d.entropy()
        rec = {"s1": s1, "s2": s2, "lp": lp, "ent": ent, "batch": tuple(d.batch_shape),
               "event": tuple(d.event_shape), "repr": repr(d)}
        if name.startswith(("normal", "uniform", "bernoulli")):
            rec["mean"], rec["var"] = d.mean, d.variance
        if d.has_rsample:
            rec["rs"] = d.rsample((2,))
        if name == "categorical_logits":
            (lp.sum() + ent.sum()).backward()
        out[name] = rec
    return out


def _np(x):
    if hasattr(x, "detach"):
        return x.detach().numpy()
    return x


def test_distributions_match_torch():
    a, b = _run(torch), _run(nnlite)
    for name in a:
        for key in a[name]:
            va, vb = _np(a[name][key]), _np(b[name][key])
            if isinstance(va, np.ndarray):
                assert va.dtype == vb.dtype, (name, key)
                np.testing.assert_allclose(vb, va, rtol=1e-6, atol=1e-6, err_msg=f"{name}.{key}")
            else:
                assert va == vb, (name, key, va, vb)


def test_log_prob_gradient_reaches_the_logits_as_in_torch():
    grads = []
    for T in (torch, nnlite):
        logits = T.tensor([[0.5, -1.0, 2.0], [0.0, 1.0, 1.0]], requires_grad=True)
        d = T.distributions.Categorical(logits=logits)
        T.manual_seed(0)
        a = d.sample()
        (-(d.log_prob(a) * T.tensor([1.0, -2.0])).sum() - 0.1 * d.entropy().sum()).backward()
        loc = T.tensor([0.5], requires_grad=True)
        T.distributions.Normal(loc, 2.0).rsample((3,)).sum().backward()
        grads.append((a.tolist(), logits.grad.numpy().copy(), loc.grad.numpy().copy()))
    assert grads[0][0] == grads[1][0]
    np.testing.assert_allclose(grads[1][1], grads[0][1], rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(grads[1][2], grads[0][2], rtol=1e-6)


def test_kl_and_argument_checks_as_torch():
    for T in (torch, nnlite):
        D = T.distributions
        kl = D.kl_divergence(D.Normal(0.0, 1.0), D.Normal(1.0, 2.0))
        assert kl.item() == pytest.approx(np.log(2) + (1 + 1) / 8 - 0.5, rel=1e-6)
        p = D.Categorical(probs=T.tensor([0.5, 0.5]))
        q = D.Categorical(probs=T.tensor([0.25, 0.75]))
        assert D.kl_divergence(p, q).item() == pytest.approx(
            0.5 * np.log(2) + 0.5 * np.log(0.5 / 0.75), rel=1e-5)
        with pytest.raises(ValueError, match="Either `probs` or `logits`"):
            D.Categorical()
        with pytest.raises(ValueError, match="to satisfy the constraint GreaterThan"):
            D.Normal(0.0, -1.0)
        with pytest.raises(ValueError, match="to be within the support"):
            D.Uniform(0.0, 1.0).log_prob(T.tensor(2.0))
        with pytest.raises(ValueError, match="to be within the support"):
            D.Categorical(logits=T.zeros(3)).log_prob(T.tensor(3))
        with pytest.raises(NotImplementedError):
            D.kl_divergence(D.Normal(0.0, 1.0), D.Bernoulli(0.5))
