"""torch.amp / torch.cuda.amp on a CPU: GradScaler and autocast as a CPU-only torch runs them."""

import numpy as np
import pytest

import nnlite

torch = pytest.importorskip("torch")


def _train(T, make_scaler, poison_step=None):
    T.manual_seed(0)
    model = T.nn.Linear(4, 2)
    opt = T.optim.SGD(model.parameters(), lr=0.1)
    scaler = make_scaler(T)
    x, y = T.randn(8, 4), T.randn(8, 2)
    scales = []
    for step in range(4):
        opt.zero_grad()
        with T.autocast(device_type="cpu", enabled=False):
            loss = T.nn.functional.mse_loss(model(x), y)
        if step == poison_step:
            loss = loss * float("inf")
        scaler.scale(loss).backward()
        scaler.step(opt)
        scaler.update()
        scales.append(scaler.get_scale())
    return model.weight.detach().numpy(), scales, scaler.is_enabled()


@pytest.mark.filterwarnings("ignore")
@pytest.mark.parametrize("make", [
    lambda T: T.amp.GradScaler("cpu"),
    lambda T: T.amp.GradScaler("cpu", init_scale=4.0, growth_interval=2),
    lambda T: T.cuda.amp.GradScaler(),          # disabled: no CUDA
    lambda T: T.amp.GradScaler(enabled=False),
])
@pytest.mark.parametrize("poison", [None, 1])
def test_grad_scaler_matches_torch(make, poison):
    a, b = _train(torch, make, poison), _train(nnlite, make, poison)
    np.testing.assert_allclose(b[0], a[0], rtol=1e-6, atol=1e-7)
    assert a[1:] == b[1:]


def test_disabled_with_torchs_warning_and_autocast_is_a_no_op():
    with pytest.warns(UserWarning, match="CUDA is not available"):
        s = nnlite.amp.GradScaler()
    assert not s.is_enabled() and s.get_scale() == 1.0 and s.state_dict() == {}
    with pytest.warns(UserWarning, match="Disabling autocast"):
        nnlite.autocast("cuda")
    x = nnlite.ones(2)
    with nnlite.autocast(device_type="cpu", dtype=nnlite.float16):
        assert (x @ x).dtype == nnlite.float32

    @nnlite.amp.autocast("cpu")
    def f(t):
        return t * 2

    assert f(x).tolist() == [2.0, 2.0]
    nnlite.set_float32_matmul_precision("high")
    assert nnlite.get_float32_matmul_precision() == "high"
    nnlite.set_float32_matmul_precision("highest")
    nnlite.use_deterministic_algorithms(True)
    assert nnlite.are_deterministic_algorithms_enabled()
    nnlite.use_deterministic_algorithms(False)
