"""RNN/LSTM/GRU and their cells against PyTorch: seeded init, outputs and every gradient with the
same weights, gradcheck/gradgradcheck, reprs, state_dict keys, errors, a small trained model."""

import warnings

import numpy as np
import pytest

import nnlite as nl
from nnlite import nn
from nnlite.autograd import gradcheck, gradgradcheck
from nnlite.nn.utils.rnn import pad_sequence, unpad_sequence

torch = pytest.importorskip("torch")

TOL = {"rtol": 1e-6, "atol": 1e-6}


def both(cls_name, *args, seed=0, **kw):
    """The nnlite and torch modules built after the same seed, in float64."""
    nl.manual_seed(seed)
    ours = getattr(nn, cls_name)(*args, **kw).double()
    torch.manual_seed(seed)
    theirs = getattr(torch.nn, cls_name)(*args, **kw).double()
    return ours, theirs


def arr(*shape, seed=1):
    return np.random.default_rng(seed).standard_normal(shape)


def pair(a, requires_grad=True):
    return (nl.tensor(a, dtype=nl.float64, requires_grad=requires_grad),
            torch.tensor(a, dtype=torch.float64, requires_grad=requires_grad))


def close(a, b, **kw):
    np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), **(kw or TOL))


def flat(out):
    """Output tree -> list of tensors."""
    if isinstance(out, (tuple, list)):
        return [t for o in out for t in flat(o)]
    return [out]


def check_same(ours, theirs, x_np, hx_np=None):
    """Same init (seeded), then outputs and all gradients equal."""
    assert list(ours.state_dict()) == list(theirs.state_dict())
    for (k, a), (_, b) in zip(ours.state_dict().items(), theirs.state_dict().items()):
        np.testing.assert_array_equal(a.numpy(), b.numpy(), err_msg=k)
    xn, xt = pair(x_np)
    args_n, args_t = [xn], [xt]
    hxs = []
    if hx_np is not None:
        if isinstance(hx_np, tuple):
            hn = tuple(pair(h) for h in hx_np)
            args_n.append(tuple(h[0] for h in hn))
            args_t.append(tuple(h[1] for h in hn))
            hxs = list(hn)
        else:
            hn = pair(hx_np)
            args_n.append(hn[0])
            args_t.append(hn[1])
            hxs = [hn]
    outs_n, outs_t = flat(ours(*args_n)), flat(theirs(*args_t))
    assert len(outs_n) == len(outs_t)
    loss_n = loss_t = 0
    for k, (a, b) in enumerate(zip(outs_n, outs_t)):
        assert tuple(a.shape) == tuple(b.shape)
        close(a, b)
        w = arr(*b.shape, seed=10 + k)
        loss_n = loss_n + (a * nl.tensor(w)).sum()
        loss_t = loss_t + (b * torch.tensor(w)).sum()
    loss_n.backward()
    loss_t.backward()
    close(xn.grad, xt.grad)
    for a, b in hxs:
        close(a.grad, b.grad)
    for (k, p), (_, q) in zip(ours.named_parameters(), theirs.named_parameters()):
        close(p.grad, q.grad, err_msg=k, **TOL)


CONFIGS = [
    {},
    {"num_layers": 2},
    {"bidirectional": True},
    {"num_layers": 3, "bidirectional": True, "batch_first": True},
    {"bias": False, "num_layers": 2},
    {"batch_first": True},
]


@pytest.mark.parametrize("cls", ["RNN", "LSTM", "GRU"])
@pytest.mark.parametrize("cfg", CONFIGS)
def test_layer_matches_torch(cls, cfg):
    ours, theirs = both(cls, 3, 4, **cfg)
    x = arr(2, 5, 3) if cfg.get("batch_first") else arr(5, 2, 3)
    check_same(ours, theirs, x)


@pytest.mark.parametrize("cls", ["RNN", "LSTM", "GRU"])
@pytest.mark.parametrize("cfg", [{}, {"num_layers": 2, "bidirectional": True}])
def test_layer_with_initial_state(cls, cfg):
    ours, theirs = both(cls, 3, 4, **cfg)
    d = (2 if cfg.get("bidirectional") else 1) * cfg.get("num_layers", 1)
    h0 = arr(d, 2, 4, seed=3)
    hx = (h0, arr(d, 2, 4, seed=4)) if cls == "LSTM" else h0
    check_same(ours, theirs, arr(5, 2, 3), hx)


@pytest.mark.parametrize("cls", ["RNN", "LSTM", "GRU"])
@pytest.mark.parametrize("batch_first", [False, True])
def test_unbatched(cls, batch_first):
    ours, theirs = both(cls, 3, 4, num_layers=2, bidirectional=True, batch_first=batch_first)
    check_same(ours, theirs, arr(5, 3))
    ours, theirs = both(cls, 3, 4, bidirectional=True, batch_first=batch_first)
    h0 = arr(2, 4, seed=3)
    check_same(ours, theirs, arr(5, 3), (h0, arr(2, 4, seed=4)) if cls == "LSTM" else h0)


def test_rnn_relu_and_lstm_proj():
    ours, theirs = both("RNN", 3, 4, 2, "relu", bidirectional=True)
    assert ours.nonlinearity == "relu" and repr(ours) == repr(theirs)
    check_same(ours, theirs, arr(5, 2, 3))
    ours, theirs = both("RNN", 3, 4, nonlinearity="relu")
    check_same(ours, theirs, arr(5, 2, 3))
    ours, theirs = both("LSTM", 3, 5, num_layers=2, proj_size=2, bidirectional=True)
    assert repr(ours) == repr(theirs)
    check_same(ours, theirs, arr(4, 2, 3))
    check_same(ours, theirs, arr(4, 2, 3), (arr(4, 2, 2, seed=5), arr(4, 2, 5, seed=6)))


@pytest.mark.parametrize("cls", ["RNN", "LSTM", "GRU"])
def test_dropout_between_layers_matches_torch(cls):
    ours, theirs = both(cls, 3, 4, num_layers=3, dropout=0.4)
    x = arr(5, 2, 3)
    nl.manual_seed(7)
    torch.manual_seed(7)
    check_same(ours, theirs, x)
    ours.eval()
    theirs.eval()
    check_same(ours, theirs, x)


def test_seeded_init_and_float32_default():
    nl.manual_seed(3)
    ours = nn.LSTM(5, 6, num_layers=2, bidirectional=True)
    torch.manual_seed(3)
    theirs = torch.nn.LSTM(5, 6, num_layers=2, bidirectional=True)
    assert ours.weight_ih_l0.dtype == nl.float32
    for (k, a), (k2, b) in zip(ours.state_dict().items(), theirs.state_dict().items()):
        assert k == k2
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert torch.rand(1).item() == pytest.approx(nl.rand(1).item())  # same generator state
    out, _ = ours(nl.tensor(arr(4, 2, 5), dtype=nl.float32))
    out_t, _ = theirs(torch.tensor(arr(4, 2, 5), dtype=torch.float32))
    np.testing.assert_allclose(out.detach().numpy(), out_t.detach().numpy(), atol=1e-6)
    assert out.dtype == nl.float32


@pytest.mark.parametrize("args,kw", [
    ((3, 4), {}),
    ((3, 4, 2), {"bias": False, "batch_first": True, "dropout": 0.5, "bidirectional": True}),
])
@pytest.mark.parametrize("cls", ["RNN", "LSTM", "GRU"])
def test_repr_and_keys(cls, args, kw):
    ours, theirs = both(cls, *args, **kw)
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert ours._flat_weights_names == theirs._flat_weights_names
    assert [[tuple(p.shape) for p in ws] for ws in ours.all_weights] == \
        [[tuple(p.shape) for p in ws] for ws in theirs.all_weights]


@pytest.mark.parametrize("cls", ["RNNCell", "LSTMCell", "GRUCell"])
@pytest.mark.parametrize("bias", [True, False])
def test_cells_match_torch(cls, bias):
    ours, theirs = both(cls, 3, 4, bias=bias)
    assert repr(ours) == repr(theirs)
    check_same(ours, theirs, arr(2, 3))
    check_same(ours, theirs, arr(3))  # unbatched
    h = arr(2, 4, seed=3)
    check_same(ours, theirs, arr(2, 3), (h, arr(2, 4, seed=4)) if cls == "LSTMCell" else h)
    h = arr(4, seed=3)
    check_same(ours, theirs, arr(3), (h, arr(4, seed=4)) if cls == "LSTMCell" else h)


def test_rnn_cell_relu():
    ours, theirs = both("RNNCell", 3, 4, nonlinearity="relu")
    assert repr(ours) == repr(theirs)
    check_same(ours, theirs, arr(2, 3))


@pytest.mark.parametrize("cls", ["RNN", "LSTM", "GRU"])
def test_gradcheck_and_gradgradcheck(cls):
    nl.manual_seed(0)
    m = getattr(nn, cls)(2, 3, bidirectional=True).double()
    x = nl.tensor(arr(3, 2, 2), dtype=nl.float64, requires_grad=True)

    # gradcheck w.r.t. the input, and gradients of the weights through a functional wrapper
    assert gradcheck(lambda x: m(x)[0], (x,))
    assert gradgradcheck(lambda x: m(x)[0], (x,))
    w = nl.tensor(arr(*m.weight_hh_l0.shape, seed=9) * 0.5, dtype=nl.float64, requires_grad=True)

    def g(x, w):
        saved = m.weight_hh_l0
        m._parameters["weight_hh_l0"] = w
        try:
            return m(x)[0]
        finally:
            m._parameters["weight_hh_l0"] = saved

    assert gradcheck(g, (x, w))
    assert gradgradcheck(g, (x, w))


def test_errors_match_torch():
    def err(fn):
        try:
            fn()
        except Exception as e:  # noqa: BLE001
            return type(e), str(e)
        return None

    cases = [
        lambda m: m.LSTM(3, 4)(m.zeros(5, 2, 4, dtype=m.float32)),
        lambda m: m.GRU(3, 4)(m.zeros(5, 2, 3), m.zeros(1, 3, 4)),
        lambda m: m.RNN(3, 4)(m.zeros(5, 3), m.zeros(1, 2, 4)),
        lambda m: m.RNN(3, 4)(m.zeros(5, 2, 3), m.zeros(2, 4)),
        lambda m: m.LSTM(3, 4)(m.zeros(5, 2, 3), (m.zeros(1, 2, 4), m.zeros(2, 4))),
        lambda m: m.LSTM(3, 4)(m.zeros(5, 3), (m.zeros(1, 2, 4), m.zeros(1, 2, 4))),
        lambda m: m.LSTM(3, 4)(m.zeros(5, 2, 3), (m.zeros(1, 2, 4), m.zeros(1, 3, 4))),
        lambda m: m.LSTM(3, 4)(m.zeros(5, 2, 2, 3)),
        lambda m: m.RNN(3, 4)(m.zeros(3)),
        lambda m: m.LSTM(3, 4)(m.zeros(5, 2, 3, dtype=m.float64)),
        lambda m: m.RNN(3, 4, nonlinearity="gelu"),
        lambda m: m.GRU(3, 4, proj_size=2),
        lambda m: m.LSTM(3, 4, proj_size=4),
        lambda m: m.LSTM(3, 0),
        lambda m: m.LSTM(3, 4, num_layers=0),
        lambda m: m.LSTM(3, 4, dropout=1.5),
        lambda m: m.LSTM(3, 4, bias=1),
        lambda m: m.LSTMCell(3, 4)(m.zeros(2, 2, 3)),
        lambda m: m.GRUCell(3, 4)(m.zeros(2, 3), m.zeros(2, 2, 4)),
    ]
    for k, case in enumerate(cases):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ours = err(lambda c=case: c(_NS(nl, nn)))
            theirs = err(lambda c=case: c(_NS(torch, torch.nn)))
        assert ours == theirs, k


class _NS:
    def __init__(self, lib, nnmod):
        self.zeros, self.float32, self.float64 = lib.zeros, lib.float32, lib.float64
        for name in ("RNN", "LSTM", "GRU", "RNNCell", "LSTMCell", "GRUCell"):
            setattr(self, name, getattr(nnmod, name))


def test_dropout_single_layer_warns():
    with pytest.warns(UserWarning, match="num_layers greater than 1"):
        nn.LSTM(3, 4, dropout=0.2)


def test_pad_sequence_matches_torch():
    seqs = [arr(3, 2, seed=1), arr(5, 2, seed=2), arr(1, 2, seed=3)]
    for kw in [{}, {"batch_first": True}, {"padding_value": -1.5, "padding_side": "left"}]:
        ours = [nl.tensor(s, requires_grad=True) for s in seqs]
        theirs = [torch.tensor(s, requires_grad=True) for s in seqs]
        pn, pt = pad_sequence(ours, **kw), torch.nn.utils.rnn.pad_sequence(theirs, **kw)
        close(pn, pt)
        w = arr(*pt.shape, seed=4)
        (pn * nl.tensor(w)).sum().backward()
        (pt * torch.tensor(w)).sum().backward()
        for a, b in zip(ours, theirs):
            close(a.grad, b.grad)
    padded = pad_sequence([nl.tensor(s) for s in seqs], batch_first=True)
    back = unpad_sequence(padded, nl.tensor([3, 5, 1]), batch_first=True)
    for a, s in zip(back, seqs):
        np.testing.assert_array_equal(a.numpy(), s)
    with pytest.raises(RuntimeError, match="empty list"):
        pad_sequence([])
    assert nn.utils.rnn.pad_sequence is pad_sequence


def test_sequence_model_trains_like_torch():
    def build(lib, nnmod):
        class Model(nnmod.Module):
            def __init__(self):
                super().__init__()
                self.emb = nnmod.Embedding(11, 6)
                self.lstm = nnmod.LSTM(6, 8, num_layers=2, batch_first=True, bidirectional=True)
                self.head = nnmod.Linear(16, 3)

            def forward(self, tokens):
                out, _ = self.lstm(self.emb(tokens))
                return self.head(out[:, -1])

        lib.manual_seed(0)
        return Model()

    ours, theirs = build(nl, nn), build(torch, torch.nn)
    rng = np.random.default_rng(0)
    tokens = rng.integers(0, 11, size=(4, 7))
    labels = rng.integers(0, 3, size=4)
    opt_n = nl.optim.Adam(ours.parameters(), lr=0.01)
    opt_t = torch.optim.Adam(theirs.parameters(), lr=0.01)
    losses_n, losses_t = [], []
    for _ in range(5):
        for model, opt, lib, losses in ((ours, opt_n, nl, losses_n),
                                        (theirs, opt_t, torch, losses_t)):
            opt.zero_grad()
            logits = model(lib.tensor(tokens))
            loss = (nn if lib is nl else torch.nn).functional.cross_entropy(logits,
                                                                           lib.tensor(labels))
            loss.backward()
            opt.step()
            losses.append(loss.item())
    np.testing.assert_allclose(losses_n, losses_t, rtol=1e-5)
    assert losses_n[-1] < losses_n[0]
