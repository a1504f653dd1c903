"""A user-defined Module (nested blocks, ModuleList, buffer) trained in nnlite and PyTorch
from the same weights with a hand-written SGD update: every step's loss, the weights, the
running statistics and the state_dict keys agree to 1e-6 in float64."""

import numpy as np
import pytest

import nnlite as nl
from nnlite.nn import functional as F


def build(lib):
    class Block(lib.nn.Module):
        def __init__(self, d):
            super().__init__()
            self.fc = lib.nn.Linear(d, d)
            self.bn = lib.nn.BatchNorm1d(d)
            self.act = lib.nn.GELU()

        def forward(self, x):
            return x + self.act(self.bn(self.fc(x)))

    class Net(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.stem = lib.nn.Sequential(lib.nn.Linear(5, 6), lib.nn.LayerNorm(6),
                                          lib.nn.SiLU())
            self.blocks = lib.nn.ModuleList([Block(6) for _ in range(2)])
            self.drop = lib.nn.Dropout(0.0)
            self.head = lib.nn.Linear(6, 3)
            self.register_buffer("temperature", lib.tensor(1.5, dtype=lib.float64))

        def forward(self, x):
            x = self.stem(x)
            for b in self.blocks:
                x = b(x)
            return self.head(self.drop(x)) / self.temperature

    return Net().double()


def test_user_module_trains_like_pytorch():
    torch = pytest.importorskip("torch")
    ours, theirs = build(nl), build(torch)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    theirs.load_state_dict({k: torch.from_numpy(v.numpy().copy())
                            for k, v in ours.state_dict().items()})
    rng = np.random.default_rng(0)
    for step in range(4):
        x = rng.standard_normal((8, 5))
        y = rng.integers(0, 3, 8)
        lo = F.cross_entropy(ours(nl.tensor(x)), nl.tensor(y), label_smoothing=0.05)
        lt = torch.nn.functional.cross_entropy(theirs(torch.tensor(x)), torch.tensor(y),
                                               label_smoothing=0.05)
        assert lo.item() == pytest.approx(lt.item(), rel=1e-9, abs=1e-9)
        ours.zero_grad()
        theirs.zero_grad()
        lo.backward()
        lt.backward()
        with nl.no_grad():
            for p in ours.parameters():
                p -= 0.1 * p.grad
        with torch.no_grad():
            for p in theirs.parameters():
                p -= 0.1 * p.grad
    sd_o, sd_t = ours.state_dict(), theirs.state_dict()
    assert list(sd_o) == list(sd_t)
    for k in sd_o:
        np.testing.assert_allclose(sd_o[k].numpy(), sd_t[k].numpy(), rtol=1e-6, atol=1e-6,
                                   err_msg=k)
    ours.eval()
    theirs.eval()
    x = rng.standard_normal((3, 5))
    np.testing.assert_allclose(ours(nl.tensor(x)).detach().numpy(),
                               theirs(torch.tensor(x)).detach().numpy(), rtol=1e-6, atol=1e-6)


def test_loss_decreases_and_state_dict_round_trip():
    nl.manual_seed(0)
    net = build(nl)
    x = nl.randn(16, 5, dtype=nl.float64)
    y = nl.randint(0, 3, (16,))
    losses = []
    for _ in range(30):
        loss = F.cross_entropy(net(x), y)
        net.zero_grad()
        loss.backward()
        with nl.no_grad():
            for p in net.parameters():
                p -= 0.2 * p.grad
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0]
    clone = build(nl)
    clone.load_state_dict(net.state_dict())
    net.eval()
    clone.eval()
    np.testing.assert_array_equal(net(x).detach().numpy(), clone(x).detach().numpy())
