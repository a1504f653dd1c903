"""The global random generator (``nnlite.manual_seed``) and ``Generator`` objects.

One numpy PCG64 generator drives rand/randn/randint/randperm, init and dropout, so one seed fixes
them all. States are plain data (a JSON-able dict) so checkpoints need no pickle.
"""

from __future__ import annotations

import json

import numpy as np


class Generator:
    """A random generator (``torch.Generator``); ``manual_seed`` returns it for chaining."""

    def __init__(self, device="cpu"):
        self._seed = 67280421310721  # PyTorch's default seed
        self._rng = np.random.Generator(np.random.PCG64(self._seed))

    def manual_seed(self, seed) -> Generator:
        seed = int(seed)
        self._seed = seed
        self._rng = np.random.Generator(np.random.PCG64(seed & ((1 << 128) - 1)))
        return self

    def seed(self) -> int:
        s = int(np.random.SeedSequence().entropy % (1 << 63))
        self.manual_seed(s)
        return s

    def initial_seed(self) -> int:
        return self._seed

    def get_state(self):
        from nnlite._tensor import Tensor

        raw = json.dumps(self._rng.bit_generator.state).encode()
        return Tensor._wrap(np.frombuffer(raw, dtype=np.uint8).copy())

    def set_state(self, state) -> Generator:
        arr = state._data if hasattr(state, "_data") else np.asarray(state, dtype=np.uint8)
        self._rng.bit_generator.state = json.loads(bytes(arr.astype(np.uint8)).decode())
        return self

    @property
    def device(self):
        from nnlite._tensor import _CPU

        return _CPU


default_generator = Generator()


def _rng(generator=None) -> np.random.Generator:
    return (generator or default_generator)._rng


def manual_seed(seed) -> Generator:
    """Seed the global generator (and return it), as ``torch.manual_seed``."""
    return default_generator.manual_seed(seed)


def seed() -> int:
    return default_generator.seed()


def initial_seed() -> int:
    return default_generator.initial_seed()


def get_rng_state():
    return default_generator.get_state()


def set_rng_state(state) -> None:
    default_generator.set_state(state)
