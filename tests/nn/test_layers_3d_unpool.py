"""Conv3d, ConvTranspose3d, the 3-D pools, LPPool, BatchNorm3d, MaxUnpool1d/2d/3d against torch:
values, gradients, grad_fn names, seeded init, state_dict keys, repr and error types."""

import numpy as np
import pytest

import nnlite

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(7)


def _run(T, make, x, seed=0):
    """Build the module under seed ``seed`` in T, run it on x (float64), backprop sum(y^2)."""
    T.manual_seed(seed)
    m = make(T).double()
    X = T.tensor(x, requires_grad=True)
    y = m(X)
    out = y[0] if isinstance(y, tuple) else y
    (out * out).sum().backward()
    grads = {k: p.grad.numpy() for k, p in m.named_parameters()}
    return dict(y=[v.detach().numpy() for v in (y if isinstance(y, tuple) else (y,))],
                gx=X.grad.numpy(), grads=grads, grad_fn=type(out.grad_fn).__name__,
                keys=list(m.state_dict()), repr=repr(m))


def _same(a, b):
    assert a["grad_fn"] == b["grad_fn"] and a["keys"] == b["keys"] and a["repr"] == b["repr"]
    for u, v in zip(a["y"], b["y"]):
        np.testing.assert_allclose(u, v, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(a["gx"], b["gx"], rtol=1e-10, atol=1e-12)
    assert a["grads"].keys() == b["grads"].keys()
    for k in a["grads"]:
        np.testing.assert_allclose(a["grads"][k], b["grads"][k], rtol=1e-10, atol=1e-12)


MODULES = {
    "conv3d": (lambda T: T.nn.Conv3d(4, 6, (3, 2, 2), stride=(1, 2, 1), padding=(1, 0, 1),
                                     dilation=(2, 1, 1), groups=2), (2, 4, 5, 6, 5)),
    "conv3d_same_reflect": (lambda T: T.nn.Conv3d(2, 3, 2, padding="same",
                                                  padding_mode="reflect"), (2, 4, 4, 3)),
    "conv_transpose3d": (lambda T: T.nn.ConvTranspose3d(4, 2, 3, stride=2, padding=1,
                                                        output_padding=1, groups=2),
                         (1, 4, 2, 3, 2)),
    "maxpool3d": (lambda T: T.nn.MaxPool3d((2, 3, 2), stride=(1, 2, 2), padding=1,
                                           ceil_mode=True, return_indices=True),
                  (2, 2, 4, 5, 5)),
    "avgpool3d": (lambda T: T.nn.AvgPool3d(3, stride=2, padding=1, count_include_pad=False),
                  (2, 2, 5, 4, 6)),
    "adaptive_avg3d": (lambda T: T.nn.AdaptiveAvgPool3d((2, None, 3)), (2, 2, 5, 4, 7)),
    "adaptive_max3d": (lambda T: T.nn.AdaptiveMaxPool3d(2, return_indices=True),
                       (2, 5, 4, 7)),
    "batchnorm3d": (lambda T: T.nn.BatchNorm3d(3, momentum=0.2), (2, 3, 2, 3, 4)),
    "lppool1d": (lambda T: T.nn.LPPool1d(1.5, 3, stride=2), (2, 3, 7)),
    "lppool3d": (lambda T: T.nn.LPPool3d(2, (2, 1, 2), ceil_mode=True), (1, 2, 3, 3, 5)),
}


@pytest.mark.parametrize("name", sorted(MODULES))
def test_module_matches_torch(name):
    make, shape = MODULES[name]
    x = RNG.standard_normal(shape)
    _same(_run(torch, make, x), _run(nnlite, make, x))


@pytest.mark.parametrize("nd", [1, 2, 3])
def test_unpool_module_inverts_the_pool_as_torchs(nd):
    shape = {1: (2, 3, 9), 2: (2, 3, 5, 7), 3: (1, 2, 5, 4, 6)}[nd]
    x = RNG.standard_normal(shape)
    outs = []
    for T in (torch, nnlite):
        pool = getattr(T.nn, f"MaxPool{nd}d")(3, stride=2, padding=1, return_indices=True)
        unpool = getattr(T.nn, f"MaxUnpool{nd}d")(3, stride=2, padding=1)
        X = T.tensor(x, requires_grad=True)
        y, i = pool(X)
        u = unpool(y * 3, i, output_size=X.shape)
        (u * T.arange(u.numel(), dtype=u.dtype).reshape(u.shape)).sum().backward()
        outs.append((u.detach().numpy(), X.grad.numpy(), type(u.grad_fn).__name__,
                     repr(unpool)))
    np.testing.assert_array_equal(outs[0][0], outs[1][0])
    np.testing.assert_allclose(outs[0][1], outs[1][1])
    assert outs[0][2:] == outs[1][2:]


def test_conv3d_init_is_torchs_under_the_same_seed():
    torch.manual_seed(3)
    a = torch.nn.Conv3d(2, 3, 2)
    nnlite.manual_seed(3)
    b = nnlite.nn.Conv3d(2, 3, 2)
    np.testing.assert_array_equal(a.weight.detach().numpy(), b.weight.detach().numpy())
    np.testing.assert_array_equal(a.bias.detach().numpy(), b.bias.detach().numpy())


ERRORS = [
    lambda T: T.nn.functional.conv3d(T.zeros(1, 2, 3, 3), T.zeros(1, 2, 2, 2, 2)),
    lambda T: T.nn.functional.conv3d(T.zeros(1, 2, 3, 3, 3), T.zeros(1, 3, 2, 2, 2)),
    lambda T: T.nn.functional.conv3d(T.zeros(1, 2, 1, 3, 3), T.zeros(1, 2, 2, 2, 2)),
    lambda T: T.nn.functional.max_pool3d(T.zeros(2, 3, 4), 2),
    lambda T: T.nn.functional.max_pool3d(T.zeros(1, 2, 1, 4, 4), 2),
    lambda T: T.nn.functional.avg_pool3d(T.zeros(1, 2, 1, 4, 4), 2),
    lambda T: T.nn.functional.adaptive_avg_pool3d(T.zeros(3, 4), 2),
    lambda T: T.nn.functional.adaptive_max_pool3d(T.zeros(1, 2, 3, 4, 4), (2, 2)),
    lambda T: T.nn.functional.max_unpool2d(T.zeros(1, 2, 2, 2),
                                           T.zeros(1, 2, 2, 2, dtype=T.long) + 16, 2),
    lambda T: T.nn.functional.max_unpool2d(T.zeros(1, 2, 2, 2), T.zeros(1, 2, 2, 2), 2),
    lambda T: T.nn.functional.max_unpool2d(T.zeros(1, 2, 2, 2),
                                           T.zeros(1, 2, 2, 2, dtype=T.long), 2,
                                           output_size=(9, 9)),
    lambda T: T.nn.functional.max_unpool3d(T.zeros(2, 2, 2), T.zeros(2, 2, 2, dtype=T.long),
                                           2),
    lambda T: T.nn.BatchNorm3d(2)(T.zeros(2, 2, 3, 3)),
]


@pytest.mark.parametrize("i", range(len(ERRORS)))
def test_errors_are_torchs(i):
    caught = []
    for T in (torch, nnlite):
        with pytest.raises(Exception) as e:
            ERRORS[i](T)
        caught.append((type(e.value), str(e.value).split("\n")[0]))
    assert caught[0][0] is caught[1][0]
    assert caught[0][1] == caught[1][1]
