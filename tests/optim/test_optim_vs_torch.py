"""nnlite.optim against torch.optim: same model, data and hyper-parameters, 100 steps."""

from __future__ import annotations

import numpy as np
import pytest

import nnlite

from .helpers import SHAPES, init_arrays, make_params, numpy_of, train

torch = pytest.importorskip("torch")

CASES = [
    ("SGD", {"lr": 0.05}),
    ("SGD", {"lr": 0.05, "momentum": 0.9}),
    ("SGD", {"lr": 0.05, "momentum": 0.9, "dampening": 0.3}),
    ("SGD", {"lr": 0.05, "momentum": 0.9, "nesterov": True}),
    ("SGD", {"lr": 0.05, "weight_decay": 0.1}),
    ("SGD", {"lr": 0.05, "momentum": 0.5, "maximize": True}),
    ("SGD", {"lr": 0.05, "momentum": 0.9, "nesterov": True, "weight_decay": 0.1,
             "maximize": True}),
    ("Adam", {}),
    ("Adam", {"lr": 0.01, "amsgrad": True}),
    ("Adam", {"lr": 0.01, "weight_decay": 0.1}),
    ("Adam", {"lr": 0.01, "maximize": True}),
    ("Adam", {"lr": 0.01, "betas": (0.3, 0.5), "eps": 1e-3}),  # lerp weight >= 0.5 branch
    ("Adam", {"lr": 0.01, "amsgrad": True, "weight_decay": 0.1, "maximize": True}),
    ("Adam", {"lr": 0.01, "weight_decay": 0.1, "decoupled_weight_decay": True}),
    ("AdamW", {}),
    ("AdamW", {"lr": 0.01, "weight_decay": 0.1, "amsgrad": True}),
    ("AdamW", {"lr": 0.01, "maximize": True, "betas": (0.8, 0.99)}),
    ("RMSprop", {}),
    ("RMSprop", {"lr": 0.01, "centered": True}),
    ("RMSprop", {"lr": 0.01, "momentum": 0.9}),
    ("RMSprop", {"lr": 0.01, "weight_decay": 0.1, "alpha": 0.3}),  # 1 - alpha >= 0.5
    # Centered with a small alpha is ill-conditioned (sqrt of s - ga**2 near 0): a larger eps
    # keeps last-bit differences (torch's lerp uses FMA) from growing chaotically.
    ("RMSprop", {"lr": 0.01, "centered": True, "alpha": 0.3, "eps": 1e-3}),  # lerp >= 0.5
    ("RMSprop", {"lr": 0.01, "centered": True, "momentum": 0.5, "weight_decay": 0.1,
                 "maximize": True, "alpha": 0.6, "eps": 1e-3}),
    ("Adagrad", {}),
    ("Adagrad", {"lr": 0.05, "lr_decay": 0.01}),
    ("Adagrad", {"lr": 0.05, "weight_decay": 0.1, "initial_accumulator_value": 0.1}),
    ("Adagrad", {"lr": 0.05, "maximize": True, "eps": 1e-3}),
]  # fmt: skip


def _ids(case):
    name, kw = case
    return name + "-" + ",".join(f"{k}={v}" for k, v in kw.items())


def _run_both(name, kw, dtype, steps, frozen=(), grad_none=()):
    arrs = init_arrays(dtype)
    ours = make_params(nnlite, arrs, frozen)
    theirs = make_params(torch, arrs, frozen)
    opt_n = getattr(nnlite.optim, name)(list(ours.values()), **kw)
    opt_t = getattr(torch.optim, name)(list(theirs.values()), **kw)
    mx = kw.get("maximize", False)
    train(nnlite, opt_n, ours, arrs, steps, grad_none=grad_none, maximize=mx)
    train(torch, opt_t, theirs, arrs, steps, grad_none=grad_none, maximize=mx)
    return arrs, ours, theirs, opt_n, opt_t


@pytest.mark.parametrize("case", CASES, ids=_ids)
def test_float64_matches_torch_over_100_steps(case):
    name, kw = case
    _, ours, theirs, opt_n, opt_t = _run_both(name, kw, np.float64, 100)
    for k in SHAPES:
        np.testing.assert_allclose(numpy_of(ours[k]), numpy_of(theirs[k]), rtol=1e-6, atol=1e-9)
    # Same state keys, same values, step as a float32 0-dim tensor.
    sd_n, sd_t = opt_n.state_dict(), opt_t.state_dict()
    assert sorted(sd_n["state"]) == sorted(sd_t["state"])
    for i, st in sd_t["state"].items():
        assert sorted(sd_n["state"][i]) == sorted(st)
        for key, v in st.items():
            got = sd_n["state"][i][key]
            assert got.dtype == {torch.float32: nnlite.float32,
                                 torch.float64: nnlite.float64}[v.dtype]  # fmt: skip
            np.testing.assert_allclose(numpy_of(got), v.numpy(), rtol=1e-6, atol=1e-9)
    g_n, g_t = sd_n["param_groups"][0], sd_t["param_groups"][0]
    assert set(g_n) == set(g_t)
    assert g_n == {k: (list(v) if isinstance(v, list) else v) for k, v in g_t.items()}


@pytest.mark.parametrize("case", CASES, ids=_ids)
def test_float32_close_to_torch_on_same_gradients(case):
    # The same gradient sequence is fed to both, so only the update arithmetic is compared
    # (the models' float32 forward/backward would differ in the last bits on their own).
    name, kw = case
    rng = np.random.default_rng(1)
    p0 = rng.standard_normal((64,)).astype(np.float32)
    ours = nnlite.tensor(p0.copy(), requires_grad=True)
    theirs = torch.tensor(p0.copy(), requires_grad=True)
    opt_n = getattr(nnlite.optim, name)([ours], **kw)
    opt_t = getattr(torch.optim, name)([theirs], **kw)
    for step in range(30):
        g = (rng.standard_normal(64) * (1.0 + 0.1 * step) + 0.5).astype(np.float32)
        ours.grad = nnlite.tensor(g.copy())
        theirs.grad = torch.tensor(g.copy())
        opt_n.step()
        opt_t.step()
    a, b = numpy_of(ours), numpy_of(theirs)
    assert a.dtype == np.float32
    if name == "SGD":  # same FMAs as ATen, no sqrt: bit-identical
        np.testing.assert_array_equal(a, b)
    else:  # ATen's vectorised sqrt is not correctly rounded: a few ulp after 30 steps
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad"])
def test_frozen_and_gradless_params_match_torch(name):
    kw = {"lr": 0.01, "weight_decay": 0.1}
    if name in ("SGD", "RMSprop"):
        kw["momentum"] = 0.9
    arrs, ours, theirs, opt_n, _opt_t = _run_both(name, kw, np.float64, 20, frozen=("w1",),
                                                 grad_none=("b1",))  # fmt: skip
    np.testing.assert_array_equal(numpy_of(ours["w1"]), arrs["w1"])
    np.testing.assert_array_equal(numpy_of(ours["b1"]), arrs["b1"])
    np.testing.assert_allclose(numpy_of(ours["w2"]), numpy_of(theirs["w2"]), rtol=1e-6)
    assert ours["w1"] not in opt_n.state
    if name == "Adagrad":  # like torch, state made at construction for every trainable param
        assert float(opt_n.state[ours["b1"]]["step"]) == 0.0
    else:
        assert ours["b1"] not in opt_n.state


@pytest.mark.parametrize(
    "sched",
    [
        ("StepLR", {"step_size": 7, "gamma": 0.5}),
        ("OneCycleLR", {"max_lr": 0.1, "total_steps": 60}),
        ("CosineAnnealingLR", {"T_max": 20}),
    ],
)
@pytest.mark.parametrize("name", ["SGD", "Adam"])
def test_training_with_scheduler_matches_torch(name, sched):
    sname, skw = sched
    kw = {"lr": 0.05, "momentum": 0.9} if name == "SGD" else {"lr": 0.01}
    arrs = init_arrays(np.float64)
    ours, theirs = make_params(nnlite, arrs), make_params(torch, arrs)
    opt_n = getattr(nnlite.optim, name)(list(ours.values()), **kw)
    opt_t = getattr(torch.optim, name)(list(theirs.values()), **kw)
    s_n = getattr(nnlite.optim.lr_scheduler, sname)(opt_n, **skw)
    s_t = getattr(torch.optim.lr_scheduler, sname)(opt_t, **skw)
    train(nnlite, opt_n, ours, arrs, 50, sched=s_n)
    train(torch, opt_t, theirs, arrs, 50, sched=s_t)
    for k in SHAPES:
        np.testing.assert_allclose(numpy_of(ours[k]), numpy_of(theirs[k]), rtol=1e-6, atol=1e-9)
    assert s_n.get_last_lr() == s_t.get_last_lr()
