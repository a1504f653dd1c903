"""Adafactor against torch.optim.Adafactor (torch >= 2.5 semantics): matrices (factored),
vectors, 3-d tensors, weight decay, maximize, eps and d; state_dict round trip; errors."""

import numpy as np
import pytest

import nnlite

torch = pytest.importorskip("torch")

SHAPES = {"w": (5, 4), "b": (4,), "k": (2, 3, 3)}


def _run(lib, kw, dtype, steps=25):
    g = np.random.default_rng(0)
    params = {k: lib.nn.Parameter(lib.tensor(g.standard_normal(s), dtype=dtype))
              for k, s in SHAPES.items()}
    opt = lib.optim.Adafactor(params.values(), **kw)
    for i in range(steps):
        opt.zero_grad()
        loss = sum(((p - 0.1 * i) ** 2 * (1 + p.abs())).sum() for p in params.values())
        loss.backward()
        opt.step()
    return params, opt


@pytest.mark.parametrize("kw", [{}, {"lr": 0.05, "weight_decay": 0.1},
                                {"maximize": True, "d": 2.0, "beta2_decay": -0.5},
                                {"eps": (1e-6, 1e-2), "lr": 0.5}])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_steps_match_torch(kw, dtype):
    ours, o_opt = _run(nnlite, kw, getattr(nnlite, dtype))
    theirs, t_opt = _run(torch, kw, getattr(torch, dtype))
    rtol = 1e-5 if dtype == "float32" else 1e-12
    for k in SHAPES:
        np.testing.assert_allclose(ours[k].detach().numpy(), theirs[k].detach().numpy(),
                                   rtol=rtol, atol=rtol)
    o_sd, t_sd = o_opt.state_dict(), t_opt.state_dict()
    assert o_sd["param_groups"] == t_sd["param_groups"]
    for i, st in t_sd["state"].items():
        assert sorted(o_sd["state"][i]) == sorted(st)
        for key, v in st.items():
            assert tuple(o_sd["state"][i][key].shape) == tuple(v.shape)
            np.testing.assert_allclose(o_sd["state"][i][key].numpy(), v.numpy(), rtol=rtol * 10,
                                       atol=1e-12)


def test_state_dict_resume_continues_as_torch():
    ours, o_opt = _run(nnlite, {}, nnlite.float64, steps=5)
    o2 = nnlite.optim.Adafactor(ours.values())
    o2.load_state_dict(o_opt.state_dict())
    assert o2.state_dict()["param_groups"] == o_opt.state_dict()["param_groups"]
    assert float(o2.state[ours["w"]]["step"]) == 5.0


def test_frozen_parameter_untouched():
    a, b = nnlite.nn.Parameter(nnlite.ones(2, 2)), nnlite.nn.Parameter(nnlite.ones(3))
    b.requires_grad_(False)
    opt = nnlite.optim.Adafactor([a, b], weight_decay=0.5)
    (a * 2).sum().backward()
    opt.step()
    assert b.tolist() == [1.0, 1.0, 1.0] and len(opt.state[b]) == 0


@pytest.mark.parametrize("kw", [{"lr": -1.0}, {"beta2_decay": 0.5}, {"eps": (-1.0, 1e-3)},
                                {"eps": (None, -1.0)}, {"d": 0.5}, {"weight_decay": -0.1}])
def test_errors_as_torch(kw):
    with pytest.raises(ValueError) as want:
        torch.optim.Adafactor([torch.nn.Parameter(torch.ones(1))], **kw)
    with pytest.raises(ValueError) as got:
        nnlite.optim.Adafactor([nnlite.nn.Parameter(nnlite.ones(1))], **kw)
    assert str(got.value) == str(want.value)
