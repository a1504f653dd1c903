"""Learning-rate schedulers: values epoch by epoch against torch.optim.lr_scheduler, state."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest

import nnlite
from nnlite import optim
from nnlite.optim import lr_scheduler as S

EPOCHS = 50


def _opt(lib, kind="SGD", groups=2):
    t = lib.tensor(np.ones(2), requires_grad=True)
    u = lib.tensor(np.ones(2), requires_grad=True)
    if kind == "SGD":
        pg = [{"params": [t]}, {"params": [u], "lr": 0.05}][:groups]
        return lib.optim.SGD(pg, lr=0.1, momentum=0.9)
    pg = [{"params": [t]}, {"params": [u], "lr": 0.003}][:groups]
    return lib.optim.Adam(pg, lr=0.01)


def _warmup(lib, opt):
    m = lib.optim.lr_scheduler
    return m.SequentialLR(
        opt,
        [m.LinearLR(opt, start_factor=0.1, total_iters=5), m.CosineAnnealingLR(opt, T_max=30)],
        milestones=[5],
    )


def _three(lib, opt):
    m = lib.optim.lr_scheduler
    return m.SequentialLR(
        opt,
        [m.ConstantLR(opt, factor=0.5, total_iters=3), m.ExponentialLR(opt, gamma=0.9),
         m.StepLR(opt, step_size=4, gamma=0.5)],
        milestones=[4, 20],
    )  # fmt: skip


class _Half:
    """A picklable-free callable object: its __dict__ is saved by LambdaLR.state_dict."""

    def __init__(self):
        self.rate = 0.97

    def __call__(self, epoch):
        return self.rate**epoch


CASES = {
    "StepLR": lambda lib, o: lib.optim.lr_scheduler.StepLR(o, step_size=7, gamma=0.3),
    "MultiStepLR": lambda lib, o: lib.optim.lr_scheduler.MultiStepLR(
        o, milestones=[3, 10, 10, 25], gamma=0.5
    ),
    "ExponentialLR": lambda lib, o: lib.optim.lr_scheduler.ExponentialLR(o, gamma=0.93),
    "CosineAnnealingLR": lambda lib, o: lib.optim.lr_scheduler.CosineAnnealingLR(
        o, T_max=12, eta_min=0.001
    ),  # past T_max: the recursive form's rise, as torch
    "LinearLR": lambda lib, o: lib.optim.lr_scheduler.LinearLR(
        o, start_factor=0.25, end_factor=0.9, total_iters=8
    ),
    "ConstantLR": lambda lib, o: lib.optim.lr_scheduler.ConstantLR(o, factor=0.2, total_iters=6),
    "LambdaLR": lambda lib, o: lib.optim.lr_scheduler.LambdaLR(o, lambda e: 1.0 / (1 + e)),
    "LambdaLR-per-group": lambda lib, o: lib.optim.lr_scheduler.LambdaLR(
        o, [lambda e: 0.9**e, _Half()]
    ),
    "MultiplicativeLR": lambda lib, o: lib.optim.lr_scheduler.MultiplicativeLR(o, lambda e: 0.95),
    "PolynomialLR": lambda lib, o: lib.optim.lr_scheduler.PolynomialLR(
        o, total_iters=30, power=2.0
    ),
    "OneCycleLR": lambda lib, o: lib.optim.lr_scheduler.OneCycleLR(
        o, max_lr=[0.5, 0.2], total_steps=EPOCHS + 1
    ),
    "OneCycleLR-3phase-linear": lambda lib, o: lib.optim.lr_scheduler.OneCycleLR(
        o, max_lr=0.3, epochs=10, steps_per_epoch=6, three_phase=True, anneal_strategy="linear"
    ),
    "CosineAnnealingWarmRestarts": lambda lib, o: (
        lib.optim.lr_scheduler.CosineAnnealingWarmRestarts(o, T_0=5, T_mult=2, eta_min=1e-4)
    ),
    "SequentialLR-warmup-cosine": _warmup,
    "SequentialLR-three": _three,
}


def _values(lib, name, kind, epochs=EPOCHS):
    opt = _opt(lib, kind)
    sched = CASES[name](lib, opt)
    out = [(list(sched.get_last_lr()), [g.get("momentum", g.get("betas")) for g in
                                        opt.param_groups])]  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(epochs):
            opt.step()
            sched.step()
            out.append(
                (
                    list(sched.get_last_lr()),
                    [g.get("momentum", g.get("betas")) for g in opt.param_groups],
                )
            )
    return out, opt


@pytest.mark.parametrize("kind", ["SGD", "Adam"])
@pytest.mark.parametrize("name", list(CASES))
def test_values_match_torch_for_50_epochs(name, kind):
    torch = pytest.importorskip("torch")
    ours, opt_n = _values(nnlite, name, kind)
    theirs, opt_t = _values(torch, name, kind)
    assert ours == theirs  # exact: same float arithmetic in the same order
    for g_n, g_t in zip(opt_n.param_groups, opt_t.param_groups):
        assert g_n["initial_lr"] == g_t["initial_lr"]
        assert g_n["lr"] == g_t["lr"]


def test_reduce_lr_on_plateau_matches_torch():
    torch = pytest.importorskip("torch")
    metrics = [1.0, 0.9, 0.9, 0.9, 0.95, 0.89, 0.9, 0.9, 0.9, 0.9, 0.9, 0.5] + [0.5] * 30
    for kw in [
        {"patience": 2},
        {"patience": 1, "cooldown": 2, "factor": 0.5, "min_lr": [0.02, 0.001]},
        {"mode": "max", "threshold_mode": "abs", "threshold": 0.05, "patience": 0},
    ]:
        res = []
        for lib in (nnlite, torch):
            opt = _opt(lib)
            s = lib.optim.lr_scheduler.ReduceLROnPlateau(opt, **kw)
            res.append([(s.step(m), s.get_last_lr(), s.num_bad_epochs)[1:] for m in metrics])
        assert res[0] == res[1]


def test_state_dict_keys_match_torch_and_survive_json():
    torch = pytest.importorskip("torch")
    for name in ["StepLR", "MultiStepLR", "CosineAnnealingLR", "OneCycleLR", "LambdaLR-per-group",
                 "SequentialLR-warmup-cosine", "CosineAnnealingWarmRestarts"]:  # fmt: skip
        s_n = CASES[name](nnlite, _opt(nnlite))
        s_t = CASES[name](torch, _opt(torch))
        assert set(s_n.state_dict()) == set(s_t.state_dict()), name
        json.dumps(s_n.state_dict())  # plain data (LambdaLR: no lambdas)


@pytest.mark.parametrize(
    "name", [n for n in CASES if not n.startswith("OneCycle")] + ["OneCycleLR"]
)
def test_resume_from_state_dict_continues_identically(name):
    ref, _ = _values(nnlite, name, "SGD", epochs=30)
    opt = _opt(nnlite)
    sched = CASES[name](nnlite, opt)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(12):
            opt.step()
            sched.step()
        opt_sd = opt.state_dict()
        sd = json.loads(json.dumps(sched.state_dict()))
        # PyTorch's documented order: build both, load the scheduler, then the optimizer
        # (the scheduler's constructor takes an initial step that changes the groups' lr).
        opt2 = _opt(nnlite)
        sched2 = CASES[name](nnlite, opt2)
        sched2.load_state_dict(sd)
        opt2.load_state_dict(json.loads(json.dumps({"state": {}, "param_groups":
                                                    opt_sd["param_groups"]})))  # fmt: skip
        got = []
        for _ in range(18):
            opt2.step()
            sched2.step()
            got.append(list(sched2.get_last_lr()))
    assert got == [lr for lr, _ in ref[13:]]


def test_initial_lr_and_errors():
    opt = _opt(nnlite)
    S.StepLR(opt, 3)
    assert [g["initial_lr"] for g in opt.param_groups] == [0.1, 0.05]
    with pytest.raises(KeyError, match="initial_lr"):
        S.StepLR(_opt(nnlite), 3, last_epoch=4)
    with pytest.raises(TypeError, match="is not an Optimizer"):
        S.StepLR(object(), 3)
    with pytest.raises(ValueError, match="Starting multiplicative factor"):
        S.LinearLR(_opt(nnlite), start_factor=0)
    with pytest.raises(ValueError, match="number of milestones"):
        o = _opt(nnlite)
        S.SequentialLR(o, [S.StepLR(o, 2), S.StepLR(o, 3)], milestones=[])
    with pytest.raises(ValueError, match="Expected 2 lr_lambdas, but got 1"):
        S.LambdaLR(_opt(nnlite), [lambda e: 1.0])
    with pytest.raises(ValueError, match="Factor should be < 1.0."):
        S.ReduceLROnPlateau(_opt(nnlite), factor=1.0)
    with pytest.raises(ValueError, match="Tried to step 4 times"):
        o = _opt(nnlite)
        s = S.OneCycleLR(o, max_lr=0.1, total_steps=3)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for _ in range(4):
                s.step()


def test_schedulers_drive_the_optimizer_lr():
    a = nnlite.tensor(np.ones(1), requires_grad=True)
    opt = optim.SGD([a], lr=1.0)
    sched = S.MultiStepLR(opt, milestones=[1])
    a.sum().backward()
    opt.step()  # lr 1.0
    sched.step()  # lr 0.1
    opt.step()
    np.testing.assert_allclose(np.asarray(a._data), [1 - 1.0 - 0.1])
