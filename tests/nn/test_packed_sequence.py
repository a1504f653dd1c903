"""PackedSequence and its functions, and RNN/LSTM/GRU on packed input, against PyTorch: the
packing (data, batch_sizes, sorted/unsorted indices), padding back, errors, and every output and
gradient of the recurrent layers (bidirectional, stacked, unsorted, given hx, proj_size)."""

import numpy as np
import pytest

import nnlite as nl
from nnlite import nn
from nnlite.autograd import gradcheck
from nnlite.nn.utils import rnn as R

torch = pytest.importorskip("torch")
TR = torch.nn.utils.rnn


def pair(a, requires_grad=True):
    return (nl.tensor(a, dtype=nl.float64, requires_grad=requires_grad),
            torch.tensor(a, dtype=torch.float64, requires_grad=requires_grad))


def close(a, b, tol=1e-7):
    np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=tol, atol=tol)


def same_packed(p, q):
    close(p.data, q.data)
    assert p.batch_sizes.tolist() == q.batch_sizes.tolist()
    for a, b in ((p.sorted_indices, q.sorted_indices), (p.unsorted_indices, q.unsorted_indices)):
        assert (a is None) == (b is None)
        if a is not None:
            assert a.tolist() == b.tolist() and str(a.dtype) == str(b.dtype)


@pytest.mark.parametrize("lengths,enforce", [([5, 3, 3, 1], True), ([2, 5, 1, 4], False)])
@pytest.mark.parametrize("batch_first", [False, True])
def test_pack_pad_roundtrip_and_grads_match_torch(lengths, enforce, batch_first):
    a = np.random.default_rng(0).standard_normal((4, 5, 2) if batch_first else (5, 4, 2))
    xn, xt = pair(a)
    pn = R.pack_padded_sequence(xn, lengths, batch_first=batch_first, enforce_sorted=enforce)
    pt = TR.pack_padded_sequence(xt, lengths, batch_first=batch_first, enforce_sorted=enforce)
    same_packed(pn, pt)
    assert type(pn.data.grad_fn).__name__ == type(pt.data.grad_fn).__name__
    assert pn._fields == pt._fields and isinstance(pn, tuple)
    for total in (None, 7):
        on, ln = R.pad_packed_sequence(pn, batch_first=batch_first, padding_value=-1.5,
                                       total_length=total)
        ot, lt = TR.pad_packed_sequence(pt, batch_first=batch_first, padding_value=-1.5,
                                        total_length=total)
        close(on, ot)
        assert ln.tolist() == lt.tolist() and str(ln.dtype) == str(lt.dtype)
    w = np.random.default_rng(1).standard_normal(tuple(on.shape))
    (on * nl.tensor(w)).sum().backward()
    (ot * torch.tensor(w)).sum().backward()
    close(xn.grad, xt.grad)


def test_pack_sequence_unpack_sequence_and_tensor_lengths():
    rng = np.random.default_rng(2)
    seqs = [rng.standard_normal((n, 3)) for n in (2, 4, 1)]
    pn = R.pack_sequence([nl.tensor(s) for s in seqs], enforce_sorted=False)
    pt = TR.pack_sequence([torch.tensor(s) for s in seqs], enforce_sorted=False)
    same_packed(pn, pt)
    for u, s in zip(R.unpack_sequence(pn), seqs):
        np.testing.assert_array_equal(u.numpy(), s)
    x = rng.standard_normal((4, 3))
    q = R.pack_padded_sequence(nl.tensor(x), nl.tensor([4, 2, 2]))
    assert q.batch_sizes.tolist() == [3, 3, 1, 1] and q.sorted_indices is None
    assert q.to(nl.float32).data.dtype == nl.float32 and not q.is_cuda


def test_pack_errors_are_torchs():
    x = nl.zeros(4, 3, 2)
    with pytest.raises(RuntimeError, match="must be sorted in decreasing order"):
        R.pack_padded_sequence(x, [2, 3, 4])
    with pytest.raises(RuntimeError, match="has to be greater than 0"):
        R.pack_padded_sequence(x, [2, 0, 4], enforce_sorted=False)
    p = R.pack_padded_sequence(x, [4, 3, 2])
    with pytest.raises(ValueError, match="total_length"):
        R.pad_packed_sequence(p, total_length=2)


def both(cls, *args, **kw):
    nl.manual_seed(0)
    ours = getattr(nn, cls)(*args, **kw).double()
    torch.manual_seed(0)
    theirs = getattr(torch.nn, cls)(*args, **kw).double()
    ours.load_state_dict({k: nl.tensor(v.detach().numpy()) for k, v in
                          theirs.state_dict().items()})
    return ours, theirs


CONFIGS = [
    ("RNN", {}, True), ("RNN", {"nonlinearity": "relu", "bidirectional": True}, False),
    ("GRU", {"num_layers": 2, "bidirectional": True}, False), ("GRU", {}, True),
    ("LSTM", {"bidirectional": True}, True), ("LSTM", {"num_layers": 2}, False),
    ("LSTM", {"proj_size": 2, "bidirectional": True}, False),
]


@pytest.mark.parametrize("cls,kw,enforce", CONFIGS)
@pytest.mark.parametrize("with_hx", [False, True])
def test_rnn_on_packed_input_matches_torch(cls, kw, enforce, with_hx):
    ours, theirs = both(cls, 3, 4, **kw)
    lengths = [5, 4, 2, 2, 1] if enforce else [2, 5, 1, 4, 2]
    rng = np.random.default_rng(3)
    xn, xt = pair(rng.standard_normal((5, 5, 3)))
    pn = R.pack_padded_sequence(xn, lengths, enforce_sorted=enforce)
    pt = TR.pack_padded_sequence(xt, lengths, enforce_sorted=enforce)
    args_n, args_t, hs = [pn], [pt], []
    if with_hx:
        dirs = 2 if kw.get("bidirectional") else 1
        layers = kw.get("num_layers", 1) * dirs
        h = pair(rng.standard_normal((layers, 5, kw.get("proj_size") or 4)))
        hs.append(h)
        if cls == "LSTM":
            c = pair(rng.standard_normal((layers, 5, 4)))
            hs.append(c)
            args_n.append((h[0], c[0]))
            args_t.append((h[1], c[1]))
        else:
            args_n.append(h[0])
            args_t.append(h[1])
    on, hn = ours(*args_n)
    ot, ht = theirs(*args_t)
    assert isinstance(on, R.PackedSequence)
    same_packed(on, ot)
    hn, ht = (hn if cls == "LSTM" else (hn,)), (ht if cls == "LSTM" else (ht,))
    for a, b in zip(hn, ht):
        close(a, b)
    w = rng.standard_normal(tuple(on.data.shape))
    loss_n = (on.data * nl.tensor(w)).sum() + sum(h.sum() * (i + 2) for i, h in enumerate(hn))
    loss_t = (ot.data * torch.tensor(w)).sum() + sum(h.sum() * (i + 2) for i, h in enumerate(ht))
    loss_n.backward()
    loss_t.backward()
    close(xn.grad, xt.grad)
    for h in hs:
        close(h[0].grad, h[1].grad)
    for (k, p), (_, q) in zip(ours.named_parameters(), theirs.named_parameters()):
        close(p.grad, q.grad)


def test_packed_lstm_gradcheck_float64():
    lstm = nn.LSTM(2, 3, bidirectional=True).double()
    x = nl.randn(4, 3, 2, dtype=nl.float64, requires_grad=True)

    def f(x):
        p = R.pack_padded_sequence(x, [2, 4, 1], enforce_sorted=False)
        out, (h, c) = lstm(p)
        return out.data, h, c

    assert gradcheck(f, (x,), eps=1e-6, atol=1e-5)
