"""nn.Transformer and its encoder/decoder stacks against PyTorch: seeded init, state_dict keys,
masks, norm_first, activation, batch_first; outputs and gradients."""

import numpy as np
import pytest

import nnlite

torch = pytest.importorskip("torch")


def _full(T, kw, dtype):
    T.manual_seed(0)
    m = T.nn.Transformer(d_model=16, nhead=4, num_encoder_layers=2, num_decoder_layers=2,
                         dim_feedforward=32, dropout=0.0, **kw).to(dtype)
    src, tgt = T.randn(7, 3, 16, dtype=dtype), T.randn(5, 3, 16, dtype=dtype)
    if kw.get("batch_first"):
        src, tgt = src.transpose(0, 1), tgt.transpose(0, 1)
    mask = T.nn.Transformer.generate_square_subsequent_mask(5, dtype=dtype)
    pad = T.zeros(3, 7, dtype=T.bool)
    pad[1, 5:] = True
    out = m(src, tgt, tgt_mask=mask, src_key_padding_mask=pad, memory_key_padding_mask=pad)
    out.pow(2).sum().backward()
    grads = [p.grad.numpy() for p in m.parameters()]
    return out.detach().numpy(), list(m.state_dict()), grads, repr(m)


@pytest.mark.filterwarnings("ignore")
@pytest.mark.parametrize("kw", [{}, {"norm_first": True, "activation": "gelu"},
                                {"batch_first": True}, {"bias": False}])
def test_transformer_matches_torch_float64(kw):
    a, b = _full(torch, kw, torch.float64), _full(nnlite, kw, nnlite.float64)
    np.testing.assert_allclose(b[0], a[0], rtol=1e-10, atol=1e-12)
    assert a[1] == b[1] and a[3] == b[3]
    for ga, gb in zip(a[2], b[2]):
        np.testing.assert_allclose(gb, ga, rtol=1e-9, atol=1e-11)


def _encoder(T, mask_kind):
    T.manual_seed(1)
    layer = T.nn.TransformerEncoderLayer(12, 3, dim_feedforward=24, dropout=0.0,
                                         batch_first=True, activation=T.nn.functional.gelu)
    enc = T.nn.TransformerEncoder(layer, 3, norm=T.nn.LayerNorm(12), enable_nested_tensor=False)
    x = T.randn(2, 6, 12)
    kw = {}
    if mask_kind == "float":
        kw["mask"] = T.nn.Transformer.generate_square_subsequent_mask(6)
    elif mask_kind == "bool":
        kw["mask"] = T.ones(6, 6, dtype=T.bool).triu(1)
    elif mask_kind == "causal":
        kw["mask"], kw["is_causal"] = T.nn.Transformer.generate_square_subsequent_mask(6), True
    out = enc(x, **kw)
    out.sum().backward()
    return out.detach().numpy(), enc.layers[1].linear1.weight.detach().numpy(), enc.layers[2].norm1.weight.grad


@pytest.mark.parametrize("mask_kind", [None, "float", "bool", "causal"])
def test_encoder_stack_float32_and_deep_copied_layers(mask_kind):
    a, b = _encoder(torch, mask_kind), _encoder(nnlite, mask_kind)
    np.testing.assert_allclose(b[0], a[0], rtol=1e-4, atol=2e-5)
    np.testing.assert_array_equal(b[1], a[1])  # seeded init, bit for bit
    np.testing.assert_allclose(b[2].numpy(), a[2].numpy(), rtol=1e-4, atol=2e-5)


def test_decoder_layer_unbatched_and_mask_helpers():
    outs = []
    for T in (torch, nnlite):
        T.manual_seed(2)
        dec = T.nn.TransformerDecoderLayer(8, 2, 16, dropout=0.0).double()
        tgt, mem = T.randn(4, 8, dtype=T.float64), T.randn(5, 8, dtype=T.float64)
        mask = T.nn.Transformer.generate_square_subsequent_mask(4, dtype=T.float64)
        outs.append((dec(tgt, mem, tgt_mask=mask, tgt_is_causal=True).detach().numpy(),
                     T.nn.Transformer.generate_square_subsequent_mask(3).numpy()))
    np.testing.assert_allclose(outs[1][0], outs[0][0], rtol=1e-10, atol=1e-12)
    np.testing.assert_array_equal(outs[1][1], outs[0][1])
    from nnlite.nn.transformer import _detect_is_causal_mask

    causal = nnlite.nn.Transformer.generate_square_subsequent_mask(4)
    assert _detect_is_causal_mask(causal) and not _detect_is_causal_mask(causal * 0)
    assert _detect_is_causal_mask(None, True) and not _detect_is_causal_mask(None)


def test_errors_as_torch():
    for T in (torch, nnlite):
        m = T.nn.Transformer(8, 2, 1, 1, 16)
        with pytest.raises(RuntimeError, match="batch number of src and tgt"):
            m(T.randn(3, 2, 8), T.randn(3, 4, 8))
        with pytest.raises(RuntimeError, match="feature number"):
            m(T.randn(3, 2, 8), T.randn(3, 2, 6))
        with pytest.raises(RuntimeError, match="activation should be relu/gelu"):
            T.nn.TransformerEncoderLayer(8, 2, activation="tanh")


def _eval_encoder(T, pad_rows, grad, fastpath=True):
    T.manual_seed(3)
    layer = T.nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, batch_first=True)
    enc = T.nn.TransformerEncoder(layer, 2, norm=T.nn.LayerNorm(8)).eval()
    x = T.randn(3, 5, 8)
    pad = T.zeros(3, 5, dtype=T.bool)
    for r, start in pad_rows:
        pad[r, start:] = True
    T.backends.mha.set_fastpath_enabled(fastpath)
    try:
        if grad:
            return enc(x, src_key_padding_mask=pad).detach().numpy()
        with T.no_grad():
            return enc(x, src_key_padding_mask=pad).numpy()
    finally:
        T.backends.mha.set_fastpath_enabled(True)


@pytest.mark.parametrize("pad_rows,grad,fastpath", [
    ([(0, 3), (2, 1)], False, True),   # eval, no grad, left-aligned: padded rows zeroed
    ([(0, 3), (2, 1)], True, True),    # grad on: the math path everywhere
    ([(0, 3)], False, False),          # fast path switched off
])
def test_encoder_inference_fast_path_padding_as_torch(pad_rows, grad, fastpath):
    a = _eval_encoder(torch, pad_rows, grad, fastpath)
    b = _eval_encoder(nnlite, pad_rows, grad, fastpath)
    np.testing.assert_allclose(b, a, rtol=1e-4, atol=1e-5)
    zeroed = not grad and fastpath  # LayerNorm(0) is its bias: 0 at init
    assert np.all(a[0, 3:] == 0) == zeroed and np.all(b[0, 3:] == 0) == zeroed


def test_nested_tensor_warning_reason_as_torch():
    import warnings

    msgs = []
    for T in (torch, nnlite):
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            T.nn.TransformerEncoder(T.nn.TransformerEncoderLayer(8, 2, 16), 1)
        msgs.append([str(m.message) for m in w if "nested" in str(m.message)])
    assert msgs[0] == msgs[1] and len(msgs[0]) == 1
