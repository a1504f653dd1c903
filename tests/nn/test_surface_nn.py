"""torch.nn surface pieces added from the diff against torch 2.13 (nn.Buffer, init.dirac_ /
sparse_ and the deprecated init aliases, F.multi_head_attention_forward), compared with torch."""

import warnings

import numpy as np
import pytest

import nnlite

torch = pytest.importorskip("torch")


def _both(fn):
    return fn(nnlite), fn(torch)


# ---- nn.Buffer -------------------------------------------------------------------------------


def _buffer_module(T):
    m = T.nn.Module()
    m.a = T.nn.Buffer(T.ones(2))
    m.b = T.nn.Buffer(T.zeros(3), persistent=False)
    m.c = T.zeros(1)  # a plain tensor stays a plain attribute
    return m


def test_buffer_registers_like_torch():
    n, t = _both(_buffer_module)
    assert list(n.state_dict()) == list(t.state_dict()) == ["a"]
    assert [k for k, _ in n.named_buffers()] == [k for k, _ in t.named_buffers()] == ["a", "b"]
    for T, m in ((nnlite, n), (torch, t)):
        assert isinstance(m.a, T.nn.Buffer) and not isinstance(m.c, T.nn.Buffer)
        assert isinstance(m.a, T.Tensor) and not m.a.requires_grad
        assert m.b.persistent is False and m.a.persistent is True
    # re-assigning a plain tensor to a buffer name keeps it a (persistent) buffer
    n.a = nnlite.full((2,), 5.0)
    t.a = torch.full((2,), 5.0)
    assert n.state_dict()["a"].tolist() == t.state_dict()["a"].tolist() == [5.0, 5.0]


def test_buffer_shares_memory_and_errors():
    for T in (nnlite, torch):
        x = T.ones(3, requires_grad=True)
        b = T.nn.Buffer(x)
        assert b.requires_grad and b.grad_fn is None and b.data_ptr() == x.data_ptr()
        assert not T.nn.Buffer(T.ones(2)).requires_grad
        with pytest.raises(AttributeError):
            T.nn.Buffer([1.0])
    assert nnlite.nn.Buffer().shape == torch.nn.Buffer().shape == (0,)
    for T in (nnlite, torch):
        m = T.nn.Linear(2, 2)
        with pytest.raises(TypeError):  # a parameter's name takes no Buffer
            m.weight = T.nn.Buffer(T.ones(2, 2))
        m.plain = 3
        with pytest.raises(KeyError):
            m.plain = T.nn.Buffer(T.ones(1))


# ---- init ------------------------------------------------------------------------------------


@pytest.mark.parametrize("shape,groups", [((4, 2, 3), 1), ((6, 3, 3, 3), 2), ((3, 5, 1, 2, 3), 1),
                                          ((2, 4, 3, 3), 2)])
def test_dirac_like_torch(shape, groups):
    n, t = _both(lambda T: T.nn.init.dirac_(T.empty(shape), groups))
    np.testing.assert_array_equal(n.numpy(), t.numpy())


def test_dirac_and_sparse_errors():
    for T in (nnlite, torch):
        with pytest.raises(ValueError, match="3, 4, or 5"):
            T.nn.init.dirac_(T.empty(2, 2))
        with pytest.raises(ValueError, match="divisible by groups"):
            T.nn.init.dirac_(T.empty(3, 2, 2), 2)
        with pytest.raises(ValueError, match="2 dimensions"):
            T.nn.init.sparse_(T.empty(2, 2, 2), 0.5)


@pytest.mark.parametrize("shape,sparsity", [((6, 5), 0.5), ((10, 3), 0.1), ((4, 4), 0.0)])
def test_sparse_draws_like_torch(shape, sparsity):
    def draw(T):
        T.manual_seed(11)
        return T.nn.init.sparse_(T.empty(shape), sparsity, std=0.02).numpy()

    n, t = _both(draw)
    np.testing.assert_array_equal(n, t)
    assert ((n == 0).sum(0) >= int(np.ceil(sparsity * shape[0]))).all()


@pytest.mark.parametrize("old", ["uniform", "normal", "constant", "xavier_uniform",
                                 "xavier_normal", "kaiming_uniform", "kaiming_normal",
                                 "orthogonal", "sparse"])
def test_deprecated_init_aliases_warn_and_draw_like_torch(old):
    args = {"constant": (0.3,), "sparse": (0.5,)}.get(old, ())

    def draw(T):
        T.manual_seed(5)
        with warnings.catch_warnings(record=True) as rec:
            warnings.simplefilter("always")
            w = getattr(T.nn.init, old)(T.empty(4, 3), *args)
        return w.numpy(), [(r.category, str(r.message)) for r in rec]

    (nw, nrec), (tw, trec) = _both(draw)
    np.testing.assert_allclose(nw, tw, rtol=1e-6, atol=1e-7)
    assert nrec == trec and nrec[0][0] is FutureWarning


# ---- F.multi_head_attention_forward ----------------------------------------------------------


def _mha_call(T, arrs, kw_arrs, **kw):
    ts = [T.tensor(a, requires_grad=True) for a in arrs]
    q, k, v, w_in, b_in, w_out, b_out = ts
    extra = {key: (T.tensor(a) if isinstance(a, np.ndarray) else a) for key, a in kw_arrs.items()}
    out, attn = T.nn.functional.multi_head_attention_forward(
        q, k, v, 6, 3, w_in, b_in, extra.pop("bias_k", None), extra.pop("bias_v", None),
        kw.pop("add_zero_attn", False), 0.0, w_out, b_out, **extra, **kw)
    loss = out.pow(2).sum() + (0 if attn is None else attn.sum())
    loss.backward()
    return out, attn, [t.grad for t in ts]


@pytest.mark.parametrize("case", ["plain", "masks", "bias_kv", "zero_attn", "unbatched",
                                  "heads", "no_weights", "static"])
def test_multi_head_attention_forward_like_torch(case):
    rng = np.random.default_rng(2)
    L, S, N, E = 4, 5, 2, 6
    arrs = [rng.standard_normal(s) for s in ((L, N, E), (S, N, E), (S, N, E), (3 * E, E),
                                              (3 * E,), (E, E), (E,))]
    kw_arrs, kw = {}, {}
    if case == "masks":
        kw_arrs["attn_mask"] = rng.standard_normal((L, S))
        kw_arrs["key_padding_mask"] = np.array([[False] * 4 + [True], [False] * 5])
    if case == "bias_kv":
        kw_arrs["bias_k"] = rng.standard_normal((1, 1, E))
        kw_arrs["bias_v"] = rng.standard_normal((1, 1, E))
    if case == "zero_attn":
        kw["add_zero_attn"] = True
        kw_arrs["attn_mask"] = np.triu(np.ones((L, S), bool), 1)
    if case == "unbatched":
        arrs[0], arrs[1], arrs[2] = arrs[0][:, 0], arrs[1][:, 0], arrs[2][:, 0]
    if case == "heads":
        kw["average_attn_weights"] = False
    if case == "no_weights":
        kw["need_weights"] = False
    if case == "static":
        kw_arrs["static_k"] = rng.standard_normal((N * 3, S, 2))
        kw_arrs["static_v"] = rng.standard_normal((N * 3, S, 2))
    n_out, n_attn, n_g = _mha_call(nnlite, arrs, dict(kw_arrs), **dict(kw))
    t_out, t_attn, t_g = _mha_call(torch, arrs, dict(kw_arrs), **dict(kw))
    np.testing.assert_allclose(n_out.detach().numpy(), t_out.detach().numpy(), rtol=1e-10,
                               atol=1e-12)
    assert (n_attn is None) == (t_attn is None)
    if t_attn is not None:
        np.testing.assert_allclose(n_attn.detach().numpy(), t_attn.detach().numpy(),
                                   rtol=1e-10, atol=1e-12)
    for a, b in zip(n_g, t_g):
        assert (a is None) == (b is None)
        if b is not None:
            np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-9, atol=1e-11)


def test_multi_head_attention_forward_errors_like_torch():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 2, 6))
    for T in (nnlite, torch):
        t = T.tensor(x)
        w, b, wo = T.zeros(18, 6, dtype=T.float64), T.zeros(18, dtype=T.float64), T.zeros(
            6, 6, dtype=T.float64)
        with pytest.raises(AssertionError):
            T.nn.functional.multi_head_attention_forward(t, t, t, 8, 2, w, b, None, None,
                                                         False, 0.0, wo, None)
        with pytest.raises(RuntimeError, match="2D attn_mask"):
            T.nn.functional.multi_head_attention_forward(
                t, t, t, 6, 2, w, b, None, None, False, 0.0, wo, None,
                attn_mask=T.zeros(2, 2, dtype=T.float64))


# ---- nn.utils: fusion, skip_init, clip_grad_norm, nn.attention.sdpa_kernel --------------------


@pytest.mark.parametrize("kind", ["conv", "conv_nobias", "convT", "linear"])
def test_fusion_like_torch(kind):
    def run(T):
        rng = np.random.default_rng(9)  # the same draws for both libraries
        T.manual_seed(0)
        if kind == "linear":
            layer, bn, x = T.nn.Linear(4, 3), T.nn.BatchNorm1d(3), rng.standard_normal((5, 4))
        elif kind == "convT":
            layer, bn = T.nn.ConvTranspose2d(2, 3, 2), T.nn.BatchNorm2d(3)
            x = rng.standard_normal((2, 2, 4, 4))
        else:
            layer = T.nn.Conv2d(2, 3, 3, bias=kind == "conv")
            bn, x = T.nn.BatchNorm2d(3), rng.standard_normal((2, 2, 5, 5))
        layer, bn = layer.double(), bn.double()
        with T.no_grad():
            bn.running_mean.copy_(T.tensor(rng.standard_normal(3)))
            bn.running_var.copy_(T.tensor(rng.uniform(0.5, 2, 3)))
            bn.weight.copy_(T.tensor(rng.standard_normal(3)))
            bn.bias.copy_(T.tensor(rng.standard_normal(3)))
        layer.eval(), bn.eval()
        fu = T.nn.utils
        fused = (fu.fuse_linear_bn_eval(layer, bn) if kind == "linear" else
                 fu.fuse_conv_bn_eval(layer, bn, transpose=kind == "convT"))
        xt = T.tensor(x)
        with T.no_grad():
            ref, out = bn(layer(xt)).numpy(), fused(xt).numpy()
        assert isinstance(fused.weight, T.nn.Parameter) and fused.bias is not None
        return out, ref, fused.weight.detach().numpy(), fused.bias.detach().numpy()

    n, t = run(nnlite), run(torch)
    np.testing.assert_allclose(n[0], n[1], rtol=1e-10, atol=1e-12)  # bn(layer(x)) == fused(x)
    for a, b in zip(n, t):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


def test_fusion_refuses_training_mode():
    for T in (nnlite, torch):
        with pytest.raises(AssertionError, match="eval"):
            T.nn.utils.fuse_conv_bn_eval(T.nn.Conv2d(1, 2, 1), T.nn.BatchNorm2d(2))


def test_skip_init_and_clip_grad_norm_alias():
    for T in (nnlite, torch):
        m = T.nn.utils.skip_init(T.nn.Linear, 3, 4, bias=False)
        assert isinstance(m, T.nn.Linear) and tuple(m.weight.shape) == (4, 3) and m.bias is None
        with pytest.raises(RuntimeError, match="Expected a Module"):
            T.nn.utils.skip_init(int)
        p = T.nn.Parameter(T.ones(4))
        p.grad = T.full((4,), 3.0)
        with pytest.warns(FutureWarning, match="clip_grad_norm_"):
            total = T.nn.utils.clip_grad_norm(p, 1.0)
        assert abs(float(total) - 6.0) < 1e-6 and abs(float(p.grad.norm()) - 1.0) < 1e-5


def test_sdpa_kernel_like_torch():
    import torch.nn.attention as ta

    import nnlite.nn.attention as na

    rng = np.random.default_rng(1)
    q = rng.standard_normal((1, 2, 3, 4))
    for T, A in ((nnlite, na), (torch, ta)):
        x = T.tensor(q, requires_grad=True)
        sdpa = T.nn.functional.scaled_dot_product_attention
        with A.sdpa_kernel(A.SDPBackend.MATH):
            assert type(sdpa(x, x, x).grad_fn).__name__ == "UnsafeViewBackward0"
        with A.sdpa_kernel([A.SDPBackend.FLASH_ATTENTION]):
            name = type(sdpa(x, x, x).grad_fn).__name__
            assert name == "ScaledDotProductFlashAttentionForCpuBackward0"
        with (pytest.raises(RuntimeError, match="No viable backend"),
              A.sdpa_kernel(A.SDPBackend.EFFICIENT_ATTENTION)):
            sdpa(x, x, x)
        with pytest.raises(AssertionError, match="SDPBackend"), A.sdpa_kernel("math"):
            pass
        assert type(sdpa(x, x, x).grad_fn).__name__ == name  # restored after the blocks
        assert int(A.SDPBackend.OVERRIDEABLE) == 4 and str(A.SDPBackend.MATH) == "SDPBackend.MATH"
