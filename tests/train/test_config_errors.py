"""Every bad config is a one-line error on stderr naming the key path, exit status 2, and no
traceback."""

import pytest

from nnlite.train.cli import main

BASE = """\
data: {name: iris, batch_size: 16}
model: {hidden: [8]}
trainer: {epochs: 1}
"""


def _run(tmp_path, capsys, text=BASE, *args):
    cfg = tmp_path / "c.yaml"
    cfg.write_text(text)
    rc = main([str(cfg), "--quiet", "--output-dir", str(tmp_path / "run"), *args])
    err = capsys.readouterr().err
    return rc, err


CASES = [
    # (--set overrides, the key path expected in the message, another fragment)
    (["optimizer.lrr=0.1"], "optimizer.lrr", "did you mean 'lr'"),
    (["trainer.epochz=3"], "trainer.epochz", "did you mean 'epochs'"),
    (["modle.hidden=[4]"], "modle", "did you mean 'model'"),
    (["trainer.epochs=ten"], "trainer.epochs", "expected an integer"),
    (["model.hidden=[8, x]"], "model.hidden[1]", "expected an integer"),
    (["data.shuffle=maybe"], "data.shuffle", "true or false"),
    (["optimizer.lr=-1"], "optimizer.lr", "out of range"),
    (["data.split.val=1.5"], "data.split.val", "out of range"),
    (["model.dropout=1.0"], "model.dropout", "out of range"),
    (["data.name=irs"], "data.name", "did you mean 'iris'"),
    (["optimizer.name=adamm"], "optimizer.name", "did you mean 'adam'"),
    (["model.activation=relux"], "model.activation", "did you mean 'relu'"),
    (["scheduler.name=cosin"], "scheduler.name", "did you mean 'cosine'"),
    (["optimizer.name=sgd", "optimizer.momentun=0.9"], "optimizer.momentun",
     "did you mean 'momentum'"),
    (["optimizer.betas=fast"], "optimizer.betas", ""),
    (["data.params.noize=0.1", "data.name=moons"], "data.params.noize", "did you mean 'noise'"),
    (["data.name=csv", "data.path=/no/such/file.csv"], "data.path", "not found"),
    (["data.name=csv"], "data.path", "required"),
    (["model.class=no_such_pkg.mod:Net"], "model.class", "cannot import"),
    (["model.class=tests.train.models:NotAModule"], "model.class", "not a subclass"),
    (["model.class=tests.train.models:NanAftr"], "model.class", "did you mean 'NanAfter'"),
    (["model.class=tests.train.models:NanAfter", "model.args.aftr=3"], "model.args.aftr",
     "did you mean 'after'"),
    (["trainer.early_stopping.monitor=val_acc"], "trainer.early_stopping.monitor",
     "did you mean 'val_accuracy'"),
    (["metrics=[r2]"], "metrics[0]", "regression metric"),
    (["loss=mse"], "loss.name", "does not fit"),
    (["data.classes=[7]"], "data.classes", "not in the data"),
    (["finetune.from=/no/such/run"], "finetune.from", "scripts/train.py"),
]


@pytest.mark.parametrize("overrides,path,fragment", CASES, ids=[c[1] for c in CASES])
def test_bad_config_exits_2_naming_the_key(tmp_path, capsys, overrides, path, fragment):
    args = [a for o in overrides for a in ("--set", o)]
    text = BASE
    if any(o.startswith("model.class") for o in overrides):  # model.hidden is for the MLP
        text = BASE.replace("model: {hidden: [8]}\n", "")
    rc, err = _run(tmp_path, capsys, text, *args)
    assert rc == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err
    assert path in lines[0] and fragment in lines[0], lines[0]
    assert not (tmp_path / "run" / "checkpoint.safetensors").exists()


def test_unknown_key_in_file_and_yaml_syntax_error(tmp_path, capsys):
    rc, err = _run(tmp_path, capsys, BASE + "optimiser: {lr: 0.1}\n")
    assert rc == 2 and "optimiser" in err and "did you mean 'optimizer'" in err
    rc, err = _run(tmp_path, capsys, "data:\n  name: iris\n   batch_size: [1, 2\n")
    assert rc == 2 and "YAML syntax error" in err and "line 3, column" in err
    assert len(err.strip().splitlines()) == 1


def test_missing_config_file_and_float_written_as_1e_3(tmp_path, capsys):
    rc = main([str(tmp_path / "none.yaml"), "--quiet"])
    assert rc == 2 and "not found" in capsys.readouterr().err
    # YAML 1.1 reads 1e-3 as a string; a float field accepts it
    rc, err = _run(tmp_path, capsys, BASE + "optimizer: {lr: 1e-3}\n", "--dry-run")
    assert rc == 0, err


def test_finetune_weights_that_do_not_fit(tmp_path, capsys):
    src = tmp_path / "src"
    assert main([str(_write(tmp_path, BASE)), "--quiet", "--output-dir", str(src)]) == 0
    rc, err = _run(tmp_path, capsys, BASE, "--set", "model.hidden=[16]", "--set",
                   f"finetune.from={src}")
    assert rc == 2 and "finetune.from" in err and "shape" in err and "[16, 4]" in err
    rc, err = _run(tmp_path, capsys, BASE, "--set", f"finetune.from={src}", "--set",
                   "finetune.freeze=['9.*']")
    assert rc == 2 and "finetune.freeze[0]" in err and "matches no parameter" in err


def _write(tmp_path, text):
    p = tmp_path / "base.yaml"
    p.write_text(text)
    return p


def test_output_dir_holding_a_run_needs_resume(tmp_path, capsys):
    cfg = _write(tmp_path, BASE)
    out = str(tmp_path / "r")
    assert main([str(cfg), "--quiet", "--output-dir", out]) == 0
    assert main([str(cfg), "--quiet", "--output-dir", out]) == 2
    assert f"--resume {out}" in capsys.readouterr().err
    assert main(["--resume", str(tmp_path / "nothing"), "--quiet"]) == 2
