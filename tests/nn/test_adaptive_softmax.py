"""nn.AdaptiveLogSoftmaxWithLoss against PyTorch: parameter layout and state_dict keys, seeded
init, forward's named tuple (output, loss), log_prob, predict, gradients (float32 vs torch,
float64 gradcheck), unbatched input, errors."""

import numpy as np
import pytest

import nnlite
from nnlite.autograd import gradcheck

torch = pytest.importorskip("torch")

X = np.random.default_rng(0).standard_normal((9, 16)).astype(np.float32)


def _run(T, target, cutoffs=(10, 40, 60), x=X, **kw):
    T.manual_seed(0)
    m = T.nn.AdaptiveLogSoftmaxWithLoss(16, 100, list(cutoffs), **kw)
    xt = T.tensor(x, requires_grad=True)
    out = m(xt, T.tensor(target))
    out.loss.backward()
    sd = m.state_dict()
    return {"out": out.output.detach().numpy(), "loss": out.loss.item(),
            "gx": xt.grad.numpy(),
            "grads": [None if p.grad is None else p.grad.numpy() for p in m.parameters()],
            "keys": list(sd), "shapes": [tuple(v.shape) for v in sd.values()],
            "init": [v.numpy() for v in sd.values()],
            "log_prob": m.log_prob(T.tensor(x)).detach().numpy(),
            "predict": m.predict(T.tensor(x)).numpy(),
            "tuple": (type(out).__name__, out._fields, type(out.output.grad_fn).__name__,
                      type(out.loss.grad_fn).__name__),
            "attrs": (m.cutoffs, m.shortlist_size, m.n_clusters, m.head_size, repr(m))}


@pytest.mark.parametrize("kw", [{}, {"div_value": 2.0, "head_bias": True}])
@pytest.mark.parametrize("target", [[0, 3, 12, 50, 99, 5, 41, 11, 70],  # every cluster
                                    [1, 2, 3, 4, 5, 6, 7, 8, 9],  # shortlist only
                                    [99, 98, 61, 70, 80, 90, 61, 62, 63]])  # one cluster only
def test_forward_log_prob_predict_and_grads_equal_torchs(target, kw):
    a, b = _run(torch, target, **kw), _run(nnlite, target, **kw)
    for k in ("keys", "shapes", "tuple", "attrs"):
        assert a[k] == b[k], k
    assert b["keys"][:3] == ["head.weight", "head.bias", "tail.0.0.weight"] if kw else \
        b["keys"][:2] == ["head.weight", "tail.0.0.weight"]
    for u, v in zip(a["init"], b["init"]):
        np.testing.assert_array_equal(v, u)  # seeded init: torch's bits
    for k in ("out", "gx", "log_prob"):
        np.testing.assert_allclose(b[k], a[k], rtol=1e-5, atol=1e-6)
    for u, v in zip(a["grads"], b["grads"]):
        assert (u is None) == (v is None)  # unused clusters get no gradient
        if u is not None:
            np.testing.assert_allclose(v, u, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(b["loss"], a["loss"], rtol=1e-6)
    np.testing.assert_array_equal(b["predict"], a["predict"])
    # log_prob is a distribution and forward's output is its target entry
    np.testing.assert_allclose(np.exp(b["log_prob"]).sum(1), 1.0, rtol=1e-5)
    np.testing.assert_allclose(b["out"], b["log_prob"][np.arange(9), target], rtol=1e-5,
                               atol=1e-6)


def test_predict_mixed_rows_and_unbatched_input():
    x = np.random.default_rng(1).standard_normal((40, 16)).astype(np.float32) * 3
    outs = []
    for T in (torch, nnlite):
        T.manual_seed(2)
        m = T.nn.AdaptiveLogSoftmaxWithLoss(16, 30, [4, 12], head_bias=True)
        with T.no_grad():
            m.head.bias[4:] += 2.0  # make some rows' head argmax a cluster
        one = m(T.tensor(x[0]), T.tensor(17))
        outs.append((m.predict(T.tensor(x)).numpy(), tuple(one.output.shape),
                     float(one.output), float(one.loss)))
    np.testing.assert_array_equal(outs[1][0], outs[0][0])
    assert 0 < (outs[0][0] >= 4).sum() < 40  # the mixed branch ran
    assert outs[1][1] == outs[0][1] == ()
    np.testing.assert_allclose(outs[1][2:], outs[0][2:], rtol=1e-5)


def test_float64_gradcheck_through_every_cluster():
    nnlite.manual_seed(0)
    m = nnlite.nn.AdaptiveLogSoftmaxWithLoss(6, 12, [3, 7], div_value=2.0, head_bias=True,
                                             dtype=nnlite.float64)
    x = nnlite.tensor(np.random.default_rng(3).standard_normal((5, 6)), requires_grad=True)
    t = nnlite.tensor([0, 4, 11, 2, 8])
    assert gradcheck(lambda a: m(a, t).loss, [x])
    assert gradcheck(lambda a: m.log_prob(a), [x])


def _errors(T):
    m = T.nn.AdaptiveLogSoftmaxWithLoss(8, 20, [5, 10])
    calls = [lambda: T.nn.AdaptiveLogSoftmaxWithLoss(8, 20, []),
             lambda: T.nn.AdaptiveLogSoftmaxWithLoss(8, 20, [10, 5]),
             lambda: T.nn.AdaptiveLogSoftmaxWithLoss(8, 20, [5, 20]),
             lambda: T.nn.AdaptiveLogSoftmaxWithLoss(8, 20, [5, 5]),
             lambda: T.nn.AdaptiveLogSoftmaxWithLoss(8, 20, [0, 5]),
             lambda: m(T.randn(3, 8), T.tensor([1, 2])),
             lambda: m(T.randn(3, 2, 8), T.tensor([1, 2, 3])),
             lambda: m(T.randn(3, 8), T.tensor(1)),
             lambda: m(T.randn(3, 8), T.tensor([[1, 2, 3]])),
             lambda: m(T.randn(3, 8), T.tensor([1, 25, -1]))]
    out = []
    for c in calls:
        try:
            c()
            out.append(None)
        except Exception as e:  # noqa: BLE001 - type and message are compared with torch's
            out.append((type(e).__name__, str(e).replace("torch.Size", "Size")
                        .replace("nnlite.Size", "Size")))
    return out


def test_errors_as_torchs():
    mine, theirs = _errors(nnlite), _errors(torch)
    assert all(e is not None for e in mine)
    assert mine == theirs
