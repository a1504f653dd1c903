"""Random forwards built from the supported ops, exported with a free batch axis and run in
onnxruntime at another batch size: the outputs must match nnlite's to 1e-5."""

import io

import numpy as np
import pytest

import nnlite
import nnlite.nn.functional as F
from nnlite import nn
from nnlite.onnx import export

pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

FEAT = 8

# each step: (x, y, module) -> new x of shape (batch, FEAT); y is the second input
STEPS = [
    lambda x, y, m: F.relu(x), lambda x, y, m: nnlite.sigmoid(x), lambda x, y, m: x.tanh(),
    lambda x, y, m: nnlite.exp(x.clamp(-3, 3)), lambda x, y, m: -x.abs(),
    lambda x, y, m: F.gelu(x), lambda x, y, m: F.silu(x), lambda x, y, m: F.softplus(x),
    lambda x, y, m: F.leaky_relu(x, 0.1), lambda x, y, m: F.elu(x), lambda x, y, m: x ** 2,
    lambda x, y, m: nnlite.sqrt(x.abs() + 1), lambda x, y, m: nnlite.log(x.abs() + 1),
    lambda x, y, m: x + 0.5, lambda x, y, m: 1.5 - x, lambda x, y, m: x * 0.7,
    lambda x, y, m: x / 3.0, lambda x, y, m: 2.0 / (x.abs() + 1),
    lambda x, y, m: x + y, lambda x, y, m: x * y, lambda x, y, m: nnlite.maximum(x, y),
    lambda x, y, m: x @ m.w, lambda x, y, m: F.linear(x, m.w, m.b),
    lambda x, y, m: F.softmax(x.reshape(-1, 2, FEAT // 2), dim=-1).flatten(1),
    lambda x, y, m: x.transpose(0, 1).contiguous().t(),
    lambda x, y, m: nnlite.cat([x, x * 2], dim=1).chunk(2, dim=1)[1],
    lambda x, y, m: nnlite.cat([x[:, ::2], x[:, 1::2]], dim=1),
    lambda x, y, m: x - x.mean(dim=1, keepdim=True),
    lambda x, y, m: x / (x.amax(1, True).abs() + 1), lambda x, y, m: F.normalize(x, dim=1),
    lambda x, y, m: F.layer_norm(x, (FEAT,)), lambda x, y, m: F.log_softmax(x, 1),
    lambda x, y, m: x.unsqueeze(1).expand(-1, 2, -1).sum(dim=1),
    lambda x, y, m: nnlite.stack([x, y], dim=2).max(dim=2).values,
    lambda x, y, m: nnlite.where(x > 0, x, y), lambda x, y, m: m.fc(x),
]


class Program(nn.Module):
    def __init__(self, steps):
        super().__init__()
        self.steps = steps
        self.w = nn.Parameter(nnlite.randn(FEAT, FEAT) * 0.4)
        self.b = nn.Parameter(nnlite.randn(FEAT) * 0.1)
        self.fc = nn.Linear(FEAT, FEAT)

    def forward(self, x, y):
        for i in self.steps:
            x = STEPS[i](x, y, self)
        return x, x.sum(dim=1)


@pytest.mark.parametrize("seed", range(20))  # 200 seeds pass too (checked once)
def test_random_program_matches_nnlite(seed):
    rng = np.random.default_rng(seed)
    nnlite.manual_seed(seed)
    model = Program([int(i) for i in rng.integers(0, len(STEPS), size=rng.integers(3, 9))])
    model.eval()
    buf = io.BytesIO()
    export(model, (nnlite.randn(2, FEAT), nnlite.randn(2, FEAT)), buf, input_names=["x", "y"],
           dynamic_axes={"x": {0: "batch"}, "y": {0: "batch"}})
    sess = ort.InferenceSession(buf.getvalue(), providers=["CPUExecutionProvider"])
    x = rng.normal(size=(5, FEAT)).astype(np.float32)
    y = rng.normal(size=(5, FEAT)).astype(np.float32)
    got = sess.run(None, {"x": x, "y": y})
    with nnlite.no_grad():
        want = model(nnlite.from_numpy(x), nnlite.from_numpy(y))
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w.numpy(), rtol=1e-5, atol=1e-5,
                                   err_msg=f"steps {model.steps}")
