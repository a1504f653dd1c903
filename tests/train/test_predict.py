"""A finished run is a deployable model: ``load_run`` / ``predict`` / ``evaluate`` on raw rows
reproduce summary.json, in nnlite and in PyTorch; the ``plot`` command and the curve layout."""

import json
import os
import re

import numpy as np
import pytest

from nnlite.data.datasets import load_dataset
from nnlite.train import load_run
from nnlite.train.cli import main
from nnlite.train.plots import panels

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture(scope="module")
def digits_run(tmp_path_factory):
    out = str(tmp_path_factory.mktemp("digits") / "run")
    assert main([os.path.join(ROOT, "configs", "mlp.yaml"), "--quiet", "--epochs", "4",
                 "--output-dir", out]) == 0
    return out


def _raw_test_rows(name="digits", test=0.15):
    """The run's test split before standardization: the same rows, split with the same seed."""
    d = load_dataset(name, seed=0, test=test, standardize=False, standardize_target=False)
    return d.x_test.astype(np.float64), d.y_test, d


def _summary(run):
    return json.load(open(os.path.join(run, "summary.json")))


def test_predict_on_raw_rows_reproduces_summary_accuracy(digits_run):
    p = load_run(digits_run)
    x, y, _ = _raw_test_rows()
    # x_test was cast to float32 by the loader; digits pixels are small integers: exact
    pred = p.predict(x)
    assert pred.shape == (len(x),)
    acc = float(np.mean(pred == y))
    assert acc == _summary(digits_run)["test_accuracy"]
    proba = p.predict_proba(x)
    assert proba.shape == (len(x), 10)
    np.testing.assert_allclose(proba.sum(1), 1, rtol=1e-12)
    np.testing.assert_array_equal(proba.argmax(1), pred)
    res = p.evaluate(x, y)
    s = _summary(digits_run)
    for k in ("accuracy", "f1_macro", "balanced_accuracy"):
        assert res[k] == s[f"test_{k}"], k
    # the run used 1 BLAS thread (mlp.yaml), this process may use more: last-bit differences
    for k in ("log_loss", "roc_auc"):
        assert res[k] == pytest.approx(s[f"test_{k}"], rel=1e-6), k
    assert res["confusion_matrix"] == s["test_confusion_matrix"]
    # preprocessing recorded in JSON and in the weights file's metadata
    rec = json.load(open(os.path.join(digits_run, "preprocess.json")))
    assert rec["n_features"] == 64 and rec["classes"] == list(range(10))
    assert len(rec["x_mean"]) == 64 and rec["feature_names"][0] == "pixel_0_0"
    from safetensors import safe_open

    with safe_open(os.path.join(digits_run, "model.safetensors"), "np") as f:
        assert json.loads(f.metadata()["preprocess"]) == rec


def test_summary_has_sklearn_final_metrics(digits_run):
    from sklearn.metrics import classification_report

    s = _summary(digits_run)
    for k in ("test_roc_auc", "test_precision_macro", "test_recall_macro", "test_log_loss"):
        assert isinstance(s[k], float) and np.isfinite(s[k]), k
    rep = s["test_classification_report"]
    assert set(rep) >= {"0", "9", "accuracy", "macro avg"}
    assert rep["accuracy"] == pytest.approx(s["test_accuracy"])
    x, y, _ = _raw_test_rows()
    ref = classification_report(y, load_run(digits_run).predict(x), output_dict=True)
    assert rep["macro avg"]["f1-score"] == pytest.approx(ref["macro avg"]["f1-score"])


def test_pytorch_self_contained_export_and_documented_snippet(digits_run):
    torch = pytest.importorskip("torch")
    p = load_run(digits_run)
    x, y, _ = _raw_test_rows()
    acc = _summary(digits_run)["test_accuracy"]
    tm = p.to_torch()
    assert isinstance(tm[0].mean, torch.Tensor) and "0.mean" in tm.state_dict()
    with torch.no_grad():
        out = tm(torch.tensor(x, dtype=torch.float32)).numpy()
    assert float(np.mean(out.argmax(1) == y)) == acc
    # the snippet of docs/deploy.md, run as written, on a hand-built torch twin of the MLP
    text = open(os.path.join(ROOT, "docs", "deploy.md")).read()
    snippet = re.findall(r"```python\n(.*?)```", text, re.S)[-1]
    assert len([line for line in snippet.splitlines() if line.strip()]) <= 6
    nn = torch.nn
    model = nn.Sequential(nn.Linear(64, 256), nn.BatchNorm1d(256), nn.ReLU(), nn.Dropout(0.1),
                          nn.Linear(256, 128), nn.BatchNorm1d(128), nn.ReLU(), nn.Dropout(0.1),
                          nn.Linear(128, 10))
    ns = {"model": model, "run_dir": digits_run, "X_raw": x}
    exec(snippet, ns)
    assert float(np.mean(ns["labels"] == y)) == acc
    # the leading standardization layer in nnlite too
    import nnlite

    with nnlite.no_grad():
        out = p.as_module()(nnlite.tensor(x.astype(np.float32))).numpy()
    assert float(np.mean(out.argmax(1) == y)) == acc


def test_predict_and_evaluate_commands(digits_run, tmp_path, capsys):
    p = load_run(digits_run)
    x, y, _ = _raw_test_rows()
    names = p.feature_names
    csv = tmp_path / "rows.csv"
    # columns in another order, plus the label: matched by name
    order = list(reversed(range(64)))
    lines = [",".join([names[j] for j in order] + ["target"])]
    lines += [",".join([repr(float(r[j])) for j in order] + [str(t)]) for r, t in zip(x, y)]
    csv.write_text("\n".join(lines) + "\n")
    out = tmp_path / "preds.csv"
    assert main(["predict", digits_run, str(csv), "--output", str(out), "--proba"]) == 0
    rows = out.read_text().splitlines()
    assert rows[0].split(",")[:2] == ["prediction", "proba_0"] and len(rows) == len(x) + 1
    np.testing.assert_array_equal([int(r.split(",")[0]) for r in rows[1:]], p.predict(x))
    capsys.readouterr()
    assert main(["evaluate", digits_run, str(csv)]) == 0
    text = capsys.readouterr().out
    acc = float(re.search(r"\baccuracy ([0-9.]+)", text).group(1))
    assert acc == pytest.approx(_summary(digits_run)["test_accuracy"], abs=1e-6)
    # bad inputs: one line, exit 2
    for args in (["predict", str(tmp_path), str(csv)], ["predict", digits_run, "nope.csv"],
                 ["evaluate", digits_run, str(tmp_path / "x.csv")]):
        if args[-1].endswith("x.csv"):
            (tmp_path / "x.csv").write_text(",".join(names[:60]) + "\n" + ",".join(["1"] * 60))
        assert main(args) == 2, args
        err = capsys.readouterr().err.strip()
        assert err.startswith("nnlite-train: error:") and "\n" not in err, err
    with pytest.raises(ValueError, match=r"shape \(n, 64\).*reshape\(1, -1\)"):
        p.predict(x[0])


def test_regression_run_predicts_in_target_units(tmp_path):
    out = str(tmp_path / "reg")
    assert main([os.path.join(ROOT, "configs", "diabetes.yaml"), "--quiet", "--epochs", "2",
                 "--output-dir", out]) == 0
    p = load_run(out)
    x, y, _ = _raw_test_rows("diabetes", test=0.2)
    pred = p.predict(x)
    assert pred.shape == (len(x),)
    s = _summary(out)
    mse = float(np.mean((pred - y[:, 0]) ** 2))
    assert mse == pytest.approx(s["test_mse"], rel=1e-6)
    with pytest.raises(ValueError, match="regression"):
        p.predict_proba(x)


def test_csv_run_with_text_labels_predicts_labels(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(120, 3))
    kind = np.where(x[:, 0] + x[:, 1] > 0, "cat", "dog")
    path = tmp_path / "pets.csv"
    path.write_text("a;b;c;kind\n" + "".join(f"{r[0]};{r[1]};{r[2]};{k}\n"
                                              for r, k in zip(x, kind)))
    out = str(tmp_path / "run")
    assert main(["fit", os.path.join(ROOT, "configs", "mlp.yaml"), "--quiet", "--epochs", "2",
                 "--set", "data.name=csv", "--set", f"data.path={path}",
                 "--output-dir", out]) == 0
    p = load_run(out)
    assert p.classes == ["cat", "dog"] and p.feature_names == ["a", "b", "c"]
    assert set(p.predict(x[:10])) <= {"cat", "dog"}
    res = p.evaluate(str(path))
    assert 0 <= res["accuracy"] <= 1


def test_load_run_errors_are_one_line(tmp_path, digits_run):
    from nnlite.train.schema import ConfigError

    with pytest.raises(ConfigError, match="not a directory"):
        load_run(str(tmp_path / "nope"))
    with pytest.raises(ConfigError, match="no preprocess.json"):
        load_run(str(tmp_path))
    (tmp_path / "preprocess.json").write_text("{broken")
    with pytest.raises(ConfigError, match="cannot read preprocess.json"):
        load_run(str(tmp_path))
    rec = json.load(open(os.path.join(digits_run, "preprocess.json")))
    (tmp_path / "preprocess.json").write_text(json.dumps(rec))
    with pytest.raises(ConfigError, match="no model.safetensors"):
        load_run(str(tmp_path))
    rec["model"]["hidden"] = [3]
    (tmp_path / "preprocess.json").write_text(json.dumps(rec))
    import shutil

    shutil.copy(os.path.join(digits_run, "model.safetensors"), tmp_path)
    with pytest.raises(ConfigError, match="does not fit"):
        load_run(str(tmp_path))


# ---- curves -------------------------------------------------------------------------------------
def test_curve_panels_split_metric_scales():
    hist = [{"epoch": 1, "lr": 0.1, "train_loss": 900.0, "val_loss": 800.0, "val_mse": 3000.0,
             "val_mae": 45.0, "val_r2": 0.3, "time_s": 0.1}]
    layout = panels(hist)
    assert [p["title"] for p in layout] == ["loss", "scores", "mse", "mae", "learning rate"]
    assert layout[0]["log"] and layout[-1]["log"] and not layout[1]["log"]
    cls = panels([{"epoch": 1, "lr": 0.1, "train_loss": 1.0, "train_accuracy": 0.5,
                   "val_accuracy": 0.4, "val_f1_macro": 0.3}])
    assert cls[1] == {"title": "scores", "keys": ["train_accuracy", "val_accuracy",
                                                  "val_f1_macro"], "log": False}


def test_plot_command(digits_run, tmp_path, capsys):
    pytest.importorskip("matplotlib")
    out = tmp_path / "cmp.png"
    assert main(["plot", digits_run, digits_run, "--output", str(out)]) == 0
    assert out.read_bytes()[:4] == b"\x89PNG"
    assert main(["plot", str(tmp_path)]) == 2
    assert "no metrics.jsonl" in capsys.readouterr().err
