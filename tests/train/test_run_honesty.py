"""The run boundary that issue 11 asked for: a dry run that really runs one step (and leaves no
trace), honest --resume, unique default run directories, absolute paths, --print-config and
the README's table of config keys."""

import json
import os
import re

import numpy as np
import pytest
import yaml

import nnlite
from nnlite.train import run
from nnlite.train.cli import main
from nnlite.train.configdoc import key_table

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SMALL = {"threads": 1, "data": {"name": "iris", "batch_size": 16},
         "model": {"hidden": [16], "dropout": 0.2}, "optimizer": {"name": "adamw", "lr": 0.01},
         "scheduler": {"name": "cosine"}, "trainer": {"epochs": 4}}


@pytest.fixture(autouse=True)
def _in_root(monkeypatch):
    monkeypatch.chdir(ROOT)


def _cfg_file(tmp_path, **sections):
    cfg = yaml.safe_load(yaml.safe_dump(SMALL))
    cfg.update(sections)
    p = tmp_path / "c.yaml"
    p.write_text(yaml.safe_dump(cfg))
    return str(p)


# ---- dry run --------------------------------------------------------------------------------
@pytest.mark.parametrize("dry", [True, False])
def test_user_model_with_wrong_input_size_fails_before_any_run_dir(tmp_path, capsys, dry,
                                                                   monkeypatch):
    monkeypatch.chdir(tmp_path)  # a default run dir would appear under ./runs
    cfg = _cfg_file(tmp_path, model={"class": "tests.train.models:WrongInputSize"})
    monkeypatch.syspath_prepend(ROOT)
    args = [cfg] + (["--dry-run"] if dry else ["--output-dir", str(tmp_path / "out")])
    assert main(args) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "Traceback" not in err
    assert re.search(r"layer 'fc1' \(Linear\) on input \[\d+,4\]", err), err
    assert re.search(r"\d+x4 and 7x16", err)  # the shapes the layer saw and wanted
    assert not os.path.exists(tmp_path / "out") and not os.path.exists(tmp_path / "runs")


def test_model_output_size_is_checked_against_the_classes(tmp_path, capsys):
    cfg = _cfg_file(tmp_path, model={"class": "tests.train.models:TooFewOutputs"})
    assert main([cfg, "--dry-run"]) == 2
    err = capsys.readouterr().err
    assert "[2, 2]" in err and "the data has 3 classes" in err, err


def test_dry_run_prints_a_summary_and_checks_the_monitor(tmp_path, capsys):
    cfg = _cfg_file(tmp_path)
    assert main([cfg, "--dry-run", "--set", "finetune=null"]) == 0
    out = capsys.readouterr().out
    assert "output shape" in out and "[16,16]" in out and "[16,3]" in out
    assert "one training step on a batch of 16 ran" in out
    rows = {line.split()[0]: line.split() for line in out.splitlines()
            if line[:1].isdigit() and "Linear" in line}
    assert rows["0"][3] == "80" and rows["4"][3] == "51"  # 4*16+16, 16*3+3
    assert main([cfg, "--dry-run", "--set", "trainer.early_stopping.monitor=val_acc"]) == 2
    assert "did you mean 'val_accuracy'" in capsys.readouterr().err


def test_trial_step_changes_nothing():
    from nnlite.train.dryrun import trial_step
    from nnlite.train.runner import _Setup, resolve

    cfg = resolve(yaml.safe_load(yaml.safe_dump(SMALL)))
    setup = _Setup(cfg)
    before = {k: v.numpy().copy() for k, v in setup.model.state_dict().items()}
    rng = nnlite.get_rng_state().numpy().copy()
    loader_rng = setup.train_loader.generator.get_state().numpy().copy()
    res = trial_step(setup, "classification")
    assert np.isfinite(res["loss"]) and res["output"] == [16, 3]
    for k, v in setup.model.state_dict().items():
        np.testing.assert_array_equal(v.numpy(), before[k], err_msg=k)
    assert all(p.grad is None for p in setup.model.parameters())
    assert len(setup.optimizer.state) == 0
    np.testing.assert_array_equal(nnlite.get_rng_state().numpy(), rng)
    np.testing.assert_array_equal(setup.train_loader.generator.get_state().numpy(), loader_rng)
    # and it did train: on its copy the loss after the step is lower
    assert res["outputs"]["0"] == [16, 16]


# ---- resume ---------------------------------------------------------------------------------
@pytest.fixture
def cosine_run(tmp_path):
    out = str(tmp_path / "run")
    assert main([_cfg_file(tmp_path), "--quiet", "--output-dir", out]) == 0
    return out


def test_resume_refuses_overrides_that_cannot_apply(cosine_run, capsys):
    config = open(os.path.join(cosine_run, "config.yaml")).read()
    assert main(["--resume", cosine_run, "--set", "optimizer.lr=0.1", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "optimizer.lr: cannot change on --resume" in err and "finetune.from" in err
    assert open(os.path.join(cosine_run, "config.yaml")).read() == config
    assert main(["--resume", cosine_run, "--set", "model.hidden=[8]", "--quiet"]) == 2
    assert "model.hidden" in capsys.readouterr().err


def test_resume_past_the_cosine_horizon_is_an_error(cosine_run, capsys):
    assert main(["--resume", cosine_run, "--epochs", "6", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "trainer.epochs" in err and "cosine schedule (4 epochs)" in err and "climb" in err


def test_resume_a_finished_run_says_it_is_complete(cosine_run, capsys):
    summary = open(os.path.join(cosine_run, "summary.json")).read()
    mtime = os.path.getmtime(os.path.join(cosine_run, "summary.json"))
    assert main(["--resume", cosine_run]) == 0
    assert "is complete: it trained 4 epochs" in capsys.readouterr().out
    assert open(os.path.join(cosine_run, "summary.json")).read() == summary
    assert os.path.getmtime(os.path.join(cosine_run, "summary.json")) == mtime


def test_resume_extends_a_step_schedule_and_records_it(tmp_path, capsys):
    out = str(tmp_path / "run")
    cfg = _cfg_file(tmp_path, scheduler={"name": "step", "step_size": 2})
    assert main([cfg, "--quiet", "--output-dir", out, "--epochs", "2"]) == 0
    assert main(["--resume", out, "--epochs", "3"]) == 0
    text = capsys.readouterr().out
    assert "trainer.epochs: 2 -> 3 (applied on resume" in text
    assert yaml.safe_load(open(os.path.join(out, "config.yaml")))["trainer"]["epochs"] == 3
    assert json.load(open(os.path.join(out, "summary.json")))["epochs_run"] == 3


def test_data_path_stored_absolute_and_resume_from_elsewhere(tmp_path, monkeypatch, capsys):
    data = tmp_path / "data"
    data.mkdir()
    rng = np.random.default_rng(0)
    x = rng.normal(size=(80, 3))
    (data / "d.csv").write_text("a,b,c,y\n" + "".join(
        f"{r[0]},{r[1]},{r[2]},{int(r[0] > 0)}\n" for r in x))
    (data / "c.yaml").write_text(yaml.safe_dump(
        {**SMALL, "data": {"name": "csv", "path": "d.csv", "batch_size": 16}}))
    out = str(tmp_path / "run")
    monkeypatch.chdir(tmp_path)
    assert main([str(data / "c.yaml"), "--quiet", "--output-dir", out, "--epochs", "1",
                 "--set", "scheduler=none"]) == 0
    stored = yaml.safe_load(open(os.path.join(out, "config.yaml")))
    assert stored["data"]["path"] == str(data / "d.csv")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    assert main(["--resume", out, "--epochs", "2", "--quiet"]) == 0
    rerun = str(tmp_path / "rerun")
    assert main([os.path.join(out, "config.yaml"), "--quiet", "--output-dir", rerun]) == 0


def test_default_run_dirs_never_collide(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    cfg = yaml.safe_load(yaml.safe_dump(SMALL))
    cfg["trainer"]["epochs"] = 1
    cfg["name"] = "same"
    a = run(cfg)["output_dir"]
    b = run(cfg)["output_dir"]
    assert a != b and os.path.isdir(a) and os.path.isdir(b)


# ---- config documentation ---------------------------------------------------------------------
def test_print_config_is_the_resolved_config_with_docs(tmp_path, capsys):
    from nnlite.train.runner import resolve

    cfg = _cfg_file(tmp_path)
    assert main([cfg, "--print-config", "--set", "optimizer.lr=0.02"]) == 0
    text = capsys.readouterr().out
    loaded = yaml.safe_load(text)
    expect = resolve(yaml.safe_load(open(cfg)), ["optimizer.lr=0.02"])
    expect["name"] = "c"
    assert loaded == expect
    assert re.search(r"\n  lr: 0.02  # a number in \(0.0, ", text)
    assert "weight_decay: 0.01  # an argument of optimizer 'adamw'" in text


def test_readme_has_the_generated_key_table():
    """Every schema key is in the README's table (regenerate it with
    ``python -m nnlite.train.configdoc README.md`` after adding or removing a key)."""
    import re

    from nnlite.train.configdoc import END, START, key_paths

    readme = open(os.path.join(ROOT, "README.md")).read()
    assert START in readme and END in readme
    table = readme.split(START, 1)[1].split(END, 1)[0]
    documented = re.findall(r"^\| `([^`]+)` \|", table, re.M)
    assert len(documented) > 40
    assert sorted(documented) == sorted(key_paths()), \
        "README's config keys are stale: run python -m nnlite.train.configdoc README.md"
    assert "| `optimizer.lr` | `0.001` |" in key_table()
