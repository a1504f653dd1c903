"""NAdam, RAdam, Adamax, ASGD and Rprop against torch.optim: 50 steps, state layout, errors."""

import numpy as np
import pytest

import nnlite
from tests.optim.helpers import init_arrays, loss_of, make_params

torch = pytest.importorskip("torch")

CASES = [
    ("NAdam", {}),
    ("NAdam", {"lr": 0.01, "weight_decay": 0.1, "momentum_decay": 0.01}),
    ("NAdam", {"weight_decay": 0.1, "decoupled_weight_decay": True, "maximize": True}),
    ("RAdam", {}),
    ("RAdam", {"lr": 0.01, "weight_decay": 0.05, "betas": (0.8, 0.9)}),
    ("RAdam", {"weight_decay": 0.1, "decoupled_weight_decay": True, "foreach": False}),
    ("Adamax", {}),
    ("Adamax", {"lr": 0.01, "weight_decay": 0.1, "betas": (0.8, 0.99), "maximize": True}),
    ("ASGD", {}),
    ("ASGD", {"lr": 0.05, "lambd": 0.01, "alpha": 0.5, "t0": 10, "weight_decay": 0.05}),
    ("Rprop", {}),
    ("Rprop", {"lr": 0.05, "etas": (0.3, 1.5), "step_sizes": (1e-3, 0.1), "maximize": True}),
]
KEYS = {"NAdam": {"step", "mu_product", "exp_avg", "exp_avg_sq"},
        "RAdam": {"step", "exp_avg", "exp_avg_sq"}, "Adamax": {"step", "exp_avg", "exp_inf"},
        "ASGD": {"step", "eta", "mu", "ax"}, "Rprop": {"step", "prev", "step_size"}}


def _run(lib, name, dtype, kw, steps=50, frozen=("b1",)):
    arrs = init_arrays(dtype)
    params = make_params(lib, arrs, frozen=frozen)
    opt = getattr(lib.optim, name)(params.values(), **kw)
    losses = []
    for _ in range(steps):
        opt.zero_grad()
        loss = loss_of(lib, params, arrs)
        (-loss if kw.get("maximize") else loss).backward()
        losses.append(loss.item())
        opt.step()
    return {k: v.detach().numpy().copy() for k, v in params.items()}, opt, losses


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize(("name", "kw"), CASES)
def test_fifty_steps_match_torch(name, kw, dtype):
    a, topt, la = _run(torch, name, dtype, kw)
    b, nopt, _ = _run(nnlite, name, dtype, kw)
    tight = dtype == np.float64
    for k in a:
        np.testing.assert_allclose(b[k], a[k], rtol=1e-11 if tight else 2e-4,
                                   atol=1e-13 if tight else 2e-5, err_msg=k)
    assert la[-1] != la[0]  # it trained
    sa, sb = topt.state_dict(), nopt.state_dict()
    assert len(sa["state"]) == len(sb["state"]) == 2  # the frozen b1 gets no state
    assert sa["param_groups"][0].keys() == sb["param_groups"][0].keys()
    for i in sa["state"]:
        assert set(sa["state"][i]) == set(sb["state"][i]) == KEYS[name]
        for key, tv in sa["state"][i].items():
            nv = sb["state"][i][key]
            assert str(nv.dtype).split(".")[-1] == str(tv.dtype).split(".")[-1], key
            np.testing.assert_allclose(nv.numpy(), tv.numpy(), rtol=1e-9 if tight else 1e-3,
                                       atol=1e-12 if tight else 1e-5, err_msg=key)


def test_group_defaults_as_torch():
    for name, _ in CASES[::2]:
        t = getattr(torch.optim, name)([torch.zeros(2, requires_grad=True)])
        n = getattr(nnlite.optim, name)([nnlite.zeros(2, requires_grad=True)])
        tg = {k: v for k, v in t.param_groups[0].items() if k != "params"}
        ng = {k: v for k, v in n.param_groups[0].items() if k != "params"}
        assert tg == ng, name


@pytest.mark.parametrize("name", sorted(KEYS))
def test_state_dict_resume_as_torch(name):
    # Resuming from a state_dict casts float state (mu_product, eta, mu) to the parameter's
    # dtype, as torch's load_state_dict does; so compare with torch resuming the same way,
    # and with the uninterrupted run where no state changes dtype.
    arrs = init_arrays(np.float64, seed=3)

    def run(lib, opt_from=None, steps=10):
        params = make_params(lib, arrs)
        opt = getattr(lib.optim, name)(params.values(), lr=0.01)
        if opt_from is not None:
            with lib.no_grad():
                for k, p in params.items():
                    p.copy_(lib.tensor(opt_from[0][k]))
            opt.load_state_dict(opt_from[1])
        for _ in range(steps):
            opt.zero_grad()
            loss_of(lib, params, arrs).backward()
            opt.step()
        return {k: v.detach().numpy().copy() for k, v in params.items()}, opt

    out = {}
    for lib in (torch, nnlite):
        full, _ = run(lib, steps=10)
        half, opt = run(lib, steps=5)
        out[lib.__name__] = full, run(lib, opt_from=(half, opt.state_dict()), steps=5)[0]
    for k in arrs.keys() & out["nnlite"][0].keys():
        np.testing.assert_allclose(out["nnlite"][1][k], out["torch"][1][k], rtol=1e-12)
        if name not in ("NAdam", "ASGD"):
            np.testing.assert_array_equal(out["nnlite"][1][k], out["nnlite"][0][k])


def test_errors_as_torch():
    for lib in (torch, nnlite):
        q = [lib.zeros(2, requires_grad=True)]
        with pytest.raises(ValueError, match="Invalid momentum_decay value"):
            lib.optim.NAdam(q, momentum_decay=-1)
        with pytest.raises(ValueError, match="Invalid beta parameter at index 1"):
            lib.optim.RAdam(q, betas=(0.9, 1.0))
        with pytest.raises(ValueError, match="Invalid epsilon value"):
            lib.optim.Adamax(q, eps=-1)
        with pytest.raises(ValueError, match="Invalid weight_decay value"):
            lib.optim.ASGD(q, weight_decay=-1)
        with pytest.raises(ValueError, match="Invalid eta values"):
            lib.optim.Rprop(q, etas=(1.5, 2.0))
        with pytest.raises(ValueError, match="Invalid learning rate"):
            lib.optim.NAdam(q, lr=-1)


def test_rprop_closed_form_on_a_quadratic():
    # f = sum(c * x**2): the gradient keeps its sign while x does, so the step size grows by
    # etas[1] per step from lr (clamped at step_sizes[1]) and x moves by exactly that.
    x = nnlite.tensor([3.0, -2.0], dtype=nnlite.float64, requires_grad=True)
    opt = nnlite.optim.Rprop([x], lr=0.1, etas=(0.5, 1.2), step_sizes=(1e-6, 0.2))
    sizes, expected = 0.1, np.array([3.0, -2.0])
    for i in range(4):
        opt.zero_grad()
        (x**2).sum().backward()
        opt.step()
        if i > 0:
            sizes = min(sizes * 1.2, 0.2)
        expected = expected - np.sign(expected) * sizes
        np.testing.assert_allclose(x.detach().numpy(), expected, rtol=1e-14)
