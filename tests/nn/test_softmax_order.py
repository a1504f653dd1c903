"""float32 softmax / log-softmax in torch's CPU kernel order (nnlite/kernels/softmax_order.py):
kernels vs their numpy references bit for bit, and the op layer vs torch's bits."""

import numpy as np
import pytest

import nnlite
from nnlite.kernels import softmax_order as so

RNG = np.random.default_rng(7)
COLS = [1, 3, 7, 8, 9, 16, 17, 33, 250]


def _bits_equal(a, b):
    return np.array_equal(np.asarray(a).view(np.int32), np.asarray(b).view(np.int32))


@pytest.mark.parametrize("lanes", [8, 16])
@pytest.mark.parametrize("c", COLS)
def test_lastdim_kernels_match_reference(lanes, c):
    x = (RNG.standard_normal((13, c)) * 5).astype(np.float32)
    g = RNG.standard_normal((13, c)).astype(np.float32)
    for log in (False, True):
        y = so.softmax_lastdim(x, lanes, log)
        assert _bits_equal(y, so.softmax_lastdim_ref(x, lanes, log))
        for threads in (1, 2):
            assert _bits_equal(so.softmax_backward_lastdim(g, y, lanes, log, threads),
                               so.softmax_backward_lastdim_ref(g, y, lanes, log, threads))


@pytest.mark.parametrize("threads", [1, 2, 3])
@pytest.mark.parametrize("shape,dim", [((4, 5, 6), 1), ((3, 10, 17), 0), ((2, 3, 3, 9), 2),
                                       ((1, 7, 12), 1), ((5, 3, 40), 1)])
def test_inner_kernels_match_reference(shape, dim, threads):
    x = (RNG.standard_normal(shape) * 5).astype(np.float32)
    g = RNG.standard_normal(shape).astype(np.float32)
    for log in (False, True):
        y = so.softmax_inner(x, dim, 8, log, threads)
        assert _bits_equal(y, so.softmax_inner_ref(x, dim, 8, log, threads))
        assert _bits_equal(so.softmax_backward_inner(g, y, dim, 8, log),
                           so.softmax_backward_inner_ref(g, y, dim, 8, log))


def test_expf_kernel_matches_reference_and_closed_form():
    x = np.concatenate([RNG.uniform(-110, 110, 20000), [0.0, -104.5, 101.0, np.nan, -np.inf,
                                                        np.inf]]).astype(np.float32)
    e = so.expf_sleef(x)
    assert _bits_equal(e, so.expf_sleef_ref(x))
    # within 1 ulp of the correctly rounded exp where it is a normal number (SLEEF's u10 bound)
    with np.errstate(over="ignore"):
        exact = np.exp(x.astype(np.float64))
    ok = np.isfinite(exact) & (exact > 1e-37) & (exact < 3e38)
    gap = np.abs(e[ok].view(np.int32).astype(np.int64)
                 - exact[ok].astype(np.float32).view(np.int32).astype(np.int64))
    assert gap.max() <= 1
    assert e[-6] == 1.0 and e[-5] == 0.0 and e[-4] == np.inf  # exp(0), below/above the range
    assert np.isnan(e[-3]) and e[-2] == 0 and e[-1] == np.inf


def _torch():
    return pytest.importorskip("torch")


def _lanes():
    t = _torch()
    cap = t.backends.cpu.get_cpu_capability()
    lanes = 16 if cap == "AVX512" else 8
    from nnlite.kernels.column_sum import vector_bytes
    if vector_bytes() // 4 != lanes:
        pytest.skip(f"torch runs {cap} here, nnlite detects {vector_bytes()} byte vectors")
    return lanes


@pytest.mark.parametrize("shape,dim", [((64, 10), -1), ((16, 100), -1), ((4, 1000), 1),
                                       ((8, 7, 33), -1), ((6, 17, 12), 1), ((9, 8, 3), 0),
                                       ((1, 17, 12), 1), ((3, 5, 40), 1)])
def test_op_layer_matches_torch_bits(shape, dim):
    t = _torch()
    _lanes()
    # torch's thread count decides its scalar/vector split for dim != -1: compare at 1 and 2
    old_t, old_n = t.get_num_threads(), nnlite.get_num_threads()
    try:
        for n in (1, 2):
            t.set_num_threads(n)
            nnlite.set_num_threads(n)
            _compare_with_torch(t, shape, dim)
    finally:
        t.set_num_threads(old_t)
        nnlite.set_num_threads(old_n)


def _compare_with_torch(t, shape, dim):
    x = (RNG.standard_normal(shape) * 3).astype(np.float32)
    g = RNG.standard_normal(shape).astype(np.float32)
    for name in ("softmax", "log_softmax"):
        tx = t.from_numpy(x).requires_grad_()
        ty = getattr(t, name)(tx, dim)
        ty.backward(t.from_numpy(g))
        nx = nnlite.from_numpy(x.copy()).requires_grad_()
        ny = getattr(nnlite.nn.functional, name)(nx, dim)
        ny.backward(nnlite.from_numpy(g.copy()))
        assert ny.grad_fn.name() == ty.grad_fn.name()
        a, b = ny.detach().numpy(), ty.detach().numpy()
        if name == "softmax":
            assert _bits_equal(a, b)  # exact: same exp, same order
            assert _bits_equal(nx.grad.numpy(), tx.grad.numpy())
        else:  # torch's SLEEF log(s) differs from the correctly rounded one on few rows
            assert (a != b).mean() < 0.02 and np.abs(a - b).max() <= 1e-6 * max(1, abs(b).max())
            assert (nx.grad.numpy() != tx.grad.numpy()).mean() < 0.02
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)


def test_correctly_rounded_exp_is_not_torchs():
    """Self-test of the comparison above: the same order with a correctly rounded exp (what
    nnlite did before) differs from torch's bits, so the bit-equality check can fail."""
    t = _torch()
    lanes = _lanes()
    x = (RNG.standard_normal((256, 100)) * 3).astype(np.float32)
    m = x.max(axis=1, keepdims=True)
    e = np.exp((x - m).astype(np.float64)).astype(np.float32)
    wrong = e * (np.float32(1) / so._lane_sum_ref(e, lanes)[:, None])
    ref = t.softmax(t.from_numpy(x), -1).numpy()
    assert (wrong != ref).mean() > 0.05
    assert _bits_equal(so.softmax_lastdim(x, lanes, False), ref)


def test_nonfinite_rows_like_torch():
    t = _torch()
    x = np.array([[1.0, np.nan, 2.0], [-np.inf, 0.0, 1.0], [np.inf, 0.0, 1.0],
                  [-np.inf, -np.inf, -np.inf], [3e38, -3e38, 0.0]], np.float32)
    for name in ("softmax", "log_softmax"):
        a = getattr(nnlite, name)(nnlite.from_numpy(x), -1).numpy()
        b = getattr(t, name)(t.from_numpy(x), -1).numpy()
        np.testing.assert_array_equal(a, b)
        a = getattr(nnlite, name)(nnlite.from_numpy(x.T.copy()), 0).numpy()
        b = getattr(t, name)(t.from_numpy(x.T.copy()), 0).numpy()
        np.testing.assert_array_equal(a, b)


def test_float64_and_gradcheck_unchanged():
    x = nnlite.tensor(RNG.standard_normal((3, 5)), dtype=nnlite.float64, requires_grad=True)
    for fn in (nnlite.softmax, nnlite.log_softmax):
        assert nnlite.autograd.gradcheck(lambda v, fn=fn: fn(v, -1), (x,))
        assert nnlite.autograd.gradcheck(lambda v, fn=fn: fn(v, 0), (x,))
