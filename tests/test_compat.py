"""``python -m nnlite.compat script.py`` runs a PyTorch script with nnlite as torch."""

import os
import subprocess
import sys
import textwrap

import nnlite
from nnlite import compat

SCRIPT = """
import sys
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim.lr_scheduler as sched
from torch.utils.data import DataLoader, TensorDataset
from torch.utils.data.sampler import RandomSampler
from torch.nn.utils import clip_grad_norm_
from torch import optim
import torch.backends.cudnn as cudnn

print(torch.__name__, nn.__name__, F.__name__, sched.__name__, DataLoader.__module__)
print(RandomSampler.__module__, clip_grad_norm_.__module__, optim.__name__, cudnn.__name__)
print(sys.argv[1:], __name__)
torch.manual_seed(0)
print(round(float(F.relu(torch.randn(3)).sum()), 4))
"""


def _env():
    env = dict(os.environ)
    root = os.path.dirname(os.path.dirname(nnlite.__file__))
    env["PYTHONPATH"] = root + os.pathsep + env.get("PYTHONPATH", "")
    return env


def _run(tmp_path, body, *args):
    p = tmp_path / "prog.py"
    p.write_text(textwrap.dedent(body))
    return subprocess.run([sys.executable, "-m", "nnlite.compat", str(p), *args],
                          capture_output=True, text=True, timeout=120, env=_env())


def test_script_runs_unchanged_with_every_import_resolving_to_nnlite(tmp_path):
    r = _run(tmp_path, SCRIPT, "--lr", "3")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0].split() == ["nnlite", "nnlite.nn", "nnlite.nn.functional",
                                "nnlite.optim.lr_scheduler", "nnlite.data.dataloader"]
    assert lines[1].split() == ["nnlite.data.sampler", "nnlite.nn.utils.clip_grad",
                                "nnlite.optim", "nnlite.backends.cudnn"]
    assert lines[2] == "['--lr', '3'] __main__"
    nnlite.manual_seed(0)
    assert float(lines[3]) == round(float(nnlite.nn.functional.relu(nnlite.randn(3)).sum()), 4)


def test_missing_torch_module_names_itself(tmp_path):
    r = _run(tmp_path, "import torch.no_such_thing\n")
    assert r.returncode == 1
    assert "No module named 'torch.no_such_thing'" in r.stderr
    assert "nnlite has no counterpart" in r.stderr


def test_usage_and_missing_script(tmp_path):
    r = subprocess.run([sys.executable, "-m", "nnlite.compat"], capture_output=True, text=True,
                       timeout=60, env=_env())
    assert r.returncode == 2 and "usage" in r.stderr
    r = subprocess.run([sys.executable, "-m", "nnlite.compat", str(tmp_path / "nope.py")],
                       capture_output=True, text=True, timeout=60, env=_env())
    assert r.returncode == 2 and "no such script" in r.stderr


def test_in_process_context_swaps_and_restores():
    before = sys.modules.get("torch")
    with compat.torch_is_nnlite():
        import torch
        import torch.utils.data as tud

        assert torch is nnlite and tud is nnlite.data
        assert nnlite.nn.__spec__.name == "nnlite.nn"  # the alias does not rename nnlite's own
    assert sys.modules.get("torch") is before
    assert compat.nnlite_name("torch.utils.data.dataset") == "nnlite.data.dataset"
    assert compat.nnlite_name("torch.nn.modules.linear") == "nnlite.nn.modules.linear"
