"""CTCLoss / F.ctc_loss against PyTorch in float64: losses and gradients for padded and
concatenated targets, every reduction, blank, zero_infinity, unbatched input; grad_fn names,
the differentiable (create_graph) gradient against the plain one, and torch's errors."""

import numpy as np
import pytest

import nnlite
from nnlite.autograd import gradgradcheck

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(3)
X = RNG.standard_normal((7, 3, 5))
CASES = {
    "padded": (np.array([[1, 2, 2], [3, 3, 0], [4, 1, 1]]), [7, 5, 6], [3, 2, 0]),
    "concatenated": (np.array([1, 2, 2, 3, 3, 4]), [7, 6, 2], [3, 2, 1]),
    "impossible": (np.array([[1, 1], [2, 2], [3, 1]]), [7, 2, 1], [2, 2, 1]),  # inf losses
}


def _run(T, case, reduction, zero_infinity, blank=0, lengths_as_tensors=False):
    tg, il, tl = CASES[case]
    if blank:
        tg = np.where(tg == blank, 0, tg)
    x = T.tensor(X, requires_grad=True)
    lp = x.log_softmax(2)
    if lengths_as_tensors:
        il, tl = T.tensor(il), T.tensor(tl)
    loss = T.nn.CTCLoss(blank, reduction, zero_infinity)(lp, T.tensor(tg), il, tl)
    w = T.arange(1.0, 4.0, dtype=T.float64) if reduction == "none" else 1.0
    (loss * w).sum().backward()
    return loss.detach().numpy(), x.grad.numpy(), type(loss.grad_fn).__name__


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("zero_infinity", [False, True])
def test_loss_and_grad_match_torch(case, reduction, zero_infinity):
    a = _run(torch, case, reduction, zero_infinity)
    b = _run(nnlite, case, reduction, zero_infinity, lengths_as_tensors=True)
    np.testing.assert_allclose(a[0], b[0], rtol=1e-12, atol=1e-12)
    finite = np.isfinite(a[1])
    np.testing.assert_array_equal(finite, np.isfinite(b[1]))
    np.testing.assert_allclose(a[1][finite], b[1][finite], rtol=1e-10, atol=1e-12)
    assert a[2] == b[2]


def test_other_blank_and_unbatched_match_torch():
    a, b = _run(torch, "padded", "mean", False, blank=4), _run(nnlite, "padded", "mean", False, 4)
    np.testing.assert_allclose(a[0], b[0], rtol=1e-12)
    np.testing.assert_allclose(a[1], b[1], rtol=1e-10, atol=1e-12)
    outs = []
    for T in (torch, nnlite):
        x = T.tensor(X[:, 0], requires_grad=True)
        loss = T.nn.functional.ctc_loss(x.log_softmax(1), T.tensor([1, 2]), T.tensor(7),
                                        T.tensor(2), reduction="none")
        loss.backward()
        outs.append((loss.item(), x.grad.numpy(), type(loss.grad_fn).__name__))
    assert outs[0][0] == pytest.approx(outs[1][0], rel=1e-12)
    np.testing.assert_allclose(outs[0][1], outs[1][1], rtol=1e-10, atol=1e-12)
    assert outs[0][2] == outs[1][2] == "SqueezeBackward1"


def test_float32_stays_float32_and_matches_torch():
    outs = []
    for T in (torch, nnlite):
        lp = T.tensor(X.astype(np.float32)).log_softmax(2)
        outs.append(T.nn.functional.ctc_loss(lp, T.tensor(CASES["padded"][0]), [7, 5, 6],
                                             [3, 2, 0]))
    assert outs[1].dtype == nnlite.float32
    assert outs[0].item() == pytest.approx(outs[1].item(), rel=1e-5)


def test_create_graph_gradient_is_the_plain_one_and_twice_differentiable():
    x = nnlite.tensor(X[:5, :2, :4], requires_grad=True)

    def f(x):
        return nnlite.nn.functional.ctc_loss(x.log_softmax(2), nnlite.tensor([[1, 2], [3, 3]]),
                                             [5, 4], [2, 2], reduction="sum")

    (g1,) = nnlite.autograd.grad(f(x), x, create_graph=True)
    (g2,) = nnlite.autograd.grad(f(x), x)
    assert g1.requires_grad
    np.testing.assert_allclose(g1.detach().numpy(), g2.numpy(), rtol=1e-10, atol=1e-13)
    assert gradgradcheck(f, (x,))


ERRORS = [
    lambda T, lp: T.nn.functional.ctc_loss(lp, T.tensor([[1, 2], [3, 3]]), [6, 5, 3], [2, 2]),
    lambda T, lp: T.nn.functional.ctc_loss(lp, T.tensor([[1, 2], [3, 3]]), [6, 5], [2, 2],
                                           blank=4),
    lambda T, lp: T.nn.functional.ctc_loss(lp, T.tensor([[1, 2], [3, 3]]), [7, 5], [2, 2]),
    lambda T, lp: T.nn.functional.ctc_loss(lp, T.tensor([[1, 2], [3, 3]]), [6, 5], [2, 3]),
    lambda T, lp: T.nn.functional.ctc_loss(lp, T.tensor([[1, 2], [3, 3]]), [6, 5], [2, 2],
                                           reduction="avg"),
]


@pytest.mark.parametrize("i", range(len(ERRORS)))
def test_errors_are_torchs(i):
    caught = []
    for T in (torch, nnlite):
        lp = T.tensor(X[:6, :2, :4]).log_softmax(2)
        with pytest.raises(Exception) as e:
            ERRORS[i](T, lp)
        caught.append((type(e.value), str(e.value)))
    assert caught[0] == caught[1]
