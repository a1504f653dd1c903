"""Self-test of the per-test time limit in tests/conftest.py: a pytest run in a subprocess (with
its own timeout, so this test cannot hang either) on small test files that load that conftest as
a plugin."""

import os
import subprocess
import sys
import textwrap
import time

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

if not hasattr(__import__("signal"), "SIGALRM"):
    pytest.skip("the time limit needs SIGALRM", allow_module_level=True)


def _run(tmp_path, body: str, env: dict | None = None, limit: float = 90.0):
    (tmp_path / "conftest.py").write_text('pytest_plugins = ["tests.conftest"]\n')
    (tmp_path / "test_subject.py").write_text(textwrap.dedent(body))
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("NNLITE_TEST_TIMEOUT")}
    # no third-party plugins (their imports take seconds): only the conftest under test
    full_env.update(PYTHONPATH=ROOT + os.pathsep + full_env.get("PYTHONPATH", ""),
                    PYTEST_DISABLE_PLUGIN_AUTOLOAD="1", **(env or {}))
    t0 = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "-rA", "test_subject.py"],
        cwd=tmp_path, env=full_env, capture_output=True, text=True, timeout=limit,
        check=False)
    return proc, proc.stdout + proc.stderr, time.monotonic() - t0


def test_a_hang_fails_that_test_alone_with_a_message(tmp_path):
    proc, out, took = _run(tmp_path, """
        import time
        import pytest

        @pytest.mark.timeout(1)
        def test_hangs():
            time.sleep(60)

        @pytest.mark.timeout(1)
        def test_hangs_behind_a_broad_except():
            while True:  # code that swallows Exception must not swallow the time limit
                try:
                    time.sleep(60)
                except Exception:
                    pass

        def test_after():
            assert 1 + 1 == 2
    """)
    assert proc.returncode == 1, out
    assert "2 failed, 1 passed" in out, out
    assert "test_hangs ran past its 1 s time limit" in out, out
    assert "test_hangs_behind_a_broad_except ran past its 1 s time limit" in out, out
    assert "time.sleep(60)" in out, out  # the traceback shows where it hung
    assert took < 45, took


def test_the_environment_sets_the_default_and_a_marker_raises_it(tmp_path):
    body = """
        import time
        import pytest

        def test_default():
            time.sleep(1.2)

        @pytest.mark.timeout(30)
        def test_raised():
            time.sleep(1.2)
    """
    proc, out, _ = _run(tmp_path, body, {"NNLITE_TEST_TIMEOUT": "0.4"})
    assert "FAILED test_subject.py::test_default" in out, out
    assert "ran past its 0.4 s time limit" in out, out
    assert "PASSED test_subject.py::test_raised" in out, out
    proc, out, _ = _run(tmp_path, body, {"NNLITE_TEST_TIMEOUT": "0"})  # 0: no limit
    assert proc.returncode == 0 and "2 passed" in out, out


def test_a_bad_limit_is_a_one_line_usage_error(tmp_path):
    proc, out, _ = _run(tmp_path, "def test_x():\n    pass\n", {"NNLITE_TEST_TIMEOUT": "soon"})
    assert proc.returncode != 0 and "NNLITE_TEST_TIMEOUT='soon'" in out, out
    proc, out, _ = _run(tmp_path, """
        import pytest

        @pytest.mark.timeout("long")
        def test_x():
            pass
    """)
    assert proc.returncode != 0 and "needs a number of seconds" in out, out


def test_a_hang_in_native_code_ends_the_run_with_every_stack(tmp_path):
    # sum() over a range runs in C without checking for signals: SIGALRM's Python handler cannot
    # run, so the watchdog must end the process and say where it was
    proc, out, took = _run(tmp_path, """
        import pytest

        @pytest.mark.timeout(1)
        def test_native_hang():
            sum(range(10 ** 13))
    """, {"NNLITE_TEST_TIMEOUT_GRACE": "1"})
    assert proc.returncode != 0, out
    assert "Timeout" in out and "test_native_hang" in out, out
    assert took < 45, took
