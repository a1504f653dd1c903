"""Hostile and careless inputs at the ``nnlite-train`` boundary: each is one line on stderr with
the right exit status (2 bad input, 1 NaN stop, 3 failed run, 130 interrupt), never a
traceback; ``--debug`` / NNLITE_DEBUG=1 show one."""

import os
import pickle
import time

import numpy as np
import pytest
import yaml

import nnlite
from nnlite.train.cli import main

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BASE = "data: {name: iris, batch_size: 16}\nmodel: {hidden: [8]}\ntrainer: {epochs: 2}\n" \
       "threads: 1\n"


@pytest.fixture(autouse=True)
def _in_root(monkeypatch):
    monkeypatch.chdir(ROOT)  # model classes are named as tests.train.models:...


def _cli(capsys, *args):
    rc = main([*map(str, args), "--quiet"])
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert "Traceback" not in err, err
    if rc != 0:
        assert len(lines) == 1, err
    return rc, (lines[-1] if lines else "")


def _write(tmp_path, text, name="c.yaml", mode="w"):
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text)
    return path


LAUGHS = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{c}: &{c} [{', '.join(['*' + p] * 9)}]\n" for p, c in zip("abcdefgh", "bcdefghi"))

FILES = [  # (config text, fragment of the message)
    ("", "is empty"),
    ("# only a comment\n", "is empty"),
    (LAUGHS, "aliases"),
    ("a: " + "[" * 10000 + "]" * 10000 + "\n", "nested deeper than 32"),
    (b"data: {name: iris}\nname: caf\xe9\n", "line 2: byte 0xe9 is not UTF-8"),
    ("optimizer: {lr: 0.1}\noptimizer: {lr: 0.2}\n", "duplicate key 'optimizer'"),
    ("optimizer: {lr: 0.1, lr: 0.2}\n", "duplicate key 'lr' (first given on line 1)"),
    ("a: &a [*a]\n", "contain itself"),
    ("name: !!python/object/apply:os.system [echo hi]\n", "could not determine a constructor"),
    ("- 1\n- 2\n", "must be a mapping"),
    ("data: {name: iris}\n\tmodel: {}\n", "YAML syntax error"),
    ("name: \"a\x01b\"\n", "#x0001"),
]


@pytest.mark.parametrize("text,fragment", FILES, ids=[f[1][:20] for f in FILES])
def test_bad_config_files(tmp_path, capsys, text, fragment):
    t0 = time.perf_counter()
    rc, line = _cli(capsys, _write(tmp_path, text), "--output-dir", tmp_path / "run")
    assert rc == 2 and fragment in line and "c.yaml" in line, line
    assert time.perf_counter() - t0 < 10
    assert len(line) < 400  # no expanded value in the message
    assert not (tmp_path / "run").exists()


def test_special_files_as_config(tmp_path, capsys):
    if os.path.exists("/dev/zero"):
        rc, line = _cli(capsys, "/dev/zero")
        assert rc == 2 and "not a regular file" in line
    rc, line = _cli(capsys, tmp_path)
    assert rc == 2 and "is a directory" in line and "--resume" in line


OVERRIDES = [  # (--set values, key in the message, fragment)
    (["data.split.val=.nan"], "data.split.val", "finite"),
    (["trainer.early_stopping.min_delta=.nan"], "trainer.early_stopping.min_delta", "finite"),
    (["optimizer.lr=.inf"], "optimizer.lr", "finite"),
    (["loss.label_smoothing=.nan"], "loss.label_smoothing", "finite"),
    (["optimizer.lr=" + "9" * 400], "optimizer.lr", "out of range"),
    (["seed=18446744073709551616"], "seed", "out of range"),
    (["seed=-1"], "seed", "out of range"),
    (["model.hidden=[1000000000]"], "model.hidden[0]", "out of range"),
    (["model.hidden=[900000, 900000]"], "model.hidden", "more than half of this machine"),
    (["data.batch_size=0"], "data.batch_size", "out of range"),
    (["data.classes=[0]"], "data.classes", "at least 2 classes"),
    (["trainer.epochs=100000000"], "trainer.epochs", "out of range"),
    (["optimizer.weight_decay=-1"], "optimizer.weight_decay", "out of range"),
    (["optimizer.betas=[0.9, 1.5]"], "optimizer.betas[1]", "out of range"),
    (["optimizer.eps=.nan"], "optimizer.eps", "finite"),
    (["scheduler={name: cosine, T_max: 0}"], "scheduler.T_max", "out of range"),
    (["scheduler={name: exponential, gamma: abc}"], "scheduler.gamma", "expected a number"),
    (["scheduler={name: multistep, milestones: abc}"], "scheduler.milestones", "a list"),
    (["scheduler={name: onecycle, total_steps: 1}"], "scheduler.total_steps", "the run takes"),
    (["scheduler={name: step, step_size: 1.5}"], "scheduler.step_size", "integer"),
    (["data.name=moons", "data.params.n_samples=100000000000"], "data.params.n_samples",
     "more than half of this machine"),
    (["data.name=moons", "data.params.noise=.nan"], "data.params.noise", "finite"),
    (["data.target=species"], "data.target", "no effect"),
    (["data.path=x.csv"], "data.path", "no effect"),
    (["model.args={width: 3}"], "model.args", "no effect without model.class"),
    (["scheduler={name: none, T_max: 3}"], "scheduler.T_max", "no effect"),
    (["loss={name: mse, label_smoothing: 0.1}"], "loss.label_smoothing", "no effect"),
    (["model.out_features=5"], "model.out_features", "3 classes"),
    (["model={class: 'tests.train.models:NoParameters'}"], "model.class", "has no parameters"),
    (["name=../x"], "name", "cannot be a run name"),
    (["name=/abs/x"], "name", "cannot be a run name"),
    (["name=" + "a" * 300], "name", "cannot be a run name"),
    (["name=.."], "name", "cannot be a run name"),
    (["name=\"a\\0b\""], "name", "cannot be a run name"),
    (["name=a\x01b"], "--set name", "#x0001"),
    (["na\x01me=1"], "--set", "bad key path"),
    (["optimizer.lr"], "--set", "key.path=value"),
]


@pytest.mark.parametrize("overrides,key,fragment", OVERRIDES,
                         ids=[o[0][0][:30].encode("unicode_escape").decode() for o in OVERRIDES])
def test_bad_values(tmp_path, capsys, overrides, key, fragment):
    args = [a for o in overrides for a in ("--set", o)]
    if any(o.startswith("model={class") for o in overrides):
        text = BASE.replace("model: {hidden: [8]}\n", "")
    else:
        text = BASE
    rc, line = _cli(capsys, _write(tmp_path, text), "--output-dir", tmp_path / "run", *args)
    assert rc == 2 and key in line and fragment in line, line
    assert len(line) < 600
    assert not (tmp_path / "run").exists()  # a config error leaves no run directory


def test_bad_output_dir(tmp_path, capsys):
    rc, line = _cli(capsys, _write(tmp_path, BASE), "--output-dir", "/proc/nope/run")
    assert rc == 2 and "--output-dir" in line and "/proc/nope/run" in line
    (tmp_path / "file").write_text("x")
    rc, line = _cli(capsys, _write(tmp_path, BASE), "--output-dir", tmp_path / "file" / "r")
    assert rc == 2 and "cannot create" in line


def test_batchnorm_last_batch_of_one_is_dropped_and_said(tmp_path, capsys):
    # configs/mlp.yaml on digits: 1257 training samples, 1257 % 8 == 1
    out = tmp_path / "r"
    rc = main([os.path.join(ROOT, "configs", "mlp.yaml"), "--set", "data.batch_size=8",
               "--set", "model.hidden=[32]", "--epochs", "1", "--output-dir", str(out)])
    captured = capsys.readouterr()
    assert rc == 0, captured.err
    assert "1257 training samples in batches of 8 leave a last batch of 1 sample" in \
        captured.out and "dropped" in captured.out
    ck = nnlite.load(str(out / "checkpoint.safetensors"))
    assert ck["run"]["batches_per_epoch"] == 157  # 1257 // 8: the one-sample batch is dropped


def _train(tmp_path, capsys, *extra, name="r"):
    cfg = _write(tmp_path, BASE, name="base.yaml")
    out = tmp_path / name
    rc = main([str(cfg), "--quiet", "--output-dir", str(out), *map(str, extra)])
    assert rc == 0, capsys.readouterr().err
    return out


def _resume_fails(capsys, out, fragment):
    rc, line = _cli(capsys, "--resume", out)
    assert rc == 2 and fragment in line, line
    return line


CHECKPOINTS = [  # (what checkpoint.safetensors becomes, fragment)
    (b"garbage bytes here", "checkpoint.safetensors"),
    (b"", "empty file"),
    (pickle.dumps({"model": {}}), "looks like a pickle"),
    ("truncate", "truncated"),
    ("list", "not an nnlite training checkpoint"),
    ("dict", "not an nnlite training checkpoint"),
]


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("fin")
    (tmp / "base.yaml").write_text(BASE.replace("trainer: {epochs: 2}",
                                                "trainer: {epochs: 2, save_model: best}"))
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        assert main([str(tmp / "base.yaml"), "--quiet", "--output-dir", str(tmp / "r")]) == 0
    finally:
        os.chdir(cwd)
    return tmp / "r"


def _copy(src, dst):
    import shutil

    shutil.copytree(src, dst)
    return dst


@pytest.mark.parametrize("damage,fragment", CHECKPOINTS, ids=[c[1][:20] for c in CHECKPOINTS])
def test_resume_with_a_damaged_checkpoint(tmp_path, capsys, finished, damage, fragment):
    out = _copy(finished, tmp_path / "r")
    ck = out / "checkpoint.safetensors"
    if damage == "truncate":
        ck.write_bytes(ck.read_bytes()[:-100])
    elif damage == "list":
        nnlite.save([1, 2], str(ck))
    elif damage == "dict":
        nnlite.save({"w": nnlite.ones(2)}, str(ck))
    else:
        ck.write_bytes(damage)
    line = _resume_fails(capsys, out, fragment)
    assert "--resume" in line


@pytest.mark.parametrize("damage", [b"", b"junk", pickle.dumps([1]), "list"])
def test_resume_with_a_damaged_best_model(tmp_path, capsys, finished, damage):
    out = _copy(finished, tmp_path / "r")
    best = out / "best.safetensors"
    if damage == "list":
        nnlite.save([nnlite.ones(1)], str(best))
    else:
        best.write_bytes(damage)
    line = _resume_fails(capsys, out, "best.safetensors")
    assert "delete it" in line


def test_resume_refuses_a_batch_size_change_mid_epoch(tmp_path, capsys, finished):
    out = _copy(finished, tmp_path / "r")
    # make the checkpoint stop in the middle of epoch 2 (after batch 3)
    from nnlite.train import LambdaCallback, TrainingInterrupted, run

    def stop(trainer, epoch, batch, logs):
        if (epoch, batch) == (2, 3):
            raise KeyboardInterrupt

    mid = tmp_path / "mid"
    cfg = yaml.safe_load(BASE)
    with pytest.raises(TrainingInterrupted):
        run(cfg, output_dir=str(mid), callbacks=[LambdaCallback(on_batch_end=stop)])
    rc, line = _cli(capsys, "--resume", mid, "--set", "data.batch_size=32")
    assert rc == 2 and "data.batch_size" in line and "data.batch_size=16" in line, line
    assert main(["--resume", str(mid), "--quiet"]) == 0  # the same batch size finishes it
    # at an epoch boundary another batch size is fine
    assert main(["--resume", str(out), "--quiet", "--epochs", "3", "--set",
                 "data.batch_size=32"]) == 0


def test_debug_flag_and_env_show_the_traceback(tmp_path, capsys, monkeypatch):
    cfg = _write(tmp_path, "")
    assert main([str(cfg), "--debug"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" in err and err.strip().splitlines()[-1].startswith("nnlite-train: error")
    monkeypatch.setenv("NNLITE_DEBUG", "1")
    assert main([str(cfg)]) == 2
    assert "Traceback" in capsys.readouterr().err
    monkeypatch.setenv("NNLITE_DEBUG", "0")
    assert main([str(cfg)]) == 2
    assert "Traceback" not in capsys.readouterr().err


def test_an_internal_error_is_one_line_exit_3(tmp_path, capsys, monkeypatch):
    from nnlite.train import builders

    def broken(*a, **k):
        return 1 / 0

    monkeypatch.setattr(builders, "build_loss", broken)
    rc, line = _cli(capsys, _write(tmp_path, BASE), "--output-dir", tmp_path / "r")
    assert rc == 3 and "internal error: ZeroDivisionError" in line and "--debug" in line


def test_ctrl_c_during_set_up_is_130_and_leaves_nothing(tmp_path, capsys, monkeypatch):
    from nnlite.train import builders

    def interrupted(*a, **k):
        raise KeyboardInterrupt

    monkeypatch.setattr(builders, "build_optimizer", interrupted)
    rc, line = _cli(capsys, _write(tmp_path, BASE), "--output-dir", tmp_path / "r")
    assert rc == 130 and "interrupted" in line
    assert not (tmp_path / "r").exists()


def test_ctrl_c_during_the_final_save_is_130_and_resume_finishes(tmp_path, capsys,
                                                                 monkeypatch):
    from nnlite.train import runner

    real = runner.plot_history
    calls = {"n": 0}

    def interrupted(history, path, **k):
        if k.get("summary") is not None and not calls["n"]:
            calls["n"] += 1
            raise KeyboardInterrupt
        return real(history, path, **k)

    monkeypatch.setattr(runner, "plot_history", interrupted)
    out = tmp_path / "r"
    rc, line = _cli(capsys, _write(tmp_path, BASE), "--output-dir", out)
    assert rc == 130 and f"--resume {out}" in line
    rc, line = _cli(capsys, "--resume", out)
    assert rc == 0 and (out / "summary.json").is_file()
    assert not [n for n in os.listdir(out) if n.startswith(".tmp-")]


def _script(*args, **kw):
    import subprocess
    import sys

    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return subprocess.Popen([sys.executable, os.path.join(ROOT, "scripts", "train.py"),
                             *map(str, args)], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True, **kw)


def test_cli_smoke_billion_laughs_and_pickled_checkpoint(tmp_path):
    laughs = _write(tmp_path, LAUGHS)
    proc = _script(laughs, "--quiet")
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 2 and "aliases" in err and len(err.strip().splitlines()) == 1
    run_dir = tmp_path / "r"
    run_dir.mkdir()
    (run_dir / "config.yaml").write_text(BASE)
    (run_dir / "checkpoint.safetensors").write_bytes(pickle.dumps({"model": np.ones(2)}))
    proc = _script("--resume", run_dir, "--quiet")
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 2 and "pickle" in err and "Traceback" not in err, err


@pytest.mark.parametrize("moment", ["set-up", "training"])
def test_cli_smoke_sigint_is_130_one_line(tmp_path, moment):
    """SIGINT once the command runs (the interpreter's own start-up is outside its reach)."""
    import signal

    cfg = _write(tmp_path, BASE.replace("epochs: 2", "epochs: 300"))
    out = tmp_path / "r"
    proc = _script(cfg, "--quiet", "--output-dir", out)
    deadline = time.monotonic() + 120
    ready = (lambda: out.exists()) if moment == "set-up" else \
        (lambda: (out / "metrics.jsonl").exists() and (out / "metrics.jsonl").stat().st_size)
    while not ready() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.002)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    if out.exists():
        assert not [n for n in os.listdir(out) if n.startswith(".tmp-")]


@pytest.mark.parametrize("hidden,norm", [([16, 8], "batchnorm"), ([5], "none"), ([], None),
                                         ([7, 3, 2], "layernorm")])
def test_the_memory_estimate_counts_the_mlp_exactly(hidden, norm):
    from nnlite.train.checks import check_mlp_memory, mlp_parameters

    model = nnlite.nn.MLP(13, hidden, 4, norm=None if norm == "none" else norm)
    assert mlp_parameters(13, hidden, 4, norm) == sum(p.numel() for p in model.parameters())
    cfg = {"model": {"hidden": hidden, "norm": norm}, "data": {"batch_size": 64}}
    n = mlp_parameters(13, hidden, 4, norm)
    assert check_mlp_memory(cfg, 13, 4, budget=10**9) == n
    with pytest.raises(nnlite.train.ConfigError, match="more than half"):
        check_mlp_memory(cfg, 13, 4, budget=4 * n)  # weights alone fill it
