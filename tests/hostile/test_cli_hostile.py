"""Hostile command lines for ``scripts/train.py`` beyond tests/train: every one is a single
line on stderr, exit status 2, no traceback, and a damaged run directory is left as it was."""

import os

import pytest

from nnlite.train.cli import main

GOOD = "data: {name: iris, batch_size: 16}\nmodel: {hidden: [8]}\ntrainer: {epochs: 1}\n"

FILES = {
    "list.yaml": (b"- 1\n- 2\n", "must be a mapping"),
    "scalar.yaml": (b"just a string\n", "must be a mapping"),
    "binary.yaml": (b"\xff\xfe\x00garbage\x00", "not UTF-8"),
    "section_list.yaml": (b"data: [1, 2]\nmodel: {hidden: [8]}\n", "data"),
    "duplicate.yaml": (GOOD.encode() + b"data: {name: moons}\n", "duplicate key 'data'"),
    "recursive.yaml": (b"a: &a [*a]\n", "contain itself"),
    "python_tag.yaml": (b'!!python/object/apply:os.system ["echo pwned"]\n', "python/object"),
    "huge_batch.yaml": (GOOD.replace("16", "100000000000000000000").encode(), "batch_size"),
    "huge_layer.yaml": (GOOD.replace("[8]", "[1000000000000]").encode(), "model.hidden[0]"),
}


def _one_line_error(capsys, rc):
    err = capsys.readouterr().err
    assert rc == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


@pytest.mark.parametrize("name", sorted(FILES))
def test_bad_config_file_is_one_line(tmp_path, capsys, name):
    body, fragment = FILES[name]
    cfg = tmp_path / name
    cfg.write_bytes(body)
    line = _one_line_error(capsys, main([str(cfg), "--quiet", "--output-dir",
                                         str(tmp_path / "run")]))
    assert fragment in line, line
    assert not (tmp_path / "run").exists()  # nothing written for a config that does not load


@pytest.mark.parametrize("args,fragment", [
    (["{dir}"], "is a directory"),
    (["{cfg}", "--output-dir", "{file}"], "cannot create the run directory"),
    (["{cfg}", "--output-dir", "{file}/sub"], "cannot create the run directory"),
    (["--resume", "{dir}"], "not a run directory"),
    (["{cfg}", "--set", "noequals"], "--set expects key.path=value, got 'noequals'"),
    (["predict", "{dir}/nope", "x.csv"], "not a directory"),
])
def test_bad_paths_and_arguments_are_one_line(tmp_path, capsys, args, fragment):
    cfg = tmp_path / "c.yaml"
    cfg.write_text(GOOD)
    (tmp_path / "f").write_text("a file")
    (tmp_path / "d").mkdir()
    fill = {"cfg": str(cfg), "file": str(tmp_path / "f"), "dir": str(tmp_path / "d")}
    line = _one_line_error(capsys, main([a.format(**fill) for a in args] + ["--quiet"]
                                        if args[0] != "predict" else
                                        [a.format(**fill) for a in args]))
    assert fragment in line, line


def test_damaged_checkpoint_is_refused_and_left_alone(tmp_path, capsys):
    cfg = tmp_path / "c.yaml"
    cfg.write_text(GOOD)
    run = tmp_path / "run"
    assert main([str(cfg), "--quiet", "--output-dir", str(run)]) == 0
    capsys.readouterr()
    ckpt = run / "checkpoint.safetensors"
    damaged = ckpt.read_bytes()[:100]
    ckpt.write_bytes(damaged)
    before = {p: (run / p).read_bytes() for p in os.listdir(run)}
    line = _one_line_error(capsys, main(["--resume", str(run), "--epochs", "2", "--quiet"]))
    assert "damaged" in line or "truncated" in line, line
    assert {p: (run / p).read_bytes() for p in os.listdir(run)} == before


@pytest.mark.parametrize("setting,fragment", [
    ("trainer.epochs=0", "trainer.epochs: 0 is out of range"),
    ("trainer.epochs=true", "got a boolean"),
    ("trainer.epochs=1e400", "trainer.epochs: expected an integer"),
    ("data.batch_size='16'", "got a string ('16')"),
    ("data.batch_size=[1]", "got a list"),
    ("data.split={val: 0.6, test: 0.6}", "must leave some training data"),
    ("model.hidden=[-3]", "model.hidden[0]: -3 is out of range"),
    ("model.dropout=1.5", "model.dropout: 1.5 is out of range"),
    ("model.activation=relux", "unknown name 'relux'; did you mean 'relu'?"),
    ("optimizer.name=adamww", "unknown name 'adamww'; did you mean 'adamw'?"),
    ("optimizer.lr=.nan", "optimizer.lr: must be a finite number"),
    ("optimizer.lr=1e-400", "optimizer.lr: 0.0 is out of range"),
    ("seed=-1", "seed: -1 is out of range"),
    ("metrics=[acuracy]", "metrics[0]: unknown name 'acuracy'; did you mean 'accuracy'?"),
])
def test_bad_config_values_are_one_line_naming_the_key(tmp_path, capsys, setting, fragment):
    cfg = tmp_path / "c.yaml"
    cfg.write_text(GOOD)
    line = _one_line_error(capsys, main([str(cfg), "--quiet", "--output-dir",
                                         str(tmp_path / "run"), "--set", setting]))
    assert fragment in line, line
    assert not (tmp_path / "run").exists()
