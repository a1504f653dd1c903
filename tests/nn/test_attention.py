"""MultiheadAttention and F.scaled_dot_product_attention against PyTorch."""

import numpy as np
import pytest

import nnlite as nl
import nnlite.nn.functional as F
from nnlite import nn
from nnlite.autograd import gradcheck, gradgradcheck

torch = pytest.importorskip("torch")
TOL = {"rtol": 1e-6, "atol": 1e-6}


def arr(*shape, seed=1):
    return np.random.default_rng(seed).standard_normal(shape)


def close(a, b):
    np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), **TOL)


def both(*args, seed=0, **kw):
    nl.manual_seed(seed)
    ours = nn.MultiheadAttention(*args, **kw).double()
    torch.manual_seed(seed)
    theirs = torch.nn.MultiheadAttention(*args, **kw).double()
    return ours, theirs


def as_pair(v):
    if isinstance(v, np.ndarray):
        return nl.tensor(v), torch.tensor(v)
    return v, v


CONFIGS = [
    ({}, {}),
    ({"batch_first": True}, {"need_weights": False}),
    ({"kdim": 3, "vdim": 5, "add_bias_kv": True}, {"average_attn_weights": False}),
    ({"add_zero_attn": True, "bias": False}, {}),
    ({"batch_first": True, "add_bias_kv": True, "add_zero_attn": True}, {}),
]


@pytest.mark.parametrize("cfg,call", CONFIGS)
@pytest.mark.parametrize("masks", ["none", "bool", "float", "causal"])
def test_mha_matches_torch(cfg, call, masks):
    ours, theirs = both(8, 2, **cfg)
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    for (k, a), (_, b) in zip(ours.state_dict().items(), theirs.state_dict().items()):
        np.testing.assert_array_equal(a.numpy(), b.numpy(), err_msg=k)
    q, k, v = arr(5, 3, 8), arr(4, 3, cfg.get("kdim", 8), seed=2), arr(4, 3, cfg.get("vdim", 8),
                                                                         seed=3)
    if cfg.get("batch_first"):
        q, k, v = (x.transpose(1, 0, 2).copy() for x in (q, k, v))
    extra = {}
    if masks == "bool":
        kpm = np.zeros((3, 4), bool)
        kpm[0, -1] = kpm[2, 0] = True
        am = np.zeros((5, 4), bool)
        am[1, 2] = True
        extra = {"key_padding_mask": kpm, "attn_mask": am}
    elif masks == "float":
        extra = {"attn_mask": arr(3 * 2, 5, 4, seed=4), "key_padding_mask": arr(3, 4, seed=5)}
    elif masks == "causal":
        extra = {"attn_mask": np.triu(np.full((5, 4), -np.inf), 1), "is_causal": True}
    ins_n = [nl.tensor(x, requires_grad=True) for x in (q, k, v)]
    ins_t = [torch.tensor(x, requires_grad=True) for x in (q, k, v)]
    kn = {a: as_pair(b)[0] for a, b in extra.items()}
    kt = {a: as_pair(b)[1] for a, b in extra.items()}
    on, wn = ours(*ins_n, **kn, **call)
    ot, wt = theirs(*ins_t, **kt, **call)
    close(on, ot)
    assert (wn is None) == (wt is None)
    loss_n, loss_t = on.sin().sum(), ot.sin().sum()
    if wn is not None:
        close(wn, wt)
        loss_n = loss_n + (wn * nl.tensor(arr(*wt.shape, seed=6))).sum()
        loss_t = loss_t + (wt * torch.tensor(arr(*wt.shape, seed=6))).sum()
    loss_n.backward()
    loss_t.backward()
    for a, b in zip(ins_n, ins_t):
        close(a.grad, b.grad)
    for (name, p), (_, r) in zip(ours.named_parameters(), theirs.named_parameters()):
        close(p.grad, r.grad)


def test_mha_unbatched_and_dropout():
    ours, theirs = both(6, 3, dropout=0.3)
    x = arr(4, 6)
    on, wn = ours(nl.tensor(x), nl.tensor(x), nl.tensor(x))
    ours.eval()
    theirs.eval()
    on, wn = ours(nl.tensor(x), nl.tensor(x), nl.tensor(x))
    ot, wt = theirs(torch.tensor(x), torch.tensor(x), torch.tensor(x))
    close(on, ot)
    close(wn, wt)
    ours.train()
    theirs.train()
    nl.manual_seed(3)
    torch.manual_seed(3)
    on, wn = ours(nl.tensor(x), nl.tensor(x), nl.tensor(x))
    ot, wt = theirs(torch.tensor(x), torch.tensor(x), torch.tensor(x))
    close(on, ot)


def test_mha_gradgradcheck_and_errors():
    nl.manual_seed(0)
    m = nn.MultiheadAttention(4, 2).double()
    x = nl.tensor(arr(3, 2, 4), requires_grad=True)
    assert gradcheck(lambda t: m(t, t, t)[0], (x,))
    assert gradgradcheck(lambda t: m(t, t, t)[0], (x,))
    with pytest.raises(AssertionError, match="divisible by num_heads"):
        nn.MultiheadAttention(5, 2)
    with pytest.raises(RuntimeError, match="Need attn_mask"):
        m(x, x, x, is_causal=True)


@pytest.mark.parametrize("kw", [{}, {"is_causal": True}, {"attn_mask": "bool"},
                                {"attn_mask": "float", "scale": 0.3}, {"dropout_p": 0.4}])
def test_sdpa_matches_torch(kw):
    q, k, v = arr(2, 3, 5, 4), arr(2, 3, 6, 4, seed=2), arr(2, 3, 6, 7, seed=3)
    kw = dict(kw)
    if kw.get("attn_mask") == "bool":
        mask = np.random.default_rng(4).random((5, 6)) > 0.3
        mask[:, 0] = True
        kw["attn_mask"] = mask
    elif kw.get("attn_mask") == "float":
        kw["attn_mask"] = arr(5, 6, seed=4)
    kn = {a: as_pair(b)[0] for a, b in kw.items()}
    kt = {a: as_pair(b)[1] for a, b in kw.items()}
    ins_n = [nl.tensor(x, requires_grad=True) for x in (q, k, v)]
    ins_t = [torch.tensor(x, requires_grad=True) for x in (q, k, v)]
    nl.manual_seed(1)
    torch.manual_seed(1)
    on = F.scaled_dot_product_attention(*ins_n, **kn)
    ot = torch.nn.functional.scaled_dot_product_attention(*ins_t, **kt)
    if "dropout_p" in kw:  # torch's fused CPU kernel draws its mask differently: shape only
        assert on.shape == ot.shape
        return
    close(on, ot)
    on.sin().sum().backward()
    ot.sin().sum().backward()
    for a, b in zip(ins_n, ins_t):
        close(a.grad, b.grad)
    small = [nl.tensor(arr(1, 2, 3, seed=s), requires_grad=True) for s in (1, 2, 3)]
    assert gradgradcheck(lambda a, b, c: F.scaled_dot_product_attention(a, b, c, **kn
                                                                        if "attn_mask" not in kn
                                                                        else {}), small)
