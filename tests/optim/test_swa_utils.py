"""optim.swa_utils (AveragedModel, SWALR, update_bn, the averaging functions) against torch."""

import numpy as np
import pytest

import nnlite

torch = pytest.importorskip("torch")


def _net(lib, dtype):
    lib.manual_seed(0)
    net = lib.nn.Sequential(lib.nn.Linear(4, 6), lib.nn.BatchNorm1d(6), lib.nn.ReLU(),
                            lib.nn.Linear(6, 2))
    return net.to(lib.float64 if dtype == np.float64 else lib.float32)


def _train_and_average(lib, dtype, make_avg, epochs=6, swa_start=2, sched=True):
    net = _net(lib, dtype)
    rng = np.random.default_rng(0)
    xs = [lib.tensor(rng.standard_normal((8, 4)).astype(dtype)) for _ in range(3)]
    ys = [lib.tensor(rng.standard_normal((8, 2)).astype(dtype)) for _ in range(3)]
    avg = make_avg(lib, net)
    opt = lib.optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
    swa_sched = lib.optim.swa_utils.SWALR(opt, swa_lr=0.05, anneal_epochs=3) if sched else None
    lrs = []
    for epoch in range(epochs):
        for x, y in zip(xs, ys):
            opt.zero_grad()
            lib.nn.functional.mse_loss(net(x), y).backward()
            opt.step()
        if epoch >= swa_start:
            avg.update_parameters(net)
            if swa_sched is not None:
                swa_sched.step()
        lrs.append(opt.param_groups[0]["lr"])
    lib.optim.swa_utils.update_bn([(x, None) for x in xs], avg)
    avg.eval()
    out = avg(xs[0]).detach().numpy()
    return {k: v.detach().numpy().copy() for k, v in avg.state_dict().items()}, lrs, out


MAKERS = {
    "swa": lambda lib, net: lib.optim.swa_utils.AveragedModel(net),
    "ema_multi": lambda lib, net: lib.optim.swa_utils.AveragedModel(
        net, multi_avg_fn=lib.optim.swa_utils.get_ema_multi_avg_fn(0.9)),
    "ema_buffers": lambda lib, net: lib.optim.swa_utils.AveragedModel(
        net, multi_avg_fn=lib.optim.swa_utils.get_ema_multi_avg_fn(0.7), use_buffers=True),
    "swa_multi_buffers": lambda lib, net: lib.optim.swa_utils.AveragedModel(
        net, multi_avg_fn=lib.optim.swa_utils.get_swa_multi_avg_fn(), use_buffers=True),
    "ema_single": lambda lib, net: lib.optim.swa_utils.AveragedModel(
        net, avg_fn=lib.optim.swa_utils.get_ema_avg_fn(0.8)),
    "custom": lambda lib, net: lib.optim.swa_utils.AveragedModel(
        net, avg_fn=lambda a, m, n: 0.5 * a + 0.5 * m + 0 * n),
}


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("kind", sorted(MAKERS))
def test_averaged_model_matches_torch(kind, dtype):
    if kind == "swa_multi_buffers":  # integer num_batches_tracked: torch's addcdiv refuses
        for lib in (torch, nnlite):
            with pytest.raises(RuntimeError, match="Integer division with addcdiv"):
                _train_and_average(lib, dtype, MAKERS[kind])
        return
    a, la, oa = _train_and_average(torch, dtype, MAKERS[kind])
    b, lb, ob = _train_and_average(nnlite, dtype, MAKERS[kind])
    assert list(a) == list(b)
    assert "n_averaged" in b and "module.0.weight" in b
    assert b["n_averaged"].dtype == np.int64 and int(b["n_averaged"]) == 4
    tol = {"rtol": 1e-12, "atol": 1e-14} if dtype == np.float64 else {"rtol": 1e-5, "atol": 1e-6}
    for k in a:
        if a[k].dtype.kind == "f":
            np.testing.assert_allclose(b[k], a[k], err_msg=k, **tol)
        else:
            np.testing.assert_array_equal(b[k], a[k], err_msg=k)
    np.testing.assert_allclose(lb, la, rtol=1e-15)
    np.testing.assert_allclose(ob, oa, **tol)


def test_swa_average_is_the_mean_of_the_snapshots():
    net = nnlite.nn.Linear(3, 1)
    avg = nnlite.optim.swa_utils.AveragedModel(net)
    snaps = []
    for i in range(5):
        with nnlite.no_grad():
            net.weight.copy_(nnlite.full((1, 3), float(i * i)))
        snaps.append(net.weight.detach().numpy().copy())
        avg.update_parameters(net)
    np.testing.assert_allclose(avg.module.weight.detach().numpy(), np.mean(snaps, axis=0),
                               rtol=1e-6)


def test_swalr_schedule_and_state_dict_as_torch():
    out = {}
    for lib in (torch, nnlite):
        opt = lib.optim.SGD([lib.zeros(1, requires_grad=True)], lr=1.0)
        for strategy in ("cos", "linear"):
            s = lib.optim.swa_utils.SWALR(opt, swa_lr=[0.1], anneal_epochs=4,
                                          anneal_strategy=strategy)
            lrs = []
            for _ in range(6):
                opt.step()
                s.step()
                lrs.append(s.get_last_lr()[0])
            out.setdefault(lib.__name__, []).append(lrs)
            st = s.state_dict()
            assert "anneal_func" not in st and st["_anneal_strategy"] == strategy
    np.testing.assert_allclose(out["nnlite"], out["torch"], rtol=1e-15)
    assert out["nnlite"][0][-1] == pytest.approx(0.1)


def test_errors_as_torch():
    for lib in (torch, nnlite):
        su = lib.optim.swa_utils
        opt = lib.optim.SGD([lib.zeros(1, requires_grad=True)], lr=1.0)
        with pytest.raises(ValueError, match="Invalid decay value"):
            su.get_ema_multi_avg_fn(1.5)
        with pytest.raises(ValueError, match="anneal_strategy must be one of"):
            su.SWALR(opt, swa_lr=0.1, anneal_strategy="exp")
        with pytest.raises(ValueError, match="anneal_epochs must be equal or greater than 0"):
            su.SWALR(opt, swa_lr=0.1, anneal_epochs=-1)
        with pytest.raises(ValueError, match="swa_lr must have the same length"):
            su.SWALR(opt, swa_lr=[0.1, 0.2])
        with pytest.raises(AssertionError, match="Only one of avg_fn and multi_avg_fn"):
            su.AveragedModel(lib.nn.Linear(1, 1), avg_fn=su.get_ema_avg_fn(),
                             multi_avg_fn=su.get_ema_multi_avg_fn())


def test_update_bn_restores_momentum_and_mode_and_handles_no_bn():
    net = _net(nnlite, np.float64)
    net.eval()
    x = nnlite.randn(16, 4, dtype=nnlite.float64)
    nnlite.optim.swa_utils.update_bn([x[:8], x[8:]], net)
    bn = net[1]
    assert bn.momentum == 0.1 and not net.training
    h = net[0](x).detach().numpy()
    np.testing.assert_allclose(bn.running_mean.numpy(), h.mean(0), rtol=1e-10)
    nnlite.optim.swa_utils.update_bn([x], nnlite.nn.Linear(4, 1))  # no BatchNorm: a no-op
