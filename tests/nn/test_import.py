"""``import nnlite.nn`` stays light: numba loads on the first kernel call, not at import; building
a model loads no layer kernels (the init's random numbers may load the RNG kernels)."""

import subprocess
import sys


def test_import_nn_does_not_load_kernels():
    code = (
        "import sys, nnlite as torch\n"
        "assert 'numba' not in sys.modules, 'import nnlite imported numba'\n"
        "import nnlite.nn as nn, nnlite.nn.functional as F\n"
        "assert 'numba' not in sys.modules, 'import nnlite.nn imported numba'\n"
        "m = nn.Sequential(nn.Linear(3, 2), nn.BatchNorm1d(2), nn.ReLU())\n"
        "loaded = [k for k in ('elementwise', 'norm', 'loss')\n"
        "          if 'nnlite.kernels.' + k in sys.modules]\n"
        "assert not loaded, loaded\n"
        "assert torch.nn is nn\n"
        "print('ok')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"
