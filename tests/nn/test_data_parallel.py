"""nn.DataParallel as torch's on a machine without GPUs: a wrapper whose forward is the module's,
``module.``-prefixed state_dict keys, ``device_ids == []``, the functional form's error."""

import importlib

import numpy as np
import pytest

import nnlite

torch = pytest.importorskip("torch")


def _net(T):
    T.manual_seed(0)
    return T.nn.Sequential(T.nn.Linear(4, 8), T.nn.BatchNorm1d(8), T.nn.ReLU(), T.nn.Linear(8, 2))


def _run(T):
    dp = T.nn.DataParallel(_net(T), device_ids=[0, 1], output_device=0, dim=1)
    opt = T.optim.SGD(dp.parameters(), lr=0.1)
    x = T.tensor(np.random.default_rng(0).standard_normal((6, 4)).astype(np.float32))
    losses = []
    for _ in range(3):
        opt.zero_grad()
        loss = dp(x).square().mean()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return {"repr": repr(dp), "keys": list(dp.state_dict()), "ids": dp.device_ids,
            "attrs": [hasattr(dp, a) for a in ("dim", "output_device", "src_device_obj")],
            "inner": list(dp.module.state_dict()), "losses": losses,
            "grad_fn": type(dp(x).grad_fn).__name__, "is_dp": isinstance(dp, T.nn.DataParallel),
            "same": dp.module[0].weight is next(iter(dp.parameters()))}


def test_data_parallel_wraps_and_trains_as_torchs():
    mine, theirs = _run(nnlite), _run(torch)
    losses_m, losses_t = mine.pop("losses"), theirs.pop("losses")
    np.testing.assert_allclose(losses_m, losses_t, rtol=1e-5)
    assert mine == theirs
    assert mine["keys"][0] == "module.0.weight"


def test_state_dict_round_trip_through_the_wrapper():
    src = nnlite.nn.DataParallel(_net(nnlite))
    dst = nnlite.nn.DataParallel(nnlite.nn.Sequential(
        nnlite.nn.Linear(4, 8), nnlite.nn.BatchNorm1d(8), nnlite.nn.ReLU(),
        nnlite.nn.Linear(8, 2)))
    dst.load_state_dict(src.state_dict())
    np.testing.assert_array_equal(dst.module[3].weight.detach().numpy(),
                                  src.module[3].weight.detach().numpy())
    with pytest.raises(RuntimeError, match="module.0.weight"):
        nnlite.nn.Sequential(nnlite.nn.Linear(4, 8)).load_state_dict(
            {"module.0.weight": nnlite.zeros(8, 4), "module.0.bias": nnlite.zeros(8)})


def test_paths_and_functional_form_as_torchs():
    for T in (torch, nnlite):
        par = importlib.import_module(f"{T.__name__}.nn.parallel")
        assert par.DataParallel is T.nn.DataParallel
        assert importlib.import_module(f"{T.__name__}.nn.parallel.data_parallel")  # module path
        with pytest.raises(RuntimeError, match="device type could not be determined"):
            par.data_parallel(T.nn.Linear(2, 1), T.ones(1, 2))
