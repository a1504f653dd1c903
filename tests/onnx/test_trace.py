"""ONNX export of traced forwards: user Modules with their own forward, several inputs and
outputs, dynamic batch sizes (onnxruntime vs nnlite to 1e-5), and the refusals: each names the
op or layer and the module it ran in."""

import io

import numpy as np
import pytest

import nnlite
import nnlite.nn.functional as F
from nnlite import nn
from nnlite.onnx import SUPPORTED_OPS, UnsupportedOperatorError, export

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")


def to_onnx(model, example, **kw) -> bytes:
    buf = io.BytesIO()
    export(model, example, buf, **kw)
    return buf.getvalue()


def run(data, feeds):
    sess = ort.InferenceSession(data, providers=["CPUExecutionProvider"])
    return sess.run(None, feeds)


def nn_out(model, *xs):
    with nnlite.no_grad():
        out = model(*[nnlite.from_numpy(x) for x in xs])
    return [o.numpy() for o in (out if isinstance(out, tuple) else (out,))]


def settle(model, *shapes):
    """Move BatchNorm statistics away from 0/1, then eval mode."""
    model.train()
    with nnlite.no_grad():
        for _ in range(3):
            model(*[nnlite.randn(6, *s) * 2 + 0.3 for s in shapes])
    return model.eval()


class TwoInputNet(nn.Module):
    """An image branch and a feature branch joined by cat; three outputs."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, padding=1)
        self.bn = nn.BatchNorm2d(4)
        self.w = nn.Parameter(nnlite.randn(6, 6) * 0.3)
        self.fc = nn.Linear(4 * 4 * 4 + 6, 5)
        self.drop = nn.Dropout(0.2)

    def forward(self, img, feats):
        h = F.relu(self.bn(self.conv(img)))
        h = h + self.conv(img) * 0.5
        h = F.max_pool2d(h, 2)
        h = h.view(h.size(0), -1)  # the batch size read from the shape stays free
        f = 1 - nnlite.tanh(feats @ self.w) / 2
        f = F.dropout(f, 0.3, training=self.training)
        z = nnlite.cat([h, f], dim=1)
        logits = self.drop(self.fc(z))
        a, b = logits[:, :2], logits[:, 2:]
        stats = nnlite.stack([feats.mean(dim=1), feats.sum(1) / 3.0, feats.amax(dim=-1)], dim=1)
        return (F.log_softmax(logits, dim=1), a.exp() + b.sum(dim=1, keepdim=True),
                stats.unsqueeze(1).squeeze(1).transpose(0, 1).t())


class Residual(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c1 = nn.Conv2d(c, c, 3, padding=1, bias=False)
        self.b1 = nn.BatchNorm2d(c)
        self.c2 = nn.Conv2d(c, c, 3, padding=1, bias=False)
        self.b2 = nn.BatchNorm2d(c)

    def forward(self, x):
        y = F.relu(self.b1(self.c1(x)))
        return F.relu(x + self.b2(self.c2(y)))


class SmallResNet(nn.Module):
    """Nested user modules, functional conv/pool/batch_norm and Tensor methods."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(1, 4, 3, stride=2, padding=1)
        self.blocks = nn.Sequential(Residual(4), Residual(4))
        self.k = nn.Parameter(nnlite.randn(4, 4, 1, 1) * 0.5)
        self.register_buffer("rm", nnlite.rand(4))
        self.register_buffer("rv", nnlite.rand(4) + 0.5)
        self.head = nn.Linear(4, 3)

    def forward(self, x):
        x = self.blocks(F.gelu(self.stem(x)))
        x = F.conv2d(x, self.k, stride=1, padding=0)
        x = F.batch_norm(x, self.rm, self.rv, training=False, eps=1e-3)
        x = F.avg_pool2d(x, 2)
        x = F.adaptive_avg_pool2d(x, 1).flatten(1)
        x = F.layer_norm(x, (4,))
        return F.softmax(self.head(x).clamp(min=-3.0, max=3.0) ** 2, dim=-1)


class Mixed(nn.Module):
    """Reflected operators, reshapes, chunks, reductions and elementwise ops."""

    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(8, 8)
        self.scale = nn.Parameter(nnlite.rand(8) + 0.5)

    def forward(self, x, y):
        h = self.lin(x) * self.scale - y
        u, v = h.chunk(2, dim=1)
        w = nnlite.sigmoid(u) * nnlite.exp(-v.abs()) + 2 / (v * v + 1)
        m = w.reshape(-1, 2, 2).permute(0, 2, 1).contiguous().reshape(w.shape[0], 4).T.T
        g = nnlite.matmul(m.unsqueeze(1), m.unsqueeze(2)).squeeze(-1)
        r = nnlite.sqrt(g + 1) - nnlite.log(g + 2) + F.silu(m).mean(dim=(0, 1))
        big = nnlite.maximum(m, nnlite.zeros(4)) + x[..., ::2].float()
        return r + big.max(dim=1, keepdim=True).values + nnlite.where(m > 0, m, -m).sum(1, True)


def test_two_inputs_three_outputs_dynamic_batch():
    nnlite.manual_seed(0)
    model = settle(TwoInputNet(), (3, 8, 8), (6,))
    data = to_onnx(model, (nnlite.randn(2, 3, 8, 8), nnlite.randn(2, 6)),
                   input_names=["img", "feats"], output_names=["logp", "mix", "stats"],
                   dynamic_axes={"img": {0: "batch"}, "feats": {0: "batch"}})
    proto = onnx.load_from_string(data)
    assert [i.name for i in proto.graph.input] == ["img", "feats"]
    dims = {o.name: [d.dim_param or d.dim_value for d in o.type.tensor_type.shape.dim]
            for o in proto.graph.output}
    assert dims == {"logp": ["batch", 5], "mix": ["batch", 2], "stats": ["batch", 3]}
    rng = np.random.default_rng(1)
    for batch in (1, 2, 7):
        img = rng.normal(size=(batch, 3, 8, 8)).astype(np.float32)
        feats = rng.normal(size=(batch, 6)).astype(np.float32)
        got = run(data, {"img": img, "feats": feats})
        for g, want in zip(got, nn_out(model, img, feats)):
            np.testing.assert_allclose(g, want, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("build, shapes", [(SmallResNet, [(1, 12, 12)]),
                                           (Mixed, [(8,), (8,)])])
def test_user_forward_matches_nnlite(build, shapes):
    nnlite.manual_seed(2)
    model = settle(build(), *shapes)
    names = [f"in{i}" for i in range(len(shapes))]
    data = to_onnx(model, tuple(nnlite.randn(3, *s) for s in shapes), input_names=names,
                   dynamic_axes={n: {0: "batch"} for n in names})
    rng = np.random.default_rng(3)
    for batch in (1, 5):
        xs = [rng.normal(size=(batch,) + s).astype(np.float32) for s in shapes]
        got = run(data, dict(zip(names, xs)))
        np.testing.assert_allclose(got[0], nn_out(model, *xs)[0], rtol=1e-5, atol=1e-5)


def test_inplace_ops_on_traced_tensors_convert_as_out_of_place():
    class Updates(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(3, 3)

        def forward(self, x):
            x.mul_(2)  # on the input itself
            y = self.fc(x)
            y += x
            y.relu_()
            return y.clamp_(max=1.5)

    nnlite.manual_seed(0)
    model = Updates().eval()
    data = to_onnx(model, nnlite.randn(2, 3), dynamic_axes={"input": [0]})
    x = np.random.default_rng(0).normal(size=(4, 3)).astype(np.float32)
    want = nn_out(model, x.copy())[0]
    np.testing.assert_allclose(run(data, {"input": x})[0], want, rtol=1e-5, atol=1e-6)


def test_integer_input_embedding_bag_of_words():
    class BagOfWords(nn.Module):
        def __init__(self):
            super().__init__()
            self.emb = nn.Embedding(20, 6)
            self.out = nn.Linear(6, 2)

        def forward(self, tokens, weights):
            e = self.emb(tokens) * weights.unsqueeze(-1)
            return self.out(e.sum(dim=1) / weights.sum(dim=1, keepdim=True))

    nnlite.manual_seed(0)
    model = BagOfWords().eval()
    tokens = nnlite.randint(0, 20, (2, 5))
    data = to_onnx(model, (tokens, nnlite.rand(2, 5) + 0.1), input_names=["tokens", "w"],
                   dynamic_axes={"tokens": {0: "b", 1: "n"}, "w": {0: "b", 1: "n"}})
    rng = np.random.default_rng(0)
    t = rng.integers(0, 20, size=(3, 7)).astype(np.int64)
    w = (rng.random((3, 7)) + 0.1).astype(np.float32)
    np.testing.assert_allclose(run(data, {"tokens": t, "w": w})[0], nn_out(model, t, w)[0],
                               rtol=1e-5, atol=1e-6)


def test_float64_and_compiled_models_export_as_float32():
    nnlite.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2)).double().eval()
    x = np.random.default_rng(0).normal(size=(5, 3))
    want = nn_out(model, x)[0]
    for m in (model, nnlite.compile(model)):
        data = to_onnx(m, nnlite.randn(2, 3, dtype=nnlite.float64), dynamic_axes={"input": [0]})
        got = run(data, {"input": x.astype(np.float32)})[0]
        assert got.dtype == np.float32
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    assert model[0].weight.dtype == nnlite.float64  # the model itself is not converted


def test_default_names_are_the_forward_parameters_and_kwargs_pass_through():
    class Scaled(nn.Module):
        def forward(self, x, y, scale=1.0):
            return (x * y) * scale

    data = to_onnx(Scaled(), (nnlite.ones(2, 3), nnlite.ones(2, 3), {"scale": 4.0}))
    proto = onnx.load_from_string(data)
    assert [i.name for i in proto.graph.input] == ["x", "y"]
    assert [o.name for o in proto.graph.output] == ["output"]
    a = np.full((2, 3), 2.0, np.float32)
    np.testing.assert_allclose(run(data, {"x": a, "y": a})[0], 16.0)


def test_patches_are_removed_even_after_an_error():
    before = (nnlite.Tensor.__add__, nnlite.Tensor.numpy, nnlite.nn.Module.__call__, F.relu,
              nnlite.cat)

    class Bad(nn.Module):
        def forward(self, x):
            return nnlite.cumsum(x + 1, 0)

    with pytest.raises(UnsupportedOperatorError):
        to_onnx(Bad(), nnlite.randn(2, 2))
    after = (nnlite.Tensor.__add__, nnlite.Tensor.numpy, nnlite.nn.Module.__call__, F.relu,
             nnlite.cat)
    assert all(a is b for a, b in zip(before, after))
    assert "numpy" not in vars(nnlite.Tensor) or nnlite.Tensor.numpy is before[1]


# ---- hostile inputs: one error naming the op/layer and the module -----------------------

class CallsSort(nn.Module):
    def forward(self, x):
        return nnlite.sort(x, dim=1).values


class Branches(nn.Module):
    def forward(self, x):
        if x.sum() > 0:  # data-dependent control flow
            return x * 2
        return x


class ReadsItem(nn.Module):
    def forward(self, x):
        return x * float(x.mean().item())


class InPlace(nn.Module):
    def forward(self, x):
        y = x * 2
        y.add_(1)  # converted as y = y.add(1)
        y += x
        y.mul_(y)
        x[:, :1].sub_(1)  # a view: refused
        return y


class Assigns(nn.Module):
    def forward(self, x):
        y = x * 2
        y[:, 0] = 0.0
        return y


_raw_exp = nnlite.exp  # bound before the export: the tracer does not see it


class HiddenOp(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(3, 3)

    def forward(self, x):
        return self.fc(_raw_exp(self.fc(x)))


class WithLSTM(nn.Module):
    def __init__(self):
        super().__init__()
        self.rnn = nn.LSTM(3, 4, batch_first=True)

    def forward(self, x):
        return self.rnn(x)[0]


class FunctionalDropout(nn.Module):
    def forward(self, x):
        return F.dropout(x, 0.5)  # training=True: random even in eval mode


class ReturnsDict(nn.Module):
    def forward(self, x):
        return {"y": x * 2}


@pytest.mark.parametrize("model, example, pattern", [
    (nn.Sequential(nn.Linear(3, 3), CallsSort()), nnlite.randn(2, 3),
     (r"cannot export torch.sort \(called in '1' \(CallsSort\)\) to ONNX: the op has no ONNX "
      r"converter; write that part with supported ops")),
    (Branches(), nnlite.randn(2, 3), r"bool\(x\) \(in Branches\).*data-dependent control flow"),
    (ReadsItem(), nnlite.randn(2, 3), r"x.item\(\) \(in ReadsItem\).*into Python"),
    (InPlace(), nnlite.randn(2, 3),
     r"in-place op x.sub_\(\) \(in InPlace\).*writes into a view.*out-of-place form"),
    (Assigns(), nnlite.randn(2, 3), r"x\[...\] = value \(in Assigns\).*torch.where"),
    (HiddenOp(), nnlite.randn(2, 3), r"grad_fn is ExpBackward0.*imported by name"),
    (WithLSTM(), nnlite.randn(2, 5, 3), r"layer LSTM \(in 'rnn' \(LSTM\)\).*no ONNX converter"),
    (FunctionalDropout(), nnlite.randn(2, 3), r"dropout\(training=True\).*training=self"),
    (ReturnsDict(), nnlite.randn(2, 3), r"returns dict"),
    (nn.Sequential(nn.AdaptiveAvgPool2d(3)), nnlite.randn(1, 1, 4, 4), r"does not divide"),
])
def test_unsupported_is_refused_with_the_op_and_module_named(model, example, pattern):
    with pytest.raises(UnsupportedOperatorError, match=pattern):
        to_onnx(model, example)


def test_bad_names_and_examples_refused():
    two = nnlite.randn(2, 3), nnlite.randn(2, 3)
    add = type("Add", (nn.Module,), {"forward": lambda self, x, y: x + y})()
    with pytest.raises(ValueError, match="input_names has 1 names for 2 input tensors"):
        to_onnx(add, two, input_names=["a"])
    with pytest.raises(ValueError, match="output_names has 2 names"):
        to_onnx(add, two, output_names=["a", "b"])
    with pytest.raises(ValueError, match="dynamic_axes names 'z'"):
        to_onnx(add, two, dynamic_axes={"z": [0]})
    with pytest.raises(TypeError, match="example_input must be a tensor"):
        to_onnx(add, (1.0, 2.0))


def test_verification_refuses_a_graph_that_disagrees():
    """A forward hook replacing a layer's output is invisible to the trace: the check run in
    onnxruntime on the example refuses the file instead of writing a wrong model."""
    model = nn.Sequential(nn.Linear(3, 3), nn.ReLU())
    model[0].register_forward_hook(lambda m, inp, out: out * 3)
    with pytest.raises(UnsupportedOperatorError, match="does not compute what nnlite computes"):
        to_onnx(model, nnlite.randn(4, 3))


def test_supported_ops_listed():
    for name in ("add", "matmul", "cat", "conv2d", "softmax", "mean", "view", "__getitem__"):
        assert name in SUPPORTED_OPS
