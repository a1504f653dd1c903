"""F.embedding_bag and nn.EmbeddingBag against PyTorch: every mode with offsets, 2-D bags,
include_last_offset, padding_idx, per_sample_weights, empty bags, max_norm, values, grad_fn and
gradients; the module's init, repr, state_dict and from_pretrained; torch's errors."""

import numpy as np
import pytest

import nnlite as nl
from nnlite import nn
from nnlite.autograd import gradcheck, gradgradcheck

torch = pytest.importorskip("torch")
IDX = [1, 2, 4, 5, 4, 3, 2, 9, 2]


def close(a, b):
    np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
@pytest.mark.parametrize("offsets,last", [([0, 4], False), ([0, 4, 4, 9], True),
                                          ([0, 0, 3, 9], False), ([0, 2, 7], True)])
@pytest.mark.parametrize("padding_idx", [None, 2])
def test_embedding_bag_matches_torch(mode, offsets, last, padding_idx):
    w = np.random.default_rng(0).standard_normal((10, 3))
    wn = nl.tensor(w, requires_grad=True)
    wt = torch.tensor(w, requires_grad=True)
    kw = {"mode": mode, "include_last_offset": last, "padding_idx": padding_idx}
    yn = nl.nn.functional.embedding_bag(nl.tensor(IDX), wn, nl.tensor(offsets), **kw)
    yt = torch.nn.functional.embedding_bag(torch.tensor(IDX), wt, torch.tensor(offsets), **kw)
    close(yn, yt)
    assert type(yn.grad_fn).__name__ == type(yt.grad_fn).__name__
    g = np.random.default_rng(1).standard_normal(tuple(yt.shape))
    (yn * nl.tensor(g)).sum().backward()
    (yt * torch.tensor(g)).sum().backward()
    close(wn.grad, wt.grad)


def test_per_sample_weights_and_2d_bags():
    rng = np.random.default_rng(2)
    w, p = rng.standard_normal((10, 4)), rng.standard_normal(9)
    for extra in ({"padding_idx": 4}, {}):
        wn, wt = nl.tensor(w, requires_grad=True), torch.tensor(w, requires_grad=True)
        pn, pt = nl.tensor(p, requires_grad=True), torch.tensor(p, requires_grad=True)
        yn = nl.nn.functional.embedding_bag(nl.tensor(IDX), wn, nl.tensor([0, 3, 5]),
                                            mode="sum", per_sample_weights=pn, **extra)
        yt = torch.nn.functional.embedding_bag(torch.tensor(IDX), wt, torch.tensor([0, 3, 5]),
                                               mode="sum", per_sample_weights=pt, **extra)
        close(yn, yt)
        (yn ** 2).sum().backward()
        (yt ** 2).sum().backward()
        close(wn.grad, wt.grad)
        close(pn.grad, pt.grad)
    bags = np.array([[1, 2, 3], [4, 4, 0]])
    for mode in ("sum", "mean", "max"):
        yn = nl.nn.functional.embedding_bag(nl.tensor(bags), nl.tensor(w), mode=mode)
        yt = torch.nn.functional.embedding_bag(torch.tensor(bags), torch.tensor(w), mode=mode)
        close(yn, yt)


def test_max_norm_renormalises_the_used_rows_like_torch():
    w = np.random.default_rng(3).standard_normal((10, 3)) * 3
    wn, wt = nl.tensor(w), torch.tensor(w)
    yn = nl.nn.functional.embedding_bag(nl.tensor(IDX), wn, nl.tensor([0, 4]), max_norm=1.0)
    yt = torch.nn.functional.embedding_bag(torch.tensor(IDX), wt, torch.tensor([0, 4]),
                                           max_norm=1.0)
    close(yn, yt)
    close(wn, wt)


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
def test_embedding_bag_gradcheck_and_double_backward(mode):
    w = nl.randn(10, 3, dtype=nl.float64, requires_grad=True)
    psw = nl.randn(9, dtype=nl.float64, requires_grad=True) if mode == "sum" else None
    inputs = (w, psw) if psw is not None else (w,)

    def f(w, p=None):
        return nl.nn.functional.embedding_bag(nl.tensor(IDX), w, nl.tensor([0, 4, 6]),
                                              mode=mode, per_sample_weights=p)

    assert gradcheck(f, inputs, eps=1e-6, atol=1e-5)
    assert gradgradcheck(f, inputs, eps=1e-6, atol=1e-4)


def test_module_init_repr_state_dict_and_from_pretrained():
    nl.manual_seed(0)
    ours = nn.EmbeddingBag(6, 3, mode="sum", padding_idx=1, max_norm=1.0)
    torch.manual_seed(0)
    theirs = torch.nn.EmbeddingBag(6, 3, mode="sum", padding_idx=1, max_norm=1.0)
    close(ours.weight, theirs.weight)
    assert repr(ours) == repr(theirs) and repr(nn.EmbeddingBag(5, 2)) == repr(
        torch.nn.EmbeddingBag(5, 2))
    assert list(ours.state_dict()) == list(theirs.state_dict())
    x = [[0, 1, 2], [3, 4, 5]]
    close(ours(nl.tensor(x)), theirs(torch.tensor(x)))
    w = np.arange(12.0).reshape(4, 3)
    pre = nn.EmbeddingBag.from_pretrained(nl.tensor(w), mode="max")
    assert not pre.weight.requires_grad and pre.mode == "max"
    close(pre(nl.tensor([[0, 3]])), torch.nn.EmbeddingBag.from_pretrained(
        torch.tensor(w), mode="max")(torch.tensor([[0, 3]])))


def test_errors_are_torchs():
    F = nl.nn.functional
    w = nl.randn(10, 3)
    idx = nl.tensor(IDX)
    with pytest.raises(RuntimeError, match="offsets\\[0\\] has to be 0"):
        F.embedding_bag(idx, w, nl.tensor([1, 4]))
    with pytest.raises(NotImplementedError, match="only supported for mode='sum'"):
        F.embedding_bag(idx, w, nl.tensor([0, 4]), per_sample_weights=nl.ones(9))
    with pytest.raises(ValueError, match="if input is 2D, then offsets has to be None"):
        F.embedding_bag(idx.view(3, 3), w, nl.tensor([0, 4]))
    with pytest.raises(ValueError, match="offsets has to be a 1D Tensor but got None"):
        F.embedding_bag(idx, w)
    with pytest.raises(RuntimeError, match="can not be greater than input's length"):
        F.embedding_bag(idx, w, nl.tensor([0, 10]))
    with pytest.raises(IndexError, match="index out of range"):
        F.embedding_bag(nl.tensor([0, 12]), w, nl.tensor([0]))
