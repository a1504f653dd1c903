"""Which rows of a global batch this process holds, so per-sample random masks match one process.

A data-parallel run splits each global batch over ``world`` ranks (rank ``r`` trains on rows
``r::world``). For its dropout to be the single-process run's, every rank keeps the
single-process random stream (the same seed on every rank) and a per-sample mask -- one whose
first dimension is this rank's share of the batch -- is drawn for the whole global batch, in
the single process's order, and this rank's rows of it are kept. Every rank then makes the
same draws as the single process, so the streams stay equal across ranks and equal to the
single process's, and N ranks train like one process up to summation order.

The data-parallel trainer sets the shard around each batch (:func:`set_rows`); with no shard
set (the default, and every one-process run) :func:`per_sample` is just ``draw(shape)``.
This module imports nothing from nnlite: the dropout ops and their compiled form call it.

Example:
    >>> import numpy as np
    >>> draw = lambda shape: np.arange(int(np.prod(shape))).reshape(shape)
    >>> set_rows(rank=1, world=2, global_rows=3)
    >>> per_sample((1, 2), draw).tolist()  # row 1 of the (3, 2) draw
    [[2, 3]]
    >>> clear()
"""

from __future__ import annotations

from collections.abc import Callable

_rows: tuple[int, int, int, int] | None = None  # (rank, world, global rows, this rank's rows)


def set_rows(rank: int, world: int, global_rows: int) -> None:
    """From now on this process holds rows ``rank::world`` of a batch of ``global_rows``."""
    global _rows
    if not 0 <= rank < world:
        raise ValueError(f"rank {rank} is not in [0, {world})")
    _rows = (rank, world, global_rows, len(range(rank, global_rows, world)))


def clear() -> None:
    """Back to one process: per-sample draws are this process's own."""
    global _rows
    _rows = None


def current() -> tuple[int, int, int] | None:
    """``(rank, world, global_rows)`` of the shard in effect, or None."""
    return None if _rows is None else _rows[:3]


def per_sample(shape: tuple, draw: Callable):
    """``draw(shape)`` for a per-sample random array of ``shape`` (batch first).

    Under a shard whose share of the batch is ``shape[0]`` rows, draws the global batch's
    array ``draw((global_rows, *shape[1:]))`` and returns this rank's rows of it. Any other
    shape (not batch-first, or no shard) is drawn as asked, the same on every rank.
    """
    s = _rows
    shape = tuple(shape)
    if s is None or not shape or shape[0] != s[3]:
        return draw(shape)
    rank, world, global_rows, _ = s
    full = draw((global_rows,) + shape[1:])
    return full[rank::world]
