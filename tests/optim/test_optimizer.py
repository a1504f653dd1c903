"""Optimizer base behaviour: errors, frozen parameters, groups, state_dict and resuming."""

from __future__ import annotations

import json
import subprocess
import sys
import warnings

import numpy as np
import pytest

import nnlite
from nnlite import optim

from .helpers import SHAPES, init_arrays, loss_of, make_params, numpy_of, train

ALGOS = {
    "SGD": {"lr": 0.05, "momentum": 0.9, "weight_decay": 0.01, "nesterov": True},
    "Adam": {"lr": 0.01, "amsgrad": True, "weight_decay": 0.01},
    "AdamW": {"lr": 0.01},
    "RMSprop": {"lr": 0.01, "momentum": 0.5, "centered": True},
    "Adagrad": {"lr": 0.05, "lr_decay": 0.01},
}


def _p(*shape):
    return nnlite.tensor(np.ones(shape), requires_grad=True)


# ---- errors ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "make, msg",
    [
        (lambda p: optim.SGD(p, lr=-1), "Invalid learning rate: -1"),
        (lambda p: optim.SGD(p, momentum=-0.5), "Invalid momentum value: -0.5"),
        (lambda p: optim.SGD(p, weight_decay=-1e-3), "Invalid weight_decay value: -0.001"),
        (lambda p: optim.SGD(p, nesterov=True), "Nesterov momentum requires a momentum"),
        (lambda p: optim.Adam(p, lr=-0.1), "Invalid learning rate: -0.1"),
        (lambda p: optim.Adam(p, betas=(1.0, 0.9)), "Invalid beta parameter at index 0: 1.0"),
        (lambda p: optim.Adam(p, betas=(0.9, -0.1)), "Invalid beta parameter at index 1: -0.1"),
        (lambda p: optim.Adam(p, eps=-1e-8), "Invalid epsilon value: -1e-08"),
        (lambda p: optim.AdamW(p, weight_decay=-1.0), "Invalid weight_decay value: -1.0"),
        (lambda p: optim.RMSprop(p, alpha=-0.5), "Invalid alpha value: -0.5"),
        (lambda p: optim.RMSprop(p, momentum=-1), "Invalid momentum value: -1"),
        (lambda p: optim.Adagrad(p, lr_decay=-1), "Invalid lr_decay value: -1"),
        (lambda p: optim.Adagrad(p, eps=-1), "Invalid epsilon value: -1"),
    ],
)
def test_invalid_hyperparameters_raise_value_error(make, msg):
    with pytest.raises(ValueError, match=msg.replace("(", r"\(").replace(".", r"\.")):
        make([_p(2)])


def test_parameter_list_errors():
    with pytest.raises(ValueError, match="optimizer got an empty parameter list"):
        optim.SGD([], lr=0.1)
    a = _p(2)
    with pytest.raises(ValueError, match="some parameters appear in more than one parameter"):
        optim.SGD([{"params": [a]}, {"params": [a]}], lr=0.1)
    with pytest.raises(ValueError, match="can't optimize a non-leaf Tensor"):
        optim.Adam([a * 2])
    with pytest.raises(TypeError, match="should be an iterable of Tensors or dicts"):
        optim.SGD(a, lr=0.1)
    with pytest.raises(TypeError, match="optimizer can only optimize Tensors"):
        optim.SGD([np.ones(2)], lr=0.1)
    with pytest.raises(TypeError, match="ordered collections"):
        optim.SGD([{"params": {a}}], lr=0.1)
    with pytest.raises(ValueError, match="betas must be either both floats or both Tensors"):
        optim.Adam([a], betas=(0, 0.9))


def test_errors_match_torch_messages():
    torch = pytest.importorskip("torch")
    cases = [
        ("SGD", {"lr": -1}),
        ("SGD", {"momentum": -0.5}),
        ("Adam", {"betas": (1.0, 0.9)}),
        ("Adam", {"eps": -1.0}),
        ("RMSprop", {"weight_decay": -2}),
        ("Adagrad", {"initial_accumulator_value": -1}),
    ]
    for name, kw in cases:
        with pytest.raises(ValueError) as ours:
            getattr(optim, name)([_p(2)], **kw)
        with pytest.raises(ValueError) as theirs:
            getattr(torch.optim, name)([torch.ones(2, requires_grad=True)], **kw)
        assert str(ours.value) == str(theirs.value)


def test_import_does_not_load_numba_or_kernels():
    code = (
        "import sys, nnlite; before = set(sys.modules); import nnlite.optim; "
        "new = set(sys.modules) - before; "
        "assert not any(m.startswith('numba') or m.startswith('nnlite.kernels') for m in new), new"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


# ---- groups, defaults, zero_grad, closure ---------------------------------------------------


def test_param_groups_defaults_and_add_param_group():
    a, b, c = _p(2), _p(3), _p(1)
    opt = optim.SGD([{"params": [a]}, {"params": b, "lr": 0.5}], lr=0.1, momentum=0.9)
    assert opt.defaults["lr"] == 0.1
    assert [g["lr"] for g in opt.param_groups] == [0.1, 0.5]
    assert opt.param_groups[1]["params"] == [b]
    assert opt.param_groups[1]["momentum"] == 0.9
    opt.add_param_group({"params": [c], "lr": 0.01})
    assert opt.param_groups[2]["lr"] == 0.01 and opt.param_groups[2]["nesterov"] is False
    with pytest.raises(ValueError, match="more than one parameter group"):
        opt.add_param_group({"params": [a]})
    # named parameters give param_names, as in torch
    named = optim.Adam([("w", a), ("b", b)])
    assert named.param_groups[0]["param_names"] == ["w", "b"]
    assert "Parameter Group 0" in repr(opt) and "lr: 0.5" in repr(opt)


def test_group_learning_rates_apply_per_group():
    a, b = _p(2), _p(2)
    opt = optim.SGD([{"params": [a]}, {"params": [b], "lr": 1.0}], lr=0.1)
    (a.sum() + b.sum()).backward()
    opt.step()
    np.testing.assert_allclose(numpy_of(a), 0.9)
    np.testing.assert_allclose(numpy_of(b), 0.0)


def test_zero_grad_to_none_and_to_zero():
    a = _p(3)
    opt = optim.SGD([a], lr=0.1)
    (a * a).sum().backward()
    g = a.grad
    opt.zero_grad(set_to_none=False)
    assert a.grad is g
    np.testing.assert_array_equal(numpy_of(a.grad), 0.0)
    opt.zero_grad()
    assert a.grad is None


def test_step_runs_closure_with_grad_and_update_without():
    a = _p(3)
    opt = optim.SGD([a], lr=0.1)
    seen = []

    def closure():
        opt.zero_grad()
        loss = (a * a).sum()
        seen.append(nnlite.is_grad_enabled())
        loss.backward()
        return loss

    with nnlite.no_grad():
        loss = opt.step(closure)
    assert seen == [True]
    assert float(loss) == 3.0
    np.testing.assert_allclose(numpy_of(a), 0.8)
    assert a.grad_fn is None and a.requires_grad


def test_step_bumps_the_version_counter():
    a = _p(2)
    opt = optim.Adam([a])
    a.sum().backward()
    v = a._vc[0]
    opt.step()
    assert a._vc[0] == v + 1


def test_step_hooks():
    a = _p(2)
    opt = optim.SGD([a], lr=0.1)
    calls = []
    h1 = opt.register_step_pre_hook(lambda o, args, kw: calls.append("pre"))
    opt.register_step_post_hook(lambda o, args, kw: calls.append("post"))
    a.sum().backward()
    opt.step()
    h1.remove()
    opt.step()
    assert calls == ["pre", "post", "post"]


# ---- frozen parameters ----------------------------------------------------------------------


@pytest.mark.parametrize("name", list(ALGOS))
def test_frozen_after_some_steps_stops_at_once_and_resumes_from_kept_state(name):
    arrs = init_arrays()
    params = make_params(nnlite, arrs)
    kw = dict(ALGOS[name], weight_decay=0.1)
    opt = getattr(optim, name)(list(params.values()), **kw)
    train(nnlite, opt, params, arrs, 3)
    w1 = params["w1"]
    frozen_value = numpy_of(w1)
    kept = {k: numpy_of(v) for k, v in opt.state[w1].items()}
    w1.requires_grad_(False)
    train(nnlite, opt, params, arrs, 4)
    np.testing.assert_array_equal(numpy_of(w1), frozen_value)  # no decay, no momentum
    for k, v in opt.state[w1].items():
        np.testing.assert_array_equal(numpy_of(v), kept[k])  # state kept, not applied
    # The same holds with requires_grad=True but a stale grad set to None each step.
    w1.requires_grad_(True)
    train(nnlite, opt, params, arrs, 2, grad_none=("w1",))
    np.testing.assert_array_equal(numpy_of(w1), frozen_value)
    # Unfrozen: resumes from the kept state (the step count continues from 3).
    train(nnlite, opt, params, arrs, 1)
    assert not np.array_equal(numpy_of(w1), frozen_value)
    if "step" in kept:
        assert float(opt.state[w1]["step"]) == float(kept["step"]) + 1


def test_finetuning_frozen_backbone_with_adamw_weight_decay():
    torch_nn = nnlite.nn
    nnlite.manual_seed(0)
    model = torch_nn.Sequential(
        torch_nn.Linear(4, 16), torch_nn.ReLU(), torch_nn.Linear(16, 16), torch_nn.ReLU(),
        torch_nn.Linear(16, 3),
    )  # fmt: skip
    backbone = list(model.parameters())[:4]
    for p in backbone:
        p.requires_grad_(False)
    before = [numpy_of(p) for p in model.parameters()]
    opt = optim.AdamW(model.parameters(), lr=1e-2, weight_decay=0.1)  # all params, as usual
    rng = np.random.default_rng(0)
    x = nnlite.tensor(rng.standard_normal((32, 4)).astype(np.float32))
    y = nnlite.tensor(rng.integers(0, 3, 32))
    losses = []
    for _ in range(20):
        opt.zero_grad()
        loss = torch_nn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        losses.append(float(loss))
    assert losses[-1] < losses[0]
    after = [numpy_of(p) for p in model.parameters()]
    for b, a in zip(before[:4], after[:4]):
        np.testing.assert_array_equal(a, b)  # bit-identical: no decay on frozen weights
    for b, a in zip(before[4:], after[4:]):
        assert not np.array_equal(a, b)
    head = list(model.parameters())[4:]
    assert set(map(id, opt.state)) == set(map(id, head))
    assert all(p.grad is None for p in backbone)
    assert sorted(opt.state_dict()["state"]) == [4, 5]


# ---- state_dict and resume ------------------------------------------------------------------


@pytest.mark.parametrize("name", list(ALGOS))
def test_state_dict_format(name):
    arrs = init_arrays()
    params = make_params(nnlite, arrs, frozen=("b1",))
    opt = getattr(optim, name)(list(params.values()), **ALGOS[name])
    train(nnlite, opt, params, arrs, 2)
    sd = opt.state_dict()
    assert set(sd) == {"state", "param_groups"}
    assert sd["param_groups"][0]["params"] == [0, 1, 2]
    assert sorted(sd["state"]) == [0, 2]  # frozen b1 (index 1): no state
    for st in sd["state"].values():
        for k, v in st.items():
            assert isinstance(v, nnlite.Tensor)
            if k == "step":
                assert v.dtype == nnlite.float32 and v.shape == () and float(v) == 2.0


def _to_checkpoint(sd):
    """A no-pickle checkpoint: arrays in an npz-like dict + JSON for everything else."""
    arrays, meta = {}, {"state": {}, "param_groups": sd["param_groups"]}
    for i, st in sd["state"].items():
        meta["state"][i] = {}
        for k, v in st.items():
            arrays[f"{i}.{k}"] = np.array(v._data, copy=True)
            meta["state"][i][k] = f"{i}.{k}"
    return arrays, json.dumps(meta)


def _from_checkpoint(arrays, text):
    meta = json.loads(text)
    state = {i: {k: arrays[ref] for k, ref in st.items()} for i, st in meta["state"].items()}
    return {"state": state, "param_groups": meta["param_groups"]}


@pytest.mark.parametrize("name", list(ALGOS))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_resume_is_bit_identical_to_uninterrupted(name, dtype):
    arrs = init_arrays(dtype)
    kw = ALGOS[name]
    sched_kw = {"step_size": 3, "gamma": 0.5}

    ref = make_params(nnlite, arrs)
    ref_opt = getattr(optim, name)(list(ref.values()), **kw)
    ref_sched = optim.lr_scheduler.StepLR(ref_opt, **sched_kw)
    train(nnlite, ref_opt, ref, arrs, 20, sched=ref_sched)

    params = make_params(nnlite, arrs)
    opt = getattr(optim, name)(list(params.values()), **kw)
    sched = optim.lr_scheduler.StepLR(opt, **sched_kw)
    train(nnlite, opt, params, arrs, 10, sched=sched)
    weights = {k: numpy_of(v) for k, v in params.items()}
    arrays, text = _to_checkpoint(opt.state_dict())
    sched_text = json.dumps(sched.state_dict())

    fresh = {k: nnlite.tensor(w, requires_grad=True) for k, w in weights.items()}
    opt2 = getattr(optim, name)(list(fresh.values()), **kw)
    sched2 = optim.lr_scheduler.StepLR(opt2, **sched_kw)
    opt2.load_state_dict(_from_checkpoint(arrays, text))
    sched2.load_state_dict(json.loads(sched_text))
    train(nnlite, opt2, fresh, arrs, 10, sched=sched2)

    for k in SHAPES:
        np.testing.assert_array_equal(numpy_of(fresh[k]), numpy_of(ref[k]))
    assert sched2.get_last_lr() == ref_sched.get_last_lr()
    assert opt2.param_groups[0]["lr"] == ref_opt.param_groups[0]["lr"]


def test_load_state_dict_copies_casts_and_checks():
    a = nnlite.tensor(np.ones(3, np.float32), requires_grad=True)
    opt = optim.Adam([a], betas=(0.8, 0.9))
    a.sum().backward()
    opt.step()
    sd = opt.state_dict()
    b = nnlite.tensor(np.ones(3, np.float64), requires_grad=True)
    opt2 = optim.Adam([b])
    opt2.load_state_dict(sd)
    st = opt2.state[b]
    assert st["exp_avg"].dtype == nnlite.float64  # cast to the param's dtype, like torch
    assert st["step"].dtype == nnlite.float32
    assert st["exp_avg"]._data is not sd["state"][0]["exp_avg"]._data
    assert opt2.param_groups[0]["betas"] == (0.8, 0.9)
    assert opt2.param_groups[0]["params"] == [b]
    with pytest.raises(ValueError, match="different number of parameter groups"):
        optim.Adam([{"params": [b]}, {"params": [_p(1)]}]).load_state_dict(sd)
    with pytest.raises(ValueError, match="doesn't match the size of optimizer's group"):
        optim.Adam([b, _p(1)]).load_state_dict(sd)


def test_state_dict_loads_into_torch_and_back():
    torch = pytest.importorskip("torch")
    arrs = init_arrays()
    ours = make_params(nnlite, arrs)
    opt = optim.Adam(list(ours.values()), lr=0.01, amsgrad=True)
    train(nnlite, opt, ours, arrs, 5)
    sd = opt.state_dict()
    theirs = {k: torch.tensor(numpy_of(v), requires_grad=True) for k, v in ours.items()}
    topt = torch.optim.Adam(list(theirs.values()), lr=0.01, amsgrad=True)
    topt.load_state_dict(
        {
            "state": {
                i: {k: torch.tensor(numpy_of(v)) for k, v in st.items()}
                for i, st in sd["state"].items()
            },
            "param_groups": sd["param_groups"],
        }
    )
    train(nnlite, opt, ours, arrs, 5)
    train(torch, topt, theirs, arrs, 5)
    for k in SHAPES:
        np.testing.assert_allclose(numpy_of(ours[k]), numpy_of(theirs[k]), rtol=1e-12)


def test_scheduler_step_before_optimizer_step_warns():
    opt = optim.SGD([_p(1)], lr=0.1)
    sched = optim.lr_scheduler.StepLR(opt, 1)
    with pytest.warns(UserWarning, match="before `optimizer.step\\(\\)`"):
        sched.step()
    opt2 = optim.SGD([_p(1)], lr=0.1)
    sched2 = optim.lr_scheduler.StepLR(opt2, 1)
    opt2.step()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sched2.step()


def test_loss_of_helper_is_differentiable():
    # guards the helper used above: every parameter gets a gradient
    arrs = init_arrays()
    params = make_params(nnlite, arrs)
    loss_of(nnlite, params, arrs).backward()
    assert all(p.grad is not None for p in params.values())


@pytest.mark.parametrize("default", ["float32", "float64"])
@pytest.mark.parametrize("name,fused", [("Adam", None), ("Adam", True), ("RMSprop", None),
                                        ("Adagrad", None)])  # fmt: skip
def test_step_dtype_follows_torch(default, name, fused):
    torch = pytest.importorskip("torch")
    kw = {} if fused is None else {"fused": fused}
    dtypes = []
    for lib in (nnlite, torch):
        old = lib.get_default_dtype()
        lib.set_default_dtype(getattr(lib, default))
        try:
            p = lib.ones(2, requires_grad=True)
            opt = getattr(lib.optim, name)([p], **kw)
            p.grad = lib.ones(2)
            opt.step()
            dtypes.append(str(opt.state[p]["step"].dtype))
        finally:
            lib.set_default_dtype(old)
    assert dtypes[0] == dtypes[1]
