"""nnlite.set_num_threads / get_num_threads and the NNLITE_NUM_THREADS environment variable."""

import os
import subprocess
import sys

import pytest

import nnlite

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _run(code, **env):
    e = dict(os.environ, PYTHONPATH=ROOT, **env)
    e.pop("NNLITE_NUM_THREADS", None) if "NNLITE_NUM_THREADS" not in env else None
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=e,
                          cwd=ROOT, check=False)


def test_env_var_sets_blas_threads_at_import():
    pytest.importorskip("threadpoolctl")
    code = ("import nnlite, threadpoolctl; print(nnlite.get_num_threads(), "
            "{i['num_threads'] for i in threadpoolctl.threadpool_info() "
            "if i['user_api'] == 'blas'})")
    r = _run(code, NNLITE_NUM_THREADS="1")
    assert r.returncode == 0, r.stderr
    assert r.stdout.split()[0] == "1" and "{1}" in r.stdout


def test_without_env_var_import_leaves_blas_alone():
    r = _run("import sys, nnlite; print('threadpoolctl' in sys.modules)")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "False"


def test_bad_env_var_is_a_clear_error():
    r = _run("import nnlite", NNLITE_NUM_THREADS="two")
    assert r.returncode != 0 and "NNLITE_NUM_THREADS must be a positive integer" in r.stderr


def test_set_num_threads_round_trip_and_errors():
    before = nnlite.get_num_threads()
    try:
        nnlite.set_num_threads(1)
        assert nnlite.get_num_threads() == 1
        with pytest.raises(ValueError):
            nnlite.set_num_threads(0)
    finally:
        nnlite.set_num_threads(before)


def test_config_threads_accepts_auto_and_integers_only():
    from nnlite.train.schema import ConfigError, validate

    base = {"data": {"name": "iris"}}
    assert validate(dict(base, threads="auto"))["threads"] == "auto"
    assert validate(dict(base, threads=3))["threads"] == 3
    assert validate(base)["threads"] is None
    for bad, msg in (("atuo", "did you mean 'auto'"), (0, "out of range"),
                     (2.5, "expected an integer in [1, 1024] or auto or null")):
        with pytest.raises(ConfigError, match=r"^threads: ") as e:
            validate(dict(base, threads=bad))
        assert msg in str(e.value)


def test_auto_threads_is_the_env_var_else_the_usable_cores(monkeypatch):
    from nnlite._threads import available_cores, resolve_threads

    monkeypatch.delenv("NNLITE_NUM_THREADS", raising=False)
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    assert resolve_threads("auto") == available_cores() == cores
    monkeypatch.setenv("NNLITE_NUM_THREADS", "3")
    assert resolve_threads("auto") == 3
    assert resolve_threads(5) == 5 and resolve_threads(None) is None


def test_every_shipped_config_uses_the_machines_cores():
    import yaml

    folder = os.path.join(ROOT, "configs")
    for name in sorted(os.listdir(folder)):
        if name.endswith(".yaml"):
            with open(os.path.join(folder, name)) as f:
                assert yaml.safe_load(f).get("threads") == "auto", name
