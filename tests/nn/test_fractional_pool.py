"""FractionalMaxPool2d/3d and F.fractional_max_pool2d/3d against PyTorch: values and indices
(bit-equal, float32 and float64), seeded samples, errors, module attributes and buffers,
grad_fn names, float64 gradcheck/gradgradcheck."""

import numpy as np
import pytest

import nnlite
from nnlite.autograd import gradcheck, gradgradcheck
from nnlite.ops.nn.fractional_pool import fractional_intervals

torch = pytest.importorskip("torch")

CASES = [  # (shape, kernel, output_size, output_ratio)
    ((2, 3, 7, 8), 3, (4, 5), None),
    ((2, 3, 9, 11), (2, 3), None, (0.5, 0.7)),
    ((3, 9, 11), 2, (8, 10), None),
    ((2, 3, 7, 8), 1, (7, 8), None),
    ((2, 3, 7, 8), 3, 1, None),
    ((2, 3, 5, 6, 7), 2, (3, 4, 5), None),
    ((2, 2, 6, 7, 9), (2, 3, 1), None, (0.5, 0.6, 0.8)),
    ((2, 6, 7, 8), 3, (2, 2, 2), None),
]


def _nd(shape, out, ratio):
    v = out if out is not None else ratio
    return len(v) if isinstance(v, tuple) else len(shape) - 2


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case", range(len(CASES)))
def test_values_indices_and_seeded_samples_equal_torchs(case, dtype):
    shape, k, out, ratio = CASES[case]
    nd = _nd(shape, out, ratio)
    x = np.random.default_rng(case).standard_normal(shape).astype(dtype)
    res = []
    for T in (torch, nnlite):
        T.manual_seed(7)
        f = getattr(T.nn.functional, f"fractional_max_pool{nd}d")
        y, i = f(T.tensor(x), k, output_size=out, output_ratio=ratio, return_indices=True)
        # the draw consumed exactly torch's numbers: the next one agrees too
        res.append((y.numpy(), i.numpy(), T.rand(3).numpy(), str(y.dtype), str(i.dtype)))
    (ty, ti, tr, *td), (ny, ni, nr, *nd_) = res
    assert td[0].split(".")[-1] == nd_[0].split(".")[-1] and nd_[1].endswith("int64")
    np.testing.assert_array_equal(ny, ty)
    np.testing.assert_array_equal(ni, ti)
    np.testing.assert_array_equal(nr, tr)


def test_intervals_run_in_the_input_dtype():
    # float32 and float64 starts can differ; each equals torch's in its dtype (checked above),
    # and the reference itself matches the closed form on an exact case
    u = np.array([0.5], np.float64)
    np.testing.assert_array_equal(fractional_intervals(u, 10, 5, 2)[0], [0, 2, 4, 6, 8])
    assert fractional_intervals(u.astype(np.float32), 10, 5, 2).dtype == np.int64


def test_modules_attributes_buffers_and_given_samples():
    s = np.random.default_rng(1).random((1, 3, 2)).astype(np.float32)
    x = np.random.default_rng(2).standard_normal((1, 3, 9, 9)).astype(np.float32)
    outs = []
    for T in (torch, nnlite):
        m = T.nn.FractionalMaxPool2d(3, output_size=4, _random_samples=T.tensor(s),
                                     return_indices=True)
        m2 = T.nn.FractionalMaxPool3d((2, 2, 1), output_ratio=0.5)
        y, i = m(T.tensor(x))
        outs.append((repr(m), list(m.state_dict()), list(m2.state_dict()), m.kernel_size,
                     m.output_size, m.output_ratio, m2.kernel_size, m2.output_ratio,
                     m2._random_samples, y.numpy().tolist(), i.numpy().tolist()))
    assert outs[0] == outs[1]


def test_module_draws_new_samples_each_call_like_torch():
    x = np.random.default_rng(3).standard_normal((2, 2, 10, 10)).astype(np.float32)
    outs = []
    for T in (torch, nnlite):
        T.manual_seed(11)
        m = T.nn.FractionalMaxPool2d(2, output_ratio=(0.5, 0.5))
        outs.append([m(T.tensor(x)).numpy() for _ in range(3)])
    for a, b in zip(*outs):
        np.testing.assert_array_equal(b, a)


def test_nan_and_inf_windows_as_torch():
    x = np.random.default_rng(4).standard_normal((1, 2, 6, 6))
    x[0, 0, 1, 1] = x[0, 0, 2, 2] = np.nan
    x[0, 1] = -np.inf
    s = np.array([[[0.3, 0.6], [0.2, 0.9]]])
    res = [T.nn.functional.fractional_max_pool2d(
        T.tensor(x), 3, output_size=3, return_indices=True, _random_samples=T.tensor(s))
        for T in (torch, nnlite)]
    np.testing.assert_array_equal(res[1][0].numpy(), res[0][0].numpy())
    np.testing.assert_array_equal(res[1][1].numpy(), res[0][1].numpy())


def _errors(T):
    F = T.nn.functional
    x, y = T.randn(2, 3, 7, 8), T.randn(2, 3, 5, 6, 7)
    calls = [
        lambda: F.fractional_max_pool2d(x, 3, output_size=(6, 3)),
        lambda: F.fractional_max_pool2d(x, 3, output_size=(3, 7)),
        lambda: F.fractional_max_pool2d(x, 3, output_ratio=0.5),
        lambda: F.fractional_max_pool2d(x, 3),
        lambda: F.fractional_max_pool2d(x, (3, 3, 3), output_size=3),
        lambda: F.fractional_max_pool2d(x, 3, output_size=(3, 3, 3)),
        lambda: F.fractional_max_pool2d(x, 3, output_size=3, _random_samples=T.rand(2, 3, 3)),
        lambda: F.fractional_max_pool2d(x, 3, output_size=3, _random_samples=T.rand(1, 3, 2)),
        lambda: F.fractional_max_pool2d(x, 3, output_size=3, _random_samples=T.rand(2, 2, 2)),
        lambda: F.fractional_max_pool2d(x, 3, output_size=3, _random_samples=T.rand(2, 3)),
        lambda: F.fractional_max_pool2d(x, 3, output_size=3,
                                        _random_samples=T.rand(2, 3, 2, dtype=T.float64)),
        lambda: F.fractional_max_pool2d(x[0, 0], 3, output_size=3),
        lambda: F.fractional_max_pool2d(x.unsqueeze(0), 3, output_size=3),
        lambda: F.fractional_max_pool2d(x, 3, output_size=-1),
        lambda: F.fractional_max_pool2d(T.randn(2, 0, 7, 8), 3, output_size=3),
        lambda: F.fractional_max_pool2d(x, 2.5, output_size=3),
        lambda: F.fractional_max_pool2d(x, 3, output_ratio=(0.5, 0.5, 0.5)),
        lambda: F.fractional_max_pool3d(y, 2, output_size=(5, 3, 3)),
        lambda: F.fractional_max_pool3d(y, 2, output_size=(3, 5, 3)),
        lambda: F.fractional_max_pool3d(y, 2, output_size=(3, 3, 6)),
        lambda: F.fractional_max_pool3d(y, (2, 2), output_size=3),
        lambda: F.fractional_max_pool3d(y, 2, output_size=(3, 3)),
        lambda: F.fractional_max_pool3d(y, 2, output_size=3, _random_samples=T.rand(2, 3, 2)),
        lambda: F.fractional_max_pool3d(y.unsqueeze(0), 2, output_size=3),
        lambda: F.fractional_max_pool3d(y[:, :0], 2, output_size=3),
        lambda: T.nn.FractionalMaxPool2d(3),
        lambda: T.nn.FractionalMaxPool2d(3, output_size=2, output_ratio=0.5),
        lambda: T.nn.FractionalMaxPool2d(3, output_ratio=1.5),
        lambda: T.nn.FractionalMaxPool3d(0, output_size=2),
    ]
    out = []
    for c in calls:
        try:
            c()
            out.append(None)
        except Exception as e:  # noqa: BLE001 - the type and message are what is compared
            out.append((type(e).__name__, str(e).split("\n")[0]))
    return out


def test_errors_as_torchs():
    mine, theirs = _errors(nnlite), _errors(torch)
    for i, (a, b) in enumerate(zip(mine, theirs)):
        assert a is not None and b is not None, i
        assert a[0] == b[0], (i, a, b)
        if b[0] == "RuntimeError" or b[0] == "ValueError":
            assert a[1] == b[1], (i, a, b)


def test_empty_batch_and_zero_output():
    for T in (torch, nnlite):
        F = T.nn.functional
        assert tuple(F.fractional_max_pool2d(T.randn(0, 2, 7, 8), 3, output_size=3).shape) == \
            (0, 2, 3, 3)
        assert tuple(F.fractional_max_pool2d(T.randn(1, 2, 7, 8), 3, output_size=0).shape) == \
            (1, 2, 0, 0)


@pytest.mark.parametrize("nd", [2, 3])
def test_grad_fn_names_gradcheck_and_double_backward(nd):
    shape = (2, 2, 6, 7) if nd == 2 else (1, 2, 5, 5, 6)
    x = np.random.default_rng(nd).standard_normal(shape)
    s = np.random.default_rng(10 + nd).random((shape[0], 2, nd))
    names = []
    for T in (torch, nnlite):
        xt = T.tensor(x, requires_grad=True)
        f = getattr(T.nn.functional, f"fractional_max_pool{nd}d")
        y = f(xt, 2, output_size=3, _random_samples=T.tensor(s))
        (g,) = T.autograd.grad((y * y).sum(), xt, create_graph=True)
        (gg,) = T.autograd.grad(g.sum(), xt)
        names.append((type(y.grad_fn).__name__, g.grad_fn is not None, gg.numpy()))
    assert names[0][:2] == names[1][:2]
    assert names[1][0] == f"FractionalMaxPool{nd}DBackward0"
    np.testing.assert_allclose(names[1][2], names[0][2], rtol=1e-12)
    xt = nnlite.tensor(x, requires_grad=True)
    fn = getattr(nnlite.nn.functional, f"fractional_max_pool{nd}d")
    st = nnlite.tensor(s)
    assert gradcheck(lambda a: fn(a, 2, output_size=3, _random_samples=st), [xt])
    assert gradgradcheck(lambda a: fn(a, 2, output_size=3, _random_samples=st) ** 2, [xt])


def test_indices_feed_max_unpool_as_torch():
    x = np.random.default_rng(5).standard_normal((1, 2, 8, 8)).astype(np.float32)
    s = np.random.default_rng(6).random((1, 2, 2)).astype(np.float32)
    res = []
    for T in (torch, nnlite):
        y, i = T.nn.functional.fractional_max_pool2d(
            T.tensor(x), 2, output_size=4, return_indices=True, _random_samples=T.tensor(s))
        res.append(T.nn.functional.max_unpool2d(y, i, 2, output_size=(8, 8)).numpy())
    np.testing.assert_array_equal(res[1], res[0])
