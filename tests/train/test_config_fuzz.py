"""Fuzzing the config loader: for generated YAML (structured configs with hostile values,
mutated real configs, alias/nesting bombs) the in-process entry point of ``nnlite-train``
either accepts the config or raises a ``ConfigError`` whose message is one line; anything else
(a traceback at the CLI) fails the test. A few generated configs go through ``main`` whole."""

import os
import sys

import pytest
import yaml

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nnlite.train.cli import main
from nnlite.train.config import load_yaml
from nnlite.train.runner import resolve
from nnlite.train.schema import ConfigError

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
with open(os.path.join(ROOT, "configs", "mlp.yaml"), encoding="utf-8") as _fh:
    MLP = _fh.read()
SETTINGS = {"deadline": None, "derandomize": True,
            "suppress_health_check": [HealthCheck.function_scoped_fixture, HealthCheck.too_slow]}
TRIED = {"n": 0}


def check(path, overrides=()) -> int:
    """The CLI's outcome for a config file: 0 accepted, 2 a one-line ConfigError."""
    TRIED["n"] += 1
    try:
        resolve(load_yaml(str(path)), list(overrides))
        return 0
    except ConfigError as e:
        text = str(e)
        assert "\n" not in text and len(text) < 2000, text[:3000]
        return 2


KEYS = {
    "": ["name", "seed", "threads", "data", "model", "loss", "optimizer", "scheduler",
         "trainer", "finetune", "metrics", "bogus"],
    "data": ["name", "path", "target", "task", "split", "standardize", "classes", "n_train",
             "params", "batch_size", "eval_batch_size", "shuffle", "drop_last", "missing"],
    "model": ["type", "hidden", "norm", "activation", "dropout", "out_features", "class",
              "args"],
    "optimizer": ["name", "lr", "weight_decay", "betas", "momentum", "eps", "param_groups",
                  "nesterov", "amsgrad", "bogus"],
    "scheduler": ["name", "interval", "warmup_epochs", "T_max", "gamma", "milestones",
                  "step_size", "total_steps", "max_lr", "eta_min", "factor", "patience"],
    "trainer": ["epochs", "grad_clip", "early_stopping", "save_model", "checkpoint_every",
                "log_every"],
    "loss": ["name", "label_smoothing"],
}
NAMES = ["digits", "iris", "wine", "csv", "adamw", "sgd", "cosine", "onecycle", "multistep",
         "none", "relu", "batchnorm", "best", "val_loss", "mse", "cross_entropy", "../x", "",
         "a\u00e9b", "tests.train.models:NanAfter"]
scalars = st.one_of(
    st.none(), st.booleans(),
    st.integers(min_value=-2**70, max_value=2**70),
    st.sampled_from([0, 1, 2, 10**9, 2**32, 2**64, -1]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(NAMES),
    st.text(max_size=12),
)
values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=6), inner, max_size=3)),
    max_leaves=8)


@st.composite
def configs(draw):
    cfg = {}
    for key in draw(st.lists(st.sampled_from(KEYS[""]), max_size=6, unique=True)):
        if key in KEYS and draw(st.booleans()):
            sub = {}
            for k in draw(st.lists(st.sampled_from(KEYS[key]), max_size=5, unique=True)):
                sub[k] = draw(st.one_of(scalars, values))
            cfg[key] = sub
        else:
            cfg[key] = draw(values)
    return cfg


@settings(max_examples=120, **SETTINGS)
@given(cfg=configs())
def test_structured_configs(tmp_path, cfg):
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump(cfg, allow_unicode=True))
    check(path)


PIECES = ["&a ", "*a", "*b", "[", "]", "{", "}", ": ", "- ", "\n", "\t", "  ",
          "!!python/name:os.system", "!!binary ", "<<: *a\n", "? ", "---\n", "...\n", "'", '"', "#", "%YAML 1.1\n", "\x00",
          "\x01", "\ufeff", "\u2028", "1e400", ".nan", "-.inf", "9" * 50, "lr: 1\nlr: 2\n",
          "&b [*a, *a]", "~", "null", "yes", "0x1F", "0o17", "2001-12-14"]


@settings(max_examples=150, **SETTINGS)
@given(edits=st.lists(st.tuples(st.integers(0, len(MLP)), st.sampled_from(PIECES),
                                st.integers(0, 3)), min_size=1, max_size=4))
def test_mutated_real_config(tmp_path, edits):
    text = MLP
    for pos, piece, cut in edits:
        pos = min(pos, len(text))
        text = text[:pos] + piece + text[pos + cut:]
    path = tmp_path / "c.yaml"
    path.write_bytes(text.encode("utf-8", "surrogatepass"))
    check(path)


@settings(max_examples=50, **SETTINGS)
@given(raw=st.binary(max_size=200))
def test_random_bytes(tmp_path, raw):
    path = tmp_path / "c.yaml"
    path.write_bytes(raw)
    check(path)


@settings(max_examples=40, **SETTINGS)
@given(levels=st.integers(1, 12), width=st.integers(1, 12), depth=st.integers(1, 3000),
       kind=st.sampled_from(["laughs", "nest", "flow", "dup"]))
def test_bombs(tmp_path, levels, width, depth, kind):
    if kind == "laughs":
        lines = ["l0: &l0 [x]"] + [f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * width)}]"
                                   for i in range(1, levels + 1)]
        text = "\n".join(lines) + "\n"
    elif kind == "nest":
        text = "".join("  " * i + f"k{i}:\n" for i in range(min(depth, 400))) + \
            "  " * min(depth, 400) + "v\n"
    elif kind == "flow":
        text = "a: " + "[" * depth + "]" * depth + "\n"
    else:
        text = "".join(f"seed: {i}\n" for i in range(levels))
    path = tmp_path / "c.yaml"
    path.write_text(text)
    rc = check(path)
    if kind == "laughs" and width ** levels > 10_000:
        assert rc == 2
    if kind == "flow" and depth > 32:
        assert rc == 2
    if kind == "dup" and levels > 1:
        assert rc == 2


@settings(max_examples=100, **SETTINGS)
@given(sets=st.lists(st.tuples(
    st.sampled_from(["optimizer.lr", "seed", "data.split.val", "model.hidden", "scheduler",
                     "scheduler.T_max", "trainer.epochs", "name", "data.batch_size",
                     "loss.label_smoothing", "optimizer.betas", "x.y", "model..a"]),
    st.one_of(st.sampled_from(["abc", ".nan", "1e400", "[1, 2", "{name: cosine, T_max: 0}",
                               "&a [*a]", "0", "-1", "[10000000000]", "\x01", "../x",
                               "{name: onecycle, total_steps: 1}"]),
              st.text(max_size=10))), min_size=1, max_size=3))
def test_overrides(tmp_path, sets):
    path = tmp_path / "c.yaml"
    path.write_text(MLP)
    check(path, [f"{k}={v}" for k, v in sets])


@settings(max_examples=6, **SETTINGS)
@given(cfg=configs())
def test_whole_cli_dry_run(tmp_path, capsys, cfg):
    """A handful through ``main`` itself: exit 0 or 2, stderr at most one line, no traceback."""
    cfg.setdefault("data", {})
    if isinstance(cfg["data"], dict):
        cfg["data"]["name"] = "iris"  # keep the data small
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump(cfg, allow_unicode=True))
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        rc = main([str(path), "--dry-run", "--quiet"])
    finally:
        os.chdir(cwd)
    err = capsys.readouterr().err
    assert rc in (0, 2) and "Traceback" not in err and len(err.strip().splitlines()) <= 1, err


def test_the_property_can_fail(tmp_path, monkeypatch):
    """``check`` lets a traceback-worthy exception through and rejects a multi-line message."""
    path = tmp_path / "c.yaml"
    path.write_text(MLP)

    def crash(path):
        raise TypeError("boom")

    monkeypatch.setattr(sys.modules[__name__], "load_yaml", crash)
    with pytest.raises(TypeError):
        check(path)

    def two_lines(path):
        raise ConfigError("x", "two\nlines")

    monkeypatch.setattr(sys.modules[__name__], "load_yaml", two_lines)
    with pytest.raises(AssertionError):
        check(path)
