#!/usr/bin/env python
"""Train from a YAML config: ``python scripts/train.py configs/mlp.yaml [--set k.path=v ...]``.

A thin wrapper over ``nnlite.train.cli`` (also installed as the ``nnlite-train`` command).
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

try:
    from nnlite.train.cli import main
except KeyboardInterrupt:  # Ctrl-C while importing: nothing started, nothing to keep
    print("nnlite-train: interrupted", file=sys.stderr)
    sys.exit(130)

if __name__ == "__main__":
    sys.exit(main())
