"""The census harness (tests/programs/census.py) and the corpus of PyTorch programs it runs.

Every program in tests/programs/corpus/ runs under real torch and under nnlite-as-torch
(``nnlite.compat``) in this process; both must print the same (numbers within the census's
default tolerance). The harness itself must fail on a divergent program.
"""

import os
import textwrap

import pytest

from tests.programs import census as C

CORPUS = os.path.join(os.path.dirname(__file__), "corpus")
PROGRAMS = sorted(f for f in os.listdir(CORPUS) if f.endswith(".py"))


def test_compare_outputs_tolerance_and_its_failures():
    same = "loss 0.12345 tensor([1.0000, 2.0000])\n<Node object at 0x7f00aa>"
    assert C.compare_outputs(same, same.replace("0x7f00aa", "0x7f99bb")) is None
    assert C.compare_outputs("a 1.0000", "a 1.0001", rtol=1e-3) is None
    assert "line 1" in C.compare_outputs("a 1.0000", "a 1.0001", rtol=0, atol=0)
    assert "line 1" in C.compare_outputs("a 1.0", "a 1.5")
    assert "line 2" in C.compare_outputs("x\ny 2", "x\nz 2")
    assert "line 1" in C.compare_outputs("tensor([1., 2.])", "tensor([1., 2., 3.])")
    assert "line 1" in C.compare_outputs("inf", "1e308") and C.compare_outputs("nan", "nan") is None
    assert "printed 2 lines, nnlite 1" in C.compare_outputs("a\nb", "a")
    assert "first extra line (nnlite): 'c'" in C.compare_outputs("a", "a\nc")
    # padding that moves with a number's width is tolerated, other spacing changes are not
    assert C.compare_outputs("m  0.00000 s", "m -0.00000 s") is None
    assert C.compare_outputs("tensor([ 0.0000, -1.0000])", "tensor([0.0000, 1.0000])") is not None
    assert C.compare_outputs("tensor([ 1e-09, -1e-09])", "tensor([1e-09, 2e-09])") is None
    assert "line 1" in C.compare_outputs("a  1.0", "a 1.0")
    assert "line 1" in C.compare_outputs("a b 1.0", "ab 1.00001")


@pytest.fixture
def programs_dir(tmp_path):
    def write(name, body):
        (tmp_path / name).write_text(textwrap.dedent(body))

    write("agrees.py", """
        import torch
        torch.manual_seed(0)
        print(torch.randn(3), torch.arange(4).sum().item())
        """)
    write("diverges.py", """
        import torch
        print(1.0 if torch.__name__ == "torch" else 1.5)
        """)
    write("nnlite_crashes.py", """
        import torch
        if torch.__name__ != "torch":
            raise RuntimeError("boom")
        print("ok")
        """)
    write("slightly_off.py", """
        import torch
        print(1.0 if torch.__name__ == "torch" else 1.00001)
        """)
    return tmp_path


def test_harness_fails_on_divergent_programs(programs_dir):
    torch = pytest.importorskip("torch")  # noqa: F841 - the torch side needs real torch
    v = {x.name: x for x in C.census(str(programs_dir), in_process=True)}
    assert v["agrees.py"].ok and v["slightly_off.py"].ok
    assert not v["diverges.py"].ok and "line 1" in v["diverges.py"].detail
    assert not v["nnlite_crashes.py"].ok and "RuntimeError: boom" in v[
        "nnlite_crashes.py"].detail
    exact = {x.name: x for x in C.census(str(programs_dir), rtol=0, atol=0, in_process=True)}
    assert not exact["slightly_off.py"].ok
    # the subprocess mode (nnlite's side in fresh interpreters, against torch's outputs from
    # above, to spare three torch start-ups) and the CLI (exit status 1 when anything diverges)
    torch_out = {n: C.run_in_process(str(programs_dir / n), "torch", 60).stdout
                 for n in v}
    sub = {x.name: x for x in C.census(str(programs_dir), timeout=120, expected=torch_out)}
    assert sub["agrees.py"].ok and not sub["diverges.py"].ok
    assert "exit 1" in sub["nnlite_crashes.py"].detail
    assert C.main([str(programs_dir), "--in-process"]) == 1
    assert C.main([str(programs_dir / "nope")]) == 2


def test_in_process_timeout_stops_a_hanging_program(tmp_path):
    (tmp_path / "hang.py").write_text("while True:\n    pass\n")
    r = C.run_in_process(str(tmp_path / "hang.py"), "nnlite", timeout=0.5)
    assert r.error == "timed out after 0.5 s"


@pytest.mark.parametrize("name", PROGRAMS)
def test_corpus_program_prints_what_torch_prints(name):
    pytest.importorskip("torch")
    path = os.path.join(CORPUS, name)
    t = C.run_in_process(path, "torch", timeout=120)
    n = C.run_in_process(path, "nnlite", timeout=120)
    v = C.judge(name, t, n, rtol=1e-3, atol=1e-4)
    assert t.stdout.strip(), f"{name} printed nothing under torch"
    assert v.ok, v.detail


def test_corpus_size():
    assert len(PROGRAMS) >= 122
