"""Run a PyTorch script with ``torch`` and its submodules resolving to nnlite's."""

import runpy
import sys

import nnlite
import nnlite.data
import nnlite.data.distributed
import nnlite.distributed
import nnlite.nn
import nnlite.nn.functional
import nnlite.nn.parallel
import nnlite.optim
import nnlite.utils

for name, mod in {"torch": nnlite, "torch.nn": nnlite.nn,
                  "torch.nn.functional": nnlite.nn.functional, "torch.nn.parallel": nnlite.nn.parallel, "torch.distributed": nnlite.distributed,
                  "torch.optim": nnlite.optim, "torch.utils": nnlite.utils,
                  "torch.utils.data": nnlite.data,
                  "torch.utils.data.distributed": nnlite.data.distributed}.items():
    sys.modules[name] = mod
script = sys.argv[1]
sys.argv = sys.argv[1:]
runpy.run_path(script, run_name="__main__")
