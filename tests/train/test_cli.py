"""End-to-end runs of the trainer: every config, the run directory, reproducibility, exact
resume, Ctrl-C, NaN stop, fine-tuning with frozen layers, PyTorch interop."""

import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
import yaml

import nnlite
from nnlite.train import LambdaCallback, TrainingInterrupted, run
from nnlite.train.cli import main

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CONFIGS = os.path.join(ROOT, "configs")

SMALL = {"threads": 1, "data": {"name": "iris", "batch_size": 16}, "model": {"hidden": [16], "dropout": 0.2},
         "optimizer": {"name": "adamw", "lr": 0.01}, "scheduler": {"name": "cosine"},
         "trainer": {"epochs": 4}}


def _config(**changes):
    cfg = yaml.safe_load(yaml.safe_dump(SMALL))
    for key, value in changes.items():
        section, _, field = key.partition("__")
        if field:
            cfg.setdefault(section, {})[field] = value
        else:
            cfg[section] = value
    return cfg


def _metrics(run_dir):
    with open(os.path.join(run_dir, "metrics.jsonl")) as fh:
        rows = [json.loads(line) for line in fh]
    for r in rows:
        r.pop("time_s")
    return rows


def _weights(run_dir):
    return {k: v.numpy() for k, v in nnlite.load(os.path.join(run_dir, "model.safetensors"))
            .items()}


@pytest.fixture(autouse=True)
def _in_root(monkeypatch):
    monkeypatch.chdir(ROOT)  # configs name modules like examples.custom_module


@pytest.fixture(scope="module")
def pretrained(tmp_path_factory):
    """configs/pretrain.yaml, cut to 3 epochs."""
    out = str(tmp_path_factory.mktemp("pre") / "pretrain")
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        assert main([os.path.join(CONFIGS, "pretrain.yaml"), "--quiet", "--epochs", "3",
                     "--output-dir", out]) == 0
    finally:
        os.chdir(cwd)
    return out


@pytest.mark.parametrize("name", sorted(f[:-5] for f in os.listdir(CONFIGS)
                                        if f.endswith(".yaml")))
def test_every_config_runs_one_epoch(name, tmp_path, pretrained, capsys):
    out = str(tmp_path / "run")
    args = [os.path.join(CONFIGS, f"{name}.yaml"), "--epochs", "1", "--output-dir", out]
    if name == "finetune":
        args += ["--set", f"finetune.from={pretrained}"]
    assert main(args) == 0, capsys.readouterr().err
    text = capsys.readouterr().out
    assert "done:" in text and "wall time" in text
    for f in ("config.yaml", "metrics.jsonl", "summary.json", "model.safetensors",
              "checkpoint.safetensors"):
        assert os.path.isfile(os.path.join(out, f)), f
    summary = json.load(open(os.path.join(out, "summary.json")))
    assert summary["epochs_run"] == 1 and summary["n_parameters"] > 0
    assert ("test_accuracy" in summary) or ("test_r2" in summary and "test_mse" in summary)
    rows = _metrics(out)
    assert len(rows) == 1 and {"epoch", "lr", "train_loss", "val_loss"} <= set(rows[0])
    # the resolved config reproduces the run
    resolved = yaml.safe_load(open(os.path.join(out, "config.yaml")))
    assert resolved["trainer"]["epochs"] == 1 and "weight_decay" in resolved["optimizer"]
    # and every run is a usable model (fine-tuned heads and user Modules included)
    from nnlite.train import load_run

    p = load_run(out)
    assert len(p.predict(np.zeros((2, p.n_features)))) == 2


def test_mlp_config_reaches_97_percent(tmp_path, capsys):
    out = str(tmp_path / "mlp")
    t0 = time.perf_counter()
    assert main([os.path.join(CONFIGS, "mlp.yaml"), "--quiet", "--output-dir", out]) == 0
    wall = time.perf_counter() - t0
    summary = json.load(open(os.path.join(out, "summary.json")))
    assert summary["test_accuracy"] >= 0.97, summary
    assert len(summary["test_confusion_matrix"]) == 10
    print(f"mlp.yaml: test_accuracy {summary['test_accuracy']:.4f} in {wall:.1f} s")


def test_dry_run_and_typed_overrides(tmp_path, capsys):
    cfg = tmp_path / "c.yaml"
    cfg.write_text(yaml.safe_dump(SMALL))
    assert main([str(cfg), "--dry-run", "--set", "model.hidden=[32,8]",
                 "--set", "model.norm=none"]) == 0
    out = capsys.readouterr().out
    assert "Linear(in_features=4, out_features=32" in out and "BatchNorm" not in out
    assert "parameters: 451" in out  # 4*32+32 + 32*8+8 + 8*3+3
    assert not os.path.exists(tmp_path / "runs")


def test_same_seed_same_metrics_different_seed_differs(tmp_path):
    for name, seed in (("a", 0), ("b", 0), ("c", 1)):
        run(_config(seed=seed), output_dir=str(tmp_path / name))
    assert _metrics(tmp_path / "a") == _metrics(tmp_path / "b")
    assert _metrics(tmp_path / "a") != _metrics(tmp_path / "c")


def _interrupt_at(epoch, batch, how):
    def hook(trainer, e, b, logs):
        if (e, b) == (epoch, batch):
            if how == "signal":
                os.kill(os.getpid(), signal.SIGINT)  # a real Ctrl-C, deferred to the batch end
            else:
                raise KeyboardInterrupt

    return LambdaCallback(on_batch_end=hook)


@pytest.mark.parametrize("how", ["signal", "exception"])
def test_interrupted_and_resumed_equals_uninterrupted(tmp_path, capsys, how):
    cfg = _config(scheduler={"name": "onecycle"})  # per-batch scheduler state too
    full, cut = str(tmp_path / "full"), str(tmp_path / "cut")
    run(cfg, output_dir=full)
    with pytest.raises(TrainingInterrupted) as e:
        run(cfg, output_dir=cut, callbacks=[_interrupt_at(2, 3, how)])
    assert e.value.saved
    ck = nnlite.load(os.path.join(cut, "checkpoint.safetensors"))
    assert (ck["epoch"], ck["batch"]) == (1, 3)  # stopped after batch 3 of epoch 2
    assert main(["--resume", cut, "--quiet"]) == 0
    a, b = _weights(full), _weights(cut)
    assert a.keys() == b.keys()
    for k in a:
        np.testing.assert_array_equal(a[k], b[k], err_msg=k)
    assert _metrics(full) == _metrics(cut)


def test_ctrl_c_in_the_cli_saves_and_exits_130(tmp_path, capsys, monkeypatch):
    cfg = tmp_path / "c.yaml"
    cfg.write_text(yaml.safe_dump(SMALL))
    from nnlite.train import runner

    real = runner.run  # the CLI looks run up in the runner module at call time
    monkeypatch.setattr(runner, "run", lambda *a, **k: real(
        *a, callbacks=[_interrupt_at(1, 2, "signal")], **k))
    out = str(tmp_path / "r")
    rc = main([str(cfg), "--quiet", "--output-dir", out])
    err = capsys.readouterr().err
    assert rc == 130 and f"--resume {out}" in err and "Traceback" not in err
    assert os.path.isfile(os.path.join(out, "checkpoint.safetensors"))
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_nan_loss_stops_naming_epoch_and_batch(tmp_path, capsys):
    cfg = tmp_path / "c.yaml"
    # iris: 105 training rows / 16 = 7 batches per epoch; the 10th forward is epoch 2, batch 3
    cfg.write_text(yaml.safe_dump(_config(
        model={"class": "tests.train.models:NanAfter", "args": {"after": 10}})))
    out = str(tmp_path / "r")
    rc = main([str(cfg), "--quiet", "--output-dir", out])
    err = capsys.readouterr().err
    assert rc == 1 and "epoch 2, batch 3" in err and "nan" in err and "Traceback" not in err
    ck = nnlite.load(os.path.join(out, "checkpoint.safetensors"))
    assert ck["epoch"] == 1 and ck["batch"] == 0  # the last good checkpoint
    assert all(np.isfinite(v.numpy()).all() for v in ck["model"].values())


def test_finetune_keeps_frozen_weights_bit_identical(tmp_path, pretrained, capsys):
    out = str(tmp_path / "ft")
    assert main([os.path.join(CONFIGS, "finetune.yaml"), "--quiet", "--epochs", "5",
                 "--set", f"finetune.from={pretrained}", "--output-dir", out]) == 0
    src, ft = _weights(pretrained), _weights(out)
    for k in ("0.weight", "0.bias", "1.weight", "1.bias", "1.running_mean", "1.running_var",
              "1.num_batches_tracked"):
        np.testing.assert_array_equal(src[k], ft[k], err_msg=k)
    assert not np.array_equal(src["3.weight"], ft["3.weight"])  # fine-tuned
    assert ft["6.weight"].shape == (5, 64)  # the new head
    s = json.load(open(os.path.join(out, "summary.json")))
    assert s["n_trainable_parameters"] == s["n_parameters"] - (64 * 256 + 256 + 2 * 256)
    assert s["frozen"] == ["0.bias", "0.weight", "1.bias", "1.weight"]


def test_finetuned_model_beats_a_head_on_raw_features(tmp_path):
    pre = yaml.safe_load(open(os.path.join(CONFIGS, "pretrain.yaml")))
    run(pre, output_dir=str(tmp_path / "pre"))
    ft = yaml.safe_load(open(os.path.join(CONFIGS, "finetune.yaml")))
    ft["finetune"]["from"] = str(tmp_path / "pre")
    tuned = run(ft, output_dir=str(tmp_path / "ft"))
    raw = yaml.safe_load(open(os.path.join(CONFIGS, "finetune.yaml")))
    raw["finetune"], raw["model"]["hidden"] = None, []  # a linear head on the pixels
    head = run(raw, output_dir=str(tmp_path / "raw"))
    assert tuned["test_accuracy"] > head["test_accuracy"] + 0.02, (tuned, head)


def test_model_safetensors_loads_into_torch(tmp_path):
    torch = pytest.importorskip("torch")
    from safetensors.torch import load_file

    out = str(tmp_path / "r")
    run(_config(model={"hidden": [16, 8], "norm": "batchnorm", "dropout": 0.2}), output_dir=out)
    tm = torch.nn.Sequential(
        torch.nn.Linear(4, 16), torch.nn.BatchNorm1d(16), torch.nn.ReLU(), torch.nn.Dropout(0.2),
        torch.nn.Linear(16, 8), torch.nn.BatchNorm1d(8), torch.nn.ReLU(), torch.nn.Dropout(0.2),
        torch.nn.Linear(8, 3))
    tm.load_state_dict(load_file(os.path.join(out, "model.safetensors")))  # strict
    tm.eval()
    ours = nnlite.nn.MLP(4, [16, 8], 3, norm="batchnorm", dropout=0.2)
    ours.load_state_dict(nnlite.load(os.path.join(out, "model.safetensors")))
    ours.eval()
    x = np.random.default_rng(0).normal(size=(5, 4)).astype(np.float32)
    with torch.no_grad():
        expected = tm(torch.tensor(x)).numpy()
    with nnlite.no_grad():
        got = ours(nnlite.tensor(x)).numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)


def test_early_stopping_and_best_model(tmp_path):
    out = str(tmp_path / "r")
    s = run(_config(trainer={"epochs": 60, "save_model": "best",
                             "early_stopping": {"monitor": "val_loss", "patience": 2}},
                    optimizer={"name": "sgd", "lr": 0.5}), output_dir=out)
    assert s["stopped_early"] and s["epochs_run"] < 60
    assert s["best_epoch"] == s["epochs_run"] - 2
    assert os.path.isfile(os.path.join(out, "best.safetensors"))


@pytest.mark.timeout(900)  # several training subprocesses, each with its own timeout
def test_script_in_a_subprocess(tmp_path):
    cfg = tmp_path / "c.yaml"
    cfg.write_text(yaml.safe_dump(_config(trainer={"epochs": 1})))
    env = {**os.environ, "PYTHONPATH": ""}
    proc = subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "train.py"), str(cfg),
                           "--output-dir", str(tmp_path / "r")], capture_output=True, text=True,
                          cwd=str(tmp_path), env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "done: test_accuracy" in proc.stdout
    assert "\r" not in proc.stderr  # not a terminal: no progress bars
    bad = subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "train.py"), str(cfg),
                          "--set", "optimizer.lrr=1"], capture_output=True, text=True,
                         cwd=str(tmp_path), env=env, timeout=300)
    assert bad.returncode == 2 and "optimizer.lrr" in bad.stderr
    assert "Traceback" not in bad.stderr


def test_import_nnlite_stays_light():
    code = ("import sys, nnlite; bad = [m for m in ('nnlite.train', 'nnlite.data', 'sklearn', "
            "'tqdm', 'safetensors') if m in sys.modules]; print(bad); "
            "import nnlite.data; print('sklearn' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=ROOT, timeout=120).stdout.split("\n")
    assert out[0] == "[]" and out[1] == "False"
