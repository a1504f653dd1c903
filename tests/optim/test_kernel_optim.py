"""nnlite.kernels.optim: numba kernels against their numpy references and hand-computed steps."""

from __future__ import annotations

import numpy as np
import pytest

from nnlite.kernels import optim as K


def _arrays(dtype, n=37, seed=0):
    rng = np.random.default_rng(seed)
    p = rng.standard_normal(n).astype(dtype)
    g = rng.standard_normal(n).astype(dtype)
    bufs = [np.abs(rng.standard_normal(n)).astype(dtype) * 0.1 for _ in range(3)]
    return p, g, bufs


def _check(kernel, ref, dtype, nbufs, kw, steps=3):
    p, g, bufs = _arrays(dtype)
    p2, bufs2 = p.copy(), [b.copy() for b in bufs]
    for _ in range(steps):
        kernel(p, g, *bufs[:nbufs], **kw)
        ref(p2, g, *bufs2[:nbufs], **kw)
    if dtype == np.float32:  # references round each FMA once via exact float64 products
        np.testing.assert_array_equal(p, p2)
        for a, b in zip(bufs[:nbufs], bufs2[:nbufs]):
            np.testing.assert_array_equal(a, b)
    else:  # float64 references cannot fuse the multiply-add: last-bit differences
        np.testing.assert_allclose(p, p2, rtol=1e-14, atol=1e-15)
        for a, b in zip(bufs[:nbufs], bufs2[:nbufs]):
            np.testing.assert_allclose(a, b, rtol=1e-14, atol=1e-15)


DTYPES = [np.float32, np.float64]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    "kw",
    [
        {
            "momentum": 0.0,
            "weight_decay": 0.0,
            "dampening": 0.0,
            "nesterov": False,
            "maximize": False,
        },
        {
            "momentum": 0.9,
            "weight_decay": 0.1,
            "dampening": 0.2,
            "nesterov": False,
            "maximize": True,
        },
        {
            "momentum": 0.9,
            "weight_decay": 0.0,
            "dampening": 0.0,
            "nesterov": True,
            "maximize": False,
        },
    ],
)
@pytest.mark.parametrize("first", [True, False])
def test_sgd_kernel_matches_reference(dtype, kw, first):
    _check(K.sgd_step_, K.sgd_step_ref, dtype, 1, dict(kw, lr=0.1, first=first))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    "kw",
    [
        {"beta1": 0.9, "weight_decay": 0.0, "amsgrad": False, "maximize": False, "dec": False},
        {"beta1": 0.9, "weight_decay": 0.1, "amsgrad": True, "maximize": True, "dec": False},
        {"beta1": 0.3, "weight_decay": 0.1, "amsgrad": False, "maximize": False, "dec": True},
    ],
)
def test_adam_kernel_matches_reference(dtype, kw):
    kw = dict(kw)
    kw["decoupled_weight_decay"] = kw.pop("dec")
    kw.update(step=3, lr=0.01, beta2=0.999, eps=1e-8)
    _check(K.adam_step_, K.adam_step_ref, dtype, 3, kw)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    "kw",
    [
        {"alpha": 0.99, "momentum": 0.0, "centered": False, "weight_decay": 0.0, "maximize": False},
        {"alpha": 0.3, "momentum": 0.9, "centered": True, "weight_decay": 0.1, "maximize": True},
        {"alpha": 0.9, "momentum": 0.5, "centered": True, "weight_decay": 0.0, "maximize": False},
    ],
)
def test_rmsprop_kernel_matches_reference(dtype, kw):
    _check(K.rmsprop_step_, K.rmsprop_step_ref, dtype, 3, dict(kw, lr=0.01, eps=1e-3))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("wd,maximize", [(0.0, False), (0.1, True)])
def test_adagrad_kernel_matches_reference(dtype, wd, maximize):
    kw = {
        "step": 4,
        "lr": 0.1,
        "lr_decay": 0.01,
        "eps": 1e-10,
        "weight_decay": wd,
        "maximize": maximize,
    }
    _check(K.adagrad_step_, K.adagrad_step_ref, dtype, 1, kw)


def test_float16_uses_the_reference_and_noncontiguous_params_are_written_back():
    p = np.ones((4, 6), np.float64)[:, ::2]  # strided view
    g = np.full((4, 3), 0.5)
    K.sgd_step_(p, g, None, lr=0.1, weight_decay=0.0, momentum=0.0, dampening=0.0,
                nesterov=False, maximize=False, first=True)  # fmt: skip
    np.testing.assert_array_equal(p, np.full((4, 3), 0.95))
    h = np.ones(3, np.float16)
    K.sgd_step_(h, np.full(3, 0.5, np.float16), None, lr=0.1, weight_decay=0.0, momentum=0.0,
                dampening=0.0, nesterov=False, maximize=False, first=True)  # fmt: skip
    assert h.dtype == np.float16
    np.testing.assert_allclose(h, 0.95, rtol=1e-3)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_contiguous_fast_path_equals_the_copy_path(dtype):
    # contiguous arrays go straight to the kernel; strided/read-only ones through copies
    rng = np.random.default_rng(7)
    p0, g0 = rng.standard_normal((5, 4)).astype(dtype), rng.standard_normal((5, 4)).astype(dtype)
    for step in ("sgd", "adam"):
        fast = [p0.copy(), np.zeros_like(p0), np.zeros_like(p0)]
        slow = [np.asfortranarray(a) for a in fast]  # F-order: not C-contiguous
        g_ro = g0.copy()
        g_ro.flags.writeable = False
        for (p, b1, b2), g in ((fast, g0), (slow, g_ro)):
            for k in range(3):
                if step == "sgd":
                    K.sgd_step_(p, g, b1, lr=0.1, weight_decay=0.01, momentum=0.9, dampening=0.0,
                                nesterov=True, maximize=False, first=k == 0)  # fmt: skip
                else:
                    K.adam_step_(p, g, b1, b2, None, step=k + 1.0, lr=0.01, beta1=0.9,
                                 beta2=0.999, eps=1e-8, weight_decay=0.01, amsgrad=False,
                                 maximize=False, decoupled_weight_decay=True)  # fmt: skip
        for a, b in zip(fast, slow, strict=True):
            np.testing.assert_array_equal(a, b)
        assert not slow[0].flags.c_contiguous


# ---- hand-computed updates --------------------------------------------------------------------


def test_sgd_momentum_by_hand():
    # p=1, g=0.5 each step, lr=0.1, momentum=0.9: b1=0.5, b2=0.95, p = 1 - .05 - .095
    p = np.array([1.0])
    b = np.zeros(1)
    for first in (True, False):
        K.sgd_step_(p, np.array([0.5]), b, lr=0.1, weight_decay=0.0, momentum=0.9,
                    dampening=0.0, nesterov=False, maximize=False, first=first)  # fmt: skip
    assert b[0] == pytest.approx(0.95, abs=1e-15)
    assert p[0] == pytest.approx(1 - 0.05 - 0.095, abs=1e-15)


def test_adam_first_step_moves_by_lr():
    # Step 1: m_hat = g, v_hat = g^2, so p -= lr * g / (|g| + eps) = lr * sign(g).
    p = np.array([1.0, -2.0])
    m, v = np.zeros(2), np.zeros(2)
    K.adam_step_(p, np.array([3.0, -0.25]), m, v, None, step=1, lr=0.1, beta1=0.9, beta2=0.999,
                 eps=0.0, weight_decay=0.0, amsgrad=False, maximize=False,
                 decoupled_weight_decay=False)  # fmt: skip
    np.testing.assert_allclose(p, [0.9, -1.9], rtol=1e-14)
    np.testing.assert_allclose(m, [0.3, -0.025], rtol=1e-14)
    np.testing.assert_allclose(v, [0.009, 0.0000625], rtol=1e-12)


def test_adam_second_step_by_hand():
    g1, g2, lr, b1, b2, eps = 1.0, 2.0, 0.1, 0.9, 0.999, 1e-8
    p, m, v = np.array([0.0]), np.zeros(1), np.zeros(1)
    for t, g in ((1, g1), (2, g2)):
        K.adam_step_(p, np.array([g]), m, v, None, step=t, lr=lr, beta1=b1, beta2=b2, eps=eps,
                     weight_decay=0.0, amsgrad=False, maximize=False,
                     decoupled_weight_decay=False)  # fmt: skip
    m2 = (1 - b1) * (b1 * g1 + g2)
    v2 = (1 - b2) * (b2 * g1**2 + g2**2)
    step2 = lr * (m2 / (1 - b1**2)) / (np.sqrt(v2 / (1 - b2**2)) + eps)
    step1 = lr * g1 / (abs(g1) + eps)
    assert p[0] == pytest.approx(-step1 - step2, rel=1e-12)


def test_adamw_decays_before_the_update():
    # With g = 0 the moments stay 0: AdamW only shrinks p by (1 - lr*wd); Adam (L2) moves it
    # by lr (first step, g_eff = wd*p).
    p = np.array([2.0])
    K.adam_step_(p, np.zeros(1), np.zeros(1), np.zeros(1), None, step=1, lr=0.1, beta1=0.9,
                 beta2=0.999, eps=1e-8, weight_decay=0.5, amsgrad=False, maximize=False,
                 decoupled_weight_decay=True)  # fmt: skip
    assert p[0] == 2.0 * (1 - 0.1 * 0.5)
    q = np.array([2.0])
    K.adam_step_(q, np.zeros(1), np.zeros(1), np.zeros(1), None, step=1, lr=0.1, beta1=0.9,
                 beta2=0.999, eps=0.0, weight_decay=0.5, amsgrad=False, maximize=False,
                 decoupled_weight_decay=False)  # fmt: skip
    assert q[0] == pytest.approx(1.9, rel=1e-14)


def test_rmsprop_and_adagrad_by_hand():
    p, s = np.array([1.0]), np.zeros(1)
    K.rmsprop_step_(p, np.array([2.0]), s, None, None, lr=0.01, alpha=0.99, eps=0.0,
                    weight_decay=0.0, momentum=0.0, centered=False, maximize=False)  # fmt: skip
    assert s[0] == pytest.approx(0.04, rel=1e-14)
    assert p[0] == pytest.approx(1 - 0.01 * 2.0 / 0.2, rel=1e-14)
    p, acc = np.array([1.0]), np.full(1, 0.1)
    for t in (1, 2):
        K.adagrad_step_(p, np.array([1.0]), acc, step=t, lr=0.5, lr_decay=1.0, eps=0.0,
                        weight_decay=0.0, maximize=False)  # fmt: skip
    # step 1: acc 1.1, p -= 0.5/sqrt(1.1); step 2: clr = 0.5/2, acc 2.1
    assert p[0] == pytest.approx(1 - 0.5 / np.sqrt(1.1) - 0.25 / np.sqrt(2.1), rel=1e-14)
