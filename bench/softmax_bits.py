"""How many float32 softmax / log-softmax results (forward and input gradient) differ in bits
from torch's CPU kernel, on random inputs.

    python bench/softmax_bits.py [NNLITE_CHECKOUT ...]

Each checkout (default: this one) is measured in a subprocess with its own ``nnlite``; prints the
fraction of differing elements and the largest gap in ULPs per case.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

CASES = [((4096, 10), -1), ((1024, 100), -1), ((256, 1000), -1), ((64, 50, 64), -1),
         ((32, 17, 40), 1), ((8, 64, 9), 0)]

_CHILD = r"""
import json, sys
import numpy as np
import torch
import nnlite
print("nnlite from", nnlite.__file__, file=sys.stderr)
cases = json.loads(sys.argv[1])
rng = np.random.default_rng(0)
res = []
def ulps(a, b):
    ia = a.view(np.int32).astype(np.int64); ib = b.view(np.int32).astype(np.int64)
    ia = np.where(ia < 0, -(ia & 0x7FFFFFFF), ia); ib = np.where(ib < 0, -(ib & 0x7FFFFFFF), ib)
    return int(np.abs(ia - ib).max()) if a.size else 0
for shape, dim in cases:
    x = (rng.standard_normal(shape) * 3).astype(np.float32)
    g = rng.standard_normal(shape).astype(np.float32)
    row = {"shape": shape, "dim": dim}
    for name in ("softmax", "log_softmax"):
        tx = torch.from_numpy(x).requires_grad_()
        ty = getattr(torch, name)(tx, dim); ty.backward(torch.from_numpy(g))
        nx = nnlite.from_numpy(x.copy()).requires_grad_()
        ny = getattr(nnlite, name)(nx, dim); ny.backward(nnlite.from_numpy(g.copy()))
        a, b = ny.detach().numpy(), ty.detach().numpy()
        ga, gb = nx.grad.numpy(), tx.grad.numpy()
        row[name] = [float((a != b).mean()), ulps(a, b), float((ga != gb).mean()), ulps(ga, gb)]
    res.append(row)
print(json.dumps(res))
"""


def measure(checkout: str) -> list:
    env = dict(os.environ, PYTHONPATH=os.path.abspath(checkout))
    out = subprocess.run([sys.executable, "-c", _CHILD, json.dumps(CASES)], env=env, cwd=checkout,
                         capture_output=True, text=True, timeout=600, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str]) -> None:
    checkouts = argv or ["."]
    print("fraction of float32 elements differing from torch (max ulp); fwd | grad")
    for co in checkouts:
        print(f"== {co}")
        for row in measure(co):
            parts = [f"{n}: {v[0]:.4f} ({v[1]}) | {v[2]:.4f} ({v[3]})"
                     for n, v in row.items() if n in ("softmax", "log_softmax")]
            print(f"  {tuple(row['shape'])!s:>14} dim={row['dim']:>2}  " + "   ".join(parts))


if __name__ == "__main__":
    main(sys.argv[1:])
