"""Programs that rely on the random stream (manual_seed, default init, randn data, shuffled
DataLoader, dropout) give the same numbers with torch and nnlite."""

import numpy as np
import pytest

import nnlite

from .test_pytorch_programs import torch_real

PROGRAMS = {}


def program(fn):
    PROGRAMS[fn.__name__] = fn
    return fn


@program
def seeded_classifier_with_dropout_and_shuffle(torch, report):
    torch.manual_seed(42)
    nn = torch.nn
    X = torch.randn(64, 5)
    y = (X[:, 0] + X[:, 1] > 0).long()
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(X, y), batch_size=16,
                                         shuffle=True)
    model = nn.Sequential(nn.Linear(5, 16), nn.BatchNorm1d(16), nn.ReLU(), nn.Dropout(0.2),
                          nn.Linear(16, 2))
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=5)
    for epoch in range(5):
        model.train()
        total = 0.0
        for xb, yb in loader:
            opt.zero_grad()
            loss = nn.functional.cross_entropy(model(xb), yb)
            loss.backward()
            opt.step()
            total += loss.item()
        sched.step()
        report(f"epoch{epoch}", total)
    model.eval()
    with torch.no_grad():
        report("acc", (model(X).argmax(1) == y).float().mean().item())
    report("w", model[0].weight.detach().numpy())


@program
def seeded_regression_manual_loop(torch, report):
    torch.manual_seed(0)
    w_true = torch.randn(3, 1)
    X = torch.rand(100, 3) * 2 - 1
    y = X @ w_true + 0.1 * torch.randn(100, 1)
    model = torch.nn.Linear(3, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, nesterov=True)
    for step in range(40):
        idx = torch.randperm(100)[:20]
        loss = torch.nn.functional.mse_loss(model(X[idx]), y[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
    report("loss", loss.item())
    report("w", model.weight.detach().numpy())
    report("b", model.bias.item())
    report("randint", torch.randint(0, 100, (5,)).tolist())


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_seeded_program_matches_pytorch(name):
    fn = PROGRAMS[name]
    results = []
    for mod in (torch_real, nnlite):
        out = {}
        fn(mod, lambda k, v: out.__setitem__(k, v))
        results.append(out)
    t, n = results
    assert t.keys() == n.keys()
    for k in t:
        if isinstance(t[k], list):
            assert n[k] == t[k], k
        else:
            np.testing.assert_allclose(np.asarray(n[k], float), np.asarray(t[k], float),
                                       rtol=1e-4, atol=1e-5, err_msg=k)
