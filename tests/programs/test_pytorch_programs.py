"""Whole PyTorch programs run twice: once with real torch, once with ``torch = nnlite``.

Each program reports numbers through ``report(name, value)``; both runs must report the same
values. Data and initial weights come from numpy so the programs do not depend on RNG streams.
"""

import numpy as np
import pytest

import nnlite

torch_real = pytest.importorskip("torch")

PROGRAMS = {}


def program(fn):
    PROGRAMS[fn.__name__] = fn
    return fn


@program
def linear_regression_manual_sgd(torch, report, rng):
    X = torch.tensor(rng.standard_normal((64, 3)))
    true_w = torch.tensor([[1.5], [-2.0], [0.5]], dtype=torch.float64)
    y = X @ true_w + 0.3
    w = torch.zeros(3, 1, dtype=torch.float64, requires_grad=True)
    b = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    for step in range(50):
        loss = ((X @ w + b - y) ** 2).mean()
        loss.backward()
        with torch.no_grad():
            w -= 0.1 * w.grad
            b -= 0.1 * b.grad
            w.grad.zero_()
            b.grad.zero_()
        if step % 10 == 0:
            report(f"loss{step}", loss.item())
    report("w", w.detach().numpy())
    report("b", b.item())




@program
def mlp_classifier_with_module_subclass(torch, report, rng):
    nn = torch.nn
    F = torch.nn.functional

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1 = nn.Linear(4, 16)
            self.bn = nn.BatchNorm1d(16)
            self.fc2 = nn.Linear(16, 3)

        def forward(self, x):
            return self.fc2(F.relu(self.bn(self.fc1(x))))

    model = Net().double()
    with torch.no_grad():
        for name, p in model.named_parameters():
            p.copy_(torch.tensor(rng.standard_normal(tuple(p.shape)) * 0.5))
    X = torch.tensor(rng.standard_normal((32, 4)))
    y = torch.tensor(rng.integers(0, 3, 32))
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-4)
    crit = nn.CrossEntropyLoss()
    for epoch in range(20):
        opt.zero_grad()
        out = model(X)
        loss = crit(out, y)
        loss.backward()
        opt.step()
        report(f"loss{epoch}", loss.item())
    model.eval()
    with torch.no_grad():
        pred = model(X).argmax(dim=1)
        acc = (pred == y).float().mean().item()
    report("acc", acc)
    report("running_mean", model.bn.running_mean.numpy())
    report("keys", sorted(model.state_dict().keys()))
    report("nparams", sum(p.numel() for p in model.parameters()))


@program
def sequential_adam_regression_with_scheduler(torch, report, rng):
    nn = torch.nn
    model = nn.Sequential(nn.Linear(5, 8), nn.Tanh(), nn.Linear(8, 1)).double()
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.tensor(rng.standard_normal(tuple(p.shape)) * 0.4))
    X = torch.tensor(rng.standard_normal((40, 5)))
    y = torch.sin(X.sum(dim=1, keepdim=True))
    opt = torch.optim.Adam(model.parameters(), lr=0.05)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=10, gamma=0.5)
    loss_fn = nn.MSELoss()
    for step in range(30):
        opt.zero_grad()
        loss = loss_fn(model(X), y)
        loss.backward()
        opt.step()
        sched.step()
    report("final_loss", loss.item())
    report("lr", sched.get_last_lr()[0])
    report("w0", model[0].weight.detach().numpy())


@program
def autograd_notes_and_higher_order(torch, report, rng):
    a = torch.tensor([2.0, 3.0], requires_grad=True)
    b = torch.tensor([6.0, 4.0], requires_grad=True)
    Q = 3 * a**3 - b**2
    Q.backward(gradient=torch.tensor([1.0, 1.0]))
    report("a.grad", a.grad.numpy())
    report("b.grad", b.grad.numpy())
    x = torch.tensor(1.5, requires_grad=True)
    y = x**3 + torch.sin(x)
    (g,) = torch.autograd.grad(y, x, create_graph=True)
    (h,) = torch.autograd.grad(g, x)
    report("g", g.item())
    report("h", h.item())
    report("grad_fn", type(y.grad_fn).__name__)


@program
def custom_function_and_frozen_layer(torch, report, rng):
    class MyReLU(torch.autograd.Function):
        @staticmethod
        def forward(ctx, inp):
            ctx.save_for_backward(inp)
            return inp.clamp(min=0)

        @staticmethod
        def backward(ctx, grad_output):
            (inp,) = ctx.saved_tensors
            grad_input = grad_output.clone()
            grad_input[inp < 0] = 0
            return grad_input

    nn = torch.nn
    backbone = nn.Linear(3, 4).double()
    head = nn.Linear(4, 2).double()
    with torch.no_grad():
        for p in list(backbone.parameters()) + list(head.parameters()):
            p.copy_(torch.tensor(rng.standard_normal(tuple(p.shape))))
    for p in backbone.parameters():
        p.requires_grad = False
    X = torch.tensor(rng.standard_normal((10, 3)))
    t = torch.tensor(rng.integers(0, 2, 10))
    opt = torch.optim.AdamW(list(backbone.parameters()) + list(head.parameters()), lr=0.01)
    w_before = backbone.weight.detach().clone()
    for _ in range(5):
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(head(MyReLU.apply(backbone(X))), t)
        loss.backward()
        opt.step()
    report("loss", loss.item())
    report("frozen_unchanged", bool(torch.equal(w_before, backbone.weight)))
    report("backbone_grad_none", backbone.weight.grad is None)
    report("head_w", head.weight.detach().numpy())


@program
def tensor_ops_zoo(torch, report, rng):
    x = torch.tensor(rng.standard_normal((4, 5)), dtype=torch.float32)
    report("sm", torch.softmax(x, dim=1).numpy())
    report("lsm", torch.log_softmax(x, 0).numpy())
    report("std", x.std(dim=0).numpy())
    report("max", x.max(dim=1).values.numpy())
    report("argmax", x.argmax(1).numpy())
    report("topk", x.topk(2, dim=1).indices.numpy())
    report("cat", torch.cat([x, x * 2], dim=0).sum().item())
    report("where", torch.where(x > 0, x, torch.zeros_like(x)).sum().item())
    report("view", x.view(-1, 2).shape[0])
    report("dtype", str((x * 2).dtype))
    report("int_div", (torch.arange(6) / 4).numpy())
    report("int_floor", (torch.arange(6) // 4).numpy())
    report("clamp", x.clamp(min=-0.5, max=0.5).mean().item())
    report("matmul", (x @ x.T).numpy())
    report("repr", repr(torch.tensor([[1.5, -2.25], [3.0, 0.125]])))


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_program_matches_pytorch(name):
    fn = PROGRAMS[name]
    results = {}
    for label, mod in (("torch", torch_real), ("nnlite", nnlite)):
        out = {}
        fn(mod, lambda k, v: out.__setitem__(k, v), np.random.default_rng(0))
        results[label] = out
    t, n = results["torch"], results["nnlite"]
    assert t.keys() == n.keys()
    for k in t:
        tv, nv = t[k], n[k]
        if isinstance(tv, (str, bool, list)) or tv is None:
            assert nv == tv, k
        else:
            np.testing.assert_allclose(np.asarray(nv, dtype=float), np.asarray(tv, dtype=float),
                                       rtol=1e-5, atol=1e-6, err_msg=k)
