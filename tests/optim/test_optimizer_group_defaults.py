"""The optimizer skeleton in the base class: ``__setstate__`` fills the flags a group saved
before they existed as torch's does, and the shared per-parameter loop skips frozen params."""

import numpy as np
import pytest

import nnlite

NAMES = ["Adam", "Adagrad", "RMSprop", "SGD", "Adadelta", "NAdam", "RAdam", "Adamax", "ASGD",
         "Rprop", "Adafactor"]


@pytest.mark.parametrize("name", NAMES)
def test_load_state_dict_fills_missing_flags_as_torch(name):
    torch = pytest.importorskip("torch")
    groups = []
    for lib in (nnlite, torch):
        p = lib.nn.Parameter(lib.ones(3))
        opt = getattr(lib.optim, name)([p], lr=0.1)
        sd = opt.state_dict()
        for key in ("maximize", "foreach", "differentiable", "capturable", "fused",
                    "decoupled_weight_decay", "amsgrad", "nesterov", "centered"):
            sd["param_groups"][0].pop(key, None)
        opt.load_state_dict(sd)
        groups.append({k: v for k, v in opt.param_groups[0].items() if k != "params"})
    assert set(groups[0]) == set(groups[1])
    for k in groups[1]:
        if not isinstance(groups[1][k], (bool, type(None))):
            continue
        assert groups[0][k] == groups[1][k], k


@pytest.mark.parametrize("name", ["Adadelta", "NAdam", "RAdam", "Adamax", "ASGD", "Rprop"])
def test_frozen_param_untouched_and_stateless(name):
    a = nnlite.nn.Parameter(nnlite.ones(3))
    b = nnlite.nn.Parameter(nnlite.ones(3))
    opt = getattr(nnlite.optim, name)([a, b], lr=0.1, **({} if name == "Rprop" else
                                                         {"weight_decay": 0.1}))
    (a * nnlite.arange(3.0)).sum().backward()
    b.requires_grad_(False)
    before = b.detach().numpy().copy()
    opt.step()
    np.testing.assert_array_equal(b.detach().numpy(), before)
    assert len(opt.state[b]) == 0 and float(opt.state[a]["step"]) == 1.0
    assert a._version == 1
