"""ONNX export: the exported file run in onnxruntime against nnlite's own forward (1e-5)."""

import io
import os
import sys

import numpy as np
import pytest

import nnlite
from nnlite import nn
from nnlite.onnx import UnsupportedOperatorError, export

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def session(data: bytes):
    return ort.InferenceSession(data, providers=["CPUExecutionProvider"])


def exported(model, example, **kw) -> bytes:
    buf = io.BytesIO()
    export(model, example, buf, **kw)
    return buf.getvalue()


def reference(model, x):
    with nnlite.no_grad():
        return model(nnlite.from_numpy(x)).numpy()


class Standardize(nn.Module):
    def __init__(self, mean, std):
        super().__init__()
        self.register_buffer("mean", nnlite.tensor(mean))
        self.register_buffer("std", nnlite.tensor(std))

    def forward(self, x):
        return (x - self.mean) / self.std


def mlp():
    return nn.Sequential(Standardize(np.linspace(-1, 1, 6).astype(np.float32),
                                     np.linspace(0.5, 2, 6).astype(np.float32)),
                         nn.Linear(6, 16), nn.BatchNorm1d(16), nn.GELU(), nn.Dropout(0.3),
                         nn.Linear(16, 8), nn.LayerNorm(8), nn.Tanh(), nn.Linear(8, 4),
                         nn.LogSoftmax(dim=1)), (6,)


def activations():
    acts = [nn.ReLU(), nn.ReLU6(), nn.Hardtanh(-0.5, 0.7), nn.LeakyReLU(0.2), nn.PReLU(5),
            nn.ELU(0.7), nn.SELU(), nn.CELU(1.3), nn.GELU(approximate="tanh"), nn.SiLU(),
            nn.Mish(), nn.Sigmoid(), nn.LogSigmoid(), nn.Softplus(beta=2.0, threshold=3.0),
            nn.Softsign(), nn.Hardsigmoid(), nn.Hardswish(), nn.Identity(), nn.Softmax(dim=1)]
    layers = []
    for a in acts:
        layers += [nn.Linear(5, 5), a]
    return nn.Sequential(*layers), (5,)


def cnn2d():
    return nn.Sequential(
        nn.Conv2d(3, 8, 3, padding="same"), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(8, 8, 4, stride=2, padding=1, groups=2, dilation=1), nn.SiLU(),
        nn.Conv2d(8, 6, 2, padding="same", dilation=2, bias=False),
        nn.AvgPool2d(3, stride=1, padding=1, count_include_pad=False),
        nn.MaxPool2d(3, stride=2, padding=1, dilation=1), nn.AdaptiveAvgPool2d(1),
        nn.Flatten(), nn.Linear(6, 3), nn.Softmax(dim=1)), (3, 16, 16)


def cnn1d():
    return nn.Sequential(
        nn.Conv1d(2, 4, 5, padding=2), nn.BatchNorm1d(4), nn.ELU(), nn.MaxPool1d(2),
        nn.Conv1d(4, 4, 3, dilation=2, padding="valid"), nn.AvgPool1d(2), nn.Dropout(0.5),
        nn.Flatten(), nn.Linear(4 * 3, 2)), (2, 20)


@pytest.mark.parametrize("build", [mlp, activations, cnn2d, cnn1d])
def test_onnxruntime_matches_nnlite(build):
    nnlite.manual_seed(0)
    model, shape = build()
    model.train()
    with nnlite.no_grad():  # move BatchNorm running statistics away from 0/1
        for _ in range(3):
            model(nnlite.randn(8, *shape) * 2 + 0.5)
    model.eval()
    data = exported(model, nnlite.randn(2, *shape), dynamic_axes={"input": {0: "batch"}})
    x = np.random.default_rng(1).normal(size=(7,) + shape).astype(np.float32) * 1.5
    got = session(data).run(None, {"input": x})[0]
    np.testing.assert_allclose(got, reference(model, x), rtol=1e-5, atol=1e-5)


def test_comparison_would_catch_a_wrong_export():
    nnlite.manual_seed(0)
    model, shape = mlp()
    model.eval()
    data = exported(model, nnlite.randn(2, *shape), dynamic_axes={"input": [0]})
    x = np.random.default_rng(1).normal(size=(3,) + shape).astype(np.float32)
    with nnlite.no_grad():
        model[1].weight[0, 0] += 1e-2  # the file no longer matches the model
    with pytest.raises(AssertionError):
        np.testing.assert_allclose(session(data).run(None, {"input": x})[0],
                                   reference(model, x), rtol=1e-5, atol=1e-5)


def test_names_static_shape_and_training_mode_restored(tmp_path):
    model = nn.Sequential(nn.Linear(3, 2), nn.BatchNorm1d(2))
    model.train()
    path = tmp_path / "m.onnx"
    assert export(model, (nnlite.randn(4, 3),), str(path), input_names=["features"],
                  output_names=["logits"], opset_version=13) is None
    assert model.training and model[1].training
    proto = onnx.load(str(path))
    assert [i.name for i in proto.graph.input] == ["features"]
    assert [o.name for o in proto.graph.output] == ["logits"]
    dims = [d.dim_value for d in proto.graph.input[0].type.tensor_type.shape.dim]
    assert dims == [4, 3] and proto.opset_import[0].version == 13
    sess = session(path.read_bytes())
    x = np.ones((4, 3), np.float32)
    model.eval()
    np.testing.assert_allclose(sess.run(["logits"], {"features": x})[0], reference(model, x),
                               rtol=1e-5, atol=1e-6)
    with pytest.raises(Exception):  # static batch: a batch of 5 is refused
        sess.run(None, {"features": np.ones((5, 3), np.float32)})


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(3, 3)

    def forward(self, x):
        return nnlite.cumsum(self.fc(x), dim=1) + x  # cumsum has no converter


def test_unsupported_layers_named():
    with pytest.raises(UnsupportedOperatorError,
                       match=r"torch.cumsum \(called in '1' \(Block\)\).*no ONNX converter"):
        exported(nn.Sequential(nn.Linear(3, 3), Block()), nnlite.randn(2, 3))
    with pytest.raises(UnsupportedOperatorError, match=r"'0' \(Conv2d\).*padding_mode"):
        exported(nn.Sequential(nn.Conv2d(1, 1, 3, padding=1, padding_mode="reflect")),
                 nnlite.randn(1, 1, 5, 5))
    with pytest.raises(UnsupportedOperatorError, match=r"LayerNorm.*opset_version >= 17"):
        exported(nn.Sequential(nn.LayerNorm(3)), nnlite.randn(2, 3), opset_version=13)
    with pytest.raises(UnsupportedOperatorError, match=r"track_running_stats"):
        exported(nn.BatchNorm1d(3, track_running_stats=False), nnlite.randn(2, 3))
    with pytest.raises(ValueError, match="dynamic_axes names 'x'"):
        exported(nn.Linear(3, 3), nnlite.randn(2, 3), dynamic_axes={"x": {0: "b"}})
    with pytest.raises(ValueError, match="opset_version"):
        exported(nn.Linear(3, 3), nnlite.randn(2, 3), opset_version=7)


def test_missing_onnx_package_named(monkeypatch):
    monkeypatch.setitem(sys.modules, "onnx", None)
    with pytest.raises(ImportError, match=r"nnlite\[onnx\]"):
        exported(nn.Linear(2, 2), nnlite.randn(1, 2))


@pytest.mark.parametrize("config", ["mlp.yaml", "diabetes.yaml"])
def test_cli_export_run_takes_raw_features(tmp_path, config, capsys):
    from nnlite.train.cli import main
    from nnlite.train.predict import load_run

    out = str(tmp_path / "run")
    assert main([os.path.join(ROOT, "configs", config), "--quiet", "--epochs", "1",
                 "--output-dir", out]) == 0
    assert main(["export", out, "--format", "onnx"]) == 0
    assert "model.onnx" in capsys.readouterr().out
    p = load_run(out)
    rng = np.random.default_rng(0)
    raw = (np.asarray(p.record["x_mean"]) + rng.normal(size=(9, p.n_features))
           * np.asarray(p.record["x_std"])).astype(np.float32)
    sess = session(open(os.path.join(out, "model.onnx"), "rb").read())
    got = sess.run(None, {"input": raw})[0]
    if p.task == "classification":
        np.testing.assert_allclose(got, p.predict_proba(raw), rtol=1e-5, atol=1e-6)
    else:
        want = p.predict(raw)
        assert got.shape == want.shape == (9,)
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5 * np.abs(want).max())
    meta = {m.key: m.value for m in onnx.load(os.path.join(out, "model.onnx")).metadata_props}
    assert meta["task"] == p.task and "feature_names" in meta
    assert main(["export", str(tmp_path / "nope"), "--format", "onnx"]) == 2
    assert "not a directory" in capsys.readouterr().err
