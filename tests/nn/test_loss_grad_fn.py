"""Every F loss, under every reduction: the grad_fn name PyTorch shows, and the same value and
gradients (float64, so the comparison is tight), including double backward for the fused ones.
"""

import numpy as np
import pytest

import nnlite

torch = pytest.importorskip("torch")

REDUCTIONS = ("mean", "sum", "none")


def _inputs(m):
    g = np.random.default_rng(0)
    x = m.tensor(g.normal(size=(4, 3)), dtype=m.float64, requires_grad=True)
    p = m.tensor(g.uniform(0.05, 0.95, size=(4, 3)), dtype=m.float64, requires_grad=True)
    t = m.tensor(g.uniform(size=(4, 3)), dtype=m.float64)
    c = m.tensor([0, 1, 2, 0])
    return x, p, t, c


LOSSES = {
    "mse_loss": lambda F, m, x, p, t, c, r: F.mse_loss(x, t, reduction=r),
    "l1_loss": lambda F, m, x, p, t, c, r: F.l1_loss(x, t, reduction=r),
    "smooth_l1_loss": lambda F, m, x, p, t, c, r: F.smooth_l1_loss(x, t, reduction=r, beta=0.5),
    "smooth_l1_loss_beta0": lambda F, m, x, p, t, c, r: F.smooth_l1_loss(x, t, reduction=r,
                                                                         beta=0.0),
    "huber_loss": lambda F, m, x, p, t, c, r: F.huber_loss(x, t, reduction=r, delta=0.7),
    "binary_cross_entropy": lambda F, m, x, p, t, c, r: F.binary_cross_entropy(p, t, reduction=r),
    "binary_cross_entropy_weight": lambda F, m, x, p, t, c, r: F.binary_cross_entropy(
        p, t, weight=t[0] + 0.5, reduction=r),
    "bce_with_logits": lambda F, m, x, p, t, c, r: F.binary_cross_entropy_with_logits(
        x, t, reduction=r),
    "bce_with_logits_pos_weight": lambda F, m, x, p, t, c, r: F.binary_cross_entropy_with_logits(
        x, t, weight=t[1] + 0.5, pos_weight=t[2] * 3, reduction=r),
    "kl_div": lambda F, m, x, p, t, c, r: F.kl_div(F.log_softmax(x, 1), t, reduction=r),
    "kl_div_log_target": lambda F, m, x, p, t, c, r: F.kl_div(F.log_softmax(x, 1), t.log(),
                                                              reduction=r, log_target=True),
    "nll_loss": lambda F, m, x, p, t, c, r: F.nll_loss(x, c, reduction=r),
    "nll_loss_weight": lambda F, m, x, p, t, c, r: F.nll_loss(x, c, weight=t[0] + 0.5,
                                                              reduction=r),
    "soft_margin_loss": lambda F, m, x, p, t, c, r: F.soft_margin_loss(x, t.sign() * 2 - 1,
                                                                       reduction=r),
    "multilabel_soft_margin_loss": lambda F, m, x, p, t, c, r: F.multilabel_soft_margin_loss(
        x, (t > 0.5).to(x.dtype), reduction=r),
    "hinge_embedding_loss": lambda F, m, x, p, t, c, r: F.hinge_embedding_loss(
        x, (t > 0.5).to(x.dtype) * 2 - 1, reduction=r),
    "poisson_nll_loss": lambda F, m, x, p, t, c, r: F.poisson_nll_loss(x, t, reduction=r),
    "gaussian_nll_loss": lambda F, m, x, p, t, c, r: F.gaussian_nll_loss(x, t, p, reduction=r),
    "cosine_embedding_loss": lambda F, m, x, p, t, c, r: F.cosine_embedding_loss(
        x, t, m.tensor([1, -1, 1, -1]), reduction=r),
    "margin_ranking_loss": lambda F, m, x, p, t, c, r: F.margin_ranking_loss(
        x[:, 0], t[:, 0], m.tensor([1.0, -1.0, 1.0, 1.0], dtype=m.float64), reduction=r),
    "triplet_margin_loss": lambda F, m, x, p, t, c, r: F.triplet_margin_loss(x, t, t * 2,
                                                                             reduction=r),
}

@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name", sorted(LOSSES))
def test_loss_grad_fn_value_and_gradient_match_torch(name, reduction):
    out = {}
    for m in (torch, nnlite):
        x, p, t, c = _inputs(m)
        loss = LOSSES[name](m.nn.functional, m, x, p, t, c, reduction)
        loss.backward(m.ones_like(loss))
        out[m] = (type(loss.grad_fn).__name__, loss.detach().numpy(),
                  None if x.grad is None else x.grad.numpy(),
                  None if p.grad is None else p.grad.numpy())
    name_t, *vals_t = out[torch]
    name_n, *vals_n = out[nnlite]
    assert name_n == name_t
    for a, b in zip(vals_n, vals_t):
        assert (a is None) == (b is None)
        if a is not None:
            np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", ["mse_loss", "smooth_l1_loss", "huber_loss",
                                  "binary_cross_entropy", "binary_cross_entropy_weight",
                                  "bce_with_logits", "bce_with_logits_pos_weight",
                                  "soft_margin_loss"])
def test_fused_loss_double_backward_matches_torch(name):
    out = {}
    for m in (torch, nnlite):
        x, p, t, c = _inputs(m)
        loss = LOSSES[name](m.nn.functional, m, x, p, t, c, "mean")
        gx, gp = m.autograd.grad(loss, (x, p), create_graph=True, allow_unused=True)
        g = gx if gx is not None else gp
        src = x if gx is not None else p
        (hh,) = m.autograd.grad((g * g).sum(), src)
        out[m] = (g.detach().numpy(), hh.numpy())
    for a, b in zip(out[nnlite], out[torch]):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)


def test_fused_loss_target_and_weight_gradients_match_torch():
    out = {}
    for m in (torch, nnlite):
        x, p, t, c = _inputs(m)
        t = t.clone().requires_grad_()
        pw = t.detach()[0] + 0.5
        F = m.nn.functional
        loss = (F.mse_loss(x, t) + F.binary_cross_entropy(p, t)
                + F.binary_cross_entropy_with_logits(x, t, pos_weight=pw) + F.huber_loss(t, x)
                + F.binary_cross_entropy_with_logits(x, t) + F.smooth_l1_loss(x, t))
        loss.backward()
        out[m] = (t.grad.numpy(), x.grad.numpy(), p.grad.numpy())
    for a, b in zip(out[nnlite], out[torch]):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("case", ["bce_weight", "bcel_weight", "bcel_pos_weight"])
def test_fused_loss_refuses_a_weight_that_requires_grad(case):
    errors = {}
    for m in (torch, nnlite):
        F = m.nn.functional
        x = m.rand(3, requires_grad=True)
        w = m.ones(3, requires_grad=True)
        t = m.rand(3)
        fn = {"bce_weight": lambda: F.binary_cross_entropy(x, t, weight=w),
              "bcel_weight": lambda: F.binary_cross_entropy_with_logits(x, t, weight=w),
              "bcel_pos_weight": lambda: F.binary_cross_entropy_with_logits(x, t,
                                                                            pos_weight=w)}[case]
        with pytest.raises(RuntimeError) as e:
            fn()
        errors[m] = str(e.value)
    assert errors[nnlite] == errors[torch]


def test_mse_loss_broadcast_and_empty_as_torch():
    import warnings

    out = {}
    for m in (torch, nnlite):
        x = m.ones(3, 2, dtype=m.float64, requires_grad=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            loss = m.nn.functional.mse_loss(x, m.tensor([0.5, 2.0], dtype=m.float64))
        loss.backward()
        e = m.zeros(0, requires_grad=True)
        empty = m.nn.functional.mse_loss(e, m.zeros(0))
        empty.backward()
        out[m] = (loss.item(), x.grad.numpy(), empty.item(), e.grad.numpy())
    np.testing.assert_allclose(out[nnlite][0], out[torch][0])
    np.testing.assert_allclose(out[nnlite][1], out[torch][1])
    assert np.isnan(out[nnlite][2]) and np.isnan(out[torch][2])
    assert out[nnlite][3].shape == out[torch][3].shape == (0,)
