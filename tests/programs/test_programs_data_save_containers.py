"""More PyTorch programs: data loading, save/load, containers, losses, clipping, repr."""

import collections

import numpy as np
import pytest

import nnlite

from .test_pytorch_programs import torch_real

PROGRAMS = {}


def program(fn):
    PROGRAMS[fn.__name__] = fn
    return fn


def _init(torch, model, rng, scale=0.5):
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.tensor(rng.standard_normal(tuple(p.shape)) * scale))


@program
def dataloader_loop(torch, report, rng, tmp):
    from_np = torch.tensor
    X = from_np(rng.standard_normal((30, 4)).astype(np.float32))
    y = from_np(rng.integers(0, 2, 30)).float()
    ds = torch.utils.data.TensorDataset(X, y)
    dl = torch.utils.data.DataLoader(ds, batch_size=8, shuffle=False)
    report("len_ds", len(ds))
    report("len_dl", len(dl))
    model = torch.nn.Sequential(torch.nn.Linear(4, 1))
    _init(torch, model, rng)
    opt = torch.optim.SGD(model.parameters(), lr=0.5)
    crit = torch.nn.BCEWithLogitsLoss()
    for epoch in range(3):
        total = 0.0
        for xb, yb in dl:
            opt.zero_grad()
            loss = crit(model(xb).squeeze(1), yb)
            loss.backward()
            opt.step()
            total += loss.item() * xb.shape[0]
        report(f"epoch{epoch}", total / len(ds))
    xb, yb = next(iter(dl))
    report("batch_shape", list(xb.shape))


@program
def save_and_load_state_dict(torch, report, rng, tmp):
    nn = torch.nn
    model = nn.Sequential(collections.OrderedDict([
        ("fc", nn.Linear(3, 4)), ("bn", nn.BatchNorm1d(4)), ("act", nn.ReLU()),
        ("out", nn.Linear(4, 2)),
    ]))
    _init(torch, model, rng)
    model(torch.tensor(rng.standard_normal((5, 3)).astype(np.float32)))  # updates running stats
    path = str(tmp / f"m_{torch.__name__}.pt")
    torch.save(model.state_dict(), path)
    other = nn.Sequential(collections.OrderedDict([
        ("fc", nn.Linear(3, 4)), ("bn", nn.BatchNorm1d(4)), ("act", nn.ReLU()),
        ("out", nn.Linear(4, 2)),
    ]))
    res = other.load_state_dict(torch.load(path))
    report("keys", list(other.state_dict().keys()))
    report("bn_mean", other.bn.running_mean.numpy())
    report("nbt", int(other.bn.num_batches_tracked))
    other.eval()
    with torch.no_grad():
        report("out", other(torch.ones(2, 3)).numpy())
    report("repr", repr(other))
    report("missing", list(res.missing_keys))


@program
def module_list_and_clip(torch, report, rng, tmp):
    nn = torch.nn

    class Deep(nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = nn.ModuleList([nn.Linear(6, 6) for _ in range(3)])
            self.register_buffer("scale", torch.tensor(0.5))

        def forward(self, x):
            for layer in self.layers:
                x = torch.tanh(layer(x)) * self.scale + x
            return x

    model = Deep().double()
    _init(torch, model, rng, 1.0)
    x = torch.tensor(rng.standard_normal((4, 6)))
    loss = (model(x) ** 2).sum()
    loss.backward()
    norm = torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
    report("norm", norm.item())
    report("g0", model.layers[0].weight.grad.numpy())
    report("names", [n for n, _ in model.named_parameters()])
    report("buffers", [n for n, _ in model.named_buffers()])
    report("n_modules", len(list(model.modules())))


@program
def losses_zoo(torch, report, rng, tmp):
    F = torch.nn.functional
    a = torch.tensor(rng.standard_normal((6, 4)), requires_grad=True)
    t = torch.tensor(rng.standard_normal((6, 4)))
    c = torch.tensor(rng.integers(0, 4, 6))
    p = torch.tensor(rng.random((6, 4)))
    losses = {
        "mse_sum": F.mse_loss(a, t, reduction="sum"),
        "l1": F.l1_loss(a, t),
        "smooth_l1": F.smooth_l1_loss(a, t, beta=0.5),
        "huber": F.huber_loss(a, t, delta=0.7),
        "ce": F.cross_entropy(a, c),
        "ce_ls": F.cross_entropy(a, c, label_smoothing=0.1),
        "ce_w": F.cross_entropy(a, c, weight=torch.tensor([1.0, 2.0, 0.5, 1.0], dtype=torch.float64)),
        "ce_ignore": F.cross_entropy(a, c, ignore_index=int(c[0])),
        "ce_probs": F.cross_entropy(a, torch.softmax(t, 1)),
        "nll": F.nll_loss(F.log_softmax(a, 1), c, reduction="sum"),
        "bce": F.binary_cross_entropy(torch.sigmoid(a), p),
        "bce_logits": F.binary_cross_entropy_with_logits(a, p, pos_weight=torch.ones(4, dtype=torch.float64) * 2),
    }
    total = 0
    for k, v in losses.items():
        report(k, v.item())
        total = total + v
    total.backward()
    report("grad", a.grad.numpy())


@program
def old_style_and_inplace(torch, report, rng, tmp):
    w = torch.tensor(rng.standard_normal((3, 2)), requires_grad=True)
    x = torch.tensor(rng.standard_normal((5, 3)))
    for _ in range(3):
        h = x.mm(w)
        h = h.clamp(min=0)
        loss = h.pow(2).sum()
        loss.backward(retain_graph=True)
        w.data -= 0.01 * w.grad.data
        w.grad.data.zero_()
    report("w", w.detach().numpy())
    y = torch.zeros(4)
    y[1:3] = 2.0
    y.add_(1).mul_(3)
    report("y", y.numpy())
    z = torch.arange(12.0).view(3, 4)
    report("z_idx", z[:, None, 1].numpy())
    report("z_list", z[[0, 2]][:, [1, 3]].numpy())
    report("z_T", z.T.contiguous().view(-1).numpy())
    report("flat", torch.nn.Flatten()(torch.ones(2, 3, 4, 5)).shape[1])


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_program_matches_pytorch(name, tmp_path):
    fn = PROGRAMS[name]
    results = {}
    for label, mod in (("torch", torch_real), ("nnlite", nnlite)):
        out = {}
        fn(mod, lambda k, v: out.__setitem__(k, v), np.random.default_rng(0), tmp_path)
        results[label] = out
    t, n = results["torch"], results["nnlite"]
    assert t.keys() == n.keys()
    for k in t:
        tv, nv = t[k], n[k]
        if isinstance(tv, (str, bool, list, int)) or tv is None:
            assert nv == tv, k
        else:
            np.testing.assert_allclose(np.asarray(nv, dtype=float), np.asarray(tv, dtype=float),
                                       rtol=1e-5, atol=1e-6, err_msg=k)
